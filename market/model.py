"""MarketModel: the Chinese LLM market, one step per day, in fixed phases.

1. events: technology drift, then the day's dated shocks and scripted decisions;
2. firms observe a frozen public snapshot and decide (shuffled: order cannot matter);
3. enterprises split token demand; consumers choose apps (each cohort shuffled within phase);
4. serving: capacity is shared between API and app use, overload becomes congestion;
5. accounting: every firm's ledger is booked and cash moves by exactly its sum;
6. metrics: shares and concentration; the DataCollector records the day.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

import mesa
import numpy as np

from agents.consumers import AppOffer, ConsumerCohort, People
from agents.enterprises import ApiOffer, EnterpriseCohort
from agents.firm import FirmAgent
from market import metrics
from market.calendar import Calendar
from market.capacity import serve
from market.events import apply_event
from market.network import build_consumer_graph
from market.observables import PublicBoard
from market.scenario import Scenario, load

FIRM_FIELDS = (
    "date", "firm", "app", "status", "app_dau", "app_mau", "app_share", "api_tokens",
    "hosted_tokens", "token_share", "api_price", "realized_api_price", "api_revenue",
    "api_serving_cost", "free_serving_cost", "maas_margin", "ad_spend", "subscribers", "revenue",
    "costs", "funding", "cash", "runway_days", "open_weights",
    # beyond the required interface
    "quality", "app_quality", "serving_cost", "app_tokens", "hosted_revenue", "hosting_cost",
    "licensing_revenue", "licensing_paid", "cloud_margin", "subscription_revenue", "ad_revenue",
    "rnd_spend", "sub_price", "search_ad_load", "integrated", "congestion", "pretraining",
)
MARKET_FIELDS = (
    "date", "total_dau", "outside_share", "hhi_app", "hhi_tokens", "mean_api_price",
    "active_pretraining_firms", "total_mau", "total_tokens", "self_hosted_tokens",
)
REACH_EVERY = 7  # days between recounts of how many people know each app (drives ad CPI)


class MarketModel(mesa.Model):
    """The market. `scenario` is a name, a path or a validated Scenario."""

    def __init__(self, scenario: Scenario | str | Path = "history", seed: int | None = None,
                 overrides: list[str] | dict | None = None, days: int | None = None) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load(scenario, overrides)
        elif overrides:
            raise ValueError("pass overrides with a scenario name, not with a built Scenario")
        seed = scenario.meta.seed if seed is None else int(seed)
        super().__init__(seed=seed)
        self.scenario = scenario
        self.seed = seed
        meta = scenario.meta
        self.calendar = Calendar(meta.start, meta.end)
        self.n_days = self.calendar.days if days is None else max(1, min(int(days), self.calendar.days))
        self.day = 0
        self.date = meta.start
        self.demand_factor = 1.0

        # firms, in scenario order: index i is column i of every per-firm array
        self.firm_list: list[FirmAgent] = [
            FirmAgent(self, fid, spec, i, scenario.strategies_for(fid))
            for i, (fid, spec) in enumerate(scenario.firms.items())
        ]
        self._by_id = {f.firm_id: f for f in self.firm_list}
        self.channels = {cid: dataclasses.replace(c) for cid, c in scenario.channels.items()}
        self.public = PublicBoard(len(self.firm_list), meta.public_lag_days)

        # consumers: one population, a social graph over it, cohorts as contiguous slices
        pop = scenario.population
        self.n_people = pop.consumers
        self.scale = pop.real_population / pop.consumers
        n_firms = len(self.firm_list)
        self.people = People(self.n_people, n_firms)
        self.graph = build_consumer_graph(self.n_people, scenario.network.kind,
                                          scenario.network.mean_degree, scenario.network.rewire,
                                          self.rng)
        sizes = _split(self.n_people, [c.share for c in scenario.cohorts.values()])
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        self.cohorts = [ConsumerCohort(self, name, spec, self.people, int(lo), int(hi))
                        for (name, spec), lo, hi in zip(scenario.cohorts.items(), bounds[:-1], bounds[1:])]
        live = np.array([f.app_live for f in self.firm_list])
        aware0 = np.array([f.spec.initial_aware for f in self.firm_list]) * live
        users0 = np.array([f.spec.initial_users for f in self.firm_list]) * live
        for cohort in self.cohorts:
            cohort.seed_users(aware0, users0)
        self.app_ever_live = live.copy()
        self._live_yesterday = live.copy()
        self._reach = np.zeros(n_firms)
        self.buyers = [EnterpriseCohort(self, name, spec) for name, spec in scenario.enterprises.items()]

        self._events = defaultdict(list)
        for event in scenario.events:
            self._events[self.calendar.day(event.date)].append(event)
        self.event_log: list[dict] = []
        self.market_row: dict = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.market_row[k]) for k in MARKET_FIELDS},
            agenttype_reporters={FirmAgent: {k: (lambda a, k=k: a.row[k]) for k in FIRM_FIELDS}},
        )

    # ---- lookups ----------------------------------------------------------------------------
    def firm(self, firm_id: str) -> FirmAgent:
        return self._by_id[firm_id]

    @property
    def firms(self) -> mesa.agent.AgentSet:
        return self.agents_by_type[FirmAgent]

    def _per_firm(self, attr: str) -> np.ndarray:
        return np.array([getattr(f, attr) for f in self.firm_list], dtype=float)

    def on_integration(self, firm: FirmAgent) -> None:
        """An owner's entry point (e.g. WeChat AI search) opens when it carries a rival model."""
        for channel in self.channels.values():
            if channel.owner == firm.firm_id and channel.live_on_integration:
                channel.live = True

    # ---- the day ----------------------------------------------------------------------------
    def step(self) -> None:
        self.day = self.steps - 1
        self.date = self.calendar.date(self.day)
        for firm in self.firm_list:
            firm.evolve()
        for event in self._events.get(self.day, ()):
            label = apply_event(self, event)
            self.event_log.append({"date": self.date, "firm": event.firm, "kind": event.kind,
                                   "action": event.action, "label": label,
                                   "evidence": event.evidence, "source": "scenario"})
        self.public.publish(self)
        self.firms.shuffle_do("decide")
        for firm in self.firm_list:
            self.event_log.extend({"date": self.date, "firm": firm.firm_id, "kind": "decision",
                                   "action": what, "label": f"{firm.firm_id} {note}",
                                   "evidence": "", "source": "strategy"} for what, note in firm.notes)
        self._make_offers()
        if self.buyers:
            self.agents_by_type[EnterpriseCohort].shuffle_do("step")
        self.agents_by_type[ConsumerCohort].shuffle_do("step")
        self._serve_and_book()
        self.datacollector.collect(self)
        if self.day + 1 >= self.n_days:
            self.running = False

    def _make_offers(self) -> None:
        """Freeze what buyers and consumers see today, after every firm has decided."""
        firms = self.firm_list
        live = np.array([f.app_live and f.active for f in firms])
        self.app_ever_live |= live
        dead = self._live_yesterday & ~live
        if dead.any():
            for cohort in self.cohorts:
                cohort.release(dead)
        self._live_yesterday = live
        channel_u = np.zeros(len(firms))
        channel_reach = np.zeros(len(firms))
        for channel in self.channels.values():
            if channel.live:
                owner = self.firm(channel.owner).index
                channel_u[owner] += channel.utility
                channel_reach[owner] += channel.reach
        self.app_offer = AppOffer(
            live=live, quality=self._per_firm("app_quality"), sub_price=self._per_firm("sub_price"),
            ad_load=self._per_firm("search_ad_load"), congestion=self._per_firm("congestion_app"),
            channel_utility=channel_u, channel_reach=channel_reach,
            bass_p=self._per_firm("bass_p"), bass_q=self._per_firm("bass_q"))
        self._buy_installs(live)

        active = np.array([f.active for f in firms])
        cloud = np.array([f.cloud for f in firms]) & active
        open_w = np.array([f.open_weights for f in firms])
        list_price = self._per_firm("api_price")
        buyer_price = list_price * (1.0 - self._per_firm("offpeak_share") * self._per_firm("offpeak_discount"))
        available = cloud[:, None] & open_w[None, :]
        np.fill_diagonal(available, active)
        price = buyer_price[None, :] * self._per_firm("hosting_price_ratio")[:, None]
        np.fill_diagonal(price, buyer_price)
        self.api_offer = ApiOffer(available=available, price=price, quality=self._per_firm("quality"),
                                  open_weights=open_w, congestion=self._per_firm("congestion_api"))

    def _buy_installs(self, live: np.ndarray) -> None:
        """Turn ad budgets into installs; cost per install rises with reach and channel bans."""
        if self.day % REACH_EVERY == 0:
            self._reach = np.count_nonzero(self.people.aware, axis=0) / self.n_people
        weights = np.array([c.n * c.spec.ad_response for c in self.cohorts], dtype=float)
        weights = weights / weights.sum() if weights.sum() > 0 else weights
        for cohort in self.cohorts:
            cohort.installs[:] = 0
        for firm in self.firm_list:
            firm.reach = float(self._reach[firm.index])
            if not live[firm.index]:
                firm.ad_budget = 0.0
            if firm.ad_budget <= 0:
                continue
            accessible, own = 1.0, 1.0
            for channel in self.channels.values():
                if channel.owner == firm.firm_id:
                    own *= channel.owner_cpi_factor ** channel.ad_market_share
                elif channel.rivals_banned:
                    accessible -= channel.ad_market_share
            cpi = firm.cpi * own * (1.0 + firm.cpi_saturation * firm.reach) / max(accessible, 0.05)
            expected = firm.ad_budget / cpi / self.scale * weights
            sizes = np.array([c.n for c in self.cohorts], dtype=float)
            counts = self.rng.poisson(np.minimum(expected, sizes))  # no more installs than people
            for cohort, k in zip(self.cohorts, counts):
                cohort.installs[firm.index] = k
            firm.ledger.ad_spend += firm.ad_budget

    def _serve_and_book(self) -> None:
        firms = self.firm_list
        n = len(firms)
        demand = sum((b.demand for b in self.buyers), np.zeros((n, n)))
        self_hosted = float(sum(b.self_hosted for b in self.buyers))
        dau = sum(c.dau for c in self.cohorts) * self.scale
        mau = sum(c.mau for c in self.cohorts) * self.scale
        subscribers = sum(c.subscribers for c in self.cohorts) * self.scale
        app_demand = sum(c.dau * c.spec.tokens_per_active_day for c in self.cohorts) * self.scale
        api_demand = demand.sum(axis=1)
        api_served, app_served, api_over, app_over = serve(
            self._per_firm("capacity"), self._per_firm("api_capacity_share"), api_demand, app_demand)
        fill = np.divide(api_served, api_demand, out=np.zeros(n), where=api_demand > 0)
        served = demand * fill[:, None]
        own = np.diag(served).copy()
        hosted = served.sum(axis=1) - own
        np.fill_diagonal(served, 0.0)

        free = self._per_firm("free_token_share")
        cost = self._per_firm("serving_cost")
        realized = self._per_firm("api_price") * (1.0 - free) * (
            1.0 - self._per_firm("offpeak_share") * self._per_firm("offpeak_discount"))
        hosted_revenue = served * self.api_offer.price * (1.0 - free)[:, None] / 1e6
        hosting_cost = served * cost[None, :] * self._per_firm("host_cost_multiplier")[:, None] / 1e6
        licensing = hosted_revenue * self._per_firm("licensing_share")[None, :]
        total_tokens = float(api_served.sum()) + self_hosted
        token_share = metrics.share(api_served, total_tokens)
        app_share = dau / (self.n_people * self.scale)
        self.public.record_shares(app_share, token_share)

        for f in firms:
            i = f.index
            ledger = f.ledger
            ledger.api_revenue = own[i] * realized[i] / 1e6
            ledger.api_serving_cost = own[i] * cost[i] / 1e6
            ledger.hosted_revenue = hosted_revenue[i].sum()
            ledger.hosting_cost = hosting_cost[i].sum()
            ledger.licensing_paid = licensing[i].sum()
            ledger.licensing_revenue = licensing[:, i].sum()
            ledger.free_serving_cost = app_served[i] * f.app_serving_cost / 1e6
            ledger.subscription_revenue = subscribers[i] * f.sub_price / 30.0
            ledger.ad_revenue = dau[i] * f.ad_revenue_per_dau * f.search_ad_load
            if f.active:
                kept = 1.0 if f.pretraining else f.spec.pivot_rnd_factor
                ledger.rnd_spend = f.spec.rnd_per_day * kept * (1.0 + f.spec.rnd_ramp) ** (self.day / 365.0)
            f.dau, f.mau, f.subscribers = float(dau[i]), float(mau[i]), float(subscribers[i])
            f.app_share, f.token_share = float(app_share[i]), float(token_share[i])
            f.api_tokens, f.hosted_tokens, f.app_tokens = float(own[i]), float(hosted[i]), float(app_served[i])
            f.congestion_api, f.congestion_app = float(api_over[i]), float(app_over[i])
            f.realized_api_price = float(realized[i])
        for f in firms:
            f.close_books()
            f.row = self._firm_row(f)

        self.market_row = {
            "date": self.date,
            "total_dau": float(dau.sum()),
            "outside_share": float(max(0.0, 1.0 - app_share.sum())),
            "hhi_app": metrics.hhi(dau),
            "hhi_tokens": metrics.hhi(api_served),
            "mean_api_price": metrics.weighted_mean(self._per_firm("api_price"), own,
                                                    np.array([f.api_price for f in firms if f.active])),
            "active_pretraining_firms": sum(1 for f in firms if f.pretraining and f.active),
            "total_mau": float(sum(c.mau_any for c in self.cohorts) * self.scale),
            "total_tokens": total_tokens,
            "self_hosted_tokens": self_hosted,
        }

    def _firm_row(self, f: FirmAgent) -> dict:
        ledger = f.ledger
        return {
            "date": self.date, "firm": f.firm_id, "app": f.app, "status": f.status,
            "app_dau": f.dau, "app_mau": f.mau, "app_share": f.app_share,
            "api_tokens": f.api_tokens, "hosted_tokens": f.hosted_tokens,
            "token_share": f.token_share, "api_price": f.api_price,
            "realized_api_price": f.realized_api_price, "api_revenue": ledger.api_revenue,
            "api_serving_cost": ledger.api_serving_cost, "free_serving_cost": ledger.free_serving_cost,
            "maas_margin": ledger.maas_margin, "ad_spend": ledger.ad_spend,
            "subscribers": f.subscribers, "revenue": ledger.revenue, "costs": ledger.costs,
            "funding": ledger.funding, "cash": f.cash, "runway_days": f.runway_days,
            "open_weights": f.open_weights, "quality": f.quality, "app_quality": f.app_quality,
            "serving_cost": f.serving_cost, "app_tokens": f.app_tokens,
            "hosted_revenue": ledger.hosted_revenue, "hosting_cost": ledger.hosting_cost,
            "licensing_revenue": ledger.licensing_revenue, "licensing_paid": ledger.licensing_paid,
            "cloud_margin": ledger.cloud_margin, "subscription_revenue": ledger.subscription_revenue,
            "ad_revenue": ledger.ad_revenue, "rnd_spend": ledger.rnd_spend, "sub_price": f.sub_price,
            "search_ad_load": f.search_ad_load, "integrated": f.integrated,
            "congestion": max(f.congestion_app, f.congestion_api), "pretraining": f.pretraining,
        }

    def run(self) -> None:
        """Step until the scenario's last day (or `days`)."""
        while self.running:
            self.step()


def _split(n: int, shares: list[float]) -> np.ndarray:
    """Integer cohort sizes summing to n (largest remainder), deterministic."""
    raw = np.asarray(shares, dtype=float) / sum(shares) * n
    sizes = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - sizes), kind="stable")[: n - sizes.sum()]:
        sizes[i] += 1
    return sizes
