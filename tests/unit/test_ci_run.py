""".ci/run: installs chromium or stops, saying why; then runs exactly the README's test command.

Each test runs the real script with a PATH of stand-ins, so nothing is installed or tested for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.paths import REPO_ROOT

CI_RUN = REPO_ROOT / ".ci" / "run"


def _bin(
    tmp_path: Path, *, apt_ok: bool, chromium: bool, apt_installs_chromium: bool = False, pango: bool = True
) -> Path:
    """A PATH folder: dirname, stand-ins for apt-get, pip and python that log their arguments, and a
    dpkg that says whether Pango is installed."""
    folder = tmp_path / "bin"
    folder.mkdir()
    os.symlink(shutil.which("dirname"), folder / "dirname")
    log = tmp_path / "calls.log"
    install = (
        f'printf "#!/bin/sh\\n" > {folder}/chromium; chmod +x {folder}/chromium'
        if apt_installs_chromium
        else ""
    )
    stand_ins = {
        "apt-get": f'echo "apt-get $*" >> {log}\n{install if apt_ok else ""}\nexit {0 if apt_ok else 100}',
        "pip": f'echo "pip $*" >> {log}',
        "python": f'echo "python $*" >> {log}',
        "dpkg": f"exit {0 if pango else 1}",
    }
    if chromium:
        stand_ins["chromium"] = "exit 0"
    for name, body in stand_ins.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (folder / name).chmod(0o755)
    return folder


def _run(tmp_path: Path, folder: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    done = subprocess.run(
        ["/bin/bash", str(CI_RUN)], env={"PATH": str(folder)}, capture_output=True, text=True, timeout=30
    )
    log = tmp_path / "calls.log"
    return done, log.read_text(encoding="utf-8") if log.exists() else ""


def test_ci_run_stops_when_chromium_cannot_be_installed(tmp_path: Path) -> None:
    done, calls = _run(tmp_path, _bin(tmp_path, apt_ok=False, chromium=False))
    assert done.returncode == 1
    assert "CI stopped: chromium could not be installed" in done.stderr
    assert "apt-get update" in calls and "pytest" not in calls


def test_ci_run_stops_when_the_install_leaves_no_chromium(tmp_path: Path) -> None:
    done, calls = _run(tmp_path, _bin(tmp_path, apt_ok=True, chromium=False))
    assert done.returncode == 1
    assert "no chromium command is on PATH" in done.stderr
    assert "pytest" not in calls


@pytest.mark.parametrize("installed_before", [True, False])
def test_ci_run_with_chromium_runs_the_readme_test_command(tmp_path: Path, installed_before: bool) -> None:
    folder = _bin(tmp_path, apt_ok=True, chromium=installed_before, apt_installs_chromium=True)
    done, calls = _run(tmp_path, folder)
    assert done.returncode == 0, done.stderr
    assert calls.splitlines()[-2:] == ["pip install -r requirements.txt", "python -m pytest"]
    assert ("apt-get" in calls) is not installed_before


def test_ci_run_installs_pango_for_the_pdf_report_when_it_is_missing(tmp_path: Path) -> None:
    done, calls = _run(tmp_path, _bin(tmp_path, apt_ok=True, chromium=True, pango=False))
    assert done.returncode == 0, done.stderr
    assert "libpangoft2-1.0-0" in calls
    assert calls.splitlines()[-2:] == ["pip install -r requirements.txt", "python -m pytest"]


def test_ci_run_stops_when_pango_cannot_be_installed(tmp_path: Path) -> None:
    done, calls = _run(tmp_path, _bin(tmp_path, apt_ok=False, chromium=True, pango=False))
    assert done.returncode == 1
    assert "CI stopped: Pango (libpangoft2-1.0-0), which the PDF report needs" in done.stderr
    assert "pytest" not in calls
