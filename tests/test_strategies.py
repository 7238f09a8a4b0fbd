"""Tests for agents.strategies: every strategy reacts to what it observes, and only to that.

Observations are built by hand: `BOOKS` and `RIVAL` are sensible defaults and each test varies
fields with `dataclasses.replace`, so a test names exactly the input it is about.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import typing
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.observation import LEVERS, Books, Decision, Observation, Rival
from agents.strategies import (
    REGISTRY,
    AdFunded,
    IntegrateOpenModel,
    OpenSource,
    Pivot,
    PriceCutting,
    SearchAds,
    Strategy,
    Subscription,
)
from market.schema import build

BOOKS = Books(
    firm="own", status="active", cash=1.0e9, runway_days=1000.0, net_per_day=-1.0e5, backstop=False,
    quality=0.6, app_quality=0.6, serving_cost=2.0, api_price=10.0, open_weights=False,
    pretraining=True, has_app=True, app_live=True, cloud=False, integrated="", dau=1.0e6,
    dau_growth=0.0, app_share=0.1, token_share=0.1, maas_margin=0.0, ad_budget=0.0, sub_price=0.0,
    search_ad_load=0.0,
)
RIVAL = Rival(firm="r1", status="active", api_price=10.0, quality=0.6, open_weights=False,
              has_app=True, sub_price=0.0, app_share=0.1, token_share=0.1)


def own(**changes) -> Books:
    return replace(BOOKS, **changes)


def rival(firm: str = "r1", **changes) -> Rival:
    return replace(RIVAL, firm=firm, **changes)


def observe(books: Books | None = None, *rivals: Rival, day: int = 140,
            date: dt.date = dt.date(2024, 5, 20)) -> Observation:
    return Observation(day=day, date=date, own=books or BOOKS, rivals=tuple(rivals))


def levers(decision: Decision | None) -> dict | None:
    """The levers a decision sets (notes dropped: they are free text)."""
    if decision is None:
        return None
    return {name: getattr(decision, name) for name in LEVERS if getattr(decision, name) is not None}


# ---- registry and parameters ---------------------------------------------------------------

@pytest.mark.parametrize("module", ["agents.strategies", "agents.firm"])
def test_agent_modules_import_on_their_own(module):
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=Path(__file__).parents[1],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-400:]


def test_registry_holds_every_strategy_under_its_name():
    assert set(REGISTRY) == {"open_source", "price_cutting", "ad_funded", "subscription", "search_ads",
                             "integrate_open_model", "pivot"}
    for name, cls in REGISTRY.items():
        assert issubclass(cls, Strategy)
        assert cls.name == name


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_defaults_build_and_lie_inside_declared_bounds(name):
    cls = REGISTRY[name]
    strategy = build(cls, {}, name, "test")
    assert isinstance(strategy, cls)
    for f in dataclasses.fields(cls):
        lo, hi, choices = f.metadata["lo"], f.metadata["hi"], f.metadata["choices"]
        value = getattr(strategy, f.name)
        if lo is not None:
            assert lo <= value <= hi, f.name
        if choices:
            assert value in choices, f.name


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_no_parameter_is_a_date_a_path_or_a_named_firm(name):
    """Strategies are rules, not scripts: no dates, no price paths, no rival picked by name.

    A name containing 'rival' or 'firm' is allowed only for a number (Subscription.free_rivals is a
    count of rivals), never for a string that could hold a firm id."""
    hints = typing.get_type_hints(REGISTRY[name])
    for f in dataclasses.fields(REGISTRY[name]):
        kind = hints[f.name]
        assert kind in (int, float, str, bool), f"{name}.{f.name} has type {kind}"
        assert kind is not dt.date and "date" not in f.name.lower(), f"{name}.{f.name} looks like a date"
        if "rival" in f.name.lower() or "firm" in f.name.lower():
            assert kind in (int, float), f"{name}.{f.name} could name a firm"
        if kind is str:
            assert f.metadata["choices"], f"{name}.{f.name} is a free string (a firm id?)"
        assert not isinstance(f.default, (list, tuple, dict, dt.date)), f"{name}.{f.name} is a path"


def test_due_follows_the_review_cadence():
    strategy = Pivot(every=30)
    assert [d for d in range(0, 100) if strategy.due(d)] == [0, 30, 60, 90]


# ---- PriceCutting ----------------------------------------------------------------------------

# defaults: undercut 0.1, trigger 0.25, comparable 0.05, markup 2, floor 1 x cost,
# loss leader 0.3 x cost from 540 days of runway, max_cut 0.9
SHORT = 100.0  # days of runway: below every default threshold that asks for cash


def test_price_cutting_undercuts_a_much_cheaper_comparable_rival():
    books = own(api_price=10.0, serving_cost=2.0, runway_days=SHORT)
    d = PriceCutting().decide(observe(books, rival(api_price=5.0)))
    assert d is not None and d.api_price == pytest.approx(4.5)
    assert d.api_price < 5.0
    assert "cuts" in d.notes[0]


def test_price_cutting_never_undercuts_below_its_cost_floor():
    books = own(api_price=10.0, serving_cost=4.8, runway_days=SHORT)
    d = PriceCutting().decide(observe(books, rival(api_price=5.0)))
    assert d.api_price == pytest.approx(4.8)  # floor = 1 x serving cost, above 0.9 x 5


def test_price_cutting_holds_without_a_cheaper_rival():
    books = own(api_price=10.0, runway_days=SHORT)
    assert PriceCutting().decide(observe(books)) is None
    assert PriceCutting().decide(observe(books, rival(api_price=12.0))) is None
    assert PriceCutting().decide(observe(books, rival(api_price=10.0))) is None
    # cheaper, but by less than the trigger (10 % < 25 %)
    assert PriceCutting().decide(observe(books, rival(api_price=9.0))) is None


def test_price_cutting_ignores_cheap_rivals_of_lower_quality_or_gone():
    books = own(api_price=10.0, quality=0.6, runway_days=SHORT)
    assert PriceCutting().decide(observe(books, rival(api_price=5.0, quality=0.5))) is None
    assert PriceCutting().decide(observe(books, rival(api_price=5.0, status="exited"))) is None
    # a wider tolerance makes the weaker rival comparable
    d = PriceCutting(comparable=0.2).decide(observe(books, rival(api_price=5.0, quality=0.5)))
    assert d.api_price == pytest.approx(4.5)


def test_price_cutting_reacts_to_the_cheapest_comparable_rival():
    books = own(api_price=10.0, serving_cost=1.0, runway_days=SHORT)
    d = PriceCutting().decide(observe(books, rival("a", api_price=6.0), rival("b", api_price=4.0),
                                      rival("c", api_price=1.0, quality=0.3)))
    assert d.api_price == pytest.approx(3.6)


def test_follow_mode_matches_the_rival():
    books = own(api_price=10.0, runway_days=SHORT)
    d = PriceCutting(mode="follow").decide(observe(books, rival(api_price=5.0)))
    assert d.api_price == pytest.approx(5.0)


def test_cost_plus_follows_serving_cost_and_ignores_rivals():
    strategy = PriceCutting(mode="cost_plus", markup=2.5)
    cheap_rival = rival(api_price=0.5)
    assert strategy.decide(observe(own(serving_cost=2.0), cheap_rival)).api_price == pytest.approx(5.0)
    assert strategy.decide(observe(own(serving_cost=3.0), cheap_rival)).api_price == pytest.approx(7.5)
    assert strategy.decide(observe(own(serving_cost=3.0))).api_price == pytest.approx(7.5)
    raised = strategy.decide(observe(own(serving_cost=6.0)))
    assert raised.api_price == pytest.approx(15.0) and "raises" in raised.notes[0]
    assert strategy.decide(observe(own(serving_cost=4.0, api_price=10.0))) is None  # already there


def test_loss_leader_floor_only_with_long_runway_or_a_backstop():
    strategy = PriceCutting()
    cheap = rival(api_price=1.0)
    base = own(api_price=3.0, serving_cost=2.0)
    short = strategy.decide(observe(replace(base, runway_days=SHORT), cheap))
    long = strategy.decide(observe(replace(base, runway_days=1000.0), cheap))
    backed = strategy.decide(observe(replace(base, runway_days=SHORT, backstop=True), cheap))
    assert short.api_price == pytest.approx(2.0)  # 1 x cost
    assert long.api_price == pytest.approx(0.9)  # 0.9 x rival, above the 0.3 x cost loss-leader floor
    assert backed.api_price == pytest.approx(0.9)
    assert strategy.floor(observe(replace(base, runway_days=1000.0))) == pytest.approx(0.6)


def test_max_cut_limits_one_review():
    books = own(api_price=10.0, serving_cost=1.0, runway_days=SHORT)
    d = PriceCutting(max_cut=0.2).decide(observe(books, rival(api_price=2.0)))
    assert d.api_price == pytest.approx(8.0)
    d = PriceCutting(max_cut=0.5).decide(observe(books, rival(api_price=2.0)))
    assert d.api_price == pytest.approx(5.0)


def test_price_goes_back_up_to_the_floor_when_runway_shortens():
    strategy = PriceCutting()
    below_cost = own(api_price=1.0, serving_cost=2.0)
    assert strategy.decide(observe(replace(below_cost, runway_days=1000.0))) is None  # loss leader
    d = strategy.decide(observe(replace(below_cost, runway_days=SHORT)))
    assert d.api_price == pytest.approx(2.0) and "floor" in d.notes[0]
    # also when a cheaper rival is still there: never below the floor
    d = strategy.decide(observe(replace(below_cost, runway_days=SHORT), rival(api_price=0.1)))
    assert d.api_price == pytest.approx(2.0)


def test_price_cutting_does_nothing_for_an_exited_firm():
    books = own(status="exited", api_price=10.0)
    assert PriceCutting().decide(observe(books, rival(api_price=1.0))) is None
    assert PriceCutting(mode="cost_plus").decide(observe(books)) is None


@settings(deadline=None, max_examples=60)
@given(own_price=st.floats(0.01, 100.0), cost=st.floats(0.0, 50.0), runway=st.floats(0.0, 2000.0),
       backstop=st.booleans(), mode=st.sampled_from(("follow", "undercut", "cost_plus")),
       max_cut=st.floats(0.0, 1.0),
       rivals=st.lists(st.tuples(st.floats(0.0, 100.0), st.floats(0.0, 1.2), st.booleans()), max_size=4))
def test_price_cutting_never_breaks_floor_or_max_cut(own_price, cost, runway, backstop, mode, max_cut, rivals):
    strategy = PriceCutting(mode=mode, max_cut=max_cut)
    obs = observe(own(api_price=own_price, serving_cost=cost, runway_days=runway, backstop=backstop),
                  *[rival(f"r{i}", api_price=p, quality=q, status="exited" if gone else "active")
                    for i, (p, q, gone) in enumerate(rivals)])
    d = strategy.decide(obs)
    if d is None:
        return
    assert set(levers(d)) == {"api_price"}
    floor = strategy.floor(obs)
    assert d.api_price >= floor - 1e-9
    if d.api_price < own_price:  # a cut: bounded, and only for a reason
        assert d.api_price >= own_price * (1.0 - max_cut) - 1e-9
        cheaper = [r for r in obs.comparable(strategy.comparable) if r.api_price < own_price]
        assert mode == "cost_plus" or cheaper


# ---- AdFunded --------------------------------------------------------------------------------

def test_ad_funded_spends_while_runway_allows():
    strategy = AdFunded(daily_budget=1.0e6, min_runway_days=180.0)
    d = strategy.decide(observe(own(runway_days=1000.0, ad_budget=0.0), rival()))
    assert d.ad_budget == pytest.approx(1.0e6)
    stopped = strategy.decide(observe(own(runway_days=100.0, ad_budget=1.0e6), rival()))
    assert stopped.ad_budget == 0.0
    assert strategy.decide(observe(own(runway_days=100.0, ad_budget=0.0), rival())) is None
    backed = strategy.decide(observe(own(runway_days=100.0, backstop=True, ad_budget=0.0), rival()))
    assert backed.ad_budget == pytest.approx(1.0e6)
    assert strategy.decide(observe(own(runway_days=1000.0, ad_budget=1.0e6), rival())) is None


def test_ad_funded_scales_the_budget_when_leading():
    strategy = AdFunded(daily_budget=1.0e6, leader_factor=0.5, leader_margin=2.0)
    leading = strategy.decide(observe(own(app_share=0.5), rival(app_share=0.1)))
    assert leading.ad_budget == pytest.approx(5.0e5)
    close = strategy.decide(observe(own(app_share=0.15), rival(app_share=0.1)))
    assert close.ad_budget == pytest.approx(1.0e6)
    # the lead is over the *best* active rival; an exited one does not count
    assert strategy.decide(observe(own(app_share=0.5), rival("a", app_share=0.1),
                                   rival("b", app_share=0.3))).ad_budget == pytest.approx(1.0e6)
    assert strategy.decide(observe(own(app_share=0.5), rival("a", app_share=0.1),
                                   rival("b", app_share=0.3, status="exited"))).ad_budget == pytest.approx(5.0e5)
    # no app users at all is never a lead
    assert strategy.decide(observe(own(app_share=0.0))).ad_budget == pytest.approx(1.0e6)


def test_ad_funded_stops_without_a_live_app_or_when_exited():
    strategy = AdFunded()
    assert strategy.decide(observe(own(app_live=False, ad_budget=5.0))).ad_budget == 0.0
    assert strategy.decide(observe(own(app_live=False, ad_budget=0.0))) is None
    assert strategy.decide(observe(own(status="exited", ad_budget=0.0))) is None


# ---- OpenSource ------------------------------------------------------------------------------

BREAKOUT = dict(open_weights=True, quality=0.6, share_gain=0.05)  # an open rival gaining 5 points a month


def test_open_source_opens_after_an_open_rivals_breakout():
    strategy = OpenSource(share_gain=0.01, quality_gap=0.0)
    leader = rival(**BREAKOUT)
    assert levers(strategy.decide(observe(own(), leader))) == {"open_weights": True}
    assert strategy.decide(observe(own(), replace(leader, open_weights=False))) is None
    assert strategy.decide(observe(own(), replace(leader, status="exited"))) is None
    assert strategy.decide(observe(own())) is None
    # a gain below share_gain (or a falling share) is no breakout; a higher bar needs a bigger gain
    assert strategy.decide(observe(own(), replace(leader, share_gain=0.005))) is None
    assert strategy.decide(observe(own(), replace(leader, share_gain=-0.2))) is None
    assert OpenSource(share_gain=0.1).decide(observe(own(), leader)) is None
    # the breakout of any one open rival is enough
    assert strategy.decide(observe(own(), rival("a", **{**BREAKOUT, "share_gain": 0.0}),
                                   rival("b", **BREAKOUT))).open_weights is True


def test_open_source_quality_gap_is_how_far_below_own_quality_the_rival_may_be():
    """Counted when rival.quality >= own.quality - quality_gap: a much better rival (DeepSeek-R1)
    triggers, a weaker one only with a positive gap."""
    leader = rival(**BREAKOUT)
    assert OpenSource().decide(observe(own(quality=0.6), replace(leader, quality=1.2))) is not None
    assert OpenSource(quality_gap=0.0).decide(observe(own(quality=0.6), replace(leader, quality=0.5))) is None
    assert OpenSource(quality_gap=0.2).decide(observe(own(quality=0.6), replace(leader, quality=0.5))) is not None
    assert OpenSource(quality_gap=-0.2).decide(observe(own(quality=0.6), replace(leader, quality=0.7))) is None
    assert OpenSource(quality_gap=-0.2).decide(observe(own(quality=0.6), replace(leader, quality=0.9))) is not None


def test_open_source_ignores_own_share_and_rivals_levels():
    """A breakout is a public *gain*; own shares and the rival's share level do not enter."""
    leader = rival(**BREAKOUT)
    for books in (own(app_share=0.0, token_share=0.0), own(app_share=0.9, token_share=0.9)):
        assert OpenSource().decide(observe(books, leader)) is not None
    assert OpenSource().decide(observe(own(), replace(leader, app_share=0.9, token_share=0.9,
                                                      share_gain=0.0))) is None


