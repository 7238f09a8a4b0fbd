"""What the cohort design buys: the consumer step as one Mesa agent per person, against the cohorts.

The naive version does the same arithmetic per person in Python (a reconsideration draw, word of
mouth from neighbours' apps, Bass awareness, a logit choice with an outside option, an activity
draw), with `self.agents.shuffle_do("step")` as Mesa's examples do. Both are timed per simulated day
on the history scenario's apps and preferences at the same population.

    python benchmarks/bench_naive.py            # 10^4 and 10^5 people
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mesa  # noqa: E402

from agents.consumers import ConsumerCohort  # noqa: E402
from market import MarketModel  # noqa: E402


class Person(mesa.Agent):
    """One consumer with its own state, the way a textbook ABM would write it."""

    def __init__(self, model: NaiveMarket, cohort: ConsumerCohort, current: int, aware: list[bool]) -> None:
        super().__init__(model)
        self.spec = cohort.spec
        self.cohort = cohort.name
        self.current = current
        self.aware = aware
        self.friends: list[Person] = []

    def step(self) -> None:
        model, s, rnd = self.model, self.spec, self.model.random
        offer = model.offer
        n_apps = model.n_apps
        if rnd.random() < s.reconsider_rate:
            counts = [0] * n_apps
            for friend in self.friends:
                if friend.current >= 0:
                    counts[friend.current] += 1
            degree = max(len(self.friends), 1)
            weights, options = [], []
            for app in range(n_apps):
                share = counts[app] / degree
                hazard = (offer.bass_p[app] + offer.channel_reach[app] + offer.bass_q[app] * share) / s.reconsider_rate
                if offer.live[app] and not self.aware[app] and rnd.random() < hazard:
                    self.aware[app] = True
                if offer.live[app] and self.aware[app]:
                    u = model.base_u[self.cohort][app] + s.beta_social * share
                    u += s.inertia if app == self.current else 0.0
                    weights.append(math.exp(u))
                    options.append(app)
            w0 = math.exp(s.outside_utility)
            draw = rnd.random() * (sum(weights) + w0)
            self.current = -1
            for app, w in zip(options, weights):
                draw -= w
                if draw <= 0:
                    self.current = app
                    break
        self.active = self.current >= 0 and rnd.random() < s.activity


class NaiveMarket(mesa.Model):
    """Only the consumer phase, over people copied from a MarketModel after its first day."""

    def __init__(self, source: MarketModel) -> None:
        super().__init__(seed=0)
        o = source.app_offer
        self.offer = type(o)(**{k: getattr(o, k).tolist() for k in vars(o)})  # plain lists, as Python code would hold
        self.n_apps = len(self.offer.live)
        self.base_u = {c.name: c.base_utility(o).tolist() for c in source.cohorts}
        people = []
        for cohort in source.cohorts:
            for i in range(cohort.n):
                people.append(Person(self, cohort, int(cohort.current[i]), cohort.aware[i].tolist()))
        graph = source.graph
        for i, person in enumerate(people):
            person.friends = [people[j] for j in graph.indices[graph.indptr[i]:graph.indptr[i + 1]]]

    def step(self) -> None:
        self.agents.shuffle_do("step")


def time_cohorts(n: int, days: int) -> float:
    """Seconds per day of the cohorts' consumer phase, inside a running history model."""
    model = MarketModel("history", seed=0, overrides=[f"population.consumers={n}"], days=days + 30)
    for _ in range(30):  # warm up past the first month
        model.step()
    spent = 0.0
    original = ConsumerCohort.step

    def timed(self):
        nonlocal spent
        start = time.perf_counter()
        original(self)
        spent += time.perf_counter() - start

    ConsumerCohort.step = timed
    try:
        for _ in range(days):
            model.step()
    finally:
        ConsumerCohort.step = original
    return spent / days


def time_naive(n: int, days: int) -> float:
    source = MarketModel("history", seed=0, overrides=[f"population.consumers={n}"])
    source.step()
    naive = NaiveMarket(source)
    start = time.perf_counter()
    for _ in range(days):
        naive.step()
    return (time.perf_counter() - start) / days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    print("| people | one agent per person, ms/day | cohorts, ms/day | speed-up |")
    print("|---:|---:|---:|---:|")
    for n in (int(x) for x in args.sizes.split(",")):
        naive = time_naive(n, 3 if n >= 100_000 else 10)
        cohort = time_cohorts(n, 60)
        print(f"| {n:,} | {naive * 1e3:,.1f} | {cohort * 1e3:,.2f} | {naive / cohort:,.0f}x |")


if __name__ == "__main__":
    main()
