"""One self-contained HTML report of a run (plotly, inlined: it opens offline), and the summary table.

    >>> from market import run
    >>> from market.report import summary_table, write_report
    >>> result = run("history", days=60)
    >>> summary_table(result)                     # per firm, at the final day
    >>> write_report(result, Path("report.html"))

plotly is imported only when a report is rendered, so `summary_table` stays cheap.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from market.accounting import RUNWAY_CAP_DAYS

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from market.runner import RunResult

MARGIN_WINDOW_DAYS = 30
FREE_FLOOR = 0.01  # CNY per M tokens: where a free (0) price is drawn on the log axis
SUMMARY_COLUMNS = ("dau", "mau", "app_share", "token_share", "api_price", "maas_margin", "cash_bn",
                   "runway_days", "status")
# Column headings with units, for printing and for the HTML table.
SUMMARY_HEADINGS = {
    "name": "firm", "app": "app", "dau": "DAU (M people)", "mau": "MAU (M people)",
    "app_share": "app share", "token_share": "token share", "api_price": "API price (CNY/M tok)",
    "maas_margin": f"MaaS margin ({MARGIN_WINDOW_DAYS} d)", "cash_bn": "cash (bn CNY)",
    "runway_days": "runway (days)", "status": "status",
}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#843c39", "#7b4173", "#3182bd")


# ---- the table ----------------------------------------------------------------------------------
def margin_over(api_revenue: pd.Series, api_serving_cost: pd.Series) -> float:
    """(revenue - serving cost) / revenue over a window; NaN when there was no API revenue."""
    revenue = float(api_revenue.sum())
    if revenue <= 0.0:
        return float("nan")
    return (revenue - float(api_serving_cost.sum())) / revenue


def summary_table(result: RunResult) -> pd.DataFrame:
    """Per firm (index, scenario order) at the final day.

    dau, mau (people), app_share, token_share (fractions), api_price (CNY per M tokens, list),
    maas_margin (fraction over the last 30 days: their summed API revenue less serving cost over
    that revenue, i.e. the revenue-weighted mean of the daily margins; NaN without API revenue),
    cash_bn (bn CNY), runway_days (days, capped at 3650 = not burning cash), status.
    """
    final = result.final()
    firms = result.firms
    last = firms["date"].max()
    window = firms[firms["date"] > last - pd.Timedelta(days=MARGIN_WINDOW_DAYS)]
    margin = {fid: margin_over(rows["api_revenue"], rows["api_serving_cost"])
              for fid, rows in window.groupby("firm", sort=False)}
    order = [fid for fid in result.scenario.firms if fid in final.index]
    final = final.loc[order]
    table = pd.DataFrame({
        "dau": final["app_dau"].astype(float),
        "mau": final["app_mau"].astype(float),
        "app_share": final["app_share"].astype(float),
        "token_share": final["token_share"].astype(float),
        "api_price": final["api_price"].astype(float),
        "maas_margin": pd.Series(margin, dtype=float).reindex(order),
        "cash_bn": final["cash"].astype(float) / 1e9,
        "runway_days": final["runway_days"].astype(float),
        "status": final["status"].astype(str),
    }, index=pd.Index(order, name="firm"))
    return table[list(SUMMARY_COLUMNS)]


def format_price(price: float) -> str:
    if price != price:
        return "n/a"
    return "free" if price <= 0.0 else f"{price:.3g}"


def format_summary(table: pd.DataFrame, result: RunResult | None = None) -> pd.DataFrame:
    """The summary table as text, with the units in the column headings (see SUMMARY_HEADINGS)."""

    def pct(x: float) -> str:
        return "n/a" if x != x else f"{100 * x:.1f}%"

    def runway(x: float) -> str:
        return f">={RUNWAY_CAP_DAYS:.0f}" if x >= RUNWAY_CAP_DAYS else f"{x:.0f}"

    out = pd.DataFrame(index=table.index)
    if result is not None:
        firms = result.scenario.firms
        out["name"] = [firms[f].name or f if f in firms else f for f in table.index]
        out["app"] = [(firms[f].app or "-") if f in firms else "-" for f in table.index]
    out["dau"] = [f"{x / 1e6:.2f}" for x in table["dau"]]
    out["mau"] = [f"{x / 1e6:.2f}" for x in table["mau"]]
    out["app_share"] = [pct(x) for x in table["app_share"]]
    out["token_share"] = [pct(x) for x in table["token_share"]]
    out["api_price"] = [format_price(x) for x in table["api_price"]]
    out["maas_margin"] = [pct(x) for x in table["maas_margin"]]
    out["cash_bn"] = [f"{x:.2f}" for x in table["cash_bn"]]
    out["runway_days"] = [runway(x) for x in table["runway_days"]]
    out["status"] = table["status"]
    return out.rename(columns=SUMMARY_HEADINGS)


# ---- events on the time axes --------------------------------------------------------------------
def scenario_event_groups(result: RunResult) -> list[dict[str, Any]]:
    """The scenario's dated events that happened in the run, one entry per date (numbered)."""
    events = result.events
    events = events[events["source"] == "scenario"].sort_values("date", kind="stable")
    groups = []
    for date, rows in events.groupby("date", sort=True):
        labels = [str(x) for x in rows["label"]]
        evidence = sorted({e.strip() for x in rows["evidence"] for e in str(x).split(",") if e.strip()})
        groups.append({"n": len(groups) + 1, "date": pd.Timestamp(date), "labels": labels,
                       "firms": [str(x) for x in rows["firm"] if str(x)], "evidence": evidence})
    # Stagger the number tags of events that are close in time so they do not overlap.
    level, previous = 0, None
    for group in groups:
        close = previous is not None and (group["date"] - previous).days < 21
        level = (level + 1) % 3 if close else 0
        group["level"] = level
        previous = group["date"]
    return groups