def test_open_source_never_closes_and_ignores_exited_firms():
    leader = rival(**BREAKOUT)
    assert OpenSource().decide(observe(own(open_weights=True), leader)) is None
    assert OpenSource().decide(observe(own(open_weights=True))) is None
    assert OpenSource().decide(observe(own(status="exited"), leader)) is None


# ---- Subscription ----------------------------------------------------------------------------

def free_apps(n: int, **changes) -> list[Rival]:
    return [rival(f"free{i}", sub_price=0.0, quality=0.6, **changes) for i in range(n)]


def test_subscription_goes_free_once_enough_comparable_apps_are_free():
    strategy = Subscription(price=30.0, free_rivals=3)
    charging = own(sub_price=30.0, app_quality=0.6)
    assert strategy.decide(observe(charging, *free_apps(2))) is None
    d = strategy.decide(observe(charging, *free_apps(3)))
    assert levers(d) == {"sub_price": 0.0}
    assert strategy.decide(observe(own(sub_price=0.0), *free_apps(4))) is None  # already free
    assert Subscription(free_rivals=2).decide(observe(charging, *free_apps(2))).sub_price == 0.0
    # when rivals start charging again, so does it
    assert strategy.decide(observe(own(sub_price=0.0), *free_apps(2))).sub_price == pytest.approx(30.0)


