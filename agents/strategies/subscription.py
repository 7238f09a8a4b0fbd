"""Subscriptions: a premium tier, dropped once enough comparable rivals are free (M-G3, M-D3)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class Subscription(Strategy):
    """Charge `price` CNY/month for the premium tier until `free_rivals` comparable apps are free."""

    name = "subscription"
    every: int = param(30, 1, 365, unit="days")
    price: float = param(30.0, 0.0, 1000.0, unit="CNY/month")
    free_rivals: int = param(3, 0, 100, doc="free comparable apps that make the tier unsellable")
    comparable: float = param(0.0, -2.0, 2.0, doc="a free app counts if its quality >= own + this")

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.status == "exited" or not own.has_app:
            return None
        free = [r for r in obs.active_rivals()
                if r.has_app and r.sub_price == 0.0 and r.quality >= own.app_quality + self.comparable]
        price = 0.0 if len(free) >= self.free_rivals else self.price
        if price == own.sub_price:
            return None
        return Decision(sub_price=price, notes=["makes the app free" if price == 0 else
                                                f"charges {price:g} CNY/month"])
