"""The time-series charts of a live run, as plain plotly figure dicts built from its Trajectory.

Plain dicts (not `go.Figure`) because building them is cheap enough to redo after every step;
`dashboards.plotly_live` hands them to one plotly FigureWidget per chart and only restyles the
data when the structure is unchanged. Every chart spans the whole scenario on its time axis
(the lines grow to the right as the model steps) and marks the scenario's dated events with
numbered dotted lines; hovering a number shows the event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from dashboards.trajectory import STATUS_CODES
from market.accounting import RUNWAY_CAP_DAYS
from market.report import FREE_FLOOR, PALETTE

if TYPE_CHECKING:
    from dashboards.live_model import DashboardModel

Figure = dict[str, Any]
DAY_MS = 86_400_000  # one day on a plotly date axis
MARGIN_WINDOW = 30  # days, as in the HTML report
HEIGHT = 330
EXITED = STATUS_CODES["exited"]
DATE_HOVER = "%{x|%Y-%m-%d}"


# ---- shared pieces ------------------------------------------------------------------------------
def colors(model: DashboardModel) -> dict[str, str]:
    """One colour per firm, in scenario order (the same as the HTML report's)."""
    return {f.firm_id: PALETTE[i % len(PALETTE)] for i, f in enumerate(model.firm_list)}


def label(model: DashboardModel, fid: str, with_app: bool = False) -> str:
    firm = model.firm(fid)
    if with_app and firm.app and firm.app != firm.name:
        return f"{firm.app} ({firm.name})"
    return firm.app if with_app and firm.app else firm.name


def event_groups(model: DashboardModel) -> list[dict[str, Any]]:
    """The scenario's dated events, one numbered entry per date, with staggered tag heights."""
    by_date: dict[dt.date, list] = defaultdict(list)
    for event in model.scenario.events:
        if model.calendar.start <= event.date <= model.calendar.end:
            by_date[event.date].append(event)
    groups, level, previous = [], 0, None
    for n, (date, events) in enumerate(sorted(by_date.items()), start=1):
        close = previous is not None and (date - previous).days < 21
        level = (level + 1) % 3 if close else 0
        previous = date
        labels = [e.label or f"{e.firm} {e.action}".strip() for e in events]
        evidence = sorted({x.strip() for e in events for x in e.evidence.split(",") if x.strip()})
        groups.append({"n": n, "date": date, "labels": labels, "evidence": evidence, "level": level})
    return groups


def event_marks(model: DashboardModel) -> tuple[list[dict], list[dict]]:
    """Layout shapes (dotted lines) and annotations (numbered tags) for the dated events."""
    shapes, notes = [], []
    for group in event_groups(model):
        x = group["date"].isoformat()
        hover = f"{x}: " + " / ".join(group["labels"])
        if group["evidence"]:
            hover += f" ({', '.join(group['evidence'])})"
        shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
                       "layer": "below", "line": {"color": "rgba(90,90,90,0.45)", "width": 1, "dash": "dot"}})
        notes.append({"x": x, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom", "showarrow": False,
                      "yshift": 2 + 12 * group["level"], "text": str(group["n"]), "hovertext": hover,
                      "font": {"size": 9, "color": "#444"}, "bgcolor": "rgba(255,255,255,0.9)",
                      "bordercolor": "#999", "borderwidth": 1, "borderpad": 1})
    return shapes, notes


def layout(model: DashboardModel, title: str, ytitle: str, *, shapes: list | None = None,
           notes: list | None = None, **yaxis: Any) -> dict[str, Any]:
    """Common layout: the whole scenario on a date axis, events marked, legend on the right."""
    ev_shapes, ev_notes = event_marks(model)
    if model.trajectory.n == 0 and "range" not in yaxis:  # no data yet: a quiet empty frame
        yaxis = {**yaxis, "range": [-2.3, 2.0] if yaxis.get("type") == "log" else [0, 1]}
    start = (model.calendar.start - dt.timedelta(days=1)).isoformat()
    end = (model.calendar.date(model.n_days - 1) + dt.timedelta(days=1)).isoformat()
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 14}},
        "height": HEIGHT, "margin": {"t": 78, "l": 62, "r": 10, "b": 36}, "hovermode": "closest",
        "template": "plotly_white", "legend": {"font": {"size": 10}, "tracegroupgap": 0},
        "xaxis": {"type": "date", "range": [start, end]},
        "yaxis": {"title": {"text": ytitle}, **yaxis},
        "shapes": ev_shapes + (shapes or []), "annotations": ev_notes + (notes or []),
    }