@pytest.mark.parametrize("spoiler", [
    {"quality": 0.5},  # not comparable to own app
    {"has_app": False},
    {"sub_price": 20.0},  # not free
    {"status": "exited"},
])
def test_subscription_counts_only_free_comparable_active_apps(spoiler):
    strategy = Subscription(price=30.0, free_rivals=3)
    rivals = [*free_apps(2), rival("third", **{"sub_price": 0.0, **spoiler})]
    assert strategy.decide(observe(own(sub_price=30.0), *rivals)) is None


def test_subscription_comparable_is_relative_to_the_app_quality():
    strategy = Subscription(free_rivals=3, comparable=0.0)
    # the app carries a better (integrated) model: 0.6-quality free apps no longer compare
    assert strategy.decide(observe(own(sub_price=30.0, app_quality=0.8), *free_apps(3))) is None
    assert Subscription(free_rivals=3, comparable=-0.3).decide(
        observe(own(sub_price=30.0, app_quality=0.8), *free_apps(3))).sub_price == 0.0


def test_subscription_needs_an_app_and_an_active_firm():
    assert Subscription().decide(observe(own(has_app=False, sub_price=0.0))) is None
    assert Subscription().decide(observe(own(status="exited", sub_price=30.0), *free_apps(5))) is None


# ---- SearchAds -------------------------------------------------------------------------------

