"""The engine's promises: reproducible, conserving, consistent books, sensible responses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.observation import Decision
from market import MarketModel, run
from market.model import FIRM_FIELDS, MARKET_FIELDS

MINI = Path(__file__).parent / "scenarios" / "mini.toml"
SMALL = ["population.consumers=3000"]
STOP_ADS = """
[[events]]
date = 2024-03-01
kind = "decision"
action = "ad_budget"
firm = "a"
value = 0.0
evidence = "F130"
"""


@pytest.fixture(scope="module")
def history() -> object:
    """The default scenario, small and shortened: one run shared by the invariant tests."""
    return run("history", seed=3, overrides=SMALL, days=200)


def check_invariants(result) -> None:
    firms, market = result.firms, result.market
    assert list(firms.columns) == list(FIRM_FIELDS)
    assert list(market.columns) == list(MARKET_FIELDS)
    numeric = firms.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy()).all(), "NaN or inf in firms"
    assert np.isfinite(market.select_dtypes("number").to_numpy()).all(), "NaN or inf in market"
    for col in ("app_share", "token_share", "outside_share"):
        frame = market if col == "outside_share" else firms
        assert frame[col].between(0.0, 1.0).all(), col
    by_day = firms.groupby("date")
    share_sum = by_day["app_share"].sum().to_numpy() + market["outside_share"].to_numpy()
    np.testing.assert_allclose(share_sum, 1.0, atol=1e-9)
    tokens = by_day["token_share"].sum().to_numpy() + market["self_hosted_tokens"].to_numpy() / np.maximum(
        market["total_tokens"].to_numpy(), 1e-300)
    np.testing.assert_allclose(tokens[market["total_tokens"].to_numpy() > 0], 1.0, atol=1e-9)
    assert (firms[["app_dau", "app_mau", "api_tokens", "hosted_tokens", "subscribers", "ad_spend",
                   "api_price", "runway_days"]] >= 0).all().all()


def check_cash_identity(result) -> None:
    firms = result.firms.sort_values(["firm", "date"])
    for firm_id, rows in firms.groupby("firm"):
        start = result.scenario.firms[firm_id].cash
        previous = np.concatenate([[start], rows["cash"].to_numpy()[:-1]])
        flow = (rows["revenue"] - rows["costs"] + rows["funding"]).to_numpy()
        np.testing.assert_allclose(rows["cash"].to_numpy() - previous, flow, rtol=1e-9,
                                   atol=1e-6 * max(1.0, abs(start)), err_msg=firm_id)


def test_history_outputs_hold_invariants(history):
    check_invariants(history)
    assert history.firms["firm"].nunique() == 12
    assert len(history.market) == 200


def test_cash_moves_by_exactly_the_ledger(history):
    check_cash_identity(history)


def test_mau_bounded_by_dau(history):
    firms = history.firms.sort_values("date")
    for _, rows in firms.groupby("firm"):
        dau = rows["app_dau"].to_numpy()
        mau = rows["app_mau"].to_numpy()
        for t in range(29, len(dau)):
            window = dau[t - 29: t + 1]
            assert window.max() <= mau[t] + 1e-6
            assert mau[t] <= window.sum() + 1e-6


def test_maas_margin_definition(history):
    f = history.firms
    paid = f["api_revenue"] > 1e-6
    expected = (f.loc[paid, "api_revenue"] - f.loc[paid, "api_serving_cost"]) / f.loc[paid, "api_revenue"]
    np.testing.assert_allclose(f.loc[paid, "maas_margin"], expected)
    assert (f.loc[~paid, "maas_margin"] == 0).all()


def test_same_seed_same_frames_other_seed_differs():
    a = run(MINI, seed=11, days=40)
    b = run(MINI, seed=11, days=40)
    pd.testing.assert_frame_equal(a.firms, b.firms)
    pd.testing.assert_frame_equal(a.market, b.market)
    pd.testing.assert_frame_equal(a.events, b.events)
    c = run(MINI, seed=12, days=40)
    assert not a.firms["app_dau"].equals(c.firms["app_dau"])


def test_people_are_conserved():
    model = MarketModel(MINI, seed=5)
    n = model.n_people
    sizes = [c.n for c in model.cohorts]
    for _ in range(60):
        model.step()
        current = model.people.current
        assert current.shape == (n,)
        assert current.min() >= -1 and current.max() < len(model.firm_list)
    assert [c.n for c in model.cohorts] == sizes == [c.hi - c.lo for c in model.cohorts]
    assert sum(sizes) == n
    using = np.bincount(model.people.current[model.people.current >= 0], minlength=3)
    assert using.sum() + np.count_nonzero(model.people.current < 0) == n


def window_mean(result, firm: str, column: str, start: int = 30) -> float:
    rows = result.firms[result.firms["firm"] == firm]
    return float(rows[column].iloc[start:].mean())


def test_price_cut_gains_token_share():
    base = run(MINI, seed=1, days=60)
    cut = run(MINI, seed=1, days=60, overrides=["firms.a.api_price=3"])
    assert window_mean(cut, "a", "token_share") > window_mean(base, "a", "token_share") + 0.05
    # and more tokens in total: demand is elastic
    assert cut.market["total_tokens"].iloc[-1] > base.market["total_tokens"].iloc[-1]


def test_higher_quality_gains_dau():
    base = run(MINI, seed=2, days=90)
    better = run(MINI, seed=2, days=90, overrides=["firms.a.quality=0.8"])
    assert window_mean(better, "a", "app_dau") > 1.2 * window_mean(base, "a", "app_dau")


def test_ad_budget_gains_dau_and_stopping_loses_it(tmp_path):
    quiet = ["cohorts.young.reconsider_rate=0.01", "cohorts.old.reconsider_rate=0.01", "firms.a.bass_q=0"]
    spend = quiet + ["firms.a.strategies.ad_funded.daily_budget=60000", "firms.a.cpi=5"]
    base = run(MINI, seed=4, days=120, overrides=quiet)
    ads = run(MINI, seed=4, days=120, overrides=spend)
    assert window_mean(ads, "a", "app_dau", 30) > 1.2 * window_mean(base, "a", "app_dau", 30)
    assert ads.firms.loc[ads.firms["firm"] == "a", "ad_spend"].sum() > 0
    # the firm stops buying on day 60 (a scripted decision): bought users drift away
    path = tmp_path / "stop.toml"
    path.write_text(MINI.read_text() + STOP_ADS)
    stopped = run(path, seed=4, days=120, overrides=spend)
    rows = stopped.firms[stopped.firms["firm"] == "a"].reset_index(drop=True)
    assert rows["ad_spend"].iloc[:60].gt(0).all() and rows["ad_spend"].iloc[60:].eq(0).all()
    kept = ads.firms[ads.firms["firm"] == "a"].reset_index(drop=True)
    assert rows["app_dau"].iloc[-10:].mean() < 0.85 * kept["app_dau"].iloc[-10:].mean()
    plain = base.firms.loc[base.firms["firm"] == "a", "app_dau"]
    bought = rows["app_dau"].iloc[55:60].mean() - plain.iloc[55:60].mean()
    lead_later = rows["app_dau"].iloc[-10:].mean() - plain.iloc[-10:].mean()
    assert lead_later < bought, "the users the budget bought are not all kept once it stops"


def test_open_sourcing_raises_hosted_tokens():
    closed = run(MINI, seed=6, days=60)
    opened = run(MINI, seed=6, days=60, overrides=["firms.a.open_weights=true"])
    assert closed.firms["hosted_tokens"].sum() == 0
    hosted_b = opened.firms.loc[opened.firms["firm"] == "b", "hosted_tokens"]
    assert hosted_b.iloc[-1] > 0


def test_exit_releases_users_and_is_final(tmp_path):
    text = MINI.read_text() + """
