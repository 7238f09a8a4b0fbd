"""Open-sourcing: release weights when an open rival breaks out (M-D1, M-D3)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class OpenSource(Strategy):
    """Open the weights once an open-weight rival at least as good breaks out.

    A breakout is a gain of `share_gain` in the rival's published app + token share over a month
    (public figures, lagged), so the cascade follows a visible success such as DeepSeek's, not a
    date. `quality_gap` lets a firm react to a rival somewhat below its own quality.
    """

    name = "open_source"
    share_gain: float = param(0.01, 0.0, 2.0, doc="monthly gain in a rival's app+token share that triggers")
    quality_gap: float = param(0.0, -2.0, 2.0, doc="the rival must be at least own quality minus this")

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.open_weights or own.status == "exited":
            return None
        for rival in obs.active_rivals():
            if (rival.open_weights and rival.share_gain >= self.share_gain
                    and rival.quality >= own.quality - self.quality_gap):
                return Decision(open_weights=True, notes=[f"opens weights after {rival.firm}'s breakout"])
        return None
