"""Import rules: core never imports Streamlit; only the modules that run a model import TensorFlow.

The list of light modules is every module under ``core/`` except :data:`MODEL_MODULES`, found by
walking the package, so a new module is checked without anyone remembering to add it here.
"""

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import core
from core.paths import REPO_ROOT

#: The only modules allowed to import TensorFlow/Keras at import time: they build, feed and train models.
MODEL_MODULES = {
    "core.model.presets",
    "core.model.tfdata",
    "core.model.train",
    "core.model.lean",
    "core.model.artifacts",
    "core.model.distributed",
}
#: Imported on first use, not at import time: the first page a visitor opens should not pay for them.
LAZY = ["sklearn", "scipy.stats"]
HEAVY = ["tensorflow", "keras", "streamlit"]
METRICS_MODULES = [f"core.evaluation.{m}" for m in ("metrics", "thresholds", "report", "charts")]


def core_modules() -> list[str]:
    """Every module of the core package, by walking it on disk."""
    found = pkgutil.walk_packages(core.__path__, prefix="core.")
    return sorted({"core", *(m.name for m in found if m.name != "core.__main__")})


def light_modules() -> list[str]:
    return [m for m in core_modules() if m not in MODEL_MODULES]


def test_core_modules_finds_every_stage():
    """The walk sees the subpackages, so the rule below covers them."""
    modules = core_modules()
    for expected in ("core.data.datasets", "core.model.config", "core.evaluation.metrics", "core.runs.store"):
        assert expected in modules
    assert set(modules) >= MODEL_MODULES


def test_light_modules_import_without_tensorflow_or_streamlit():
    code = f"import sys, {', '.join(light_modules())}; print(*[m in sys.modules for m in {HEAVY!r}])"
    out = _run(code)
    assert dict(zip(HEAVY, out.split(), strict=True)) == dict.fromkeys(HEAVY, "False")


def test_metrics_modules_import_scikit_learn_and_scipy_stats_on_first_use():
    code = f"import sys, {', '.join(METRICS_MODULES)}; print(*[m in sys.modules for m in {LAZY!r}])"
    assert _run(code).split() == ["False", "False"]


def test_light_modules_and_the_ui_import_no_scipy():
    """SciPy (0.2-0.3 s of imports) is loaded where it is used: the demo faces' filters, the intervals."""
    loaded = "any(m.startswith('scipy') for m in sys.modules)"
    code = f"import sys, ui, {', '.join(light_modules())}; print({loaded})"
    assert _run(code).split()[-1] == "False"


@pytest.mark.slow
def test_model_modules_import_tensorflow_but_never_streamlit():
    """The check above can fail (the model modules do load TensorFlow), and no core module loads Streamlit."""
    code = f"import sys, {', '.join(sorted(MODEL_MODULES))}; print(*[m in sys.modules for m in {HEAVY!r}])"
    assert _run(code).split() == ["True", "True", "False"]


def _run(code: str) -> str:
    """What ``python -c code`` prints, run from the repository root in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_no_test_skips_for_a_pinned_package() -> None:
    """A broken install of what requirements.txt pins must fail the suite, never skip part of it."""
    root = Path(__file__).resolve().parents[2]
    pinned = {
        line.split("==")[0].strip().lower().replace("-", "_")
        for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    pinned |= {"pil", "sklearn"}  # the import names of pillow and scikit-learn
    found = []
    for path in (root / "tests").rglob("*.py"):
        for name in re.findall(r"importorskip\(\s*[\"']([\w.]+)", path.read_text(encoding="utf-8")):
            if name.split(".")[0].lower() in pinned:
                found.append(f"{path.relative_to(root)}: {name}")
    assert found == []
