"""Global sensitivity analysis with SALib: which scenario parameters move which outcomes.

    >>> from market.sensitivity import analyse
    >>> indices = analyse("history", ["firms.deepseek.api_price:0.5:8", "cohorts.students.inertia:0:4"],
    ...                   method="morris", samples=10, days=365, workers=2, out="out/sens")

Each `KEY:LOW:HIGH` is a numeric `--set` key and its range (an integer key is rounded). SALib
draws the samples (Sobol: Saltelli/Sobol' sequence, N x (D + 2) runs, no second-order terms;
Morris: N trajectories, N x (D + 1) runs); each sample is one cell of a sweep, run by the same
engine as `pricewar sweep` (its results, spec and --resume live in `out`). All samples share
their replicates' seeds (`seeds="common"`), so seed noise does not pose as a parameter effect;
with several replicates a sample's outcome is their mean. The indices: Sobol S1 (first order)
and ST (total), each with its 95% confidence half-width; Morris mu_star (mean absolute
elementary effect) with its confidence, sigma (spread: interactions or non-linearity) and mu.
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from market.batch import BatchError, Cell, SweepReport, SweepSpec, run_spec, toml_value
from market.errors import ScenarioError

METHODS = ("sobol", "morris")
DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}
DEFAULT_OUTCOMES = ("total_dau_end", "mean_api_price_end")
COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf", "sigma", "mu")}


@dataclass(frozen=True)
class Param:
    """A numeric scenario key and the range it is sampled over."""

    key: str
    low: float
    high: float
    integer: bool = False


def parse_params(items: list[str]) -> list[tuple[str, float, float]]:
    """`["KEY:LOW:HIGH", ...]` into (key, low, high), refusing malformed or empty ranges."""
    out = []
    for item in items:
        parts = item.split(":")
        if len(parts) != 3 or not parts[0].strip():
            raise BatchError(f"--params takes KEY:LOW:HIGH, got '{item}'")
        key = parts[0].strip()
        try:
            low, high = float(parts[1]), float(parts[2])
        except ValueError:
            raise BatchError(f"--params {key}: LOW and HIGH must be numbers, got '{parts[1]}' and '{parts[2]}'") \
                from None
        if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            raise BatchError(f"--params {key}: need finite LOW < HIGH, got {parts[1]} and {parts[2]}")
        if key in [k for k, _, _ in out]:
            raise BatchError(f"--params {key}: given twice")
        out.append((key, low, high))
    if not out:
        raise BatchError("--params needs at least one KEY:LOW:HIGH")
    return out


def field_type(scenario: str, key: str) -> str:
    """The schema type name ('int', 'float', 'bool', ...) of a dotted --set key ('' if unknown)."""
    from agents.strategies import REGISTRY
    from market.schema import SECTIONS, TABLES, fields_of

    parts = key.split(".")
    try:
        if parts[0] in SECTIONS and len(parts) == 2:
            return str(fields_of(SECTIONS[parts[0]])[parts[1]].type)
        if parts[0] in TABLES and len(parts) == 3:
            return str(fields_of(TABLES[parts[0]])[parts[2]].type)
        if parts[0] == "firms" and len(parts) == 5 and parts[2] == "strategies":
            return str(fields_of(REGISTRY[parts[3]])[parts[4]].type)
    except KeyError:
        return ""
    return ""


def check_params(scenario: str, ranges: list[tuple[str, float, float]],
                 overrides: dict[str, Any]) -> list[Param]:
    """Typed Params, after loading the scenario at every low and every high value (so an unknown
    key or an out-of-range bound gets the same ScenarioError as --set, blamed on --params)."""
    from market.scenario import load

    params = []
    for key, low, high in ranges:
        kind = field_type(scenario, key)
        if kind in ("bool", "str", "dt.date", "list", "dict"):
            raise BatchError(f"--params {key}: a sensitivity range needs a numeric key; this one is {kind}")
        integer = kind == "int"
        if integer and math.floor(high) < math.ceil(low):
            raise BatchError(f"--params {key}: an integer key needs an integer in [{low:g}, {high:g}]")
        params.append(Param(key, low, high, integer))
    if clash := sorted({p.key for p in params} & set(overrides)):
        raise ScenarioError("given with both --set and --params; use one", source="--params", key=clash[0])
    for corner in ("low", "high"):
        values = {p.key: value_of(p, getattr(p, corner)) for p in params}
        try:
            load(scenario, {**overrides, **values})
        except ScenarioError as exc:
            if exc.key in values and exc.source == "--set":
                raise ScenarioError(f"{exc.message} (the {corner} bound)", source="--params", key=exc.key) from None
            raise
    return params


def value_of(param: Param, x: float) -> int | float:
    """A sampled number as the key's type: integer keys round (clipped into the range)."""
    if param.integer:
        return int(min(max(round(x), math.ceil(param.low)), math.floor(param.high)))
    return float(x)


