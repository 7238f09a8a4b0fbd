"""A model maker: its model, app, API, cloud, cash, and the strategies that move its levers."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import mesa

from agents.observation import LEVERS, Books, Decision, Observation
from agents.strategies import Strategy
from market.accounting import RUNWAY_CAP_DAYS, Ledger, maas_margin, runway_days
from market.schema import Firm

if TYPE_CHECKING:
    from market.model import MarketModel

class FirmAgent(mesa.Agent):
    """One firm. Exogenous drift and shocks change its technology; strategies change its levers."""

    model: MarketModel

    def __init__(self, model: MarketModel, firm_id: str, spec: Firm, index: int,
                 strategies: list[Strategy]) -> None:
        super().__init__(model)
        self.firm_id = firm_id
        self.index = index
        self.spec = spec
        self.name = spec.name or firm_id
        self.app = spec.app
        self.has_app = bool(spec.app)
        self.app_live = self.has_app and spec.app_live
        self.strategies = strategies
        self.status = "active"
        self.pretraining = True
        for attr in ("quality", "serving_cost", "capacity", "api_capacity_share", "api_price",
                     "free_token_share", "offpeak_discount", "offpeak_share", "open_weights",
                     "cloud", "host_cost_multiplier", "hosting_price_ratio", "licensing_share",
                     "cash", "backstop", "cpi", "cpi_saturation", "sub_price", "search_ad_load",
                     "ad_revenue_per_dau", "bass_p", "bass_q"):
            setattr(self, attr, getattr(spec, attr))
        self.ad_budget = 0.0
        self.integrated = ""  # firm id whose open model the app carries
        self.pinned: dict[str, int] = {}  # lever -> last day a scripted decision holds it
        self.ledger = Ledger()
        self.notes: list[tuple[str, str]] = []  # (what decided, what it did) today
        # per-day quantities written by the serving phase
        self.dau = 0.0
        self.mau = 0.0
        self.app_share = 0.0
        self.api_tokens = 0.0
        self.hosted_tokens = 0.0
        self.app_tokens = 0.0
        self.token_share = 0.0
        self.subscribers = 0.0
        self.congestion_app = 0.0
        self.congestion_api = 0.0
        self.reach = 0.0  # share of people aware of the app
        self.realized_api_price = 0.0
        self.row: dict = {}  # today's output row, written by the model after accounting
        self._net: deque[float] = deque(maxlen=30)
        self._api_rev: deque[float] = deque(maxlen=30)
        self._api_cost: deque[float] = deque(maxlen=30)
        self._dau: deque[float] = deque(maxlen=31)

    # ---- derived, public -------------------------------------------------------------------
    @property
    def app_quality(self) -> float:
        """Quality users get: the better of the own model and the integrated open model."""
        if self.integrated:
            return max(self.quality, self.model.firm(self.integrated).quality)
        return self.quality

    @property
    def app_serving_cost(self) -> float:
        """CNY per M tokens for app usage: follows the model the app actually serves."""
        if self.integrated:
            other = self.model.firm(self.integrated)
            if other.quality > self.quality:
                return other.serving_cost * self.host_cost_multiplier
        return self.serving_cost

    @property
    def net_per_day(self) -> float:
        return sum(self._net) / len(self._net) if self._net else 0.0

    @property
    def runway_days(self) -> float:
        """Days of cash at the trailing burn; a parent-backed firm never runs out."""
        if self.backstop:
            return RUNWAY_CAP_DAYS
        return runway_days(self.cash, self.net_per_day)

    @property
    def margin_30d(self) -> float:
        return maas_margin(sum(self._api_rev), sum(self._api_cost))

    @property
    def dau_growth(self) -> float:
        if len(self._dau) < 2 or self._dau[0] <= 0:
            return 0.0
        return self._dau[-1] / self._dau[0] - 1.0

    @property
    def congestion(self) -> float:
        return max(self.congestion_app, self.congestion_api)

    @property
    def active(self) -> bool:
        return self.status != "exited"

    # ---- phase 1: exogenous drift ----------------------------------------------------------
    def evolve(self) -> None:
        """Daily technology drift: R&D raises quality while pretraining; costs fall; capacity grows."""
        self.ledger = Ledger()
        self.notes = []
        if not self.active:
            return
        spec = self.spec
        if self.pretraining:
            self.quality = min(2.0, max(0.0, self.quality + spec.quality_growth / 365.0))
        self.serving_cost *= (1.0 - spec.cost_decline) ** (1.0 / 365.0)
        self.capacity *= (1.0 + spec.capacity_growth) ** (1.0 / 365.0)
        wanted = 1.25 * (self.api_tokens + self.hosted_tokens + self.app_tokens) * (1.0 + self.congestion)
        if wanted > self.capacity:
            self.capacity += spec.capacity_response * (wanted - self.capacity)

    # ---- phase 2: observe and decide -------------------------------------------------------
    def books(self) -> Books:
        return Books(
            firm=self.firm_id, status=self.status, cash=self.cash, runway_days=self.runway_days,
            net_per_day=self.net_per_day, backstop=self.backstop, quality=self.quality,
            app_quality=self.app_quality, serving_cost=self.serving_cost, api_price=self.api_price,
            open_weights=self.open_weights, pretraining=self.pretraining, has_app=self.has_app,
            app_live=self.app_live, cloud=self.cloud, integrated=self.integrated, dau=self.dau,
            dau_growth=self.dau_growth, app_share=self.app_share, token_share=self.token_share,
            maas_margin=self.margin_30d, ad_budget=self.ad_budget, sub_price=self.sub_price,
            search_ad_load=self.search_ad_load,
        )

    def decide(self) -> None:
        """Read today's public snapshot, let each due strategy decide, apply the result."""
        if not self.active:
            return
        day = self.model.day
        obs = Observation(day=day, date=self.model.date, own=self.books(),
                          rivals=self.model.public.rivals_of(self.firm_id),
                          releases=self.model.public.releases)
        due = [s for s in self.strategies if s.due(day) or s.urgent(obs)]
        if due:
            for strategy in due:
                decision = strategy.decide(obs)
                if decision is not None:
                    self.apply(decision, source=strategy.name)
        self.seek_funding()

    def apply(self, decision: Decision, hold_until: int | None = None, source: str = "scenario") -> None:
        """Apply a decision. A scripted (evidence-backed) one holds its lever until `hold_until`;
        meanwhile strategies' requests for that lever are ignored."""
        day = self.model.day
        applied = False
        for lever in LEVERS:
            value = getattr(decision, lever, None)
            if value is None:
                continue
            if hold_until is not None:
                self.pinned[lever] = hold_until
            elif self.pinned.get(lever, -1) >= day:
                continue
            self._set(lever, value)
            applied = True
        if applied:
            self.notes.extend((source, note) for note in decision.notes)

    def _set(self, lever: str, value) -> None:
        if lever == "open_weights":
            self.open_weights = bool(value)
        elif lever == "integrate":
            other = self.model.firm(str(value)) if value else None
            if other is not None and not other.open_weights:
                self.notes.append(("integrate", f"cannot integrate {value}: its weights are closed"))
                return
            self.integrated = str(value)
            self.model.on_integration(self)
        elif lever == "pivot":
            if value and self.pretraining:
                self.pretraining = False
                self.status = "pivoted"
        elif lever == "exit":
            if value:
                self.leave_market()
        elif lever == "offpeak_discount":
            self.offpeak_discount = float(value)
        else:
            setattr(self, lever, max(0.0, float(value)))

    def leave_market(self) -> None:
        """Exit: no app, no API, no R&D; open weights stay usable by hosts; no re-entry."""
        self.status = "exited"
        self.pretraining = False
        self.app_live = False
        self.ad_budget = 0.0
        self.notes.append(("status", "exits the market"))

    def seek_funding(self) -> None:
        """Monthly: a firm short of runway may raise a round; odds rise with DAU growth (M-H3)."""
        spec = self.spec
        if self.backstop or self.model.day % 30 != 15 or self.runway_days >= 365.0:
            return
        burn = max(-self.net_per_day, 0.0)
        if burn <= 0.0:
            return
        odds = min(1.0, spec.funding_chance * (1.0 + spec.funding_growth_weight * max(self.dau_growth, 0.0)))
        if self.model.rng.random() < odds:
            amount = spec.funding_months * 30.0 * burn
            self.ledger.funding += amount
            self.notes.append(("funding", f"raises {amount / 1e9:.2f} bn CNY"))

    # ---- phase 5: accounting ----------------------------------------------------------------
    def close_books(self) -> None:
        """Move cash by exactly the day's ledger; a parent covers a backstopped firm's shortfall."""
        ledger = self.ledger
        if self.backstop and self.cash + ledger.operating + ledger.funding < 0.0:
            ledger.funding += -(self.cash + ledger.operating + ledger.funding)
        self.cash += ledger.operating + ledger.funding
        self._net.append(ledger.operating)
        self._api_rev.append(ledger.api_revenue)
        self._api_cost.append(ledger.api_serving_cost)
        self._dau.append(self.dau)