def mark_events(fig: go.Figure, groups: list[dict[str, Any]]) -> None:
    """Dotted vertical lines at the events, with a numbered tag above the plot; hover shows the label."""
    for group in groups:
        x = group["date"].strftime("%Y-%m-%d")
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref="x", yref="paper", layer="below",
                      line={"color": "rgba(90,90,90,0.45)", "width": 1, "dash": "dot"})
        hover = f"{x}: " + " / ".join(group["labels"])
        if group["evidence"]:
            hover += f" ({', '.join(group['evidence'])})"
        fig.add_annotation(x=x, y=1, xref="x", yref="paper", yanchor="bottom", showarrow=False,
                           yshift=2 + 13 * group["level"], text=str(group["n"]),
                           hovertext=html.escape(hover), font={"size": 9, "color": "#444"},
                           bgcolor="rgba(255,255,255,0.9)", bordercolor="#999", borderwidth=1,
                           borderpad=1)


# ---- figures ------------------------------------------------------------------------------------
def _colors(result: RunResult) -> dict[str, str]:
    return {fid: PALETTE[i % len(PALETTE)] for i, fid in enumerate(result.scenario.firms)}


def _firm_label(result: RunResult, fid: str, with_app: bool = False) -> str:
    spec = result.scenario.firms.get(fid)
    name = (spec.name if spec else "") or fid
    if with_app and spec is not None and spec.app:
        return f"{spec.app} ({name})"
    return name


def _per_firm(result: RunResult) -> list[tuple[str, pd.DataFrame]]:
    firms = result.firms.sort_values("date", kind="stable")
    groups = dict(tuple(firms.groupby("firm", sort=False)))
    return [(fid, groups[fid]) for fid in result.scenario.firms if fid in groups]


def _layout(fig: go.Figure, title: str, ytitle: str, **yaxis: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "y": 0.98, "yanchor": "top",
               "font": {"size": 15}},
        margin={"t": 95, "l": 70, "r": 20, "b": 45}, hovermode="closest", template="plotly_white",
        legend={"font": {"size": 11}}, height=460,
    )
    fig.update_xaxes(title_text="date", type="date")
    fig.update_yaxes(title_text=ytitle, **yaxis)
    return fig


