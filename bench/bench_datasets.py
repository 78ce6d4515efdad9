"""Time data set decoding: serial vs threads vs processes, and cold vs cached loads.

Usage: ``python -m bench.bench_datasets [DATA_DIR] [--sizes 64 300] [--repeat 3]``
(defaults to the Hard set beside the checkout). Caches go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from core.data.datasets import decode_files, load, scan
from core.data.images import decode_image
from core.paths import shared_datasets_dir


def _serial(root: str, paths: tuple[str, ...], size: int) -> np.ndarray:
    return np.stack([decode_image(Path(root, p), size=size) for p in paths])


def _decode_chunk(args: tuple[str, list[str], int]) -> np.ndarray:
    root, paths, size = args
    return np.stack([decode_image(Path(root, p), size=size) for p in paths])


def _processes(root: str, paths: tuple[str, ...], size: int) -> np.ndarray:
    workers = os.cpu_count() or 1
    chunks = [list(paths[i::workers]) for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(_decode_chunk, [(root, c, size) for c in chunks]))
    return np.concatenate(parts)  # order differs from paths; only the timing matters here


def _best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", default=str(shared_datasets_dir() / "hardfakevsrealfaces"))
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 300])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["UNMASK_DATA_DIR"] = tempfile.mkdtemp(prefix="unmask-bench-")
    listed = scan(args.data)
    print(f"{len(listed)} images in {listed.root}, {os.cpu_count()} CPUs, best of {args.repeat}")
    for size in args.sizes:
        ways: dict[str, Callable[[], object]] = {
            "serial": lambda s=size: _serial(listed.root, listed.paths, s),
            "threads": lambda s=size: decode_files(listed.root, listed.paths, size=s),
            "threads x2": lambda s=size: decode_files(
                listed.root, listed.paths, size=s, workers=2 * (os.cpu_count() or 1)
            ),
            "processes": lambda s=size: _processes(listed.root, listed.paths, s),
        }
        for label, run in ways.items():
            print(f"size {size:4d}  {label:11s} {_best(run, args.repeat):6.2f} s")
        cold = _best(lambda s=size: load(args.data, image_size=s, use_cache=False), args.repeat)
        load(args.data, image_size=size)  # fill the cache
        warm = _best(lambda s=size: load(args.data, image_size=s), args.repeat)
        print(f"size {size:4d}  load cold {cold:6.2f} s, cached {warm:6.3f} s")


if __name__ == "__main__":
    main()
