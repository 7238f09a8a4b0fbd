"""What the dashboard's controls choose, turned into `--set` overrides and checked before use.

The page never hands a model anything but a scenario name, a seed and `--set`-style overrides, so
whatever a teacher clicks could be typed on the command line too (`pricewar run --set ...`), and
every value goes through the scenario schema's checks. `Settings.check()` runs those checks; the
controls only commit settings that pass, so a Reset never meets bad input.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass, field

from market.errors import ScenarioError
from market.scenario import Scenario, available, load, parse_overrides

DEFAULT_SCENARIO = "history"
SCENARIO_ENV = "PRICEWAR_VIZ_SCENARIO"  # set by `pricewar viz --scenario`
DEFAULT_CONSUMERS = 5_000  # small, so a step (and its charts) stays fast
CONSUMERS_RANGE = (1_000, 100_000, 1_000)  # slider min, max, step
SEED_MAX = 2**32 - 1
AD_BUDGET_MAX = 10.0e6  # CNY/day at the slider's right end (F130: Doubao spent ~1.7 M/day)
SUB_PRICE_MAX = 100.0  # CNY/month at the slider's right end
PRICE_MODES = ("follow", "undercut", "cost_plus")
INTEGRATE_CHOICES = ("never", "when_better")
INTEGRATE_LABELS = {"never": "never (no strategy integrates)",
                    "when_better": "as soon as a rival's open model is better"}


@dataclass(frozen=True)
class FirmLevers:
    """One firm's levers; None leaves the scenario's own value."""

    open_weights: bool | None = None
    price_mode: str | None = None  # one of PRICE_MODES
    ad_budget: float | None = None  # CNY/day
    sub_price: float | None = None  # CNY/month, 0 = free app
    integrate: str | None = None  # one of INTEGRATE_CHOICES

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in dataclasses.fields(self))


@dataclass(frozen=True)
class Settings:
    """Everything a Reset builds a model from. Immutable: change it with `dataclasses.replace`."""

    scenario: str = DEFAULT_SCENARIO
    seed: int = 0
    consumers: int = DEFAULT_CONSUMERS
    levers: tuple[tuple[str, FirmLevers], ...] = ()
    extra: tuple[str, ...] = field(default=())  # free `KEY=VALUE` lines

    # ---- per-firm levers --------------------------------------------------------------------
    def levers_of(self, firm: str) -> FirmLevers:
        return dict(self.levers).get(firm, FirmLevers())

    def with_levers(self, firm: str, levers: FirmLevers) -> Settings:
        """A copy with `firm`'s levers replaced (dropped when they are all None)."""
        kept = [(fid, lv) for fid, lv in self.levers if fid != firm]
        if not levers.is_empty():
            kept.append((firm, levers))
        return dataclasses.replace(self, levers=tuple(kept))

    # ---- overrides and checks ---------------------------------------------------------------
    def overrides(self) -> list[str]:
        """The `--set KEY=VALUE` items these settings stand for, population first."""
        base = base_scenario(self.scenario)
        items = [f"population.consumers={int(self.consumers)}"]
        for fid, lv in self.levers:
            items += firm_overrides(base, fid, lv)
        items += [line.strip() for line in self.extra if line.strip()]
        return items

    def build(self) -> Scenario:
        """The validated scenario; raises ScenarioError naming the key at fault."""
        if not 0 <= int(self.seed) <= SEED_MAX:
            raise ScenarioError(f"must be a whole number from 0 to {SEED_MAX}, got {self.seed}", key="seed")
        return load(self.scenario, self.overrides())

    def check(self) -> str | None:
        """None when a model can be built from these settings, else a one-line reason."""
        try:
            self.build()
        except ScenarioError as exc:
            return str(exc)
        return None


