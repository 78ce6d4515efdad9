"""Modules that do not run a model never import TensorFlow (seconds); core never imports Streamlit."""

import subprocess
import sys

from core.paths import REPO_ROOT

LIGHT_MODULES = [
    "core", "core.pipeline", "core.runs", "core.metrics", "core.bias", "core.charts", "core.datasets",
    "core.reproduce", "core.cli", "core.jobs", "core.demo", "core.uploads", "core.report", "core.download",
    "core.thresholds",
]  # fmt: skip
#: Imported on first use, not at import time: the first page a visitor opens should not pay for them.
LAZY = ["sklearn", "scipy.stats"]
HEAVY = ["tensorflow", "keras", "streamlit"]


def test_light_modules_import_without_tensorflow_or_streamlit():
    code = f"import sys, {', '.join(LIGHT_MODULES)}; print(*[m in sys.modules for m in {HEAVY!r}])"
    out = _run(code)
    assert dict(zip(HEAVY, out.split(), strict=True)) == dict.fromkeys(HEAVY, "False")


def test_metrics_modules_import_scikit_learn_and_scipy_stats_on_first_use():
    modules = "core.metrics, core.thresholds, core.report, core.charts"
    code = f"import sys, {modules}; print(*[m in sys.modules for m in {LAZY!r}])"
    assert _run(code).split() == ["False", "False"]


def test_import_check_detects_tensorflow():
    """The check above can fail: importing core.models does load TensorFlow."""
    code = f"import sys, core.models; print(*[m in sys.modules for m in {HEAVY!r}])"
    assert _run(code).split()[:2] == ["True", "True"]


def _run(code: str) -> str:
    """What ``python -c code`` prints, run from the repository root in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
