"""Consumers: segments of chat-app users, each person's state held in numpy arrays.

A `ConsumerCohort` agent stands for many people. Each day a random few of them (the
`reconsider_rate`) look around: word of mouth and media make them aware of apps (Bass hazard
p + q x share of neighbours using the app), and they re-choose among the apps they know by
multinomial logit with an outside option ("no AI chat app today"). Everyone else keeps their app.
Ad budgets buy installs; bought users churn faster until the habit sticks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from market.demand import choose
from market.network import neighbour_app_counts
from market.schema import Cohort

if TYPE_CHECKING:
    from market.model import MarketModel

NEVER = np.int16(-32000)  # "never active" day stamp


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values: np.unique's result, several times faster on numpy 2.4 (sort + mask)."""
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


@dataclass
class AppOffer:
    """Today's apps as consumers see them, one entry per firm (after firms decided)."""

    live: np.ndarray  # bool: the app can be chosen
    quality: np.ndarray  # quality users get
    sub_price: np.ndarray  # CNY/month
    ad_load: np.ndarray  # 0..1 ads in answers
    congestion: np.ndarray  # yesterday's overload ("server busy")
    channel_utility: np.ndarray  # utility from an entry point such as WeChat AI search
    channel_reach: np.ndarray  # per-day awareness hazard from that entry point
    bass_p: np.ndarray
    bass_q: np.ndarray


class People:
    """Every simulated person's state; cohorts hold views of their own slice."""

    def __init__(self, n: int, n_apps: int) -> None:
        self.n = n
        self.aware = np.zeros((n, n_apps), dtype=bool)
        self.current = np.full(n, -1, dtype=np.int16)
        self.paid = np.zeros(n, dtype=bool)
        self.last_seen = np.full((n_apps, n), NEVER, dtype=np.int16)  # last active day, per app
        self.last_any = np.full(n, NEVER, dtype=np.int16)
        self.active = np.zeros(n, dtype=bool)