def problem_of(params: list[Param]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.key for p in params],
            "bounds": [[p.low, p.high] for p in params]}


def sample(params: list[Param], method: str, samples: int, seed: int = 0, levels: int = 4) -> np.ndarray:
    """The SALib sample matrix (rows are runs), integer keys rounded."""
    problem = problem_of(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol' balance warnings for N not a power of 2
        if method == "sobol":
            from SALib.sample import sobol

            x = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
        elif method == "morris":
            from SALib.sample import morris

            x = morris.sample(problem, samples, num_levels=levels, seed=seed)
        else:
            raise BatchError(f"--method must be one of {', '.join(METHODS)}, got '{method}'")
    return np.array([[value_of(p, v) for p, v in zip(params, row)] for row in x], dtype=float)


def indices(params: list[Param], method: str, x: np.ndarray, y: np.ndarray, seed: int = 0,
            levels: int = 4) -> dict[str, np.ndarray]:
    """SALib's indices for one outcome vector; NaN for all when any sample has no value."""
    names = COLUMNS[method]
    if not np.isfinite(y).all() or np.ptp(y) == 0.0:
        return {n: np.full(len(params), np.nan) for n in names}
    problem = problem_of(params)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        else:
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_levels=levels, seed=seed)
    return {n: np.asarray(res[n], dtype=float) for n in names}


@dataclass
class Analysis:
    """Indices (one row per outcome and parameter), the sweep report and the settings."""

    table: pd.DataFrame
    report: SweepReport
    params: list[Param]
    method: str
    outcomes: list[str]
    missing: dict[str, int]  # outcome -> samples without a value (failed runs, NaN)


def run_analysis(scenario: str, params: list[str] | list[tuple[str, float, float]], *, method: str = "morris",
                 samples: int | None = None, outcomes: list[str] | None = None, days: int | None = None,
                 overrides: list[str] | dict | None = None, replicates: int = 1, seed: int = 0,
                 levels: int = 4, out: str | Path, daily: bool = False, **engine: Any) -> Analysis:
    """Sample, run (through market.batch) and analyse; see `analyse` for the short form.
    `engine` goes to `market.batch.run_spec` (workers, engine, scheduler, resume, progress, ...)."""
    from market.scenario import parse_overrides

    if method not in METHODS:
        raise BatchError(f"--method must be one of {', '.join(METHODS)}, got '{method}'")
    samples = DEFAULT_SAMPLES[method] if samples is None else int(samples)
    if samples < 2:
        raise BatchError(f"--samples must be >= 2, got {samples}")
    if method == "morris" and levels < 2:
        raise BatchError(f"--levels must be >= 2, got {levels}")
    ranges = parse_params(params) if params and isinstance(params[0], str) else list(params)
    fixed = parse_overrides(list(overrides) if isinstance(overrides, (list, tuple)) else overrides)
    typed = check_params(scenario, ranges, fixed)
    outcomes = list(outcomes or DEFAULT_OUTCOMES)
    x = sample(typed, method, samples, seed=seed, levels=levels)
    cells = [Cell(i, scenario, {p.key: value_of(p, v) for p, v in zip(typed, row)}) for i, row in enumerate(x)]
    spec = SweepSpec(cells=cells, replicates=replicates, days=days, overrides=fixed, base_seed=seed,
                     seeds="common", daily=daily, kind="sensitivity",
                     extra={"method": method, "samples": samples, "levels": levels,
                            "params": [[p.key, toml_value(p.low), toml_value(p.high)] for p in typed]})
    engine.setdefault("progress", False)
    report = run_spec(spec, out, load_cells=False, **engine)
    results = report.results
    unknown = [o for o in outcomes if o not in results.columns]
    if unknown and (results["status"] == "ok").any():
        from market.compare import check_metric

        for name in unknown:
            check_metric(results, name)
    ok = results[results["status"] == "ok"]
    rows, missing = [], {}
    for name in outcomes:
        per_cell = ok.groupby("cell")[name].mean() if name in ok.columns else pd.Series(dtype=float)
        y = per_cell.reindex(range(len(cells))).to_numpy(dtype=float)
        missing[name] = int((~np.isfinite(y)).sum())
        values = indices(typed, method, x, y, seed=seed, levels=levels)
        for j, p in enumerate(typed):
            rows.append({"outcome": name, "param": p.key, **{k: float(v[j]) for k, v in values.items()},
                         "low": p.low, "high": p.high})
    table = pd.DataFrame(rows)
    table.attrs.update(method=method, samples=samples, runs=len(cells) * replicates)
    return Analysis(table, report, typed, method, outcomes, missing)


