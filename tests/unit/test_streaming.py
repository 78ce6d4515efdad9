"""Scoring a folder as a stream (core.evaluation.streaming): same scores as all at once, bounded chunks.

The scorer here is numpy (each image's mean brightness), so no model and no TensorFlow: what is
tested is the stream, not the model. tests/model/test_stream_scoring.py scores with real models.
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.factories import write_tiny_folder

from core.data import datasets
from core.data.faceset import FaceSet
from core.errors import NO_VALID_IMAGES, SCORES_OUT_UNWRITABLE, DataError
from core.evaluation.streaming import score_stream, write_scores_file
from core.pipeline import scores_frame
from core.runs.store import read_scores

SQUARE = ("square", 16)


def brightness(chunk: FaceSet) -> np.ndarray:
    """A stand-in model: each image's mean pixel, as a score in [0, 1]."""
    return np.array([np.asarray(image).mean() / 255 for image in chunk.images])


@pytest.fixture()
def grouped(tmp_path: Path) -> Path:
    """The tiny real/fake set (48 PNGs) as a labels_csv folder with a ``skin_tone`` group column."""
    folder = write_tiny_folder(tmp_path / "grouped", n_per_class=24)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))
    rows = [{"path": f, "label": int(f.startswith("real/")), "skin_tone": ("light", "dark")[i % 2]}
            for i, f in enumerate(files)]  # fmt: skip
    pd.DataFrame(rows).to_csv(folder / "labels.csv", index=False)
    return folder


@pytest.mark.parametrize("chunk_size", [1, 5, 48, 1000])
def test_score_stream_gives_the_scores_of_the_whole_set_at_once(grouped, chunk_size):
    whole = datasets.load(grouped, image_size=16, use_cache=False)
    expected = scores_frame(whole, np.arange(len(whole)), brightness(whole))
    streamed = score_stream(datasets.scan(grouped), brightness, form=SQUARE, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(streamed.scores, expected)
    assert streamed.skipped == () and streamed.out is None


def test_score_stream_natively_gives_the_scores_of_the_whole_set_at_once(grouped):
    whole = datasets.load(grouped, native_max_side=64, use_cache=False)
    expected = scores_frame(whole, np.arange(len(whole)), brightness(whole))
    streamed = score_stream(datasets.scan(grouped), brightness, form=("native", 64), chunk_size=7)
    pd.testing.assert_frame_equal(streamed.scores, expected)


def test_score_stream_writes_one_row_per_readable_image_with_the_group_columns(grouped, tmp_path):
    out = tmp_path / "scores.csv"
    streamed = score_stream(datasets.scan(grouped), brightness, form=SQUARE, chunk_size=10, out=out)
    assert streamed.out == out
    written = read_scores(out, score_columns=("score",))
    assert list(written.columns) == ["path", "label", "score", "skin_tone"] and len(written) == 48
    pd.testing.assert_frame_equal(written, streamed.scores)
    assert [p.name for p in tmp_path.iterdir()] == ["grouped", "scores.csv"]  # no temporary left


def test_score_stream_skips_a_bad_file_by_name_and_scores_the_rest(grouped, tmp_path):
    listed = datasets.scan(grouped)
    bad = listed.paths[20]
    (grouped / bad).write_bytes(b"not an image")
    out = tmp_path / "scores.csv"
    streamed = score_stream(listed, brightness, form=SQUARE, chunk_size=8, out=out)
    [skipped] = streamed.skipped
    assert skipped.path == bad and skipped.reason
    assert len(streamed.scores) == len(read_scores(out, score_columns=("score",))) == 47
    assert bad not in set(streamed.scores["path"])
    assert list(streamed.scores["path"]) == [p for p in listed.paths if p != bad]  # listing order kept


def test_score_stream_reports_progress_after_each_chunk(grouped):
    seen = []
    score_stream(
        datasets.scan(grouped), brightness, form=SQUARE, chunk_size=20, progress=lambda *a: seen.append(a)
    )
    assert seen == [(0, 48), (20, 48), (40, 48), (48, 48)]


def test_score_stream_holds_at_most_two_chunks_of_pixels(grouped, monkeypatch):
    """Structural bound: when a chunk starts decoding, only the chunk being scored is still alive."""
    decoded_arrays: list[tuple[weakref.ref, int]] = []
    alive_at_decode: list[int] = []
    scored_sizes: list[int] = []
    real_decode = datasets.decode_files

    def counting_decode(root, paths, **kwargs):
        alive_at_decode.append(sum(n for ref, n in decoded_arrays if ref() is not None))
        decoded = real_decode(root, paths, **kwargs)
        decoded_arrays.append((weakref.ref(decoded.images), len(decoded.images)))
        return decoded

    def recording_score(chunk: FaceSet) -> np.ndarray:
        scored_sizes.append(len(chunk))
        return brightness(chunk)

    monkeypatch.setattr(datasets, "decode_files", counting_decode)  # what decoded_chunks calls
    score_stream(datasets.scan(grouped), recording_score, form=SQUARE, chunk_size=6)
    assert scored_sizes == [6] * 8
    assert len(alive_at_decode) == 8 and max(alive_at_decode) <= 6  # plus the one decoding: two chunks


def test_score_stream_with_no_readable_image_says_so_and_writes_nothing(tmp_path):
    folder = tmp_path / "broken"
    (folder / "real").mkdir(parents=True)
    for i in range(3):
        (folder / "real" / f"{i}.jpg").write_bytes(b"junk")
    out = tmp_path / "scores.csv"
    message = NO_VALID_IMAGES.format(path=folder.resolve(), n_skipped=3)
    with pytest.raises(DataError, match=re.escape(message)):
        score_stream(datasets.scan(folder), brightness, form=SQUARE, chunk_size=2, out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


def test_score_stream_into_a_missing_folder_is_a_sentence(grouped, tmp_path):
    out = tmp_path / "no-such-folder" / "scores.csv"
    message = SCORES_OUT_UNWRITABLE.format(path=out, reason="No such file or directory")
    with pytest.raises(DataError, match=re.escape(message)):
        score_stream(datasets.scan(grouped), brightness, form=SQUARE, out=out)


def test_write_scores_file_keeps_a_previous_file_until_the_new_one_is_whole(tmp_path):
    out = tmp_path / "scores.csv"
    out.write_text("old\n", encoding="utf-8")
    frame = pd.DataFrame({"path": ["a.png"], "label": [1], "score": [0.5], "tone": ["x"]})
    assert write_scores_file(frame, out) == out
    assert out.read_text(encoding="utf-8").splitlines() == ["path,label,score,tone", "a.png,1,0.5,x"]
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]
