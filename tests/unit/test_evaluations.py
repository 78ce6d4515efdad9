"""Results kept with a run: evaluations and stress probes under the folder's key, listed and read back."""

import json
import re

import pandas as pd
import pytest
from support.factories import save_stand_in_run

from core.errors import BAD_RESULT_KEY, NO_SUCH_RESULT, NO_SUCH_RUN, ModelError
from core.runs import evaluations, store

KEY, OTHER = "0123456789abcdef0123", "fedcba9876543210fedc"
SCORES = pd.DataFrame(
    {"path": ["real/a.png", "fake/ü.png"], "label": [1, 0], "score": [0.9, 0.2], "race": ["", "Asian"]}
)


def test_evaluation_is_kept_in_the_run_folder_and_reads_back():
    path = save_stand_in_run("run-1")
    folder = evaluations.save_evaluation(
        "run-1", KEY, scores=SCORES, summary={"n": 2, "created": "2026-01-01"}
    )
    assert folder == path / "evaluations" / KEY
    assert sorted(p.name for p in folder.iterdir()) == ["scores.csv", "summary.json"]
    summary, scores = evaluations.load_result("run-1", "evaluations", KEY)
    assert summary == {"n": 2, "created": "2026-01-01", "key": KEY, "run_id": "run-1"}
    pd.testing.assert_frame_equal(scores, SCORES.astype({"label": "int8"}), check_dtype=False)
    assert scores["race"].tolist() == ["", "Asian"]  # an empty group stays empty, not NaN


def test_results_list_newest_first_and_skip_damaged_ones():
    path = save_stand_in_run("run-1")
    evaluations.save_stress("run-1", KEY, scores=SCORES, summary={"created": "2026-01-01"})
    evaluations.save_stress("run-1", OTHER, scores=SCORES, summary={"created": "2026-02-01"})
    (path / "stress" / "0000000000000000dead.json").write_text("{not json")
    listed = evaluations.list_results("run-1", "stress")
    assert [s["key"] for s in listed] == [OTHER, KEY]
    assert evaluations.list_results("run-1", "evaluations") == []


def test_saving_again_replaces_the_result_and_leaves_no_temporary_file():
    path = save_stand_in_run("run-1")
    probed = SCORES.rename(columns={"score": "original"}).assign(mirror=[0.8, 0.3])
    evaluations.save_stress("run-1", KEY, scores=probed, summary={"created": "1"})
    evaluations.save_stress("run-1", KEY, scores=probed.head(1), summary={"created": "2"})
    assert sorted(p.name for p in (path / "stress").iterdir()) == [f"{KEY}.csv", f"{KEY}.json"]
    summary, scores = evaluations.load_result("run-1", "stress", KEY)
    assert summary["created"] == "2" and len(scores) == 1
    assert json.loads((path / "stress" / f"{KEY}.json").read_text())["key"] == KEY


def test_all_evaluations_gathers_every_run():
    save_stand_in_run("run-1")
    save_stand_in_run("run-2")
    evaluations.save_evaluation("run-1", KEY, scores=SCORES, summary={})
    evaluations.save_evaluation("run-2", KEY, scores=SCORES, summary={})
    assert sorted(s["run_id"] for s in evaluations.all_evaluations()) == ["run-1", "run-2"]


def test_deleting_the_run_deletes_its_results():
    save_stand_in_run("run-1")
    evaluations.save_evaluation("run-1", KEY, scores=SCORES, summary={})
    store.delete_run("run-1")
    assert evaluations.all_evaluations() == []


@pytest.mark.parametrize("key", ["../../x", "ABC", ""])
def test_keys_that_are_not_fingerprints_are_refused(key):
    save_stand_in_run("run-1")
    with pytest.raises(
        ModelError, match=BAD_RESULT_KEY.format(key=key).replace("(", r"\(").replace(")", r"\)")
    ):
        evaluations.save_evaluation("run-1", key, scores=SCORES, summary={})


def test_missing_result_and_missing_run_raise_sentences():
    save_stand_in_run("run-1")
    with pytest.raises(ModelError, match=re.escape(NO_SUCH_RESULT.format(run_id="run-1", key=KEY))):
        evaluations.load_result("run-1", "evaluations", KEY)
    with pytest.raises(ModelError, match=re.escape(NO_SUCH_RUN.format(run_id="nope"))):
        evaluations.list_results("nope", "stress")
