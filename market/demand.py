"""Demand: multinomial logit with an outside option, for people and for token buyers.

Pure numpy kernels (no model state) so they can be tested and benchmarked on their own.
"""

from __future__ import annotations

import numpy as np

MAX_EXP = 50.0  # cap on exponents: demand may move orders of magnitude, never to inf


def choose(utility: np.ndarray, outside: np.ndarray | float, uniforms: np.ndarray) -> np.ndarray:
    """Sample one option per row by inverse CDF; -1 is the outside option.

    `utility` is (people, options) with -inf where an option is not available to that person.
    One uniform per person is about 4x cheaper than Gumbel-argmax (MODEL_NOTES).
    """
    n, k = utility.shape
    outside = np.broadcast_to(np.asarray(outside, dtype=utility.dtype), (n,))
    top = np.maximum(utility.max(axis=1, initial=-np.inf), outside)
    weights = np.exp(utility - top[:, None])
    w0 = np.exp(outside - top)
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1] + w0 if k else w0
    draw = np.clip(uniforms, 1e-7, 1.0 - 1e-7) * total
    picked = (cum < draw[:, None]).sum(axis=1) if k else np.zeros(n, dtype=np.int64)
    return np.where(picked >= k, -1, picked).astype(np.int16)


def shares(utility: np.ndarray, outside: float | None = None) -> np.ndarray:
    """Logit choice probabilities over the last axis (with the outside option if given, last)."""
    u = utility if outside is None else np.append(utility, outside)
    finite = np.isfinite(u)
    if not finite.any():
        return np.zeros_like(u, dtype=float)
    top = u[finite].max()
    w = np.where(finite, np.exp(np.clip(u - top, -MAX_EXP, 0.0)), 0.0)
    return w / w.sum()


def logsum(utility: np.ndarray) -> float:
    """Inclusive value log(sum exp(u)) over finite utilities; the consumer-surplus building block."""
    finite = utility[np.isfinite(utility)]
    if finite.size == 0:
        return -MAX_EXP
    top = finite.max()
    return float(top + np.log(np.exp(finite - top).sum()))


def token_volume(base: float, trend: float, elasticity: float, log_price: float,
                 log_price_ref: float) -> float:
    """Total tokens/day: base x trend x (effective price / reference)^elasticity, bounded."""
    exponent = np.clip(elasticity * (log_price - log_price_ref), -MAX_EXP, MAX_EXP)
    return float(base * trend * np.exp(exponent))
