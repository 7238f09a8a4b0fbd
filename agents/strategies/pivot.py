"""Leaving pretraining, or the market, when runway runs short (M-H3, M-H5, section 2)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class Pivot(Strategy):
    """Stop pretraining when runway < `pivot_runway_days` and the best open model is at least as
    good as one's own minus `open_gap` ("once pretraining trails open source, stop"); exit when cash
    is gone and runway < `exit_runway_days`."""

    name = "pivot"
    every: int = param(30, 1, 365, unit="days")
    pivot_runway_days: float = param(270.0, 0.0, 1e5, unit="days")
    open_gap: float = param(0.05, -2.0, 2.0)
    exit_runway_days: float = param(30.0, 0.0, 1e5, unit="days")

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.status == "exited" or own.backstop:
            return None
        if own.runway_days < self.exit_runway_days and own.cash <= 0:
            return Decision(exit=True, notes=["exits: cash is gone"])
        best = obs.best_open()
        trails_open = best is not None and best.quality >= own.quality - self.open_gap
        if own.pretraining and own.runway_days < self.pivot_runway_days and trails_open:
            return Decision(pivot=True, notes=["leaves giant-model pretraining"])
        return None
