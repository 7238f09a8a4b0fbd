"""Ad-funded traffic: buy app installs with a daily budget while cash allows (M-E1, M-E3)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class AdFunded(Strategy):
    """Spend `daily_budget` on installs; spend `leader_factor` of it once the app leads by a margin.

    Stops when runway falls below `min_runway_days` (unless a parent covers losses). Bought users
    retain worse than organic ones, so when spending stops the app loses users.
    """

    name = "ad_funded"
    daily_budget: float = param(1.0e6, 0.0, 1e10, unit="CNY/day")
    min_runway_days: float = param(180.0, 0.0, 1e5, unit="days")
    leader_factor: float = param(1.0, 0.0, 10.0, doc="budget share kept while leading the market")
    leader_margin: float = param(2.0, 1.0, 100.0, doc="lead = own share this many x the next rival's")

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.status == "exited" or not own.app_live:
            budget = 0.0
        elif not own.backstop and own.runway_days < self.min_runway_days:
            budget = 0.0
        else:
            next_best = max((r.app_share for r in obs.active_rivals()), default=0.0)
            leading = own.app_share > self.leader_margin * next_best and own.app_share > 0
            budget = self.daily_budget * (self.leader_factor if leading else 1.0)
        if abs(budget - own.ad_budget) < 1e-9:
            return None
        return Decision(ad_budget=budget, notes=[f"sets ad budget to {budget:,.0f} CNY/day"])
