"""Faults from outside: a process killed mid-save, a damaged cache, two jobs at once, Ctrl-C.

A run stopped mid-epoch from ``on_batch`` is in test_train.py
(``test_train_cancel_stops_within_a_batch``, ``test_train_and_save_cancelled_run_lists_as_cancelled``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from support.factories import StandInModel

from core.cli import EXIT_INTERRUPTED, main
from core.data.cache import cache_dir, cache_key, read_cache
from core.data.datasets import load, scan
from core.errors import NO_RUNS, NO_SUCH_RUN, ModelError
from core.paths import REPO_ROOT, models_dir
from core.runs import store

_SAVE_AND_STALL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from core.runs import store

    class HalfWrittenModel:
        def save(self, path, zipped=True):
            path.mkdir()
            (path / "config.json").write_bytes(b"the first bytes of a model")
            Path(sys.argv[1]).write_text("saving")  # tell the test we are inside save_run
            time.sleep(600)

    store.save_run(
        model=HalfWrittenModel(),
        config={"preset": "fast", "status": "finished"},
        history=pd.DataFrame({"epoch": [1], "loss": [0.5]}),
        scores=pd.DataFrame({"path": ["real/a.png"], "label": [1], "score": [0.9]}),
        metrics={"accuracy": 1.0},
        run_id="killed-run",
    )
    """
)


def _save(run_id: str) -> store.RunInfo:
    return store.save_run(
        model=StandInModel(),
        config={"preset": "fast", "status": "finished"},
        history=pd.DataFrame({"epoch": [1], "loss": [0.5]}),
        scores=pd.DataFrame({"path": ["real/a.png"], "label": [1], "score": [0.9]}),
        metrics={"accuracy": 1.0, "n": 1},
        run_id=run_id,
    )


def _env(**values: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), **values}


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"the process ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "the process never got there"
        time.sleep(0.05)


def _runs_json(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["runs", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["runs"]


# --- killed while saving ----------------------------------------------------------------------------


def test_save_run_killed_mid_save_lists_no_run_and_later_saves_work(tmp_path, capsys):
    marker = tmp_path / "inside-save"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVE_AND_STALL, str(marker)],
        env=_env(UNMASK_MODELS_DIR=str(models_dir())),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker, proc)
    finally:
        proc.kill()  # SIGKILL: no finally block, no cleanup
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    (left,) = list(models_dir().iterdir())
    assert left.name.startswith(".partial-killed-run-")  # what the killed save left behind

    assert store.list_runs() == []
    assert _runs_json(capsys) == []
    with pytest.raises(ModelError, match=re.escape(NO_RUNS)):
        store.latest_run_id()
    with pytest.raises(ModelError, match=re.escape(NO_SUCH_RUN.format(run_id="killed-run"))):
        store.load_run("killed-run")

    after = _save("killed-run")  # the same id is free, and the next save clears the leftover
    assert after.status == "finished"
    assert [p.name for p in models_dir().iterdir()] == ["killed-run"]
    assert [(r.run_id, r.status) for r in store.list_runs()] == [("killed-run", "finished")]


def test_save_run_clears_partials_of_dead_processes_only(tmp_path):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(ended.stdout)
    models_dir().mkdir(parents=True)
    dead = models_dir() / f".partial-20260101-000000-fast-ab12-{dead_pid}-a1b2c3"
    alive = models_dir() / f".partial-20260101-000000-fast-cd34-{os.getpid()}-d4e5f6"
    for staging in (dead, alive):  # every file there, as if killed just before the rename
        staging.mkdir()
        for name in store.RUN_FILES:
            (staging / name).write_text("{}")
    assert store.list_runs() == []  # a whole-looking staging folder never lists

    _save("run-1")
    assert sorted(p.name for p in models_dir().iterdir()) == sorted([alive.name, "run-1"])


def test_list_runs_survives_damaged_run_folders(capsys):
    _save("good-run")
    damage = {
        "config-is-a-list": ("config.json", "[]"),
        "metrics-is-a-number": ("metrics.json", "5"),
        "config-is-not-json": ("config.json", "{ not json"),
        "model-missing": ("model.keras", None),
    }
    for run_id, (name, text) in damage.items():
        path = _save(run_id).path / name
        path.unlink() if text is None else path.write_text(text)
    (models_dir() / "empty-folder").mkdir()
    (models_dir() / "stray-file.txt").write_text("not a run")

    listed = {r["run_id"]: r for r in _runs_json(capsys)}
    assert set(listed) == {"good-run", "empty-folder", *damage}
    assert listed["good-run"]["status"] == "finished"
    for run_id in ["empty-folder", *damage]:
        assert listed[run_id]["status"] == "incomplete"
        assert listed[run_id]["problem"].startswith(f"Run '{run_id}' is incomplete (missing ")
    assert store.latest_run_id() == "good-run"


