"""Open-sourcing: release weights when open rivals of similar quality are winning (M-D1, M-D3)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class OpenSource(Strategy):
    """Open the weights once an open-weight rival of comparable quality out-shares the firm.

    Success is read from public (lagged) app and token shares, so the cascade follows a visible
    breakout such as DeepSeek's, not a date.
    """

    name = "open_source"
    share_gap: float = param(0.05, 0.0, 1.0, doc="open rival's token+app share lead that triggers")
    quality_gap: float = param(0.1, 0.0, 2.0, doc="how far above own quality that rival may be")

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.open_weights or own.status == "exited":
            return None
        own_share = own.token_share + own.app_share
        for rival in obs.active_rivals():
            if not rival.open_weights:
                continue
            lead = rival.token_share + rival.app_share - own_share
            if lead >= self.share_gap and rival.quality >= own.quality - self.quality_gap:
                return Decision(open_weights=True, notes=[f"opens weights after {rival.firm}'s lead"])
        return None