def test_search_ads_raise_load_while_losing_money_and_dau_holds():
    strategy = SearchAds(max_load=0.3, step=0.05, retreat_growth=-0.05)
    d = strategy.decide(observe(own(net_per_day=-1.0, dau_growth=0.0, search_ad_load=0.1)))
    assert d.search_ad_load == pytest.approx(0.15)
    assert strategy.decide(observe(own(net_per_day=1.0, dau_growth=0.0, search_ad_load=0.1))) is None
    capped = strategy.decide(observe(own(net_per_day=-1.0, search_ad_load=0.28)))
    assert capped.search_ad_load == pytest.approx(0.3)
    assert strategy.decide(observe(own(net_per_day=-1.0, search_ad_load=0.3))) is None


def test_search_ads_back_off_when_dau_falls():
    strategy = SearchAds(step=0.05, retreat_growth=-0.05)
    for net in (-1.0, 1.0):
        d = strategy.decide(observe(own(net_per_day=net, dau_growth=-0.1, search_ad_load=0.1)))
        assert d.search_ad_load == pytest.approx(0.05)
    assert strategy.decide(observe(own(dau_growth=-0.1, search_ad_load=0.0))) is None
    assert strategy.decide(observe(own(dau_growth=-0.1, search_ad_load=0.02))).search_ad_load == 0.0
    # a small dip above retreat_growth is not a retreat
    assert strategy.decide(observe(own(net_per_day=-1.0, dau_growth=-0.02,
                                       search_ad_load=0.1))).search_ad_load == pytest.approx(0.15)


