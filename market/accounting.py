"""Cash accounting: one ledger per firm per day; cash moves by exactly its sum.

cash(t) = cash(t-1) + revenue - costs + funding, where
revenue = API + hosted (cloud) + licensing + subscriptions + ads in AI answers,
costs   = API serving + hosting + licensing paid + free consumer serving + ad spend + R&D.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

RUNWAY_CAP_DAYS = 3650.0  # runway when a firm is not burning cash: "ten years or more"


@dataclass
class Ledger:
    """One firm's money for one day, CNY."""

    api_revenue: float = 0.0  # own-model tokens x realized price
    hosted_revenue: float = 0.0  # rivals' open models served on own cloud
    licensing_revenue: float = 0.0  # share of hosts' revenue on own open model
    subscription_revenue: float = 0.0
    ad_revenue: float = 0.0  # ads in AI answers
    api_serving_cost: float = 0.0
    hosting_cost: float = 0.0
    licensing_paid: float = 0.0
    free_serving_cost: float = 0.0  # consumer app usage
    ad_spend: float = 0.0  # bought installs
    rnd_spend: float = 0.0  # R&D and training
    funding: float = 0.0  # rounds and parent transfers

    @property
    def revenue(self) -> float:
        return (self.api_revenue + self.hosted_revenue + self.licensing_revenue
                + self.subscription_revenue + self.ad_revenue)

    @property
    def costs(self) -> float:
        return (self.api_serving_cost + self.hosting_cost + self.licensing_paid
                + self.free_serving_cost + self.ad_spend + self.rnd_spend)

    @property
    def operating(self) -> float:
        """Net cash flow before funding."""
        return self.revenue - self.costs

    @property
    def cloud_margin(self) -> float:
        """What hosting rivals' open models earned after serving cost and licensing."""
        return self.hosted_revenue - self.hosting_cost - self.licensing_paid

    @property
    def maas_margin(self) -> float:
        return maas_margin(self.api_revenue, self.api_serving_cost)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


MIN_REVENUE = 1e-6  # CNY: below this a day has "no API revenue" (avoids dividing by a rounding error)


def maas_margin(api_revenue: float, api_serving_cost: float) -> float:
    """(API revenue - API serving cost) / API revenue; 0 on a day with no API revenue."""
    if api_revenue <= MIN_REVENUE:
        return 0.0
    return (api_revenue - api_serving_cost) / api_revenue


def runway_days(cash: float, net_per_day: float) -> float:
    """Days until cash runs out at the current burn, capped; 0 once cash is gone."""
    if cash <= 0.0:
        return 0.0
    if net_per_day >= 0.0:
        return RUNWAY_CAP_DAYS
    return min(RUNWAY_CAP_DAYS, cash / -net_per_day)


def realized_price(list_price: float, free_share: float, offpeak_share: float,
                   offpeak_discount: float) -> float:
    """Average CNY per M tokens actually billed: list less free quota and off-peak discount."""
    return list_price * (1.0 - free_share) * (1.0 - offpeak_share * offpeak_discount)
