"""What a scenario may contain: dataclasses with defaults, units and allowed ranges.

Validation, `--set` keys and the README's parameter list all come from these fields, so a
parameter is declared once. Calibrated values and their F### sources live in the scenario files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from market.errors import ScenarioError, nearest


def param(default: Any, lo: float | None = None, hi: float | None = None, *,
          choices: tuple | None = None, unit: str = "", doc: str = "") -> Any:
    """A dataclass field with bounds and a one-line meaning."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "unit": unit, "doc": doc}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Meta:
    name: str = param("unnamed", doc="scenario name")
    description: str = param("", doc="one paragraph for the report")
    start: dt.date = param(dt.date(2024, 1, 1), doc="first simulated day")
    end: dt.date = param(dt.date(2025, 12, 31), doc="last simulated day (inclusive)")
    endogenous: bool = param(False, doc="refuse decision events: every decision comes from strategies")
    usd_cny: float = param(7.28, 1.0, 20.0, unit="CNY per USD", doc="exchange rate for USD figures")
    public_lag_days: int = param(30, 0, 365, unit="days", doc="delay before share figures are public")
    seed: int = param(0, 0, 2**32 - 1, doc="default seed when none is given")
    extends: str = param("", doc="a shipped scenario (or a path relative to this file) this one changes")
    drop_events: list = param([], doc="labels of the base scenario's events this one removes")
    calibration: str = param("", doc="fitted values applied before --set (a file in market/data)")


@dataclass
class Population:
    consumers: int = param(20_000, 10, 50_000_000, unit="simulated people")
    real_population: float = param(1.0e9, 1.0, 2.0e9, unit="people",
                                   doc="people the simulated consumers stand for")


@dataclass
class Network:
    kind: str = param("watts_strogatz", choices=("watts_strogatz", "barabasi_albert", "random"))
    mean_degree: int = param(10, 0, 200, unit="contacts")
    rewire: float = param(0.1, 0.0, 1.0, doc="Watts-Strogatz rewiring probability")
    sample_size: int = param(300, 10, 5000, doc="people drawn for the network picture")


@dataclass
class Cohort:
    """A consumer segment: preferences for the multinomial logit and daily habits."""

    share: float = param(0.25, 0.0, 1.0, doc="share of the population")
    beta_quality: float = param(8.0, 0.0, 100.0, unit="utils per quality point")
    beta_price: float = param(0.05, 0.0, 10.0, unit="utils per CNY/month")
    beta_ad_load: float = param(1.0, 0.0, 20.0, unit="utils at full ad load")
    beta_social: float = param(2.0, 0.0, 20.0, unit="utils at all neighbours using")
    beta_congestion: float = param(2.0, 0.0, 20.0, unit="utils per unit of overload")
    inertia: float = param(1.0, 0.0, 20.0, unit="utils for the current app")
    outside_utility: float = param(5.0, -50.0, 50.0, doc="utility of no AI chat app")
    activity: float = param(0.25, 0.0, 1.0, unit="per day", doc="chance an adopter is active")
    reconsider_rate: float = param(0.03, 0.001, 1.0, unit="per day",
                                   doc="share who look around, hear of apps and re-choose each day")
    wtp_median: float = param(5.0, 0.0, 1000.0, unit="CNY/month", doc="median willingness to pay")
    wtp_sigma: float = param(1.0, 0.0, 5.0, doc="log-normal spread of willingness to pay")
    ad_response: float = param(1.0, 0.0, 10.0, doc="relative chance of being reached by app ads")
    paid_churn: float = param(0.03, 0.0, 1.0, unit="per day",
                              doc="daily churn of ad-bought users (organic users stay by inertia)")
    paid_habit: float = param(0.01, 0.0, 1.0, unit="per day",
                              doc="daily chance an ad-bought user becomes a habitual one")
    tokens_per_active_day: float = param(20_000.0, 0.0, 1e7, unit="tokens")


@dataclass
class Enterprise:
    """An enterprise/developer segment buying API tokens."""

    base_tokens: float = param(1.0e11, 0.0, 1e16, unit="tokens/day",
                               doc="demand at the start when the price index equals ref_price")
    ref_price: float = param(10.0, 0.01, 1e4, unit="CNY per M tokens",
                             doc="quality-adjusted price index at which demand is base_tokens")
    growth: float = param(1.0, -0.9, 50.0, unit="per year", doc="trend growth of token demand")
    elasticity: float = param(-1.1, -5.0, 0.0, doc="own-price elasticity of total token demand")
    alpha_price: float = param(1.5, 0.0, 20.0, unit="utils per log CNY", doc="logit price weight")
    beta_quality: float = param(6.0, 0.0, 100.0, unit="utils per quality point")
    beta_congestion: float = param(2.0, 0.0, 20.0)
    open_pref: float = param(0.0, -10.0, 10.0, unit="utils", doc="taste for open weights")
    self_host_utility: float = param(-5.0, -50.0, 50.0,
                                     doc="utility of self-hosting the best open model (no provider)")
    self_host_cost: float = param(5.0, 0.0, 1000.0, unit="CNY per M tokens")
    adjust_rate: float = param(0.05, 0.0, 1.0, unit="per day",
                               doc="share of spending re-allocated each day; low = high switching cost")
    volume_adjust_rate: float = param(0.03, 0.0, 1.0, unit="per day",
                                      doc="share of the gap to the demanded volume closed each day")