class ConsumerCohort(mesa.Agent):
    """A consumer segment: people lo..hi-1 of the population, with shared preferences."""

    model: MarketModel

    def __init__(self, model: MarketModel, name: str, spec: Cohort, people: People,
                 lo: int, hi: int) -> None:
        super().__init__(model)
        self.name = name
        self.spec = spec
        self.lo, self.hi = lo, hi
        self.n = hi - lo
        self.aware = people.aware[lo:hi]
        self.current = people.current[lo:hi]
        self.paid = people.paid[lo:hi]
        self.last_seen = people.last_seen[:, lo:hi]
        self.last_any = people.last_any[lo:hi]
        self.active = people.active[lo:hi]
        self.people = people
        self.wtp = (spec.wtp_median * np.exp(spec.wtp_sigma * model.rng.standard_normal(self.n))
                    ).astype(np.float32)
        n_apps = people.aware.shape[1]
        self.dau = np.zeros(n_apps)
        self.mau = np.zeros(n_apps)
        self.subscribers = np.zeros(n_apps)
        self.installs = np.zeros(n_apps, dtype=np.int64)  # set by the model before step()
        self.mau_any = 0
        # people counted by the day they were last active (per app, and on any app): MAU is a
        # 30-day window sum, updated from today's active people only instead of recounting everyone
        self._seen_days = np.zeros((n_apps, model.n_days), dtype=np.int64)
        self._any_days = np.zeros(model.n_days, dtype=np.int64)

    # ---- helpers -------------------------------------------------------------------------
    def seed_users(self, initial_aware: np.ndarray, initial_users: np.ndarray) -> None:
        """Initial awareness and users per app (shares of people), drawn independently."""
        rng = self.model.rng
        self.aware[:] = rng.random(self.aware.shape) < initial_aware[None, :]
        cum = np.cumsum(initial_users)
        if cum[-1] > 1.0:
            cum = cum / cum[-1]
        pick = np.searchsorted(cum, rng.random(self.n), side="right")
        users = pick < len(initial_users)
        self.current[users] = pick[users]
        self.aware[users, pick[users]] = True

    def release(self, dead: np.ndarray) -> None:
        """People whose app closed lose it and look again today."""
        gone = dead[np.maximum(self.current, 0)] & (self.current >= 0)
        self.current[gone] = -1
        self.paid[gone] = False
        self._forced = np.flatnonzero(gone)

    def base_utility(self, offer: AppOffer) -> np.ndarray:
        """Utility of each app before social influence and inertia, for this segment."""
        s = self.spec
        return (s.beta_quality * offer.quality - s.beta_price * offer.sub_price
                - s.beta_ad_load * offer.ad_load - s.beta_congestion * offer.congestion
                + offer.channel_utility)

    # ---- the day ---------------------------------------------------------------------------
    def step(self) -> None:
        model, s, rng = self.model, self.spec, self.model.rng
        offer = model.app_offer
        forced = getattr(self, "_forced", None)
        self._forced = None
        self._buy_installs(rng)
        self._churn_paid(rng)
        # who looks around today: a random draw plus anyone whose app just closed
        k = rng.binomial(self.n, s.reconsider_rate)
        look = distinct(rng.integers(0, self.n, size=k)) if k else np.zeros(0, dtype=np.int64)
        if forced is not None and forced.size:
            look = np.union1d(look, forced)
        if look.size:
            self._reconsider(look, offer, rng)
        self._be_active(offer, rng)

    def _buy_installs(self, rng: np.random.Generator) -> None:
        """Ad-bought installs: random people not already using the app switch to it."""
        for app in np.flatnonzero(self.installs):
            who = distinct(rng.integers(0, self.n, size=int(self.installs[app])))
            who = who[self.current[who] != app]
            self.current[who] = app
            self.aware[who, app] = True
            self.paid[who] = True

    def _churn_paid(self, rng: np.random.Generator) -> None:
        """Bought users leave (and uninstall) at `paid_churn` a day, or turn habitual at `paid_habit`."""
        paid = np.flatnonzero(self.paid)
        if paid.size == 0:
            return
        u = rng.random(paid.size)
        leave = paid[u < self.spec.paid_churn]
        stay = paid[u > 1.0 - self.spec.paid_habit]
        self.aware[leave, self.current[leave]] = False
        self.current[leave] = -1
        self.paid[leave] = False
        self.paid[stay] = False

    def _reconsider(self, look: np.ndarray, offer: AppOffer, rng: np.random.Generator) -> None:
        s = self.spec
        n_apps = offer.live.size
        counts, degree = neighbour_app_counts(self.model.graph, look + self.lo,
                                              self.model.people.current, n_apps)
        social = counts / np.maximum(degree, 1.0)[:, None]
        # word of mouth and media: Bass hazard per day, scaled because only `look` is drawn today
        hazard = (offer.bass_p + offer.channel_reach)[None, :] + offer.bass_q[None, :] * social
        hazard /= s.reconsider_rate
        heard = rng.random(hazard.shape, dtype=np.float32) < hazard
        aware = self.aware[look] | (heard & offer.live[None, :])
        self.aware[look] = aware
        current = self.current[look]
        utility = self.base_utility(offer)[None, :] + s.beta_social * social
        has = current >= 0
        utility[np.flatnonzero(has), current[has]] += s.inertia
        utility = np.where(aware & offer.live[None, :], utility, -np.inf)
        choice = choose(utility, s.outside_utility, rng.random(look.size, dtype=np.float32))
        switched = choice != current
        self.current[look] = choice
        self.paid[look[switched]] = False

    def _move_seen(self, apps: np.ndarray, idx: np.ndarray, day: int, n_apps: int) -> None:
        """Move today's active people in the last-active-day counts from their old day to today."""
        days = self._seen_days.shape[1]
        old = self.last_seen[apps, idx].astype(np.intp)
        before = old != NEVER
        self._seen_days.ravel()[:] -= np.bincount(apps[before] * days + old[before], minlength=n_apps * days)
        self._seen_days[:, day] += np.bincount(apps, minlength=n_apps)
        old_any = self.last_any[idx].astype(np.intp)
        self._any_days -= np.bincount(old_any[old_any != NEVER], minlength=days)
        self._any_days[day] += idx.size

    def mau_recount(self) -> tuple[np.ndarray, int]:
        """MAU counted the slow way, from every person's last-active days (the reference)."""
        window = np.int16(self.model.day - 29)
        per_app = np.array([np.count_nonzero(row >= window) for row in self.last_seen], dtype=float)
        return per_app, int(np.count_nonzero(self.last_any >= window))

    def _be_active(self, offer: AppOffer, rng: np.random.Generator) -> None:
        """Who opens their app today; MAU counts distinct people active in the last 30 days."""
        s, day = self.spec, np.int16(self.model.day)
        n_apps = offer.live.size
        active = (self.current >= 0) & (rng.random(self.n, dtype=np.float32) < s.activity)
        self.active[:] = active
        idx = np.flatnonzero(active)
        apps = self.current[idx].astype(np.intp)
        self._move_seen(apps, idx, int(day), n_apps)
        self.last_seen[apps, idx] = day
        self.last_any[idx] = day
        self.dau = np.bincount(apps, minlength=n_apps).astype(float)
        start = max(0, int(day) - 29)
        self.mau = self._seen_days[:, start:int(day) + 1].sum(axis=1).astype(float)
        self.mau_any = int(self._any_days[start:int(day) + 1].sum())
        self.subscribers = np.zeros(n_apps)
        for app in np.flatnonzero(offer.live & (offer.sub_price > 0)):
            using = self.current == app
            self.subscribers[app] = np.count_nonzero(using & (self.wtp >= offer.sub_price[app]))