# --- a damaged decode cache is rebuilt ------------------------------------------------------------------


def _rewrite_meta(change):
    def damage(npy: Path, meta: Path) -> None:
        values = json.loads(meta.read_text())
        change(values)
        meta.write_text(json.dumps(values))

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda npy, meta: npy.write_bytes(b""), id="npy-emptied"),
        pytest.param(lambda npy, meta: npy.write_bytes(npy.read_bytes()[:-40]), id="npy-truncated"),
        pytest.param(
            lambda npy, meta: np.save(npy, np.array([{"not": "pixels"}], dtype=object), allow_pickle=True),
            id="npy-holds-a-pickle",
        ),
        pytest.param(lambda npy, meta: meta.write_text("{ garbage"), id="meta-garbage-json"),
        pytest.param(lambda npy, meta: meta.write_text("[]"), id="meta-not-an-object"),
        pytest.param(
            _rewrite_meta(lambda m: m.update(paths=["x.png"] * len(m["paths"]))), id="meta-other-files"
        ),
        pytest.param(_rewrite_meta(lambda m: m.update(skipped=[["only-a-path"]])), id="meta-bad-skipped"),
        pytest.param(_rewrite_meta(lambda m: m["info"].update(width=[1])), id="meta-info-too-short"),
    ],
)
def test_load_rebuilds_a_damaged_cache_identical_to_a_fresh_decode(tmp_path, damage):
    root = tmp_path / "faces"
    for kind, colour in (("real", 200), ("fake", 40)):
        (root / kind).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (12, 12), (colour, 10 * i, 0)).save(root / kind / f"{i}.png")
    (root / "fake" / "broken.jpg").write_bytes(b"not a jpeg")  # so the entry lists a skipped file too
    first = load(root, image_size=8)
    (npy,) = cache_dir().glob("*.npy")
    damage(npy, npy.with_suffix(".json"))

    again = load(root, image_size=8)
    fresh = load(root, image_size=8, use_cache=False)
    assert again.paths == fresh.paths == first.paths
    np.testing.assert_array_equal(again.images, fresh.images)
    pd.testing.assert_frame_equal(again.info, fresh.info)
    assert again.skipped == fresh.skipped and len(fresh.skipped) == 1
    listed = scan(root).paths
    rebuilt = read_cache(cache_key(root.resolve(), layout=again.layout, paths=listed, image_size=8), listed)
    assert rebuilt is not None  # the entry was written again, whole
    np.testing.assert_array_equal(rebuilt.images, fresh.images)


# --- Ctrl-C during training --------------------------------------------------------------------------------


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_cli_sigint_mid_training_exits_130_without_traceback_or_run(tmp_path, monkeypatch):
    faces = tmp_path / "faces"
    for kind in ("real", "fake"):
        (faces / kind).mkdir(parents=True)
        for i in range(12):
            pixels = np.random.default_rng(i).integers(0, 256, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(faces / kind / f"{i}.png")
    models = tmp_path / "models"
    argv = [
        "train",
        "--data",
        str(faces),
        "--epochs",
        "500",
        "--image-size",
        "16",
        "--batch-size",
        "1",
        "--json",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", *argv],
        cwd=tmp_path,
        env=_env(UNMASK_MODELS_DIR=str(models), UNMASK_DATA_DIR=str(tmp_path / "data")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A terminal's child gets Ctrl-C with SIGINT's default disposition. A suite started in the
        # background (`pytest &`) has SIGINT ignored, and children inherit that, so Python would never
        # raise KeyboardInterrupt: restore the default in the child, as a terminal would have it.
        preexec_fn=_default_sigint,
    )
    watchdog = threading.Timer(300, proc.kill)  # never hang the suite
    watchdog.start()
    try:
        seen = []
        for line in proc.stderr:  # wait until training has really started
            seen.append(line)
            if line.startswith("[") and " epoch 1/500, batch " in line:
                break
        assert proc.poll() is None, "".join(seen)
        proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=120)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    err = "".join(seen) + rest
    assert proc.returncode == EXIT_INTERRUPTED, err[-2000:]
    assert out == ""
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.rstrip("\n").splitlines()[-1] == "interrupted"
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(models))
    assert store.list_runs() == []
    assert not models.exists() or list(models.iterdir()) == []
