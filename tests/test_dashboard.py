"""Fast tests of the browser dashboard (dashboards/*), without a browser.

The page is rendered with `solara.render` (solara's own way of testing components: widgets are
created in Python, no server), buttons are clicked through their widgets, and chart data is read
from what each chart widget last sent. The real-browser test is test_dashboard_browser.py.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import mesa
import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard needs the 'viz' extra")

import ipyvuetify as v  # noqa: E402
import solara  # noqa: E402

from dashboards import baseline as baselines  # noqa: E402
from dashboards import figures, teaching  # noqa: E402
from dashboards.cli import address, server_command, server_env  # noqa: E402
from dashboards.controls import slider_value  # noqa: E402
from dashboards.live_model import DashboardModel, Session  # noqa: E402
from dashboards.network_view import draw_sample, figure_network  # noqa: E402
from dashboards.plotly_live import PlotlyChart, push  # noqa: E402
from dashboards.settings import (  # noqa: E402
    AD_BUDGET_MAX,
    CONSUMERS_RANGE,
    PRICE_MODES,
    SUB_PRICE_MAX,
    FirmLevers,
    Settings,
    firm_defaults,
    parse_extra,
    parse_seed,
)
from dashboards.views import firm_table_html  # noqa: E402
from market.cli import main  # noqa: E402
from market.errors import ScenarioError  # noqa: E402
from market.scenario import available, load  # noqa: E402

SMALL = 1_000  # consumers: enough for every mechanism, quick to build
MINI = Path(__file__).parent / "scenarios" / "mini.toml"


def model_with(**settings) -> DashboardModel:
    return DashboardModel(Session(Settings(**{"consumers": SMALL, **settings})))


def steps(model: DashboardModel, n: int) -> DashboardModel:
    for _ in range(n):
        model.step()
    return model


# ---- settings: levers become --set overrides, bad input is refused ----------------------------
def test_levers_become_set_overrides():
    s = Settings().with_levers("baidu", FirmLevers(open_weights=True, price_mode="cost_plus", ad_budget=2e6,
                                                   sub_price=0.0, integrate="when_better"))
    items = s.overrides()
    assert items[0] == "population.consumers=5000"
    assert "firms.baidu.open_weights=true" in items
    assert 'firms.baidu.strategies.price_cutting.mode="cost_plus"' in items
    assert "firms.baidu.strategies.ad_funded.daily_budget=2000000" in items
    # Baidu has a subscription strategy: the price goes there too, or the strategy undoes it
    assert "firms.baidu.sub_price=0" in items and "firms.baidu.strategies.subscription.price=0" in items
    assert "firms.baidu.strategies.integrate_open_model.quality_gap=0" in items
    assert s.check() is None
    assert s.with_levers("baidu", FirmLevers()).overrides() == ["population.consumers=5000"]


def test_bad_input_is_refused_with_a_message():
    assert "unknown firm 'nope'" in Settings(extra=("firms.nope.api_price=1",)).check()
    assert "between 0 and 10000" in Settings(extra=("firms.deepseek.api_price=-1",)).check()
    assert "population.consumers" in Settings(consumers=5).check()
    with pytest.raises(ScenarioError, match="whole number"):
        parse_seed("abc")
    with pytest.raises(ScenarioError, match="whole number"):
        parse_seed("-1")
    assert parse_seed(" 42 ") == 42
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        parse_extra("no equals sign")
    assert parse_extra("# comment\n\nfirms.stepfun.cash=0\n") == ("firms.stepfun.cash=0",)


def test_firm_defaults_read_the_scenario():
    d = firm_defaults("history")
    assert d["deepseek"].open_weights and d["deepseek"].price_mode == "cost_plus"
    assert d["bytedance"].ad_budget == pytest.approx(1.69e6)
    assert d["baidu"].sub_price == 30.0
    assert not d["huawei"].has_app


def test_a_slider_left_alone_is_not_a_change():
    # a slider snaps 1.69 to its 0.1 step and reports 1.7 even if nobody moved it
    assert slider_value(1.7, 1.69, 0.1, 1e6) is None
    assert slider_value(2.0, 1.69, 0.1, 1e6) == pytest.approx(2.0e6)
    assert slider_value(0.0, 30.0, 1.0) == 0.0


# ---- the model a tab drives ---------------------------------------------------------------------
def test_model_records_every_day_and_forgets_the_model_it_replaces():
    session = Session(Settings(consumers=SMALL))
    first = steps(DashboardModel(session), 3)
    t = first.trajectory
    assert t.n == 3 and list(t.days()) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert t.firm_series("app_dau").shape == (3, len(first.firm_list))
    assert np.allclose(t.firm_series("cash")[-1], [f.cash for f in first.firm_list])
    assert first in mesa.Agent._ids
    second = DashboardModel(session)  # what SolaraViz's Reset does
    assert first not in mesa.Agent._ids and second in mesa.Agent._ids
    assert session.model is second
    session.close()
    assert second not in mesa.Agent._ids


def test_settings_that_fail_anyway_give_a_message_not_a_crash():
    model = DashboardModel(Session(Settings(consumers=SMALL, extra=("firms.nope.api_price=1",))))
    assert model.problem and "unknown firm 'nope'" in model.problem
    steps(model, 2)
    assert model.trajectory.n == 2


def test_levers_at_both_ends_of_their_ranges_run():
    lo, hi, _ = CONSUMERS_RANGE
    low = FirmLevers(open_weights=False, price_mode=PRICE_MODES[0], ad_budget=0.0, sub_price=0.0, integrate="never")
    high = FirmLevers(open_weights=True, price_mode=PRICE_MODES[-1], ad_budget=AD_BUDGET_MAX,
                      sub_price=SUB_PRICE_MAX, integrate="when_better")
    for consumers, levers in ((lo, low), (hi, high)):
        settings = Settings(consumers=consumers, seed=2**32 - 1)
        for fid in firm_defaults("history"):
            settings = settings.with_levers(fid, levers)
        assert settings.check() is None
        model = steps(DashboardModel(Session(settings)), 3)
        assert model.problem is None and model.trajectory.n == 3
        for build in figures.MARKET_CHARTS + figures.MONEY_CHARTS:
            build(model)


def test_model_stops_at_the_last_day():
    model = model_with(scenario=str(MINI))  # 2024-01-01 to 2024-04-30
    assert model.problem is None and model.n_days == 121
    steps(model, 125)  # a Play loop may call step once more after the end
    assert model.trajectory.n == 121 and not model.running
    assert figures.figure_dau(model)["layout"]["xaxis"]["range"] == ["2023-12-31", "2024-05-01"]


# ---- charts -------------------------------------------------------------------------------------
def test_charts_hold_the_run_so_far():
    model = steps(model_with(), 4)
    dau = figures.figure_dau(model)
    apps = [f for f in model.firm_list if f.has_app]
    assert [t["name"] for t in dau["data"][:-1]] == [figures.label(model, f.firm_id, True) for f in apps]
    assert all(len(t["y"]) == 4 and t["x0"] == "2024-01-01" for t in dau["data"][:-1])
    assert dau["layout"]["xaxis"]["range"] == ["2023-12-31", "2026-01-01"]  # the whole scenario
    shares = figures.figure_app_share(model)
    assert all(t.get("stackgroup") == "apps" for t in shares["data"])
    # every scenario event in range has a dotted line and a numbered tag
    n_dates = len({e.date for e in model.scenario.events})
    assert len(dau["layout"]["annotations"]) == n_dates
    prices = figures.figure_prices(model)
    assert prices["layout"]["yaxis"]["type"] == "log"


def test_free_prices_are_drawn_on_a_marked_line():
    model = steps(model_with(scenario=str(MINI), extra=("firms.b.api_price=0",)), 2)  # no strategies
    fig = figures.figure_prices(model)
    free_firm = fig["data"][1]
    floor = figures.free_floor(model.trajectory.firm_series("api_price"))
    assert free_firm["y"][-1] == floor and free_firm["customdata"][-1] == "free (0 CNY/M)"
    free = fig["data"][-1]
    assert free["name"] == "free (0 CNY/M)" and len(free["x"]) >= 1 and set(free["y"]) == {floor}
    assert "free (0 CNY/M) is drawn on this line" in fig["layout"]["annotations"][-1]["text"]


def test_a_firm_that_exits_is_marked():
    model = steps(model_with(extra=("firms.stepfun.cash=0",)), 3)
    assert model.firm("stepfun").status == "exited"
    exits = figures.figure_dau(model)["data"][-1]
    assert exits["name"] == "firm exits" and exits["text"] == ["StepFun exits"]
    assert 'class="exited" data-firm="stepfun"' in firm_table_html(model)


def test_network_sample_is_coloured_by_app():
    model = steps(model_with(), 10)
    sample = draw_sample(model, 0)
    assert 0 < len(sample.people) <= model.scenario.network.sample_size
    assert np.isfinite(sample.edge_x[~np.isnan(sample.edge_x)]).all() and len(sample.edge_x) > 0
    fig = figure_network(model, sample)
    apps = [f for f in model.firm_list if f.has_app]
    assert len(fig["data"]) == 2 + len(apps)  # edges, no app, one per app
    assert sum(len(t["x"]) for t in fig["data"][1:]) == len(sample.people)


def test_baseline_comparison():
    base = baselines.baseline(SMALL, 0)
    assert baselines.baseline(SMALL, 0) is base  # cached
    assert len(base.x) == 731 and base.x[0] == "2024-01-01"
    model = steps(model_with(), 5)
    choices = baselines.metric_choices(model)
    for metric in (choices[0], choices[1], "Tencent: DAU (people)", "DeepSeek: cash (bn CNY)"):
        fig = baselines.figure_compare(model, base, metric)
        assert len(fig["data"][0]["y"]) == 731 and len(fig["data"][1]["y"]) == 5


@pytest.mark.parametrize("name", [name for name, _ in available()])
def test_every_shipped_scenario_runs_in_the_dashboard(name):
    model = steps(model_with(scenario=name), 3)
    assert model.problem is None and model.trajectory.n == 3
    for build in figures.MARKET_CHARTS + figures.MONEY_CHARTS:
        assert build(model)["data"]
    assert firm_defaults(name).keys() == model.scenario.firms.keys()
    shows, tries = teaching.notes_for(model.scenario)
    assert shows and tries
    suggested = teaching.compare_metric(model.scenario)
    assert suggested is None or suggested in baselines.metric_choices(model)


def test_teaching_notes():
    shows, tries = teaching.notes_for(load("history"))
    assert shows and tries and any("open weights" in t for t in tries)
    other = load("history", ["scenario.name=\"classroom\"", 'scenario.description="A made-up exercise."'])
    shows, tries = teaching.notes_for(other)
    assert shows == ["A made-up exercise."] and tries == teaching.GENERAL_TRIES
    assert "200,000 people" in teaching.caveat(load("history", ["population.consumers=5000"]))


# ---- the chart widget: whole figure once, then only new points ----------------------------------
def test_chart_widget_sends_only_new_points():
    sent: list[dict] = []
    widget = PlotlyChart()
    widget.send = lambda content, buffers=None: sent.append(content)
    model = steps(model_with(), 2)
    assert push(widget, figures.figure_dau(model), "r1") == "full"
    first = json.loads(widget.figure_json)
    assert first["layout"]["uirevision"] == "r1" and len(first["data"][0]["y"]) == 2
    steps(model, 1)
    assert push(widget, figures.figure_dau(model), "r1") == "extend"
    delta = json.loads(sent[-1]["extend"])
    assert {item["from"] for item in delta["items"]} == {2}
    assert all(len(item["values"]) == 1 for item in delta["items"])
    assert push(widget, figures.figure_dau(model), "r1") == "same"
    assert push(widget, figures.figure_dau(model), "r2") == "full"  # a Reset: new revision
    # the browser asks for everything again when its copy disagrees
    widget.figure_json = ""
    widget._on_browser_msg(widget, {"resync": True}, [])
    assert json.loads(widget.figure_json)["layout"]["uirevision"] == "r2"


# ---- the page -----------------------------------------------------------------------------------
@pytest.fixture
def page(monkeypatch):
    """The dashboard page (at 1,000 consumers) rendered without a browser; closed afterwards."""
    import dashboards.live_model
    from dashboards.app import Page

    monkeypatch.setattr(dashboards.live_model, "initial_settings", lambda: Settings(consumers=SMALL))
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        yield rc
    finally:
        rc.close()


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def html_of(rc, css_class: str) -> str:
    """The inner HTML of the one solara.HTML element with that CSS class."""
    found = [w for w in rc.find(solara.widgets.HTML).widgets if css_class in w.attributes.get("class", "").split()]
    assert len(found) == 1, f"{len(found)} elements with class {css_class}"
    return found[0].unsafe_innerHTML


def date_text(rc) -> str:
    return html_of(rc, "pricewar-date")


def charts(rc) -> list[PlotlyChart]:
    return rc.find(PlotlyChart).widgets


def test_page_has_its_parts():
    from dashboards.app import Page

    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        for label in ("Reset", "Step"):
            rc.find(v.Btn, children=[label]).assert_single()
        rc.find(v.Btn, children=["▶"]).assert_single()
        tabs = rc.find(v.Tab).widgets
        assert [t.children[0] for t in tabs] == ["Market", "Money", "Firms", "Network", "Teaching"]
        assert date_text(rc).startswith("Not started")
        assert len(charts(rc)) == len(figures.MARKET_CHARTS)
        rc.find(v.Select, label="scenario").assert_single()
        rc.find(v.Select, label="firm").assert_single()
        rc.find(v.Checkbox, label="open weights").assert_single()
        rc.find(v.Select, label="API price policy").assert_single()
        rc.find(v.Select, label="integrate a rival's open model").assert_single()
    finally:
        rc.close()


def test_stepping_updates_the_date_and_the_charts(page):
    for _ in range(3):
        click(page, "Step")
    assert date_text(page) == "2024-01-03 (day 3 of 731)"
    for widget in charts(page):
        assert len(widget.sent.arrays[0]["y"]) == 3
    click(page, "Reset")
    assert date_text(page).startswith("Not started")
    assert all(len(w.sent.arrays[0]["y"]) == 0 for w in charts(page))


def test_every_tab_renders_after_steps(page):
    for _ in range(2):
        click(page, "Step")
    tabs = page.find(v.Tabs).widgets[-1]
    expected = {0: len(figures.MARKET_CHARTS), 1: len(figures.MONEY_CHARTS), 2: 0, 3: 1}
    for index, n_charts in expected.items():
        tabs.v_model = index
        assert len(charts(page)) == n_charts, f"tab {index}"
    tabs.v_model = 2
    assert 'data-firm="deepseek"' in html_of(page, "pricewar-firms")
    tabs.v_model = 4  # teaching: notes, and the comparison once the baseline is computed
    deadline = time.time() + 60
    while time.time() < deadline and not charts(page):
        time.sleep(0.1)
    assert len(charts(page)) == 1


def test_a_lever_takes_effect_at_reset(page):
    page.find(v.Checkbox, label="open weights").widget.v_model = True  # ByteDance, the first firm
    page.find(v.Alert, children=["Changed since the last Reset: press Reset to apply."]).assert_single()
    click(page, "Reset")
    page.find(v.Alert, children=["Changed since the last Reset: press Reset to apply."]).assert_empty()
    click(page, "Step")
    tabs = page.find(v.Tabs).widgets[-1]
    tabs.v_model = 2  # Firms
    table = html_of(page, "pricewar-firms")
    row = table.split('data-firm="bytedance"')[1].split("</tr>")[0]
    assert "<td class=\"\">yes</td>" in row


def test_invalid_input_shows_a_message_and_changes_nothing(page):
    seed = page.find(v.TextField, label="seed (0 to 4294967295)").widget
    seed.v_model = "abc"
    seed.fire_event("focusout", None)
    assert "must be a whole number" in page.find(v.TextField, label="seed (0 to 4294967295)").widget.messages[0]
    extra = page.find(v.Textarea).widget
    extra.v_model = "firms.nope.api_price=1"
    extra.fire_event("focusout", None)
    refused = [w for w in page.find(v.Alert).widgets if "pricewar-refused" in (w.class_ or "")]
    assert len(refused) == 1 and "unknown firm 'nope'" in str(refused[0].children)
    click(page, "Reset")
    click(page, "Step")
    assert date_text(page).startswith("2024-01-01")


def test_reset_in_the_middle_of_play(page):
    click(page, "▶")
    deadline = time.time() + 20
    while time.time() < deadline and date_text(page).startswith("Not started"):
        time.sleep(0.05)
    click(page, "Reset")
    time.sleep(0.5)
    # Mesa 3.3's play loop may make one last step on the new model when Reset lands while it
    # sleeps between steps (it falls into its manual-step branch): day 1 at most, then it stops.
    settled = date_text(page)
    assert settled.startswith("Not started") or settled == "2024-01-01 (day 1 of 731)"
    page.find(v.Btn, children=["▶"]).assert_single()  # not playing any more
    time.sleep(0.5)
    assert date_text(page) == settled
    click(page, "Reset")
    assert date_text(page).startswith("Not started")
    click(page, "Step")
    assert date_text(page) == "2024-01-01 (day 1 of 731)"


def test_two_pages_have_their_own_models():
    from dashboards.app import Page

    _, rc1 = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    _, rc2 = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        for _ in range(2):
            click(rc1, "Step")
        assert date_text(rc1).startswith("2024-01-02")
        assert date_text(rc2).startswith("Not started")
    finally:
        rc1.close()
        rc2.close()


def test_step_and_render_is_fast_at_the_default_size(capsys):
    """The performance issue asks < 200 ms for one dashboard step and its chart updates."""
    from dashboards.app import Page

    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        step = rc.find(v.Btn, children=["Step"]).widget
        for _ in range(20):  # warm up
            step.click()
        times = []
        for _ in range(60):
            started = time.perf_counter()
            step.click()
            times.append(time.perf_counter() - started)
    finally:
        rc.close()
    mean, worst = statistics.mean(times), max(times)
    with capsys.disabled():
        print(f"\ndashboard step + chart render at 5,000 consumers: mean {1000 * mean:.0f} ms, "
              f"max {1000 * worst:.0f} ms")
    assert mean < 0.2


# ---- the command -----------------------------------------------------------------------------
def test_viz_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["viz", "--help"])
    out = capsys.readouterr().out
    assert "--scenario" in out and "--port" in out and "--host" in out
    assert main(["viz", "--scenario", "nope"]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
    assert main(["viz", "--port", "70000"]) == 2
    assert "--port must be from 0 to 65535" in capsys.readouterr().err
    command = server_command("127.0.0.1", 8799)
    assert command[1:4] == ["-m", "solara", "run"] and "dashboards.app" in command and "--production" in command
    env = server_env("history")
    assert env["PRICEWAR_VIZ_SCENARIO"] == "history" and env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert address("0.0.0.0", 8765) == "http://127.0.0.1:8765/"
    assert address("::1", 80) == "http://[::1]:80/"
