"""What a firm can see when it decides, and what it may decide.

Strategies get an `Observation` (their own books, rivals' public list prices and benchmark
quality, share figures published with a lag, recent releases), never the model itself, so a
decision can only depend on what a real firm could have known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Books:
    """A firm's own position: exact and current."""

    firm: str
    status: str  # active | pivoted | exited
    cash: float  # CNY
    runway_days: float  # days of cash at the trailing 30-day burn (capped)
    net_per_day: float  # CNY/day, trailing 30-day mean, excluding funding
    backstop: bool  # a parent covers losses
    quality: float  # own model's quality index
    app_quality: float  # quality users get in the app (own or integrated model)
    serving_cost: float  # CNY per M tokens for the own model
    api_price: float  # list, CNY per M tokens
    open_weights: bool
    pretraining: bool
    has_app: bool
    app_live: bool
    cloud: bool
    integrated: str  # firm id of the model its app carries; "" = own
    dau: float  # people, today
    dau_growth: float  # relative change of DAU over the last 30 days
    app_share: float  # own exact DAU share of the population
    token_share: float  # own exact share of tokens served
    maas_margin: float  # trailing 30-day
    ad_budget: float  # CNY/day
    sub_price: float  # CNY/month
    search_ad_load: float


@dataclass(frozen=True)
class Rival:
    """What is public about another firm: list price, benchmarks, weights, lagged shares."""

    firm: str
    status: str
    api_price: float
    quality: float
    open_weights: bool
    has_app: bool
    sub_price: float
    app_share: float  # published with a lag
    token_share: float  # published with a lag
    share_gain: float = 0.0  # change of app + token share over the 30 days before publication


@dataclass(frozen=True)
class Release:
    firm: str
    date: dt.date
    quality: float


@dataclass(frozen=True)
class Observation:
    day: int
    date: dt.date
    own: Books
    rivals: tuple[Rival, ...]
    releases: tuple[Release, ...] = ()

    def active_rivals(self) -> list[Rival]:
        return [r for r in self.rivals if r.status != "exited"]

    def comparable(self, tolerance: float) -> list[Rival]:
        """Active rivals whose public quality is at least own quality minus `tolerance`."""
        return [r for r in self.active_rivals() if r.quality >= self.own.quality - tolerance]

    def best_open(self) -> Rival | None:
        """The highest-quality open-weight rival model (exited makers' weights stay usable)."""
        open_models = [r for r in self.rivals if r.open_weights]
        return max(open_models, key=lambda r: (r.quality, r.firm), default=None)


LEVERS = ("api_price", "ad_budget", "open_weights", "sub_price", "search_ad_load", "integrate",
          "pivot", "exit", "offpeak_discount")


@dataclass
class Decision:
    """Changes a strategy asks for; None leaves a lever as it is."""

    api_price: float | None = None
    ad_budget: float | None = None
    open_weights: bool | None = None
    sub_price: float | None = None
    search_ad_load: float | None = None
    integrate: str | None = None
    pivot: bool | None = None
    exit: bool | None = None
    offpeak_discount: float | None = None
    notes: list[str] = field(default_factory=list)