@dataclass
class Channel:
    """An entry point owned by a firm: an ad market (Douyin) or a placement (WeChat AI search)."""

    owner: str = param("", doc="firm id that owns the channel")
    ad_market_share: float = param(0.0, 0.0, 0.95, doc="share of app-ad inventory this channel sells")
    owner_cpi_factor: float = param(1.0, 0.01, 10.0, doc="owner's cost per install relative to list")
    rivals_banned: bool = param(False, doc="rivals may not buy ads here")
    reach: float = param(0.0, 0.0, 1.0, unit="per day", doc="awareness hazard for the app it carries")
    utility: float = param(0.0, -10.0, 10.0, doc="utility bonus for the app it carries")
    live: bool = param(False, doc="placement live from the start")
    live_on_integration: bool = param(False, doc="goes live when its owner integrates a rival model")


@dataclass
class Firm:
    """A model maker; units in the field docs. Strategies are in `strategies`."""

    name: str = param("", doc="display name")
    app: str = param("", doc="consumer app name; empty for none")
    app_live: bool = param(True, doc="app available from the start (else an app_launch shock)")
    quality: float = param(0.6, 0.0, 2.0, doc="model quality index (GPT-4 class 2024 ~ 0.6)")
    quality_growth: float = param(0.05, -1.0, 2.0, unit="points per year", doc="drift while pretraining")
    serving_cost: float = param(10.0, 0.0, 1e4, unit="CNY per M tokens")
    cost_decline: float = param(0.5, 0.0, 0.999, unit="fraction per year", doc="learning curve")
    capacity: float = param(1.0e12, 0.0, 1e16, unit="tokens/day")
    capacity_growth: float = param(0.5, -0.9, 100.0, unit="per year", doc="build-out regardless of demand")
    capacity_response: float = param(0.05, 0.0, 1.0, unit="per day",
                                     doc="share of a capacity shortfall (below 1.25 x demand) added daily")
    api_capacity_share: float = param(0.5, 0.0, 1.0, doc="capacity reserved for API before app use")
    api_price: float = param(20.0, 0.0, 1e4, unit="CNY per M tokens", doc="list price, blended")
    free_token_share: float = param(0.2, 0.0, 1.0, doc="API tokens served free (trials, quotas)")
    offpeak_discount: float = param(0.0, 0.0, 1.0, doc="off-peak price cut")
    offpeak_share: float = param(0.3, 0.0, 1.0, doc="share of tokens served off-peak")
    open_weights: bool = param(False)
    cloud: bool = param(False, doc="runs a cloud that hosts open models")
    host_cost_multiplier: float = param(3.0, 0.1, 1000.0, doc="serving a rival's model costs this x its maker's cost")
    hosting_price_ratio: float = param(1.0, 0.0, 100.0, doc="price of hosted open models / maker's list price")
    licensing_share: float = param(0.0, 0.0, 1.0, doc="share of hosts' revenue on its open model paid to it")
    cash: float = param(1.0e9, -1e13, 1e13, unit="CNY")
    rnd_per_day: float = param(1.0e6, 0.0, 1e11, unit="CNY/day", doc="R&D and training spend")
    pivot_rnd_factor: float = param(0.3, 0.0, 1.0, doc="R&D kept after leaving pretraining")
    backstop: bool = param(False, doc="parent covers losses (big tech, DeepSeek)")
    cpi: float = param(20.0, 0.01, 1e4, unit="CNY per install", doc="cost per ad-bought user")
    cpi_saturation: float = param(3.0, 0.0, 100.0, doc="CPI rises as (1 + this x reach)")
    sub_price: float = param(0.0, 0.0, 1000.0, unit="CNY/month", doc="premium tier; 0 = none")
    search_ad_load: float = param(0.0, 0.0, 1.0, doc="ads in AI answers")
    ad_revenue_per_dau: float = param(0.05, 0.0, 100.0, unit="CNY per DAU-day at full load")
    initial_aware: float = param(0.05, 0.0, 1.0, doc="share of people who know the app at start")
    initial_users: float = param(0.005, 0.0, 1.0, doc="share of people using the app at start")
    bass_p: float = param(0.0001, 0.0, 1.0, unit="per day", doc="innovation (media) awareness hazard")
    bass_q: float = param(0.04, 0.0, 5.0, unit="per day", doc="imitation hazard at all neighbours using")
    funding_chance: float = param(0.3, 0.0, 1.0, doc="monthly chance of a round when runway is short")
    funding_growth_weight: float = param(2.0, 0.0, 100.0, doc="how much DAU growth raises that chance")
    funding_months: float = param(18.0, 0.0, 120.0, unit="months of burn raised")
    rnd_ramp: float = param(0.0, -0.99, 100.0, unit="per year", doc="growth of R&D spend")
    strategies: dict = param({}, doc="strategy name -> its parameters")


