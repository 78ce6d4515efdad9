"""Command line: ``python -m core <command>``; ``python -m core --help`` lists the commands.

With ``--json`` a command prints exactly one JSON object on stdout. Progress goes to
stderr, and so do the files ``train`` skipped, with the reason (its JSON lists them under
``skipped``). Bad input ends with one sentence on stderr and exit status 2, never a traceback.

One module per group of commands, each with an ``add_commands(sub)`` that registers its
subcommands: :mod:`core.cli.training` (train, reproduce), :mod:`core.cli.generalize`
(leave-one-source-out), :mod:`core.cli.jobs` (the training queue), :mod:`core.cli.results`
(evaluate, bias, runs), :mod:`core.cli.stress` (stress), :mod:`core.cli.outputs` (explain,
report), :mod:`core.cli.data` (download). Shared helpers (progress bars, text output) are in
:mod:`core.cli.common`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from core.cli import data, generalize, jobs, outputs, results, stress, training
from core.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from core.errors import UnmaskError
from core.runs import store

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "main"]

#: The modules whose ``add_commands`` build the parser, in the order ``--help`` lists them.
COMMAND_MODULES = (training, generalize, jobs, results, stress, outputs, data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        result, text = args.handler(args)
    except UnmaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(store.json_safe(result), allow_nan=False))
    else:
        print(text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Unmask: real vs AI-generated faces.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(sub)
    return parser
