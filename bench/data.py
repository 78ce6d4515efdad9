"""Data figures: the first load of a set (decoding every image) and the cached load."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.timing import load_average, repeat_seconds, seconds
from core import pipeline
from core.data.cache import clear_cache

WARM_REPEATS = 5


def load_timings(folder: Path, *, image_size: int) -> dict[str, Any]:
    """Seconds to load ``folder`` at ``image_size`` with the cache cleared, then cached (median).

    Clears the cache under ``UNMASK_DATA_DIR``: point it at a temporary folder first.
    """
    clear_cache()
    cold, faces = seconds(lambda: pipeline.load_faces(folder, image_size=image_size))
    warm = repeat_seconds(lambda: pipeline.load_faces(folder, image_size=image_size), times=WARM_REPEATS)
    return {
        "image_size": image_size,
        "n": len(faces),
        "n_skipped": len(faces.skipped),
        "cold_seconds": cold,
        "warm_seconds": statistics.median(warm),
        "warm_repeats": WARM_REPEATS,
        "load_average": load_average(),
    }


def data_section(folder: Path, *, sizes: list[int]) -> dict[str, Any]:
    """Cold and cached loads at each size; the top-level figures are the first size's.

    Leaves every size cached, ready for the training workers.
    """
    by_size = {str(size): load_timings(folder, image_size=size) for size in sizes}
    for size in sizes:  # clear_cache() above emptied the earlier sizes: fill them again
        pipeline.load_faces(folder, image_size=size)
    first = by_size[str(sizes[0])]
    keys = ("image_size", "n", "cold_seconds", "warm_seconds")
    return {**{k: first[k] for k in keys}, "by_size": by_size}