def test_search_ads_need_a_live_app_and_an_active_firm():
    assert SearchAds().decide(observe(own(app_live=False, net_per_day=-1.0))) is None
    assert SearchAds().decide(observe(own(status="exited", dau_growth=-0.5, search_ad_load=0.2))) is None


# ---- IntegrateOpenModel ----------------------------------------------------------------------

def test_integrates_the_best_open_model_when_clearly_better():
    strategy = IntegrateOpenModel(quality_gap=0.05, reputation_cost=0.0)
    books = own(app_quality=0.6)
    d = strategy.decide(observe(books, rival("ds", open_weights=True, quality=0.7)))
    assert levers(d) == {"integrate": "ds"}
    assert strategy.decide(observe(books, rival("ds", open_weights=True, quality=0.62))) is None
    assert strategy.decide(observe(books, rival("ds", open_weights=False, quality=0.9))) is None
    best = strategy.decide(observe(books, rival("a", open_weights=True, quality=0.7),
                                   rival("b", open_weights=True, quality=0.8),
                                   rival("c", open_weights=False, quality=0.95)))
    assert best.integrate == "b"
    # an exited maker's weights stay usable
    gone = strategy.decide(observe(books, rival("ds", open_weights=True, quality=0.8, status="exited")))
    assert gone.integrate == "ds"


