"""The history baseline a run is compared with: the `history` scenario, no levers, same population
and seed, run to the end once and cached for every tab.

A teacher changes a lever, presses Reset and Play, and the comparison view overlays the new run
(solid, as far as it has got) on the baseline's whole two years (dashed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboards.figures import DAY_MS, HEIGHT, layout
from market.runner import run

if TYPE_CHECKING:
    from dashboards.live_model import DashboardModel

BASELINE_SCENARIO = "history"
CACHE_SIZE = 8
_cache: dict[tuple[int, int], Baseline] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Baseline:
    """A finished run as arrays: x (ISO dates), market series, per-firm series."""

    consumers: int
    seed: int
    x: np.ndarray
    market: dict[str, np.ndarray]
    firm: dict[str, dict[str, np.ndarray]]  # field -> firm id -> series


def baseline(consumers: int, seed: int) -> Baseline:
    """The cached baseline for this population and seed, computed on first use (~1 s at 5,000)."""
    key = (int(consumers), int(seed))
    with _lock:
        if key not in _cache:
            result = run(BASELINE_SCENARIO, seed=key[1], overrides=[f"population.consumers={key[0]}"])
            if len(_cache) >= CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = _from_frames(key, result.market, result.firms)
        return _cache[key]


def cached(consumers: int, seed: int) -> Baseline | None:
    """The baseline if it is already computed (never blocks on a computation)."""
    return _cache.get((int(consumers), int(seed)))


def _from_frames(key: tuple[int, int], market: pd.DataFrame, firms: pd.DataFrame) -> Baseline:
    market = market.sort_values("date")
    x = market["date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=str)
    series = {name: market[name].to_numpy(dtype=float) for name in market.columns if name != "date"
              and pd.api.types.is_numeric_dtype(market[name])}
    per_firm: dict[str, dict[str, np.ndarray]] = {}
    for name in ("app_dau", "token_share", "api_price", "cash", "app_share"):
        wide = firms.pivot(index="date", columns="firm", values=name).sort_index()
        per_firm[name] = {fid: wide[fid].to_numpy(dtype=float) for fid in wide.columns}
    return Baseline(consumers=key[0], seed=key[1], x=x, market=series, firm=per_firm)


# ---- what can be compared -----------------------------------------------------------------------
MARKET_METRICS = {
    "total DAU, all apps (people)": ("total_dau", "people", {}),
    "token-weighted mean API list price (CNY/M)": ("mean_api_price", "CNY per M tokens", {"type": "log"}),
    "app concentration, HHI (0-10,000)": ("hhi_app", "HHI", {}),
    "token concentration, HHI (0-10,000)": ("hhi_tokens", "HHI", {}),
}
FIRM_METRICS = {
    "DAU (people)": ("app_dau", "people", {}),
    "token share": ("token_share", "share of tokens", {"tickformat": ".0%"}),
    "API list price (CNY/M)": ("api_price", "CNY per M tokens", {"type": "log"}),
    "cash (bn CNY)": ("cash", "bn CNY", {}),
}


def metric_choices(model: DashboardModel) -> list[str]:
    """Market-wide metrics, then each firm's, as the labels the comparison view offers."""
    names = list(MARKET_METRICS)
    for firm in model.firm_list:
        names += [f"{firm.name}: {what}" for what in FIRM_METRICS]
    return names


def figure_compare(model: DashboardModel, base: Baseline, metric: str) -> dict[str, Any]:
    """This run (solid) over the baseline (dashed) for one metric."""
    t = model.trajectory
    if metric in MARKET_METRICS:
        field, unit, yaxis = MARKET_METRICS[metric]
        mine, theirs = t.market_series(field), base.market.get(field)
    else:
        name, _, what = metric.partition(": ")
        field, unit, yaxis = FIRM_METRICS.get(what, FIRM_METRICS["DAU (people)"])
        fid = next((f.firm_id for f in model.firm_list if f.name == name), model.firm_list[0].firm_id)
        mine = t.firm_series(field)[:, t.firm_ids.index(fid)]
        theirs = base.firm[field].get(fid)
    scale = 1e9 if field == "cash" else 1.0
    theirs = np.array([]) if theirs is None else theirs / scale
    data = [{"type": "scatter", "mode": "lines", "x0": str(base.x[0]), "dx": DAY_MS, "y": theirs,
             "name": f"history baseline (seed {base.seed}, {base.consumers:,} consumers)",
             "line": {"color": "#555", "width": 2, "dash": "dash"}},
            {"type": "scatter", "mode": "lines", "x0": t.start, "dx": DAY_MS, "y": mine / scale, "name": "this run",
             "line": {"color": "#d62728", "width": 2.4}}]
    fig = {"data": data, "layout": layout(model, f"{metric}: this run against the history baseline", unit, **yaxis)}
    fig["layout"]["height"] = HEIGHT + 60
    fig["layout"]["legend"] = {"orientation": "h", "y": -0.15}
    return fig