def line(start: str, y: np.ndarray, name: str, color: str, hover: str, **extra: Any) -> dict[str, Any]:
    """A daily series from date `start`: x is given as start + step (x0, dx), not as an array,
    which halves what is sent to the browser after each step."""
    return {"type": "scatter", "mode": "lines", "x0": start, "dx": DAY_MS, "y": y, "name": name,
            "line": {"color": color, "width": 1.6}, "hovertemplate": f"{DATE_HOVER}: {hover}<extra>{name}</extra>",
            **extra}


def exits_trace(model: DashboardModel, values: np.ndarray, unit: str) -> dict[str, Any]:
    """X markers where a firm left the market (always present, so the chart's structure is fixed)."""
    t = model.trajectory
    status = t.status[: t.n]
    xs, ys, text = [], [], []
    for j, fid in enumerate(t.firm_ids):
        gone = np.flatnonzero(status[:, j] == EXITED)
        if gone.size:
            i = int(gone[0])
            xs.append(t.x[i])
            ys.append(float(values[max(i - 1, 0), j]))
            text.append(f"{label(model, fid)} exits")
    return {"type": "scatter", "mode": "markers", "x": np.array(xs), "y": np.array(ys), "name": "firm exits",
            "text": text, "marker": {"symbol": "x", "size": 11, "color": "black"},
            "hovertemplate": f"{DATE_HOVER}: %{{text}}<extra>{unit}</extra>"}


# ---- the charts ---------------------------------------------------------------------------------
def figure_dau(model: DashboardModel) -> Figure:
    t = model.trajectory
    x0, dau, c = t.start, t.firm_series("app_dau"), colors(model)
    data = [line(x0, dau[:, j], label(model, fid, True), c[fid], "%{y:,.0f} people")
            for j, fid in enumerate(t.firm_ids) if model.firm(fid).has_app]
    data.append(exits_trace(model, dau, "DAU"))
    return {"data": data, "layout": layout(model, "Daily active users by app", "DAU (people)", rangemode="tozero")}


def figure_app_share(model: DashboardModel) -> Figure:
    t = model.trajectory
    x0, share, c = t.start, t.firm_series("app_share"), colors(model)
    data = [line(x0, share[:, j], label(model, fid, True), c[fid], "%{y:.2%}", stackgroup="apps")
            for j, fid in enumerate(t.firm_ids) if model.firm(fid).has_app]
    for trace in data:
        trace["line"]["width"] = 0.5
    data.append(line(x0, t.market_series("outside_share"), "outside option (no AI app today)", "#cccccc",
                     "%{y:.1%}", stackgroup="apps", visible="legendonly", fillcolor="rgba(200,200,200,0.5)"))
    return {"data": data, "layout": layout(model, "App share of people (stacked; click the outside option "
                                                  "in the legend to show it)", "share of people",
                                           tickformat=".1%", rangemode="tozero")}


def figure_token_share(model: DashboardModel) -> Figure:
    t = model.trajectory
    x0, share, c = t.start, t.firm_series("token_share"), colors(model)
    data = [line(x0, share[:, j], label(model, fid), c[fid], "%{y:.2%}", stackgroup="tokens")
            for j, fid in enumerate(t.firm_ids)]
    for trace in data:
        trace["line"]["width"] = 0.5
    total = t.market_series("total_tokens")
    hosted = np.divide(t.market_series("self_hosted_tokens"), total, out=np.zeros_like(total), where=total > 0)
    data.append(line(x0, hosted, "self-hosted open models", "#bbbbbb", "%{y:.2%}", stackgroup="tokens"))
    return {"data": data, "layout": layout(model, "Token share (API tokens served by provider; self-hosted on top)",
                                           "share of tokens", tickformat=".0%", range=[0, 1])}


