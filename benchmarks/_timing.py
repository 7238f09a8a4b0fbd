"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import time


def best_time(fn, *args, repeat: int = 5) -> float:
    """Fastest of `repeat` calls fn(*args), in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)