def firm_overrides(base: Scenario, fid: str, lv: FirmLevers) -> list[str]:
    """One firm's levers as `--set` items, in the scenario's terms.

    A lever that a strategy would move on its own is set in that strategy (else the strategy
    undoes it on its first review): the subscription price also goes into `subscription.price`
    when the firm has that strategy, and the ad budget is the `ad_funded` strategy's budget.
    """
    if fid not in base.firms:
        raise ScenarioError(f"unknown firm '{fid}' in scenario '{base.meta.name}'", key=f"firms.{fid}")
    strategies = base.firms[fid].strategies
    prefix = f"firms.{fid}"
    items: list[str] = []
    if lv.open_weights is not None:
        items.append(f"{prefix}.open_weights={'true' if lv.open_weights else 'false'}")
    if lv.price_mode is not None:
        items.append(f'{prefix}.strategies.price_cutting.mode="{lv.price_mode}"')
    if lv.ad_budget is not None:
        items.append(f"{prefix}.strategies.ad_funded.daily_budget={float(lv.ad_budget):.10g}")
    if lv.sub_price is not None:
        items.append(f"{prefix}.sub_price={float(lv.sub_price):.10g}")
        if "subscription" in strategies:
            items.append(f"{prefix}.strategies.subscription.price={float(lv.sub_price):.10g}")
    if lv.integrate == "when_better":
        items.append(f"{prefix}.strategies.integrate_open_model.quality_gap=0")
        items.append(f"{prefix}.strategies.integrate_open_model.reputation_cost=0")
    elif lv.integrate == "never" and "integrate_open_model" in strategies:
        items.append(f"{prefix}.strategies.integrate_open_model.quality_gap=2")
    return items


@dataclass(frozen=True)
class FirmDefaults:
    """A firm's lever values as its scenario sets them (what the controls show before a change)."""

    label: str
    has_app: bool
    open_weights: bool
    price_mode: str | None  # None: no price_cutting strategy, the list price stays put
    ad_budget: float
    sub_price: float
    integrates: bool


def firm_defaults(scenario: str) -> dict[str, FirmDefaults]:
    """Scenario-order firm id -> its defaults, read off the firm's own strategy objects."""
    base = base_scenario(scenario)
    out = {}
    for fid, spec in base.firms.items():
        strategies = {s.name: s for s in base.strategies_for(fid)}
        name = spec.name or fid
        price = strategies.get("price_cutting")
        ads = strategies.get("ad_funded")
        sub = strategies.get("subscription")
        out[fid] = FirmDefaults(
            label=f"{name} ({spec.app})" if spec.app and spec.app != name else name,
            has_app=bool(spec.app),
            open_weights=spec.open_weights,
            price_mode=getattr(price, "mode", None),
            ad_budget=float(getattr(ads, "daily_budget", 0.0)),
            sub_price=float(getattr(sub, "price", spec.sub_price)),
            integrates="integrate_open_model" in strategies,
        )
    return out


@functools.lru_cache(maxsize=16)
def base_scenario(name: str) -> Scenario:
    """The scenario as shipped (no overrides), cached: read-only, never handed to a model."""
    return load(name)


def scenario_choices(extra: str | None = None) -> list[str]:
    """Shipped scenario names, plus `extra` (e.g. a path given to `pricewar viz`) if new."""
    names = [name for name, _ in available()]
    if extra and extra not in names:
        names.append(extra)
    return names


def initial_settings() -> Settings:
    """Defaults, with the scenario `pricewar viz --scenario` passed in the environment."""
    return Settings(scenario=os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def parse_seed(text: str) -> int:
    """A seed typed in a text box; ScenarioError with a plain message when it is not one."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ScenarioError(f"must be a whole number from 0 to {SEED_MAX}, got '{text}'", key="seed") from None
    if not 0 <= seed <= SEED_MAX:
        raise ScenarioError(f"must be a whole number from 0 to {SEED_MAX}, got {seed}", key="seed")
    return seed


def parse_extra(text: str) -> tuple[str, ...]:
    """Free `KEY=VALUE` lines (blank lines and `#` comments skipped); syntax checked here."""
    lines = tuple(line.strip() for line in str(text).splitlines()
                  if line.strip() and not line.strip().startswith("#"))
    parse_overrides(list(lines))  # raises ScenarioError for a line without KEY=VALUE
    return lines