def test_reputation_cost_blocks_integration():
    books = own(app_quality=0.6)
    better = rival("ds", open_weights=True, quality=0.7)
    assert IntegrateOpenModel(reputation_cost=0.0).decide(observe(books, better)) is not None
    assert IntegrateOpenModel(reputation_cost=0.2).decide(observe(books, better)) is None
    assert IntegrateOpenModel(reputation_cost=0.2).decide(
        observe(books, replace(better, quality=0.9))).integrate == "ds"


def test_integrate_edge_cases():
    strategy = IntegrateOpenModel()
    better = rival("ds", open_weights=True, quality=0.9)
    assert strategy.decide(observe(own(integrated="ds", app_quality=0.9), better)) is None
    assert strategy.decide(observe(own(has_app=False), better)) is None
    assert strategy.decide(observe(own(status="exited"), better)) is None
    assert strategy.decide(observe(own())) is None
    # carrying one model, it switches when another open model beats the app by the margin
    newer = rival("qw", open_weights=True, quality=1.0)
    assert strategy.decide(observe(own(integrated="ds", app_quality=0.9), better, newer)).integrate == "qw"


# ---- Pivot -----------------------------------------------------------------------------------

STRUGGLING = dict(runway_days=200.0, cash=1.0e8, quality=0.6, pretraining=True, backstop=False)


def test_pivot_when_runway_short_and_open_models_caught_up():
    strategy = Pivot(pivot_runway_days=270.0, open_gap=0.05)
    caught_up = rival(open_weights=True, quality=0.6)
    assert levers(strategy.decide(observe(own(**STRUGGLING), caught_up))) == {"pivot": True}
    assert strategy.decide(observe(own(**{**STRUGGLING, "runway_days": 300.0}), caught_up)) is None
    assert strategy.decide(observe(own(**STRUGGLING), replace(caught_up, quality=0.5))) is None
    assert strategy.decide(observe(own(**STRUGGLING), replace(caught_up, open_weights=False))) is None
    assert strategy.decide(observe(own(**STRUGGLING))) is None
    # open_gap: how far behind the open model may be
    assert Pivot(open_gap=0.2).decide(observe(own(**STRUGGLING), replace(caught_up, quality=0.5))) is not None
    # already out of pretraining: nothing left to pivot
    assert strategy.decide(observe(own(**{**STRUGGLING, "pretraining": False}), caught_up)) is None


def test_exit_when_cash_is_gone():
    strategy = Pivot(exit_runway_days=30.0)
    broke = own(**{**STRUGGLING, "cash": 0.0, "runway_days": 0.0})
    assert levers(strategy.decide(observe(broke))) == {"exit": True}
    assert levers(strategy.decide(observe(replace(broke, status="pivoted", pretraining=False)))) == {"exit": True}
    assert strategy.decide(observe(replace(broke, cash=1.0))) is None
    assert strategy.decide(observe(replace(broke, runway_days=100.0))) is None


