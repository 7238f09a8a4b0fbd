"""Small shared helpers for the teaching notebooks: quick mode, tidy tables and one line-chart style.

Quick mode (`PRICEWAR_QUICK=1`, what CI sets) runs the same code on a smaller population, with
fewer seeds and sometimes fewer days, so every notebook executes in well under a minute.
"""

from __future__ import annotations

import os

import pandas as pd
import plotly.graph_objects as go

from market.report import PALETTE, mark_events, scenario_event_groups

QUICK = os.environ.get("PRICEWAR_QUICK", "").strip().lower() not in ("", "0", "false", "no")
CONSUMERS = 2_000 if QUICK else 20_000
SIZE = [f"population.consumers={CONSUMERS}"]  # pass as overrides= to market.run


def seeds(full: int = 3, quick: int = 1) -> list[int]:
    """The random seeds to run: `full` of them normally, `quick` in quick mode."""
    return list(range(quick if QUICK else full))


def mode() -> str:
    people = 1e9 / CONSUMERS
    return (f"{'QUICK' if QUICK else 'FULL'} mode: {CONSUMERS:,} simulated consumers, "
            f"each standing for {people:,.0f} real people")


def label(result, firm: str) -> str:
    """'Doubao (ByteDance)' for a firm id; the firm's name if it has no app."""
    spec = result.scenario.firms[firm]
    name = spec.name or firm
    return f"{spec.app} ({name})" if spec.app else name


def color(result, firm: str) -> str:
    return PALETTE[list(result.scenario.firms).index(firm) % len(PALETTE)]


def wide(result, column: str, firms: list[str] | None = None) -> pd.DataFrame:
    """One column per firm (firm ids), one row per day, of a `result.firms` column."""
    table = result.firms.pivot(index="date", columns="firm", values=column)
    order = [f for f in result.scenario.firms if f in table.columns and (firms is None or f in firms)]
    return table[order]


def line(frame: pd.DataFrame, title: str, ytitle: str, result=None, events: bool = True,
         **yaxis) -> go.Figure:
    """One line per column. With `result`, columns that are firm ids get the firm's label and
    colour, and the scenario's dated events are drawn as numbered dotted lines (hover the tags)."""
    fig = go.Figure()
    for i, col in enumerate(frame.columns):
        known = result is not None and col in result.scenario.firms
        fig.add_scatter(x=frame.index, y=frame[col], mode="lines",
                        name=label(result, col) if known else str(col),
                        line={"width": 1.8, "color": color(result, col) if known else PALETTE[i % len(PALETTE)]})
    fig.update_layout(title={"text": title, "x": 0, "font": {"size": 15}}, template="plotly_white",
                      height=430, margin={"t": 90, "l": 70, "r": 20, "b": 45}, hovermode="closest")
    fig.update_yaxes(title_text=ytitle, **yaxis)
    if result is not None and events:
        mark_events(fig, scenario_event_groups(result))
    return fig
