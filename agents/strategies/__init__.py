"""Firm strategies, one small class each, composable per firm; looked up by name in scenarios."""

from __future__ import annotations

from agents.strategies.ad_funded import AdFunded
from agents.strategies.base import Strategy
from agents.strategies.integrate_open_model import IntegrateOpenModel
from agents.strategies.open_source import OpenSource
from agents.strategies.pivot import Pivot
from agents.strategies.price_cutting import PriceCutting
from agents.strategies.search_ads import SearchAds
from agents.strategies.subscription import Subscription

REGISTRY: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (OpenSource, PriceCutting, AdFunded, Subscription, SearchAds, IntegrateOpenModel, Pivot)
}

__all__ = ["REGISTRY", "Strategy", "AdFunded", "IntegrateOpenModel", "OpenSource", "Pivot",
           "PriceCutting", "SearchAds", "Subscription"]