def test_pivot_never_for_backstop_or_exited_firms():
    strategy = Pivot()
    caught_up = rival(open_weights=True, quality=0.9)
    assert strategy.decide(observe(own(**{**STRUGGLING, "backstop": True}), caught_up)) is None
    assert strategy.decide(observe(own(**{**STRUGGLING, "backstop": True, "cash": -1.0,
                                          "runway_days": 0.0}))) is None
    assert strategy.decide(observe(own(**{**STRUGGLING, "status": "exited"}), caught_up)) is None


# ---- decisions depend on public facts, not on names, dates or order ------------------------

CASES = [
    ("undercut", PriceCutting(), observe(own(api_price=10.0, runway_days=SHORT),
                                          rival("a", api_price=5.0), rival("b", api_price=7.0, quality=0.9))),
    ("follow", PriceCutting(mode="follow"), observe(own(api_price=10.0), rival("a", api_price=5.0),
                                                     rival("b", api_price=3.0, quality=0.3))),
    ("ad_lead", AdFunded(leader_factor=0.5), observe(own(app_share=0.5), rival("a", app_share=0.1),
                                                     rival("b", app_share=0.2))),
    ("ad_close", AdFunded(leader_factor=0.5), observe(own(app_share=0.3), rival("a", app_share=0.1),
                                                      rival("b", app_share=0.2))),
    ("open", OpenSource(), observe(own(), rival("a", **BREAKOUT), rival("b", share_gain=0.4, quality=0.9))),
    ("stay_closed", OpenSource(), observe(own(), rival("a", **{**BREAKOUT, "open_weights": False}))),
    ("free", Subscription(), observe(own(sub_price=30.0), *free_apps(3), rival("paid", sub_price=9.0))),
    ("search", SearchAds(), observe(own(net_per_day=-1.0, search_ad_load=0.1), rival("a"))),
    ("integrate", IntegrateOpenModel(), observe(own(app_quality=0.6), rival("a", open_weights=True, quality=0.7),
                                                rival("b", open_weights=True, quality=0.8))),
    ("switch", IntegrateOpenModel(), observe(own(integrated="a", app_quality=0.8),
                                             rival("a", open_weights=True, quality=0.8),
                                             rival("b", open_weights=True, quality=0.95))),
    ("keep", IntegrateOpenModel(), observe(own(integrated="b", app_quality=0.95),
                                           rival("a", open_weights=True, quality=0.8),
                                           rival("b", open_weights=True, quality=0.95))),
    ("pivot", Pivot(), observe(own(**STRUGGLING), rival("a", open_weights=True, quality=0.6),
                               rival("b", quality=0.9))),
    ("exit", Pivot(), observe(own(**{**STRUGGLING, "cash": -1.0, "runway_days": 0.0}), rival("a"))),
]

RENAMES = {
    "shuffled": {"a": "zhipu", "b": "alibaba", "paid": "deepseek", "free0": "bytedance", "free1": "moonshot",
                 "free2": "own2"},
    "anonymous": {"a": "f1", "b": "f0", "paid": "f2", "free0": "f5", "free1": "f4", "free2": "f3"},
}


def rename(obs: Observation, mapping: dict[str, str]) -> Observation:
    rivals = tuple(replace(r, firm=mapping[r.firm]) for r in reversed(obs.rivals))
    books = replace(obs.own, integrated=mapping.get(obs.own.integrated, obs.own.integrated))
    return replace(obs, own=books, rivals=rivals, day=obs.day + 365, date=obs.date + dt.timedelta(days=365))


@pytest.mark.parametrize("how", sorted(RENAMES))
@pytest.mark.parametrize(("label", "strategy", "obs"), CASES, ids=[c[0] for c in CASES])
def test_decision_ignores_rival_names_order_and_date(label, strategy, obs, how):
    mapping = RENAMES[how]
    before = levers(strategy.decide(obs))
    after = levers(strategy.decide(rename(obs, mapping)))
    if before and "integrate" in before:
        before["integrate"] = mapping[before["integrate"]]
    assert after == before


def test_the_invariance_cases_are_not_all_idle():
    decided = {label for label, strategy, obs in CASES if strategy.decide(obs) is not None}
    assert decided == {"undercut", "follow", "ad_lead", "ad_close", "open", "free", "search", "integrate",
                       "switch", "pivot", "exit"}
