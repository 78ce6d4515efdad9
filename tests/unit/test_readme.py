"""The README shows what the project measured and what its commands are: keep it true."""

import json

from bench.experiments import read_store
from bench.readme import readme_blocks
from core.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_generated_blocks_match_the_json_files():
    """Speed table, its notes and the presets: as bench/results.json and bench/experiments.json say.

    Fails when the README was edited by hand, when a JSON file changed without re-rendering, and
    when core's settings changed without re-running the experiments that describe them.
    """
    results = json.loads((REPO_ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
    for name, block in readme_blocks(results, read_store()).items():
        assert block in README, f"the README's {name} block is stale: run python -m bench.report"


def test_readme_has_the_two_commands_ci_runs():
    assert "pip install -r requirements.txt && streamlit run streamlit_app.py" in README
    test_command = "pip install -r requirements.txt && python -m pytest"
    assert test_command in README
    assert test_command in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
