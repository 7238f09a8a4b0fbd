"""Integrating a rival's open model into one's own app (M-E7, M-F1, M-F2)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class IntegrateOpenModel(Strategy):
    """Carry the best open-weight model in the app once it beats the app's quality by a margin.

    `reputation_cost` is the extra lead a firm needs before it admits a rival is better (big firms
    with a heavily promoted assistant hesitate, M-F2, M-F4).
    """

    name = "integrate_open_model"
    quality_gap: float = param(0.05, 0.0, 2.0)
    reputation_cost: float = param(0.0, 0.0, 2.0)

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.status == "exited" or not own.has_app:
            return None
        best = obs.best_open()
        if best is None or best.firm == own.integrated:
            return None
        if best.quality > own.app_quality + self.quality_gap + self.reputation_cost:
            return Decision(integrate=best.firm, notes=[f"integrates {best.firm}'s open model"])
        return None
