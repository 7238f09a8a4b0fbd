"""Enterprises and developers buying API tokens: a demand level and a logit split over offers.

An offer is a (host, model) pair: a firm's own API, or a cloud hosting a rival's open model.
Total tokens grow on a trend and with falling quality-adjusted prices (elasticity near -1.1,
MODEL_NOTES); the split follows a multinomial logit on log price, quality, congestion and a
taste for open weights, reached gradually (`adjust_rate`) because switching costs.
Self-hosting an open model is the outside option: tokens no provider serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from market.demand import logsum, shares, token_volume
from market.schema import Enterprise

if TYPE_CHECKING:
    from market.model import MarketModel

MIN_PRICE = 0.01  # CNY per M tokens: the log-price term needs a floor (free tiers exist)
Q_REF = 0.6  # quality of the reference offer (a GPT-4-class model of early 2024)


@dataclass
class ApiOffer:
    """Today's API offers, host x model matrices over firms (after firms decided)."""

    available: np.ndarray  # (F, F) bool
    price: np.ndarray  # (F, F) CNY per M tokens as buyers see it
    quality: np.ndarray  # (F,) model quality
    open_weights: np.ndarray  # (F,) bool
    congestion: np.ndarray  # (F,) host overload yesterday


class EnterpriseCohort(mesa.Agent):
    """A segment of token buyers (SMEs, large firms, government/SOE, app developers)."""

    model: MarketModel

    def __init__(self, model: MarketModel, name: str, spec: Enterprise) -> None:
        super().__init__(model)
        self.name = name
        self.spec = spec
        self.split: np.ndarray | None = None  # (F*F + 1,) current shares, last = self-hosting
        self.tokens = 0.0  # tokens/day demanded today
        self.demand: np.ndarray | None = None  # (F, F) tokens/day by host x model

    def utilities(self, offer: ApiOffer) -> np.ndarray:
        """Flattened (F*F + 1) utilities; -inf where an offer is unavailable."""
        s = self.spec
        log_price = np.log(np.maximum(offer.price, MIN_PRICE))
        u = (-s.alpha_price * log_price + s.beta_quality * (offer.quality[None, :] - Q_REF)
             - s.beta_congestion * offer.congestion[:, None]
             + s.open_pref * offer.open_weights[None, :])
        # copies of one open model on many clouds count together as one option (a nest with full
        # correlation): without this, ten hosts of one model would draw ten times the demand
        hosts = offer.available.sum(axis=0) - np.diag(offer.available)
        hosted = offer.available & ~np.eye(offer.quality.size, dtype=bool)
        u = u - np.where(hosted, np.log(np.maximum(hosts, 1))[None, :], 0.0)
        u = np.where(offer.available, u, -np.inf).ravel()
        if offer.open_weights.any():
            best = offer.quality[offer.open_weights].max()
            self_host = (s.self_host_utility - s.alpha_price * np.log(max(s.self_host_cost, MIN_PRICE))
                         + s.beta_quality * (best - Q_REF) + s.open_pref)
        else:
            self_host = -np.inf
        return np.append(u, self_host)

    def step(self) -> None:
        model, s = self.model, self.spec
        offer = model.api_offer
        u = self.utilities(offer)
        target = shares(u)
        if self.split is None:
            self.split = target
        else:
            split = (1.0 - s.adjust_rate) * self.split + s.adjust_rate * target
            split[~np.isfinite(u)] = 0.0  # an offer that vanished loses its buyers today
            total = split.sum()
            self.split = split / total if total > 0 else target
        # quality-adjusted price index from the inclusive value: it equals the price of a lone
        # reference-quality offer, and falls when any offer gets better or cheaper
        log_price = -logsum(u) / s.alpha_price if s.alpha_price > 0 else np.log(s.ref_price)
        trend = (1.0 + s.growth) ** (model.day / 365.0) * model.demand_factor
        wanted = token_volume(s.base_tokens, trend, s.elasticity, log_price, np.log(s.ref_price))
        # builders take weeks to put cheaper or better tokens to use (M-A8): volume follows with a lag
        self.tokens = wanted if self.tokens <= 0 else self.tokens + s.volume_adjust_rate * (wanted - self.tokens)
        f = offer.quality.size
        self.demand = (self.tokens * self.split[:-1]).reshape(f, f)
        self.self_hosted = self.tokens * self.split[-1]