def free_floor(prices: np.ndarray) -> float:
    """Where a free (0) price is drawn on the log axis: 0.01 CNY/M, or lower if real prices go there."""
    positive = prices[prices > 0]
    return min(FREE_FLOOR, float(positive.min()) / 3.0) if positive.size else FREE_FLOOR


def figure_prices(model: DashboardModel) -> Figure:
    """List prices on a log axis; a free price (0) sits on a dashed 'free' line with x markers."""
    t = model.trajectory
    x0, price, c = t.start, t.firm_series("api_price"), colors(model)
    floor = free_floor(price)
    shown = np.where(price > 0, price, floor)
    data = []
    for j, fid in enumerate(t.firm_ids):
        text = np.where(price[:, j] > 0, np.char.add(np.char.mod("%.3g", price[:, j]), " CNY/M"), "free (0 CNY/M)")
        trace = line(x0, shown[:, j], label(model, fid), c[fid], "%{customdata}", customdata=text)
        trace["line"]["shape"] = "hv"
        data.append(trace)
    free_i, free_j = np.nonzero(price <= 0)
    data.append({"type": "scatter", "mode": "markers", "x": t.x[free_i], "y": np.full(free_i.size, floor),
                 "name": "free (0 CNY/M)", "text": [label(model, t.firm_ids[j]) for j in free_j],
                 "marker": {"symbol": "x-thin-open", "size": 9, "color": [c[t.firm_ids[j]] for j in free_j],
                            "line": {"width": 2}},
                 "hovertemplate": f"{DATE_HOVER}: %{{text}} is free<extra>free</extra>"})
    any_free = bool(free_i.size)
    note = {"x": 0.005, "xref": "paper", "xanchor": "left", "y": float(np.log10(floor)), "yref": "y",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 10, "color": "#666"},
            "text": f"free (0 CNY/M) is drawn on this line ({floor:.2g})"
                    + ("" if any_free else ": nobody is free yet")}
    rule = {"type": "line", "x0": 0, "x1": 1, "xref": "paper", "y0": floor, "y1": floor, "yref": "y",
            "line": {"color": "#999", "width": 1, "dash": "dash"}}
    return {"data": data, "layout": layout(model, "API list prices (log scale)", "CNY per M tokens (log)",
                                           shapes=[rule], notes=[note], type="log")}


def figure_margin(model: DashboardModel) -> Figure:
    t = model.trajectory
    x0, margin, c = t.start, t.rolling_margin(MARGIN_WINDOW), colors(model)
    data = [line(x0, margin[:, j], label(model, fid), c[fid], "%{y:.1%}", connectgaps=False)
            for j, fid in enumerate(t.firm_ids)]
    zero = {"type": "line", "x0": 0, "x1": 1, "xref": "paper", "y0": 0, "y1": 0, "yref": "y",
            "line": {"color": "#666", "width": 1}}
    return {"data": data, "layout": layout(model, f"MaaS gross margin on own API tokens ({MARGIN_WINDOW}-day rolling)",
                                           "(revenue - serving cost) / revenue", shapes=[zero], tickformat=".0%")}


def figure_cash(model: DashboardModel) -> Figure:
    t = model.trajectory
    x0, cash, c = t.start, t.firm_series("cash") / 1e9, colors(model)
    data = [line(x0, cash[:, j], label(model, fid), c[fid], "%{y:.2f} bn CNY") for j, fid in enumerate(t.firm_ids)]
    data.append(exits_trace(model, cash, "cash"))
    return {"data": data, "layout": layout(model, "Cash (funding rounds and parent transfers included)", "bn CNY")}


def figure_runway(model: DashboardModel) -> Figure:
    t = model.trajectory
    x0, runway, c = t.start, t.firm_series("runway_days"), colors(model)
    data = [line(x0, runway[:, j], label(model, fid), c[fid], "%{y:,.0f} days") for j, fid in enumerate(t.firm_ids)]
    return {"data": data, "layout": layout(model, f"Runway at the trailing 30-day burn ({RUNWAY_CAP_DAYS:.0f} = not "
                                                  "burning cash)", "days", rangemode="tozero")}


MARKET_CHARTS = (figure_dau, figure_app_share, figure_token_share, figure_prices)
MONEY_CHARTS = (figure_margin, figure_cash, figure_runway)