@dataclass
class Event:
    """A dated change: `shock` (outside a firm's control) or `decision` (a firm's own choice)."""

    date: dt.date = param(dt.date(2024, 1, 1))
    kind: str = param("shock", choices=("shock", "decision"))
    action: str = param("", doc="what changes; see SHOCK_ACTIONS and DECISION_ACTIONS")
    firm: str = param("", doc="firm id the event is about")
    value: Any = param(None, doc="new value (meaning depends on the action)")
    quality: float = param(-1.0, -1.0, 2.0, doc="release: new model quality (-1 keeps)")
    cost_factor: float = param(1.0, 0.0, 100.0, doc="release: serving cost multiplier")
    capacity_factor: float = param(1.0, 0.0, 1000.0, doc="release/capacity: multiplier")
    model: str = param("", doc="integrate: whose open model")
    channel: str = param("", doc="channel id for channel events")
    label: str = param("", doc="short text shown on charts")
    evidence: str = param("", doc="F### row ids backing the event")
    hold_days: int = param(365, 0, 100_000, unit="days",
                           doc="decision: strategies leave this lever alone for this long")


SHOCK_ACTIONS = ("release", "app_launch", "capacity", "serving_cost", "channel_ban", "funding",
                 "demand", "marker")
DECISION_ACTIONS = ("api_price", "open_weights", "integrate", "pivot", "exit", "sub_price",
                    "ad_budget", "offpeak_discount", "search_ad_load")

SECTIONS: dict[str, type] = {"scenario": Meta, "population": Population, "network": Network}
TABLES: dict[str, type] = {"cohorts": Cohort, "enterprises": Enterprise, "firms": Firm,
                           "channels": Channel}


def fields_of(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _type_name(t: Any) -> str:
    return {"bool": "true/false", "int": "an integer", "float": "a number", "str": "a string",
            "dt.date": "a date (YYYY-MM-DD)", "dict": "a table", "list": "a list of strings",
            "Any": "a value"}.get(str(t), str(t))


def check_value(f: dataclasses.Field, value: Any, key: str, source: str) -> Any:
    """Coerce and bound-check one value; raise ScenarioError naming key and what is allowed."""
    t = str(f.type)
    meta = f.metadata
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "dt.date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        "dict": isinstance(value, dict),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "Any": True,
    }.get(t, True)
    if not ok:
        raise ScenarioError(f"must be {_type_name(t)}, got {value!r}", source=source, key=key)
    if t == "float":
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ScenarioError("must be a finite number", source=source, key=key)
    check_range(value, meta.get("lo"), meta.get("hi"), key, source)
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ScenarioError(f"must be one of {', '.join(choices)}; got {value!r}", source=source, key=key)
    return value


def check_range(value: Any, lo: float | None, hi: float | None, key: str, source: str) -> Any:
    """Refuse a number outside [lo, hi] (either bound may be None)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if lo is None and hi is None:
            return value
        span = f" between {lo:g} and {hi:g}" if lo is not None and hi is not None else ""
        raise ScenarioError(f"must be a number{span}, got {value!r}", source=source, key=key)
    if value != value:
        raise ScenarioError("must be a number, got nan", source=source, key=key)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ScenarioError(f"must be between {lo:g} and {hi:g}, got {value!r}", source=source, key=key)
    return value


def build(cls: type, table: Any, path: str, source: str) -> Any:
    """Build dataclass `cls` from a TOML table, refusing unknown keys and out-of-range values."""
    if not isinstance(table, dict):
        raise ScenarioError("must be a table", source=source, key=path)
    known = fields_of(cls)
    values = {}
    for key, value in table.items():
        full = f"{path}.{key}" if path else key
        if key not in known:
            raise ScenarioError(f"unknown key; {nearest(key, known)}", source=source, key=full)
        values[key] = check_value(known[key], value, full, source)
    return cls(**values)
