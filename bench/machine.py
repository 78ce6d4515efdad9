"""What machine a figure came from: cores, load, versions, and numpy's float32 matmul rate."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from typing import Any

import numpy as np

PACKAGES = ("tensorflow", "keras", "numpy", "pandas", "scikit-learn", "streamlit", "playwright")


def matmul_gflops(*, size: int = 2048, repeats: int = 8, seed: int = 0) -> float:
    """Best float32 matrix-multiply rate numpy reaches here, in GFLOP/s (2 n^3 per product).

    The best of ``repeats`` products is the machine's capability when least disturbed,
    the fair denominator for "what fraction of the CPU does training use".
    """
    rng = np.random.default_rng(seed)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # warm up: threads started, pages touched
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def versions() -> dict[str, str]:
    """Installed versions of the packages that decide the figures."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def code_version() -> dict[str, Any]:
    """The checkout's commit and whether files differ from it, so a figure names the code it measured."""
    from core.paths import REPO_ROOT

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def machine_info(*, gflops: float) -> dict[str, Any]:
    """Cores, CPU name, platform and the measured matmul rate."""
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_name(),
        "platform": platform.platform(),
        "numpy_matmul_gflops": round(gflops, 1),
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