[[events]]
date = 2024-02-01
kind = "decision"
action = "exit"
firm = "c"
evidence = "F082"
"""
    path = tmp_path / "exit.toml"
    path.write_text(text)
    result = run(path, seed=7, days=90, overrides=["firms.c.open_weights=true"])
    c = result.firms[result.firms["firm"] == "c"].reset_index(drop=True)
    exit_day = 31
    assert (c["status"].iloc[exit_day:] == "exited").all()
    assert (c["app_dau"].iloc[exit_day + 1:] == 0).all()
    assert (c["api_tokens"].iloc[exit_day + 1:] == 0).all()
    others = result.firms[result.firms["firm"] != "c"].groupby("date")["app_dau"].sum().to_numpy()
    assert others[exit_day + 5] > others[exit_day - 1]
    # its open weights stay usable: b's cloud still serves c's model after c has gone
    hosted_b = result.firms.loc[result.firms["firm"] == "b", "hosted_tokens"].to_numpy()
    assert hosted_b[-1] > 0


@settings(deadline=None, max_examples=12)
@given(quality=st.floats(0.0, 1.5), price=st.floats(0.0, 200.0), budget=st.floats(0.0, 1e5),
       cash=st.floats(0.0, 1e8), capacity=st.floats(0.0, 1e10), open_weights=st.booleans(),
       seed=st.integers(0, 2**31))
def test_invariants_hold_for_random_valid_parameters(quality, price, budget, cash, capacity,
                                                     open_weights, seed):
    overrides = [f"firms.a.quality={quality}", f"firms.b.api_price={price}",
                 f"firms.a.strategies.ad_funded.daily_budget={budget}", f"firms.c.cash={cash}",
                 f"firms.b.capacity={capacity}", f"firms.c.open_weights={str(open_weights).lower()}",
                 "population.consumers=500",
                 "firms.c.strategies.pivot.exit_runway_days=30", "firms.c.strategies.price_cutting.mode='undercut'"]
    result = run(MINI, seed=seed, days=40, overrides=overrides)
    check_invariants(result)
    check_cash_identity(result)


def test_ecosystem_graph_shows_hosting_and_integration():
    from market.ecosystem import ecosystem_graph

    model = MarketModel("history", seed=0, overrides=["population.consumers=2000"])
    for _ in range(5):
        model.step()
    graph = ecosystem_graph(model)
    assert set(graph.nodes) == {f.firm_id for f in model.firm_list}
    # clouds host the open models (Alibaba's Qwen and DeepSeek are open from the start)
    assert graph.has_edge("huawei", "deepseek") and graph["huawei"]["deepseek"]["kind"] == "hosts"
    assert not graph.has_edge("huawei", "bytedance")  # ByteDance's model is closed
    model.firm("tencent").apply(Decision(integrate="deepseek"))
    assert ecosystem_graph(model)["tencent"]["deepseek"]["kind"] in ("hosts", "integrates")


def test_every_strategy_is_used_by_the_default_scenario():
    from agents.strategies import REGISTRY
    from market import load

    used = {name for firm in load("history").firms.values() for name in firm.strategies}
    assert used == set(REGISTRY)


def test_history_strategies_decide_and_integration_emerges():
    result = run("history", seed=1, overrides=["population.consumers=3000"])
    decided = set(result.events.loc[result.events["source"] == "strategy", "action"])
    assert {"price_cutting", "ad_funded", "integrate_open_model", "open_source", "search_ads"} <= decided
    final = result.final()
    # after R1 (2025-01-20) firms with an integration strategy carry DeepSeek's open model
    assert final.loc["stepfun", "integrated"] == "deepseek"
    # the price war: every active firm's list price ends far below the ~20 CNY/M it started at
    assert (final.loc[final["status"] != "exited", "api_price"] < 8).all()
