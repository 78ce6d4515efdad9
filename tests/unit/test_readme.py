"""The README shows what the project measured and what its commands are: keep it true."""

import json

from bench.report import readme_block
from core.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_speed_table_matches_results_json():
    results = json.loads((REPO_ROOT / "bench" / "results.json").read_text(encoding="utf-8"))
    assert readme_block(results) in README, "run python -m bench to refresh the README's table"


def test_readme_has_the_two_commands_ci_runs():
    assert "pip install -r requirements.txt && streamlit run streamlit_app.py" in README
    test_command = "pip install -r requirements.txt && python -m pytest"
    assert test_command in README
    assert test_command in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
