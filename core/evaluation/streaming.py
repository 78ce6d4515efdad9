"""Score a folder as a stream: listed first, then decoded and scored a chunk at a time.

Memory for pixels does not grow with the folder: at most two chunks are decoded at once (the
one being scored, and the next, decoded in a thread pool meanwhile: Pillow releases the GIL,
so decoding overlaps the model). What is kept for the whole folder is what its listing
already holds (paths, labels, groups) plus one score per image, so metrics and the stored
evaluation are computed from those.

With ``out``, each chunk's rows (``path``, ``label``, ``score``, group columns) are appended
to a temporary file beside ``out`` as they are scored (``.tmp-<pid>-...``, see
:func:`core.disk.temp_prefix`), which is renamed over ``out`` when the last chunk is done: a
run that is killed or fails never leaves a partial file that looks whole, and any earlier
``out`` stays as it was.

The model is not imported here: the caller passes ``score``, a function from a decoded chunk
to its P(real) scores (:func:`core.pipeline.score_folder` passes the run's scoring path).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.cache import Decoded
from core.data.datasets import Form, decoded_chunks
from core.data.faceset import FaceSet, SkippedFile
from core.disk import temp_prefix
from core.errors import NO_VALID_IMAGES, SCORES_OUT_UNWRITABLE, DataError
from core.pipeline import scores_frame
from core.runs.store import write_scores

#: Images decoded and scored together: small enough that two chunks of 256 px squares take
#: about 100 MB, large enough to fill the model's batches (256, as :func:`core.model.train.predict_scores`).
CHUNK_SIZE = 256

Progress = Callable[[int, int], None]
Scorer = Callable[[FaceSet], np.ndarray]


@dataclass(frozen=True)
class StreamedScores:
    """What scoring a listed folder as a stream gives.

    Attributes
    ----------
    scores : DataFrame
        One row per image that decoded, in listing order: ``path``, ``label`` (int8), ``score``
        (P(real), float), then the listing's group columns.
    skipped : tuple of SkippedFile
        The listing's skipped files, then those that would not decode, each with the reason.
    out : Path or None
        The CSV file the rows were written to, when one was asked for.
    """

    scores: pd.DataFrame
    skipped: tuple[SkippedFile, ...]
    out: Path | None = None


def score_stream(
    listed: FaceSet,
    score: Scorer,
    *,
    form: Form,
    chunk_size: int = CHUNK_SIZE,
    out: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> StreamedScores:
    """Decode and score the files ``listed`` names, ``chunk_size`` at a time, in listing order.

    Parameters
    ----------
    listed : FaceSet
        A scanned set (:func:`core.data.datasets.scan`): paths under its ``root``, labels, groups.
    score : callable(FaceSet) -> ndarray of shape (k,)
        Scores one decoded chunk of k images.
    form : Form
        How to decode: ``("square", side)`` or ``("native", max_side)``
        (:func:`core.data.datasets.decoded_form`).
    chunk_size : int, default :data:`CHUNK_SIZE`
        Images per chunk; at most two chunks' pixels are held at once.
    out : Path, optional
        A CSV file (already resolved) to write the rows to as they are scored.
    progress : callable(done, total), optional
        Called with ``(0, total)`` before the first chunk, then after each chunk with the images
        done so far (scored or skipped).
    workers : int, optional
        Decoding threads; the number of CPUs by default.

    Returns
    -------
    StreamedScores

    Raises
    ------
    DataError
        ``NO_VALID_IMAGES`` when no file decodes; ``SCORES_OUT_UNWRITABLE`` when ``out`` cannot be written.
    """
    total = len(listed)
    scored, skipped = [], list(listed.skipped)
    done = 0
    with _Rows(out) as rows:
        if progress is not None:
            progress(0, total)  # the model is loaded: the clock of a rate starts here
        for start, decoded in decoded_chunks(listed, form=form, chunk_size=chunk_size, workers=workers):
            chunk = _chunk_faces(listed, start + decoded.kept, decoded, form=form)
            frame = scores_frame(chunk, np.arange(len(chunk)), score(chunk) if len(chunk) else np.zeros(0))
            rows.append(frame)
            scored.append(frame)
            skipped += decoded.skipped
            done += len(decoded.kept) + len(decoded.skipped)
            del chunk, decoded  # before the next chunk is asked for: at most two chunks of pixels held
            if progress is not None:
                progress(done, total)
        frames = [f for f in scored if len(f)]
        if not frames:
            raise DataError(NO_VALID_IMAGES.format(path=listed.root, n_skipped=len(skipped)))
        rows.finish()
    return StreamedScores(pd.concat(frames, ignore_index=True), tuple(skipped), out)


def write_scores_file(scores: pd.DataFrame, out: Path) -> Path:
    """Write all of ``scores`` to the CSV file ``out`` at once, the way :func:`score_stream` writes its rows.

    Raises
    ------
    DataError
        ``SCORES_OUT_UNWRITABLE`` when ``out`` cannot be written.
    """
    with _Rows(out) as rows:
        rows.append(scores)
        rows.finish()
    return out


def _chunk_faces(listed: FaceSet, index: np.ndarray, decoded: Decoded, *, form: Form) -> FaceSet:
    kind, value = form
    return dataclasses.replace(
        listed.subset(index),
        images=decoded.images,
        image_size=value if kind == "square" else 0,
        native_max_side=value if kind == "native" else 0,
        info=decoded.info,
        skipped=(),
    )


class _Rows:
    """Rows appended to a temporary file beside ``out``, renamed over it by :meth:`finish`."""

    def __init__(self, out: Path | None) -> None:
        self.out, self.temporary, self.header = out, None, True

    def __enter__(self) -> _Rows:
        if self.out is not None:
            handle, name = self._guard(
                lambda: tempfile.mkstemp(dir=self.out.parent, prefix=temp_prefix(), suffix=".csv")
            )
            os.close(handle)
            self.temporary = Path(name)
        return self

    def append(self, frame: pd.DataFrame) -> None:
        if self.temporary is not None and (len(frame) or self.header):
            self._guard(lambda: write_scores(frame, self.temporary, append=not self.header))
            self.header = False

    def finish(self) -> None:
        if self.temporary is not None:
            self._guard(lambda: os.replace(self.temporary, self.out))
            self.temporary = None

    def __exit__(self, *exc: object) -> None:
        if self.temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temporary)

    def _guard(self, write: Callable[[], object]) -> object:
        try:
            return write()
        except OSError as exc:
            reason = exc.strerror or exc
            raise DataError(SCORES_OUT_UNWRITABLE.format(path=self.out, reason=reason)) from exc