def analyse(scenario: str, params: list[str], *, method: str = "morris", samples: int | None = None,
            outcomes: list[str] | None = None, days: int | None = None, overrides: list[str] | dict | None = None,
            workers: int | None = None, out: str | Path | None = None, **kwargs: Any) -> pd.DataFrame:
    """The indices table (outcome, param, S1/S1_conf/ST/ST_conf or mu_star/mu_star_conf/sigma/mu,
    low, high). With `out=None` the runs go to a temporary directory."""
    import tempfile

    if out is not None:
        return run_analysis(scenario, params, method=method, samples=samples, outcomes=outcomes, days=days,
                            overrides=overrides, workers=workers, out=out, **kwargs).table
    with tempfile.TemporaryDirectory() as tmp:
        return run_analysis(scenario, params, method=method, samples=samples, outcomes=outcomes, days=days,
                            overrides=overrides, workers=workers, out=tmp, **kwargs).table


# ---- output -------------------------------------------------------------------------------------
def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Indices as text, conf as +/- half-widths."""
    method = table.attrs.get("method", "morris")
    a, a_conf, b, c = COLUMNS[method]

    def num(x: float) -> str:
        return "n/a" if x != x else f"{x:.4g}"

    out = pd.DataFrame({"outcome": table["outcome"], "param": table["param"]})
    out[a] = [f"{num(v)} ± {num(e)}" for v, e in zip(table[a], table[a_conf])]
    if method == "sobol":
        out[b] = [f"{num(v)} ± {num(e)}" for v, e in zip(table[b], table[c])]
    else:
        out[b] = [num(v) for v in table[b]]
        out[c] = [num(v) for v in table[c]]
    return out


def render_html(analysis: Analysis, *, title: str = "pricewar: sensitivity", command: str = "") -> str:
    """Bar charts of the indices (one panel per outcome), self-contained (plotly.js inlined)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs
    from plotly.subplots import make_subplots

    from market.compare import _table_html
    from market.report import CSS, PALETTE

    table, method = analysis.table, analysis.method
    a, a_conf, b, c = COLUMNS[method]
    outcomes = analysis.outcomes
    fig = make_subplots(rows=len(outcomes), cols=1, subplot_titles=outcomes,
                        vertical_spacing=0.25 / max(len(outcomes), 1))
    bars = ((a, a_conf, "first order S1" if method == "sobol" else "mu_star"),
            (b, c if method == "sobol" else None, "total ST" if method == "sobol" else "sigma"))
    for i, name in enumerate(outcomes):
        rows = table[table["outcome"] == name]
        for k, (col, conf, label) in enumerate(bars):
            err = None if conf is None else {"type": "data", "array": rows[conf].tolist()}
            fig.add_bar(x=rows["param"], y=rows[col], error_y=err, name=label, legendgroup=label,
                        showlegend=i == 0, marker={"color": PALETTE[k]}, row=i + 1, col=1,
                        hovertemplate="%{x}: %{y:.4g}<extra>" + label + "</extra>")
    fig.update_layout(template="plotly_white", barmode="group", height=320 * len(outcomes) + 80,
                      margin={"t": 60, "l": 60, "r": 20, "b": 60})
    div = pio.to_html(fig, include_plotlyjs=False, full_html=False, config={"displaylogo": False},
                      default_width="100%")
    attrs = table.attrs
    missing = {k: v for k, v in analysis.missing.items() if v}
    explain = ("S1: share of the outcome's variance due to the parameter alone; ST: including its "
               "interactions; ± is the 95% bootstrap half-width." if method == "sobol" else
               "mu_star: mean absolute elementary effect (in the outcome's units, over the parameter's "
               "range in levels); sigma: their spread (interactions, non-linearity).")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style>",
             f'<script type="text/javascript">{get_plotlyjs()}</script>', "</head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f'<p class="meta">method <b>{method}</b>, {attrs.get("samples")} base samples, '
             f'{attrs.get("runs")} runs; parameters: '
             + html.escape(", ".join(f"{p.key} in [{p.low:g}, {p.high:g}]" for p in analysis.params)) + "</p>",
             f'<p class="meta">command: <code>{html.escape(command)}</code></p>' if command else "",
             f'<p class="note">{explain}</p>',
             f'<p class="note">Samples without a value (failed runs): {html.escape(str(missing))}: '
             "their indices are n/a.</p>" if missing else "",
             f'<div class="fig">{div}</div>', _table_html(format_table(table), left=("outcome", "param")),
             "</body></html>"]
    return "\n".join(p for p in parts if p)