def _baseline_total(fig: go.Figure, result: RunResult, baseline: RunResult | None, x_of, y_of,
                    what: str) -> None:
    """This run's total (solid) and the baseline's (dashed), both in black."""
    if baseline is None:
        return
    for run_, dash, who in ((result, "solid", "this run"),
                            (baseline, "dash", f"baseline: {baseline.scenario.meta.name}, seed {baseline.seed}")):
        frame = x_of(run_)
        fig.add_scatter(x=frame.index, y=y_of(frame), name=f"{what} ({who})", mode="lines",
                        line={"color": "black", "width": 2, "dash": dash})


def figure_dau(result: RunResult, baseline: RunResult | None = None) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    for fid, rows in _per_firm(result):
        spec = result.scenario.firms[fid]
        if not spec.app:
            continue
        fig.add_scatter(x=rows["date"], y=rows["app_dau"], name=_firm_label(result, fid, True),
                        mode="lines", line={"color": colors[fid], "width": 1.6},
                        hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} people<extra>%{fullData.name}</extra>")
    _baseline_total(fig, result, baseline, lambda r: r.market.set_index("date")["total_dau"],
                    lambda s: s.values, "total DAU")
    return _layout(fig, "Daily active users by app", "DAU (people)", rangemode="tozero")


def figure_app_share(result: RunResult) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    for fid, rows in _per_firm(result):
        if not result.scenario.firms[fid].app:
            continue
        fig.add_scatter(x=rows["date"], y=rows["app_share"], name=_firm_label(result, fid, True),
                        mode="lines", stackgroup="apps", line={"color": colors[fid], "width": 0.5},
                        hovertemplate="%{x|%Y-%m-%d}: %{y:.2%}<extra>%{fullData.name}</extra>")
    market = result.market.sort_values("date")
    fig.add_scatter(x=market["date"], y=market["outside_share"], stackgroup="apps", mode="lines",
                    name="outside option (no AI app today)", visible="legendonly",
                    line={"color": "#cccccc", "width": 0.5}, fillcolor="rgba(200,200,200,0.5)",
                    hovertemplate="%{x|%Y-%m-%d}: %{y:.1%}<extra>outside option</extra>")
    return _layout(fig, "App share of people (DAU / population); the outside option is hidden: "
                        "click it in the legend", "share of people (%)", tickformat=".1%",
                   rangemode="tozero")


def figure_token_share(result: RunResult) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    for fid, rows in _per_firm(result):
        fig.add_scatter(x=rows["date"], y=rows["token_share"], name=_firm_label(result, fid),
                        mode="lines", stackgroup="tokens", line={"color": colors[fid], "width": 0.5},
                        hovertemplate="%{x|%Y-%m-%d}: %{y:.2%}<extra>%{fullData.name}</extra>")
    market = result.market.sort_values("date")
    total = market["total_tokens"].astype(float)
    self_hosted = np.divide(market["self_hosted_tokens"].astype(float), total,
                            out=np.zeros(len(market)), where=total.to_numpy() > 0)
    fig.add_scatter(x=market["date"], y=self_hosted, stackgroup="tokens", mode="lines",
                    name="self-hosted open models", line={"color": "#bbbbbb", "width": 0.5},
                    hovertemplate="%{x|%Y-%m-%d}: %{y:.2%}<extra>self-hosted</extra>")
    return _layout(fig, "Token share (API tokens served, by provider; self-hosted on top)",
                   "share of tokens (%)", tickformat=".0%", range=[0, 1])


