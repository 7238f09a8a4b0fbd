"""Time the consumer choice kernel: `python benchmarks/bench_choice.py`.

Compares `market.demand.choose(utility, outside, uniforms)` on a (k, 12) utility matrix,
float32 and float64, k = 10^4, 5x10^4, 10^5, with a bare numpy reference doing the same
arithmetic (exp, cumsum, compare with uniform x total, count) in the same process.
Best of 5 calls; prints a markdown table of ms per call and the ratio.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np
from _timing import best_time  # noqa: E402 (benchmarks/ is on sys.path when run as a script)

from market.demand import choose

OPTIONS = 12


def reference(utility: np.ndarray, outside: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """The same inverse-CDF draw, written as tightly as plain numpy allows (no clipping/guards)."""
    top = np.maximum(utility.max(axis=1), outside)
    w = utility - top[:, None]
    np.exp(w, out=w)
    np.cumsum(w, axis=1, out=w)
    total = w[:, -1] + np.exp(outside - top)
    picked = np.count_nonzero(w < (uniforms * total)[:, None], axis=1)
    picked[picked >= utility.shape[1]] = -1
    return picked


def main() -> None:
    """Print the markdown table."""
    print(f"options={OPTIONS}, numpy {np.__version__}, best of 5\n")
    print("| dtype | k | choose ms | reference ms | ratio choose/ref | agree |")
    print("|---|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for k in (10**4, 5 * 10**4, 10**5):
            utility = rng.normal(size=(k, OPTIONS)).astype(dtype)
            outside = rng.normal(size=k).astype(dtype)
            uniforms = rng.random(k).astype(dtype)
            fast = best_time(choose, utility, outside, uniforms)
            ref = best_time(reference, utility, outside, uniforms)
            agree = np.mean(choose(utility, outside, uniforms) == reference(utility, outside, uniforms))
            print(f"| {np.dtype(dtype).name} | {k:,} | {fast * 1e3:.3f} | {ref * 1e3:.3f} "
                  f"| {fast / ref:.2f} | {agree:.4%} |")


if __name__ == "__main__":
    main()
