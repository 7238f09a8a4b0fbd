"""The contract every strategy keeps: read an Observation on its own cadence, return a Decision."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from market.schema import param


@dataclass
class Strategy:
    """Base class: `every` days the firm asks `decide`; subclasses add their parameters."""

    every: int = param(7, 1, 365, unit="days", doc="how often the firm reviews this lever")

    name = "strategy"

    def due(self, day: int) -> bool:
        return day % self.every == 0

    def urgent(self, obs: Observation) -> bool:
        """Whether to decide today although the cadence says not (e.g. a constraint broke)."""
        return False

    def decide(self, obs: Observation) -> Decision | None:  # pragma: no cover - interface
        raise NotImplementedError