def figure_prices(result: RunResult, baseline: RunResult | None = None) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    positive = [p for r in (result, baseline) if r is not None
                for p in r.firms["api_price"].astype(float) if p > 0]
    floor = min(FREE_FLOOR, min(positive) / 3.0) if positive else FREE_FLOOR

    def shown(prices: pd.Series) -> tuple[np.ndarray, list[str]]:
        prices = prices.astype(float).to_numpy()
        return (np.where(prices > 0, prices, floor),
                ["free (0 CNY/M)" if p <= 0 else f"{p:.3g} CNY/M" for p in prices])

    any_free = False
    for fid, rows in _per_firm(result):
        y, text = shown(rows["api_price"])
        any_free |= bool((rows["api_price"] <= 0).any())
        fig.add_scatter(x=rows["date"], y=y, customdata=text, name=_firm_label(result, fid),
                        mode="lines", line={"color": colors[fid], "width": 1.6, "shape": "hv"},
                        hovertemplate="%{x|%Y-%m-%d}: %{customdata}<extra>%{fullData.name}</extra>")
    if baseline is not None:
        for run_, dash, who in ((result, "solid", "this run"), (baseline, "dash", "baseline")):
            market = run_.market.sort_values("date")
            y, text = shown(market["mean_api_price"])
            any_free |= bool((market["mean_api_price"] <= 0).any())
            fig.add_scatter(x=market["date"], y=y, customdata=text, mode="lines",
                            name=f"token-weighted mean ({who})",
                            line={"color": "black", "width": 2, "dash": dash, "shape": "hv"},
                            hovertemplate="%{x|%Y-%m-%d}: %{customdata}<extra>%{fullData.name}</extra>")
    fig.add_hline(y=floor, line={"color": "#999", "width": 1, "dash": "dash"})
    fig.add_annotation(x=0.005, xref="paper", xanchor="left", y=np.log10(floor), yref="y",
                       yanchor="bottom", showarrow=False, font={"size": 10, "color": "#666"},
                       text=f"free (0 CNY/M) is drawn on this line ({floor:.2g})"
                            + ("" if any_free else ": no firm is free in this run"))
    return _layout(fig, "API list prices (log scale)", "list price (CNY per M tokens, log)",
                   type="log")


def figure_margin(result: RunResult) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    w = MARGIN_WINDOW_DAYS
    for fid, rows in _per_firm(result):
        revenue = rows["api_revenue"].astype(float).rolling(w, min_periods=1).sum()
        cost = rows["api_serving_cost"].astype(float).rolling(w, min_periods=1).sum()
        margin = ((revenue - cost) / revenue).where(revenue > 0)
        fig.add_scatter(x=rows["date"], y=margin, name=_firm_label(result, fid), mode="lines",
                        line={"color": colors[fid], "width": 1.6}, connectgaps=False,
                        hovertemplate="%{x|%Y-%m-%d}: %{y:.1%}<extra>%{fullData.name}</extra>")
    fig.add_hline(y=0, line={"color": "#666", "width": 1})
    return _layout(fig, f"MaaS gross margin on own API tokens, {w}-day rolling "
                        "(revenue less serving cost, over revenue)",
                   f"gross margin, {w}-day rolling (%)", tickformat=".0%")


def figure_cash(result: RunResult, baseline: RunResult | None = None) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    for fid, rows in _per_firm(result):
        fig.add_scatter(x=rows["date"], y=rows["cash"].astype(float) / 1e9, mode="lines",
                        name=_firm_label(result, fid), line={"color": colors[fid], "width": 1.6},
                        hovertemplate="%{x|%Y-%m-%d}: %{y:.2f} bn CNY<extra>%{fullData.name}</extra>")
    _baseline_total(fig, result, baseline,
                    lambda r: r.firms.groupby("date")["cash"].sum().sort_index() / 1e9,
                    lambda s: s.values, "total cash")
    return _layout(fig, "Cash (funding rounds and parent transfers included)", "cash (bn CNY)")


def figure_runway(result: RunResult) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = _colors(result)
    for fid, rows in _per_firm(result):
        fig.add_scatter(x=rows["date"], y=rows["runway_days"], name=_firm_label(result, fid),
                        mode="lines", line={"color": colors[fid], "width": 1.6},
                        hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} days<extra>%{fullData.name}</extra>")
    return _layout(fig, f"Runway at the trailing 30-day burn ({RUNWAY_CAP_DAYS:.0f} = not burning cash)",
                   "runway (days)", rangemode="tozero")


