"""Ads in AI search: earn per DAU at a cost in answer quality (M-G2)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class SearchAds(Strategy):
    """Raise the ad load by `step` while users keep coming and the books lose money; cut it when
    DAU falls faster than `retreat_growth` over a month."""

    name = "search_ads"
    every: int = param(30, 1, 365, unit="days")
    max_load: float = param(0.3, 0.0, 1.0)
    step: float = param(0.05, 0.0, 1.0)
    retreat_growth: float = param(-0.05, -1.0, 0.0, doc="30-day DAU change that makes it back off")

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.status == "exited" or not own.app_live:
            return None
        load = own.search_ad_load
        if own.dau_growth < self.retreat_growth:
            load = max(0.0, load - self.step)
        elif own.net_per_day < 0:
            load = min(self.max_load, load + self.step)
        if abs(load - own.search_ad_load) < 1e-12:
            return None
        return Decision(search_ad_load=load, notes=[f"sets search ad load to {load:.2f}"])
