"""Modules that do not run a model must not import TensorFlow (it costs seconds); core never imports Streamlit."""

import subprocess
import sys

from core.paths import REPO_ROOT

LIGHT_MODULES = [
    "core", "core.pipeline", "core.runs", "core.metrics", "core.bias", "core.charts", "core.datasets",
    "core.reproduce", "core.cli", "core.jobs", "core.demo", "core.uploads", "core.report", "core.download",
]  # fmt: skip
HEAVY = ["tensorflow", "keras", "streamlit"]


def test_light_modules_import_without_tensorflow_or_streamlit():
    code = f"import sys, {', '.join(LIGHT_MODULES)}; print(*[m in sys.modules for m in {HEAVY!r}])"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert dict(zip(HEAVY, out.stdout.split(), strict=True)) == dict.fromkeys(HEAVY, "False")


def test_import_check_detects_tensorflow():
    """The check above can fail: importing core.models does load TensorFlow."""
    code = f"import sys, core.models; print(*[m in sys.modules for m in {HEAVY!r}])"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split()[:2] == ["True", "True"]
