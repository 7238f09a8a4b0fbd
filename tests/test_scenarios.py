"""The shipped scenarios: the endogenous price war, and each counterfactual doing what it says."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from market import available, load, run
from market.errors import ScenarioError

SMALL = ["population.consumers=3000"]
MOVED_V2 = """[scenario]
extends = "{base}"
drop_events = ["DeepSeek-V2"]

[[events]]
date = {date}
kind = "shock"
action = "release"
firm = "deepseek"
quality = 0.60
cost_factor = 0.2
capacity_factor = 2.0
label = "DeepSeek-V2 (moved)"
evidence = "F160"
"""


@cache
def result(name: str, seed: int = 2):
    return run(name, seed=seed, overrides=SMALL)


def first_large_cut(result) -> dict[str, int]:
    """Day of each firm's first list price below half its starting price."""
    out = {}
    for firm, rows in result.firms.groupby("firm"):
        below = rows.index[rows["api_price"] < 0.5 * rows["api_price"].iloc[0]]
        if len(below):
            out[firm] = int((rows.loc[below[0], "date"] - rows["date"].iloc[0]).days)
    return out


def test_every_counterfactual_ships():
    names = {name for name, _ in available()}
    assert {"history", "history-endogenous", "deepseek-closed", "no-price-war", "doubao-stops-ads",
            "no-douyin-ban", "tencent-no-integration", "subscriptions-west"} <= names


def test_endogenous_history_scripts_no_decisions():
    scenario = load("history-endogenous")
    assert scenario.meta.endogenous
    assert scenario.events and all(e.kind == "shock" for e in scenario.events)
    assert any(e.kind == "decision" for e in load("history").events)


@pytest.mark.parametrize("seed", [0, 5])
def test_price_war_follows_the_deepseek_v2_shock(tmp_path, seed):
    """Moving V2's release 60 days later moves the other firms' first large cuts with it."""
    base = load("history-endogenous").source
    cuts = {}
    for date in ("2024-05-10", "2024-07-09"):
        path = tmp_path / f"v2-{date}.toml"
        path.write_text(MOVED_V2.format(base="history-endogenous", date=date))
        cuts[date] = first_large_cut(run(path, seed=seed, overrides=SMALL, days=320))
    assert base
    others = [f for f in cuts["2024-05-10"] if f != "deepseek"]
    assert len(others) >= 8, "most firms should join the price war"
    for firm in others:
        early, late = cuts["2024-05-10"][firm], cuts["2024-07-09"].get(firm)
        assert early >= 120, f"{firm} cut before DeepSeek-V2 existed"
        assert late is not None and abs((late - early) - 60) <= 15, (firm, early, late)


def test_deepseek_closed_is_hosted_by_nobody():
    closed, history = result("deepseek-closed"), result("history")
    assert not closed.firms.loc[closed.firms["firm"] == "deepseek", "open_weights"].any()
    assert closed.firms.loc[closed.firms["firm"] == "deepseek", "licensing_revenue"].sum() == 0
    assert (closed.firms["integrated"] != "deepseek").all()
    assert history.firms.loc[history.firms["firm"] == "deepseek", "licensing_revenue"].sum() > 0


def test_no_price_war_keeps_prices_at_or_above_cost():
    rows = result("no-price-war").firms
    live = rows[rows["status"] != "exited"]
    assert (live["api_price"] >= live["serving_cost"] * (1 - 1e-9) - 1e-12).all()
    hist = result("history").firms
    assert (hist["api_price"] < hist["serving_cost"]).any(), "in history some firms do sell below cost"


def test_doubao_stops_ads_loses_users():
    stop, history = result("doubao-stops-ads"), result("history")
    doubao = stop.firms[stop.firms["firm"] == "bytedance"].set_index("date")
    assert (doubao.loc["2025-01-01":, "ad_spend"] == 0).all()
    assert doubao.loc[:"2024-12-31", "ad_spend"].gt(0).all()
    base = history.firms[history.firms["firm"] == "bytedance"].set_index("date")
    assert doubao.loc["2025-06-01":, "app_dau"].mean() < base.loc["2025-06-01":, "app_dau"].mean()


def test_no_douyin_ban_helps_rivals_buy_users():
    free, history = result("no-douyin-ban"), result("history")

    def bought(res):  # rivals' ad-bought reach: Kimi's DAU while it buys traffic in 2024
        rows = res.firms[(res.firms["firm"] == "moonshot")].set_index("date")
        return rows.loc["2024-05-01":"2024-12-31", "app_dau"].mean()

    assert bought(free) > bought(history)


def test_tencent_without_integration_stays_small():
    alone, history = result("tencent-no-integration"), result("history")
    assert (alone.firms.loc[alone.firms["firm"] == "tencent", "integrated"] == "").all()

    def yuanbao(res):
        return res.firms[res.firms["firm"] == "tencent"].set_index("date").loc["2025-06-01":, "app_dau"].mean()

    assert yuanbao(alone) < 0.5 * yuanbao(history)


def test_western_willingness_to_pay_makes_subscriptions_pay():
    west, history = result("subscriptions-west"), result("history")
    assert west.firms["subscription_revenue"].sum() > 10 * history.firms["subscription_revenue"].sum()


def test_a_child_scenario_cannot_drop_an_unknown_event(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[scenario]\nextends = "history"\ndrop_events = ["DeepSeek-V9"]\n')
    with pytest.raises(ScenarioError, match="DeepSeek-V"):
        load(path)


def test_a_child_scenario_extends_by_path_and_overrides(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('[scenario]\nextends = "history"\nname = "child"\n[firms.deepseek]\nopen_weights = false\n')
    child = load(path)
    assert child.meta.name == "child" and not child.firms["deepseek"].open_weights
    assert len(child.firms) == 12 and len(child.events) == len(load("history").events)
    assert isinstance(child.meta.start, type(pd.Timestamp("2024-01-01").date()))


def test_counterfactual_report_overlays_its_base(tmp_path, capsys):
    from market.cli import main

    code = main(["run", "--scenario", "deepseek-closed", "--days", "30", "--set", "population.consumers=1000",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0
    page = (tmp_path / "report.html").read_text()
    assert "baseline" in page.lower() and "history" in page
    assert main(["run", "--days", "5", "--baseline", "nosuch", "--out", str(tmp_path / "x")]) == 2
    assert "unknown scenario" in capsys.readouterr().err
