"""Tests for market.report: the summary table, the decisions of note and the self-contained HTML."""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np
import pandas as pd
import pytest

from market import load, run
from market.report import (
    FREE_FLOOR,
    SUMMARY_COLUMNS,
    figure_prices,
    figures,
    notable_decisions,
    render_report,
    summary_table,
    write_report,
)

SMALL = ["population.consumers=2000"]


@pytest.fixture(scope="module")
def result():
    # Long enough to reach the history scenario's first dated events (and at least 40 days).
    spec = load("history", SMALL)
    days = max(40, (spec.events[0].date - spec.meta.start).days + 10) if spec.events else 40
    return run(spec, seed=0, days=days)


@pytest.fixture(scope="module")
def page(result) -> str:
    return render_report(result)


def test_summary_table_columns_and_values(result):
    table = summary_table(result)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert list(table.index) == list(result.scenario.firms)
    final = result.final()
    np.testing.assert_allclose(table["dau"], final.loc[table.index, "app_dau"])
    np.testing.assert_allclose(table["mau"], final.loc[table.index, "app_mau"])
    np.testing.assert_allclose(table["cash_bn"], final.loc[table.index, "cash"] / 1e9)
    np.testing.assert_allclose(table["runway_days"], final.loc[table.index, "runway_days"])
    assert table.drop(columns=["maas_margin"]).notna().all().all()


def test_summary_margin_is_revenue_weighted_over_last_30_days(result):
    table = summary_table(result)
    firms = result.firms
    last = firms[firms["date"] > firms["date"].max() - pd.Timedelta(days=30)]
    for fid, rows in last.groupby("firm"):
        revenue, cost = rows["api_revenue"].sum(), rows["api_serving_cost"].sum()
        if revenue > 0:
            assert table.loc[fid, "maas_margin"] == pytest.approx((revenue - cost) / revenue)
        else:
            assert np.isnan(table.loc[fid, "maas_margin"])


def test_report_is_self_contained(page):
    assert "plotly" in page.lower()
    assert page.count('class="plotly-graph-div"') == 7
    assert re.findall(r"<script[^>]*\bsrc=", page) == []  # no external script at all
    assert "<link" not in page
    # plotly.js itself holds the CDN address only as the default URL of geo map data, unused here
    assert page.count("cdn.plot.ly") == page.count('dflt:"https://cdn.plot.ly/un/"')


def test_report_names_firms_apps_and_scenario(result, page):
    for fid, firm in result.scenario.firms.items():
        assert html.escape(firm.name or fid) in page
        if firm.app:
            assert html.escape(firm.app) in page
    assert html.escape(result.scenario.meta.description) in page
    assert f"seed <b>{result.seed}</b>" in page


def test_report_marks_scenario_events(result, page):
    events = result.events[result.events["source"] == "scenario"]
    assert len(events), "the run should reach a dated event"
    for label in events["label"]:
        assert html.escape(label) in page
    fig = figures(result)[0]
    dates = {pd.Timestamp(d).strftime("%Y-%m-%d") for d in events["date"]}
    assert {shape.x0 for shape in fig.layout.shapes} == dates


def test_axis_titles_carry_units(result):
    titles = [fig.layout.yaxis.title.text for fig in figures(result)]
    joined = " | ".join(titles)
    for unit in ("people", "CNY per M tokens", "bn CNY", "days", "%"):
        assert unit in joined


def test_free_prices_are_drawn_at_the_floor_and_labelled(result):
    firms = result.firms.copy()
    free = firms["firm"] == "deepseek"
    firms.loc[free, "api_price"] = 0.0
    fig = figure_prices(dataclasses.replace(result, firms=firms))
    assert fig.layout.yaxis.type == "log"
    trace = next(t for t in fig.data if t.name == (result.scenario.firms["deepseek"].name or "deepseek"))
    assert np.all(np.asarray(trace.y) == FREE_FLOOR)
    assert set(trace.customdata) == {"free (0 CNY/M)"}
    assert all(np.all(np.asarray(t.y) > 0) for t in fig.data)  # nothing a log axis would drop


def test_baseline_is_overlaid_dashed(result):
    baseline = run("history", seed=1, days=30, overrides=SMALL)
    figs = figures(result, baseline)
    dashed = [t for fig in figs for t in fig.data if t.line.dash == "dash"]
    assert dashed and all("baseline" in t.name for t in dashed)
    assert "baseline (dashed black lines)" in render_report(result, baseline)


def test_write_report_writes_and_replaces_atomically(result, tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    assert write_report(result, path) == path
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    path.write_text("good old report", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr("market.report.render_report", broken)
    with pytest.raises(RuntimeError):
        write_report(result, path)
    assert path.read_text(encoding="utf-8") == "good old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left behind


def test_notable_decisions_are_first_moves_in_date_order(result):
    moves = notable_decisions(result)
    assert list(moves.columns) == ["date", "firm", "action", "decision", "how"]
    assert moves["date"].is_monotonic_increasing
    assert not moves.duplicated(["firm", "action"]).any()
    for _, move in moves.iterrows():
        assert move["how"].startswith(("scenario", "strategy"))
        if move["action"] == "api_price":
            start = result.scenario.firms[move["firm"]].api_price
            day = result.firms[(result.firms["firm"] == move["firm"]) & (result.firms["date"] == move["date"])]
            assert day["api_price"].iloc[0] <= 0.5 * start
