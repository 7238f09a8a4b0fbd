"""API price setting: cost-plus, follow or undercut the cheapest comparable rival (M-A1, M-A2)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.observation import Decision, Observation
from agents.strategies.base import Strategy
from market.schema import param


@dataclass
class PriceCutting(Strategy):
    """Match or undercut the cheapest rival of comparable quality, within a cost floor.

    `cost_plus` firms price at a markup on their own serving cost, so an efficiency shock becomes
    a price cut that others then see. The floor is `floor_cost_multiple` x serving cost, lowered to
    `loss_leader_multiple` x cost while runway is long (or a parent covers losses): firms can sell
    below cost while cash allows.
    """

    name = "price_cutting"
    every: int = param(14, 1, 365, unit="days")
    mode: str = param("undercut", choices=("follow", "undercut", "cost_plus"))
    undercut: float = param(0.1, 0.0, 0.99, doc="price below the reference when undercutting")
    trigger: float = param(0.25, 0.0, 10.0, doc="react when a comparable rival is this much cheaper")
    comparable: float = param(0.05, 0.0, 2.0, doc="quality tolerance for 'comparable' rivals")
    markup: float = param(2.0, 0.0, 100.0, doc="cost_plus: price / serving cost")
    floor_cost_multiple: float = param(1.0, 0.0, 100.0)
    loss_leader_multiple: float = param(0.3, 0.0, 100.0, doc="floor while cash allows a loss")
    loss_leader_runway_days: float = param(540.0, 0.0, 1e5, unit="days")
    max_cut: float = param(0.9, 0.0, 1.0, doc="largest cut at one review")

    def floor(self, obs: Observation) -> float:
        own = obs.own
        rich = own.backstop or own.runway_days >= self.loss_leader_runway_days
        multiple = min(self.floor_cost_multiple, self.loss_leader_multiple) if rich else self.floor_cost_multiple
        return multiple * own.serving_cost

    def urgent(self, obs: Observation) -> bool:
        """A cost jump (e.g. a release) that leaves the price under the floor is fixed at once."""
        return obs.own.status != "exited" and obs.own.api_price < self.floor(obs) * (1 - 1e-12)

    def target(self, obs: Observation) -> float | None:
        own = obs.own
        if self.mode == "cost_plus":
            return self.markup * own.serving_cost
        rivals = obs.comparable(self.comparable)
        if not rivals:
            return None
        cheapest = min(r.api_price for r in rivals)
        if cheapest * (1.0 + self.trigger) > own.api_price:
            return None  # no rival meaningfully cheaper: hold
        return cheapest if self.mode == "follow" else cheapest * (1.0 - self.undercut)

    def decide(self, obs: Observation) -> Decision | None:
        own = obs.own
        if own.status == "exited":
            return None
        floor = self.floor(obs)
        target = self.target(obs)
        if target is None:
            if own.api_price < floor:  # cash ran short: back up to the floor
                return Decision(api_price=floor, notes=["raises price to its cost floor"])
            return None
        new = max(target, floor, own.api_price * (1.0 - self.max_cut))
        if abs(new - own.api_price) <= 1e-9 * max(1.0, own.api_price):
            return None
        verb = "cuts" if new < own.api_price else "raises"
        return Decision(api_price=new, notes=[f"{verb} API price to {new:.3g} CNY/M"])
