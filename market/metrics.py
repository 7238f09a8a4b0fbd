"""Market-level measures: shares, concentration (HHI), the price index."""

from __future__ import annotations

import numpy as np


def hhi(values: np.ndarray) -> float:
    """Herfindahl-Hirschman index of the given quantities, shares in percent (0-10,000)."""
    total = float(values.sum())
    if total <= 0:
        return 0.0
    pct = 100.0 * values / total
    return float((pct * pct).sum())


def share(part: np.ndarray, total: float) -> np.ndarray:
    """part / total, 0 where the total is 0."""
    return part / total if total > 0 else np.zeros_like(part, dtype=float)


def weighted_mean(values: np.ndarray, weights: np.ndarray, fallback: np.ndarray) -> float:
    """Weighted mean, or the plain mean of `fallback` when there is no weight."""
    w = float(weights.sum())
    if w > 0:
        return float((values * weights).sum() / w)
    return float(fallback.mean()) if fallback.size else 0.0