def figures(result: RunResult, baseline: RunResult | None = None) -> list[go.Figure]:
    """The report's time-series figures, with the scenario's events marked on each."""
    figs = [figure_dau(result, baseline), figure_app_share(result), figure_token_share(result),
            figure_prices(result, baseline), figure_margin(result), figure_cash(result, baseline),
            figure_runway(result)]
    groups = scenario_event_groups(result)
    for fig in figs:
        mark_events(fig, groups)
    return figs


# ---- the page -----------------------------------------------------------------------------------
CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto;
       max-width: 1200px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 28px; border-bottom: 1px solid #ddd; }
.meta { color: #555; } .desc { max-width: 900px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 3px 8px; text-align: right; }
th { background: #f5f5f5; } td.l, th.l { text-align: left; }
.fig { margin: 12px 0 20px 0; } .note { color: #666; font-size: 12px; }
"""


def _table_html(frame: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(str(c))}</th>'
                   for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(f'<td class="{"l" if c in left else ""}">{html.escape(str(v))}</td>'
                        for c, v in row.items())
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _run_facts(result: RunResult) -> str:
    meta = result.scenario.meta
    dates = result.market["date"]
    first, last = (pd.Timestamp(dates.min()).date(), pd.Timestamp(dates.max()).date()) if len(dates) \
        else (meta.start, meta.start)
    pop = result.scenario.population
    return (f"scenario <b>{html.escape(meta.name)}</b> ({html.escape(result.scenario.source)}), "
            f"seed <b>{result.seed}</b>; scenario dates {meta.start} to {meta.end}; simulated "
            f"{first} to {last} ({len(result.market)} days); {pop.consumers:,} simulated consumers "
            f"standing for {pop.real_population:,.0f} people")


def render_report(result: RunResult, baseline: RunResult | None = None, *,
                  command: str = "") -> str:
    """The report as one HTML string, with plotly.js inlined once (no CDN: it opens offline)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    meta = result.scenario.meta
    final_date = pd.Timestamp(result.firms["date"].max()).date() if len(result.firms) else meta.start
    summary = format_summary(summary_table(result), result).reset_index(drop=True)
    groups = scenario_event_groups(result)
    events = pd.DataFrame(
        [{"#": g["n"], "date": g["date"].strftime("%Y-%m-%d"), "event": " / ".join(g["labels"]),
          "firm": ", ".join(dict.fromkeys(g["firms"])) or "-",
          "evidence": ", ".join(g["evidence"]) or "-"} for g in groups],
        columns=["#", "date", "event", "firm", "evidence"])
    config = {"displaylogo": False, "responsive": True}
    divs = [pio.to_html(fig, include_plotlyjs=False, full_html=False, config=config,
                        default_width="100%", default_height="460px") for fig in figures(result, baseline)]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>pricewar: {html.escape(meta.name)} (seed {result.seed})</title>",
        f"<style>{CSS}</style>",
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>',
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        f"<h1>pricewar: {html.escape(meta.name)}</h1>",
        f'<p class="desc">{html.escape(meta.description)}</p>',
        f'<p class="meta">{_run_facts(result)}</p>',
    ]
    if baseline is not None:
        parts.append(f'<p class="meta">baseline (dashed black lines): {_run_facts(baseline)}</p>')
    if command:
        parts.append(f'<p class="meta">command: <code>{html.escape(command)}</code></p>')
    parts += [
        f"<h2>Final day, {final_date}</h2>",
        _table_html(summary, left=("firm", "app", "status")),
        f'<p class="note">Shares are of the population (apps) and of all tokens served (API); '
        f'MaaS margin over the last {MARGIN_WINDOW_DAYS} days (revenue-weighted); runway '
        f'{RUNWAY_CAP_DAYS:.0f} days means the firm is not burning cash.</p>',
        "<h2>Charts</h2>",
        '<p class="note">Dotted vertical lines are the scenario\'s dated events; hover the numbered '
        "tag above a chart for the event (listed at the bottom). Click a legend entry to hide or "
        "show it; double-click to isolate it.</p>",
    ]
    parts += [f'<div class="fig">{div}</div>' for div in divs]
    parts += [f"<h2>Scenario events ({len(groups)} dates)</h2>",
              _table_html(events, left=("date", "event", "firm", "evidence")) if groups
              else "<p>No dated scenario events fell inside the simulated days.</p>",
              f'<p class="note">Report written {dt.date.today()} by pricewar.</p>',
              "</body></html>"]
    return "\n".join(parts)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` via a temp file in the same directory and os.replace: a failure
    never leaves a half-written file and never destroys an existing one."""
    path = Path(path)
    tmp = stage_text(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def stage_text(path: Path, text: str) -> Path:
    """Write `text` to a new temp file next to `path` (same file system) and return it."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_report(result: RunResult, path: Path, baseline: RunResult | None = None, *,
                 command: str = "") -> Path:
    """Write the self-contained HTML report to `path` (atomically) and return the path."""
    return write_text_atomic(Path(path), render_report(result, baseline, command=command))


# ---- decisions of note --------------------------------------------------------------------------
_NOTE_KEYWORDS = {"api_price": "API price", "open_weights": "weights", "integrate": "integrates",
                  "pivot": "pretraining", "exit": "exits", "sub_price": "free"}


def notable_decisions(result: RunResult) -> pd.DataFrame:
    """Each firm's first strategic move of note, read off the daily rows, in date order.

    Moves: the first API price more than 50% below the scenario's start price, opening weights,
    integrating a rival's open model, pivoting out of pretraining, exiting, making a paid app free.
    `how` says whether a dated scenario decision or the firm's strategies made it.
    Columns: date, firm, action, decision, how.
    """
    events = result.events
    rows = []
    for fid, g in _per_firm(result):
        spec = result.scenario.firms[fid]
        g = g.reset_index(drop=True)

        def first(mask: pd.Series, g: pd.DataFrame = g) -> pd.Series | None:
            hits = np.flatnonzero(mask.to_numpy(dtype=bool))
            return g.iloc[hits[0]] if len(hits) else None

        found: list[tuple[str, pd.Series | None, str]] = []
        if spec.api_price > 0:
            row = first(g["api_price"].astype(float) <= 0.5 * spec.api_price)
            if row is not None:
                found.append(("api_price", row, f"cuts its API price by more than half: "
                                                f"{spec.api_price:.3g} -> {format_price(row['api_price'])} CNY/M"))
        if not spec.open_weights:
            row = first(g["open_weights"].astype(bool))
            found.append(("open_weights", row, "opens its model weights"))
        row = first(g["integrated"].astype(str) != "")
        if row is not None:
            found.append(("integrate", row, f"puts {_firm_label(result, str(row['integrated']))}'s "
                                            f"open model in {spec.app or 'its products'}"))
        found.append(("pivot", first(g["status"] == "pivoted"), "pivots out of giant-model pretraining"))
        found.append(("exit", first(g["status"] == "exited"), "exits the market"))
        if spec.sub_price > 0:
            found.append(("sub_price", first(g["sub_price"].astype(float) <= 0), "makes its app free"))
        for action, row, text in found:
            if row is None:
                continue
            date = pd.Timestamp(row["date"])
            same = events[(events["date"] == date) & (events["firm"] == fid)]
            scripted = same[(same["source"] == "scenario") & (same["action"] == action)]
            if len(scripted):
                first_event = scripted.iloc[0]
                how = f"scenario: {first_event['label']}"
                if str(first_event["evidence"]):
                    how += f" ({first_event['evidence']})"
            else:
                notes = same[(same["source"] == "strategy")
                             & same["label"].str.contains(_NOTE_KEYWORDS[action], regex=False)]
                how = f"strategy: {notes.iloc[0]['label']}" if len(notes) else "strategy"
            rows.append({"date": date, "firm": fid, "action": action, "decision": text, "how": how})
    out = pd.DataFrame(rows, columns=["date", "firm", "action", "decision", "how"])
    return out.sort_values(["date", "firm"], kind="stable").reset_index(drop=True)
