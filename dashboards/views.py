"""The main area: the current date, then tabs of charts, the firm table, network and teaching notes.

`Dashboard` reads mesa's `update_counter`, which SolaraViz bumps after each Step (or each render
interval while playing), and hands the day to its children, so they redraw as the model moves.
Tabs are lazy: only the open tab's views are rebuilt on a step.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from dashboards import baseline as baselines
from dashboards import teaching
from dashboards.figures import EXITED, MARKET_CHARTS, MONEY_CHARTS, label
from dashboards.live_model import DashboardModel
from dashboards.markup import Markdown
from dashboards.network_view import draw_sample, figure_network, users_in_sample
from dashboards.plotly_live import LivePlotly
from market.accounting import RUNWAY_CAP_DAYS
from market.report import format_price

TABLE_CSS = """
.pricewar-table { border-collapse: collapse; font-size: 12px; width: 100%; }
.pricewar-table th, .pricewar-table td { border-bottom: 1px solid #e5e5e5; padding: 2px 6px; text-align: right; }
.pricewar-table th { background: #f5f5f5; font-weight: 600; }
.pricewar-table td.l, .pricewar-table th.l { text-align: left; }
.pricewar-table tr.exited td { color: #999; text-decoration: line-through; }
.pricewar-table tr.pivoted td.status { color: #b26b00; }
.pricewar-md strong { font-weight: 600; }
/* SolaraViz's "Model Parameters" card stays empty (the levers have their own card): hide it */
.v-navigation-drawer .v-card:has(> .v-card__text > .v-sheet:only-child:empty) { display: none; }
"""


@solara.component
def Dashboard(model: DashboardModel) -> None:
    """Header with the date, then the tabs.

    This is the one view that subscribes to mesa's step counter: its children get the day as a
    prop, so one step is one render pass. (Each subscriber is a pass of its own over the tree:
    six subscribers cost ~100 ms a step, one costs ~20 ms.)
    """
    update_counter.get()
    day = model.trajectory.n
    solara.Style(TABLE_CSS)
    with solara.Column(style={"padding": "8px 16px", "width": "100%"}):
        Header(model, day)
        with solara.lab.Tabs(lazy=True):
            with solara.lab.Tab("Market"):
                ChartGrid(model, MARKET_CHARTS, day)
            with solara.lab.Tab("Money"):
                ChartGrid(model, MONEY_CHARTS, day)
            with solara.lab.Tab("Firms"):
                FirmTable(model, day)
            with solara.lab.Tab("Network"):
                NetworkView(model, day)
            with solara.lab.Tab("Teaching"):
                TeachingView(model, day)


# ---- header -------------------------------------------------------------------------------------
def date_line(model: DashboardModel) -> str:
    n = model.trajectory.n
    if n == 0:
        return f"Not started: day 1 is {model.calendar.start}. Press Step or Play."
    done = " (the end of the scenario)" if not model.running else ""
    return f"{model.date} (day {n} of {model.n_days}){done}"


def exits(model: DashboardModel) -> list[str]:
    """'Firm left the market on DATE' for every firm that has exited so far."""
    t = model.trajectory
    out = []
    for j, fid in enumerate(t.firm_ids):
        gone = np.flatnonzero(t.status[: t.n, j] == EXITED)
        if gone.size:
            date = model.calendar.date(int(gone[0]))
            out.append(f"{label(model, fid, True)} left the market on {date}")
    return out


@solara.component
def Header(model: DashboardModel, day: int) -> None:
    scenario = model.scenario
    pop = scenario.population
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(date_line(model)), classes=["pricewar-date"],
                style="font-size: 22px; font-weight: 600; margin: 4px 0 0 0")
    levers = max(len(model.overrides) - 1, 0)  # the first override is the population size
    with solara.Row(style={"gap": "12px", "align-items": "baseline"}):
        solara.Text(f"scenario {scenario.meta.name}, seed {model.seed}, {pop.consumers:,} simulated consumers "
                    f"standing for {pop.real_population:,.0f} people;", style={"color": "#555", "font-size": "13px"})
        solara.Text(f"{levers or 'no'} lever override{'' if levers == 1 else 's'}", classes=["pricewar-levers-count"],
                    style={"color": "#555", "font-size": "13px"})
    if model.problem:
        solara.Error(model.problem)
    for text in exits(model):
        solara.Warning(text, dense=True, classes=["pricewar-exit"])


@solara.component
def FirmTable(model: DashboardModel, day: int) -> None:
    Markdown("Each firm on the day shown above. Shares: of all people (apps) and of all tokens served (API); "
             "margin: API revenue less serving cost over revenue, last 30 days; runway: days of cash at the "
             "last 30 days' burn.", style="font-size: 12px; color: #666")
    solara.HTML(tag="div", unsafe_innerHTML=firm_table_html(model), classes=["pricewar-firms"])


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def _runway(days: float) -> str:
    return f">={RUNWAY_CAP_DAYS:.0f}" if days >= RUNWAY_CAP_DAYS else f"{days:.0f}"


TABLE_HEADS = ("firm", "status", "DAU (M)", "app share", "token share", "API price (CNY/M)", "margin 30 d",
               "cash (bn CNY)", "runway (d)", "open weights", "app carries")


def firm_cells(model: DashboardModel, firm: Any, margin: float | None) -> list[str]:
    """One firm's table cells for today (or its starting values before the first step)."""
    row = firm.row
    app = firm.has_app
    if not row:
        return [label(model, firm.firm_id, True), firm.status, "-", "-", "-", format_price(firm.api_price), "-",
                f"{firm.cash / 1e9:.2f}", "-", "yes" if firm.open_weights else "no", "own model" if app else "-"]
    carries = model.firm(row["integrated"]).name if row["integrated"] else "own model"
    return [label(model, firm.firm_id, True), row["status"], f"{row['app_dau'] / 1e6:.2f}" if app else "-",
            _pct(row["app_share"]) if app else "-", _pct(row["token_share"]), format_price(row["api_price"]),
            "n/a" if margin is None else _pct(margin), f"{row['cash'] / 1e9:.2f}", _runway(row["runway_days"]),
            "yes" if row["open_weights"] else "no", carries if app else "-"]


def firm_table_html(model: DashboardModel) -> str:
    """Today's row per firm (DAU, shares, price, 30-day margin, cash, runway, status, levers)."""
    margins = model.trajectory.rolling_margin()[-1] if model.trajectory.n else None
    rows = []
    for j, firm in enumerate(model.firm_list):
        cells = firm_cells(model, firm, None if margins is None else float(margins[j]))
        tds = "".join(f'<td class="{("l", "status")[k] if k < 2 else ""}">{html.escape(str(c))}</td>'
                      for k, c in enumerate(cells))
        rows.append(f'<tr class="{html.escape(cells[1])}" data-firm="{firm.firm_id}">{tds}</tr>')
    th = "".join(f'<th class="{"l" if k == 0 else ""}">{h}</th>' for k, h in enumerate(TABLE_HEADS))
    return f'<table class="pricewar-table"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# ---- charts -------------------------------------------------------------------------------------
@solara.component
def Chart(model: DashboardModel, build: Callable[[DashboardModel], dict[str, Any]], day: int) -> None:
    LivePlotly(build(model), revision=model.revision)


@solara.component
def ChartGrid(model: DashboardModel, builders: tuple, day: int) -> None:
    Markdown("Dotted lines are the scenario's dated events: hover a number above a chart. Hover a "
                    "line for values, drag to zoom (double-click to reset), click a legend entry to hide it.",
                    style="font-size: 12px; color: #666")
    with solara.ColumnsResponsive(12, large=6, gutters_dense=True):
        for build in builders:
            Chart(model, build, day)


# ---- network ------------------------------------------------------------------------------------
@solara.component
def NetworkView(model: DashboardModel, day: int) -> None:
    draw, set_draw = solara.use_state(0)
    sample = solara.use_memo(lambda: draw_sample(model, draw), [model, draw])
    users = users_in_sample(model, sample)
    share = float(np.mean(np.asarray(model.people.current) >= 0)) if model.n_people else 0.0
    with solara.Row(style={"align-items": "center"}):
        solara.Text(f"{users} of {len(sample.people)} sampled people use an AI app today "
                    f"({100 * share:.1f}% of the whole population). Same-coloured clusters are word of mouth: "
                    "people hear of an app from neighbours who use it.", style="font-size: 13px")
        solara.Button("new sample", on_click=lambda: set_draw(draw + 1), text=True, outlined=True)
    LivePlotly(figure_network(model, sample), revision=f"{model.revision}-{draw}")


# ---- teaching -----------------------------------------------------------------------------------
@solara.component
def TeachingView(model: DashboardModel, day: int) -> None:
    shows, tries = teaching.notes_for(model.scenario)
    with solara.ColumnsResponsive(12, large=6):
        with solara.Column():
            Markdown("### What this scenario shows\n\n" + "\n".join(f"- {s}" for s in shows))
        with solara.Column():
            Markdown("### What to try next\n\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(tries, 1)))
            Markdown(f"*{teaching.caveat(model.scenario)}*", style="font-size: 12px; color: #666")
    Comparison(model, day)


@solara.component
def Comparison(model: DashboardModel, day: int) -> None:
    """This run against the cached history baseline at the same population and seed."""
    consumers, seed = model.scenario.population.consumers, model.seed
    choices = baselines.metric_choices(model)
    suggested = teaching.compare_metric(model.scenario)
    first = suggested if suggested in choices else choices[0]
    metric, set_metric = solara.use_state(first)
    if metric not in choices:
        metric = first
    task = solara.lab.use_task(lambda: baselines.baseline(consumers, seed), dependencies=[consumers, seed])
    Markdown("### This run against the history baseline\n\nThe baseline is the `history` scenario with no "
                    f"levers, seed {seed} and {consumers:,} consumers (computed once, then cached). Change levers, "
                    "press Reset and Play: the solid line is this run so far, the dashed one the baseline.")
    if model.scenario.meta.name == baselines.BASELINE_SCENARIO and len(model.overrides) <= 1:
        solara.Info("This run is the baseline itself (no levers changed): the two lines coincide.", dense=True)
    solara.Select("compare", values=choices, value=metric, on_value=set_metric)
    base = task.value if task.finished and task.value is not None else baselines.cached(consumers, seed)
    if base is None:
        if task.error:
            solara.Error(f"the baseline run failed: {task.exception}")
        else:
            solara.Text("computing the baseline run...")
            solara.ProgressLinear(True)
        return
    LivePlotly(baselines.figure_compare(model, base, metric), revision=f"{model.revision}-{metric}")
