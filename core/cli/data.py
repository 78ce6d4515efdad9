"""Commands about data sets: ``download``."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import command


def add_commands(sub: Any) -> None:
    """Register ``download``."""
    download = command(sub, "download", _download, "download a real data set from Kaggle")
    download.add_argument("which", choices=("hard", "utkface"))


def _download(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.data.download import download_kaggle

    path = download_kaggle(args.which)
    return {"which": args.which, "path": str(path)}, f"downloaded to {path}"
