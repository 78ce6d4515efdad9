"""Training across processes with tf.distribute: two workers on this machine's CPU, as on a cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.factories import write_tiny_folder

from bench.appserver import free_port
from core.errors import DISTRIBUTE_TIMEOUT
from core.paths import REPO_ROOT

#: Every run here ends well within this; a hang fails the test instead of the suite.
LIMIT_S = 300
TRAIN = [
    "-m",
    "core",
    "train",
    "--preset",
    "fast",
    "--epochs",
    "2",
    "--image-size",
    "16",
    "--batch-size",
    "8",
]


def _worker(index: int, ports: list[int], data: Path, models: Path, **env: str) -> subprocess.Popen:
    tf_config = {
        "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
        "task": {"type": "worker", "index": index},
    }
    environ = dict(os.environ, TF_CONFIG=json.dumps(tf_config), UNMASK_MODELS_DIR=str(models), **env)
    argv = [sys.executable, *TRAIN, "--data", str(data), "--distribute", "multiworker", "--json"]
    return subprocess.Popen(
        argv, cwd=REPO_ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"a worker hung past {LIMIT_S} s: {err[-2000:]}")
    return process.returncode, out, err


def test_two_workers_train_together_and_only_the_chief_saves(tmp_path: Path) -> None:
    data = write_tiny_folder(tmp_path / "faces", n_per_class=24, size=16)
    ports = [free_port(), free_port()]
    chief = _worker(0, ports, data, tmp_path / "chief-models")
    other = _worker(1, ports, data, tmp_path / "other-models")
    (chief_rc, chief_out, chief_err), (other_rc, other_out, other_err) = _finish(chief), _finish(other)
    assert chief_rc == 0, chief_err[-3000:]
    assert other_rc == 0, other_err[-3000:]

    summary = json.loads(chief_out)
    assert (summary["strategy"], summary["replicas"], summary["workers"]) == ("multiworker", 2, 2)
    assert summary["epochs_done"] == 2 and summary["status"] == "finished"
    assert json.loads(other_out) == {"saved": False, "worker_index": 1, "workers": 2}
    assert not (tmp_path / "other-models").exists() or not any(
        p.name[0].isdigit() for p in (tmp_path / "other-models").iterdir()
    )

    # The chief's run is an ordinary run: listed, loadable, scored.
    env = dict(os.environ, UNMASK_MODELS_DIR=str(tmp_path / "chief-models"))
    env.pop("TF_CONFIG", None)
    shown = subprocess.run(
        [sys.executable, "-m", "core", "evaluate", "--run", summary["run_id"], "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    config = json.loads((tmp_path / "chief-models" / summary["run_id"] / "config.json").read_text())
    assert config["distribution"]["replicas"] == 2 and config["distribution"]["is_chief"] is True
    assert config["distribute"] == "multiworker"


def test_a_worker_whose_peer_never_comes_ends_with_a_sentence(tmp_path: Path) -> None:
    data = write_tiny_folder(tmp_path / "faces", n_per_class=8, size=16)
    ports = [free_port(), free_port()]  # worker 1 is never started
    started = time.monotonic()
    alone = _worker(0, ports, data, tmp_path / "models", UNMASK_DISTRIBUTE_TIMEOUT="10")
    rc, _, err = _finish(alone)
    assert rc != 0
    assert time.monotonic() - started < LIMIT_S
    last = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert last, err[-2000:]
    expected_start = DISTRIBUTE_TIMEOUT.split("{")[0]
    assert last[-1].startswith(f"error: {expected_start}") and last[-1].endswith(".")
    assert not (tmp_path / "models").exists() or not any(
        p.name[0].isdigit() for p in (tmp_path / "models").iterdir()
    )


def test_mirrored_on_a_cpu_machine_trains_one_replica_and_says_so() -> None:
    from support.factories import make_tiny_faceset

    from core.model.config import TrainConfig
    from core.model.train import train

    faces = make_tiny_faceset(n_per_class=24, size=16)
    config = TrainConfig(preset="fast", epochs=2, image_size=16, batch_size=8, distribute="mirrored")
    epochs = []
    result = train(faces, config, on_epoch=epochs.append)
    assert result.status == "finished" and [e.epoch for e in epochs] == [1, 2]
    assert result.distribution["strategy"] == "mirrored" and result.distribution["replicas"] == 1
    assert "no GPU found" in result.distribution["note"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy_at_threshold", "val_auc"} <= set(result.history)
    assert (
        len(result.val_scores) == result.n_val and ((result.val_scores >= 0) & (result.val_scores <= 1)).all()
    )


def test_mixed_precision_keeps_p_real_in_float32_and_restores_the_policy() -> None:
    import keras
    from support.factories import make_tiny_faceset

    from core.model.config import TrainConfig
    from core.model.train import train

    faces = make_tiny_faceset(n_per_class=16, size=16)
    result = train(faces, TrainConfig(preset="fast", epochs=1, image_size=16, mixed_precision=True))
    assert result.distribution["precision"] == "mixed_float16"
    assert result.model.get_layer("p_real").compute_dtype == "float32"
    assert result.model.get_layer("conv_1").compute_dtype == "float16"
    assert keras.mixed_precision.global_policy().name == "float32"  # put back for the next run


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"distribute": "ring"}, "Unknown distribute 'ring'; choose one of none, mirrored, multiworker."),
        ({"preset": "artifacts", "distribute": "mirrored"}, "the artifacts preset trains on one device"),
        ({"mixed_precision": "yes"}, "mixed_precision must be true or false"),
    ],
)
def test_bad_scaling_settings_are_one_sentence(settings: dict, expected: str) -> None:
    from core.errors import ConfigError
    from core.model.config import TrainConfig

    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        TrainConfig(**settings)


def test_multiworker_in_the_background_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from core.cli import main
    from core.errors import DISTRIBUTE_BACKGROUND

    data = write_tiny_folder(tmp_path / "faces", n_per_class=4, size=16)
    argv = ["train", "--data", str(data), "--distribute", "multiworker", "--background"]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: {DISTRIBUTE_BACKGROUND}"
