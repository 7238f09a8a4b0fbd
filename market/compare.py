"""Compare the cells of a sweep ("options") against a baseline, with the uncertainty over replicates.

    >>> from market.compare import option_table, render_html
    >>> table = option_table("out/sweep", "dau_end__deepseek")     # one row per option

For each option, on one outcome column of the results table (`metric`):

- mean and 95% t-interval of the mean over its ok replicates;
- the difference from the baseline's mean with a 95% interval: *paired* when the two cells'
  replicates share seeds (`--seeds common`, the default of `pricewar compare --scenarios`), a
  t-interval of the per-replicate differences; otherwise Welch's interval;
- `p_beats`: the probability that the option's mean beats the baseline's, by bootstrap over
  replicates (resampling the pairs when paired; each side on its own otherwise; 10,000 resamples,
  fixed seed, so the report is reproducible). "Beats" is "is higher" unless lower is better;
- `win_rate`: the share of replicate pairs the option wins (paired), or P(X_option > X_baseline)
  over all pairs of replicates (unpaired); ties count one half;
- `rank` by mean, best first.

The baseline is `--baseline` (a cell index, label or scenario name) or else the sweep's status-quo
cell: the first cell whose varied values are the scenario's own, else cell 0 (the first scenario
of `--scenarios`). The time series are shaded with the 95% t-interval of the mean across
replicates, day by day.
"""

from __future__ import annotations

import difflib
import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from market.batch import ROW_HEAD, BatchError, Cell, SweepSpec, read_daily, read_results, read_spec

BOOTSTRAP = 10_000
BOOT_SEED = 20240101
MARGIN_WINDOW_DAYS = 30
HEADLINE = ("total_dau_end", "total_dau_mean", "mean_api_price_end", "hhi_app_end")
MAX_SERIES = 10  # options drawn in the time series: the baseline and the best-ranked others


# ---- loading ------------------------------------------------------------------------------------
def load(source: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, SweepSpec | None, Path | None]:
    """(results, spec or None, directory or None) from a sweep directory or a results frame."""
    if isinstance(source, pd.DataFrame):
        return source, None, None
    out = Path(source)
    spec = read_spec(out)
    results = read_results(out)
    if not len(results):
        raise BatchError(f"'{out}' holds no finished runs yet")
    return results, spec, out


def cells_of(results: pd.DataFrame, spec: SweepSpec | None) -> list[Cell]:
    """The sweep's cells (from the spec, else rebuilt from the results' parameter columns)."""
    if spec is not None:
        return list(spec.cells)
    params = [c for c in results.columns if "." in c and c not in ROW_HEAD]
    cells = []
    for index, rows in results.groupby("cell", sort=True):
        first = rows.iloc[0]
        cells.append(Cell(int(index), str(first["scenario"]),
                          {k: first[k] for k in params if pd.notna(first[k])}))
    return cells


def labels_of(cells: list[Cell]) -> dict[int, str]:
    """Readable option labels: the varied values, with the scenario when there are several."""
    several = len({c.scenario for c in cells}) > 1
    return {c.index: c.label(with_scenario=several) for c in cells}


def resolve_baseline(baseline: int | str | None, cells: list[Cell], spec: SweepSpec | None) -> int:
    """The baseline cell index from `--baseline` (index, label or scenario name) or the spec."""
    labels = labels_of(cells)
    indices = [c.index for c in cells]
    if baseline is None or baseline == "":
        return spec.baseline if spec is not None and spec.baseline in indices else indices[0]
    text = str(baseline).strip()
    if text.lstrip("-").isdigit():
        if int(text) not in indices:
            raise BatchError(f"--baseline {text}: no such cell; cells are {indices[0]}..{indices[-1]}")
        return int(text)
    for c in cells:
        if text in (labels[c.index], c.label(with_scenario=True)):
            return c.index
    for c in cells:
        if text == c.scenario:
            return c.index
    close = difflib.get_close_matches(text, list(labels.values()), n=3, cutoff=0.3)
    raise BatchError(f"--baseline '{text}' matches no option; "
                     f"{'nearest: ' + '; '.join(close) if close else 'options: ' + '; '.join(labels.values())}")


def check_metric(results: pd.DataFrame, metric: str) -> None:
    """Refuse a metric that is not a numeric outcome column, naming the nearest ones."""
    numeric = [c for c in results.columns if c not in ROW_HEAD and "." not in c
               and pd.api.types.is_numeric_dtype(results[c]) and not pd.api.types.is_bool_dtype(results[c])]
    if metric in numeric:
        return
    close = difflib.get_close_matches(metric, numeric, n=3, cutoff=0.5)
    hint = ", ".join(close or numeric[:5])
    raise BatchError(f"--metric '{metric}' is not a numeric outcome of this sweep; nearest: {hint}")


# ---- statistics ---------------------------------------------------------------------------------
def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the t-interval of the mean; NaN bounds with fewer than two values."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def welch_interval(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean(x) - mean(y), low, high) by Welch's t; NaN bounds if either side has < 2 values."""
    diff = float(np.mean(x) - np.mean(y)) if len(x) and len(y) else math.nan
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan, math.nan
    vx, vy = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return diff, diff, diff
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    return diff, diff - half, diff + half


def share_greater(a: np.ndarray, b: np.ndarray) -> float:
    """P(a > b) + P(a == b) / 2 for elementwise arrays."""
    return float(np.mean(a > b) + 0.5 * np.mean(a == b))


def p_beats(x: np.ndarray, y: np.ndarray, paired: bool, sign: float, rng: np.random.Generator,
            draws: int = BOOTSTRAP) -> float:
    """Bootstrap probability that mean(x) beats mean(y) (sign = +1 higher is better, -1 lower)."""
    if not len(x) or not len(y):
        return math.nan
    if paired:
        d = sign * (x - y)
        means = d[rng.integers(0, len(d), (draws, len(d)))].mean(axis=1)
        return share_greater(means, np.zeros_like(means))
    mx = x[rng.integers(0, len(x), (draws, len(x)))].mean(axis=1)
    my = y[rng.integers(0, len(y), (draws, len(y)))].mean(axis=1)
    return share_greater(sign * mx, sign * my)


def win_rate(x: np.ndarray, y: np.ndarray, paired: bool, sign: float) -> float:
    if not len(x) or not len(y):
        return math.nan
    if paired:
        return share_greater(sign * x, sign * y)
    return share_greater(sign * x[:, None], sign * y[None, :])


def pairs(option: pd.DataFrame, base: pd.DataFrame, metric: str) -> pd.DataFrame | None:
    """Replicates of both cells that share a seed, aligned by replicate; None if seeds differ."""
    merged = option[["replicate", "seed", metric]].merge(base[["replicate", "seed", metric]], on="replicate",
                                                         suffixes=("_o", "_b"))
    if len(merged) < 2 or not (merged["seed_o"] == merged["seed_b"]).all():
        return None
    return merged


def option_table(source: str | Path | pd.DataFrame, metric: str = "total_dau_end", *,
                 baseline: int | str | None = None, higher_is_better: bool = True,
                 spec: SweepSpec | None = None) -> pd.DataFrame:
    """One row per option (cell): see the module docstring for the columns' meaning.

    Columns: cell, option, is_baseline, n, failed, mean, ci_lo, ci_hi, diff, diff_lo, diff_hi,
    paired, win_rate, p_beats, rank. The frame's attrs hold metric, baseline and direction.
    """
    results, loaded_spec, _ = load(source)
    spec = spec or loaded_spec
    check_metric(results, metric)
    cells = cells_of(results, spec)
    labels = labels_of(cells)
    base_index = resolve_baseline(baseline, cells, spec)
    sign = 1.0 if higher_is_better else -1.0
    rng = np.random.default_rng(BOOT_SEED)
    ok = results[(results["status"] == "ok") & results[metric].notna()]
    by_cell = {int(k): g for k, g in ok.groupby("cell")}
    failed = results[results["status"] != "ok"].groupby("cell").size()
    empty = ok.iloc[:0]
    base = by_cell.get(base_index, empty)
    y = base[metric].to_numpy(dtype=float)
    rows = []
    for cell in cells:
        rows_o = by_cell.get(cell.index, empty)
        x = rows_o[metric].to_numpy(dtype=float)
        mean, lo, hi = t_interval(x)
        row = {"cell": cell.index, "option": labels[cell.index], "is_baseline": cell.index == base_index,
               "n": len(x), "failed": int(failed.get(cell.index, 0)), "mean": mean, "ci_lo": lo, "ci_hi": hi}
        if cell.index == base_index:
            row.update(diff=0.0, diff_lo=math.nan, diff_hi=math.nan, paired=False, win_rate=math.nan,
                       p_beats=math.nan)
        else:
            matched = pairs(rows_o, base, metric)
            if matched is not None:
                xp, yp = matched[f"{metric}_o"].to_numpy(float), matched[f"{metric}_b"].to_numpy(float)
                diff, dlo, dhi = t_interval(xp - yp)
                row.update(diff=diff, diff_lo=dlo, diff_hi=dhi, paired=True,
                           win_rate=win_rate(xp, yp, True, sign), p_beats=p_beats(xp, yp, True, sign, rng))
            else:
                diff, dlo, dhi = welch_interval(x, y)
                row.update(diff=diff, diff_lo=dlo, diff_hi=dhi, paired=False,
                           win_rate=win_rate(x, y, False, sign), p_beats=p_beats(x, y, False, sign, rng))
        rows.append(row)
    table = pd.DataFrame(rows)
    table["rank"] = (sign * table["mean"]).rank(ascending=False, method="min").astype("Int64")
    table = table.sort_values(["rank", "cell"], na_position="last", kind="stable").reset_index(drop=True)
    table.attrs.update(metric=metric, baseline=base_index, baseline_label=labels[base_index],
                       higher_is_better=higher_is_better)
    return table


def outcome_means(results: pd.DataFrame, cells: list[Cell], outcomes: list[str]) -> pd.DataFrame:
    """Mean [95% CI] text per option (rows) and outcome (columns), for the report."""
    labels = labels_of(cells)
    ok = results[results["status"] == "ok"]
    out = pd.DataFrame(index=[labels[c.index] for c in cells])
    for name in outcomes:
        if name not in ok.columns:
            continue
        texts = []
        for cell in cells:
            values = ok.loc[ok["cell"] == cell.index, name].dropna().to_numpy(float)
            texts.append(fmt_interval(*t_interval(values)))
        out[name] = texts
    out.index.name = "option"
    return out.reset_index()


# ---- formatting ---------------------------------------------------------------------------------
def fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return f"{x:.3e}"
    return f"{x:,.4g}"


def fmt_interval(mean: float, lo: float, hi: float) -> str:
    if math.isnan(lo):
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """The option table as text columns, for printing and the HTML page."""
    out = pd.DataFrame({
        "rank": [str(r) if pd.notna(r) else "-" for r in table["rank"]],
        "option": [f"{o} (baseline)" if b else o for o, b in zip(table["option"], table["is_baseline"])],
        "n": table["n"].astype(str) + ["" if f == 0 else f" ({f} failed)" for f in table["failed"]],
        "mean [95% CI]": [fmt_interval(m, lo, hi) for m, lo, hi in zip(table["mean"], table["ci_lo"], table["ci_hi"])],
        "diff vs baseline [95% CI]": ["-" if b else fmt_interval(d, lo, hi) for d, lo, hi, b in
                                      zip(table["diff"], table["diff_lo"], table["diff_hi"], table["is_baseline"])],
        "paired": ["-" if b else ("yes" if p else "no") for p, b in zip(table["paired"], table["is_baseline"])],
        "win rate": ["-" if b else fmt(w) for w, b in zip(table["win_rate"], table["is_baseline"])],
        "P(beats baseline)": ["-" if b else (f"{p:.3f}" if pd.notna(p) else "n/a")
                              for p, b in zip(table["p_beats"], table["is_baseline"])],
    })
    return out


# ---- time series with bands ---------------------------------------------------------------------
def bands(frame: pd.DataFrame, value: str, by: list[str], floor: float | None = None) -> pd.DataFrame:
    """Per group (e.g. cell, date): mean, lo, hi (95% t-interval of the mean) and n of `value`;
    `floor` clips the band for quantities that cannot go below it (shares, people, prices)."""
    g = frame.groupby(by, sort=True)[value]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    n = out["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
        half = tq * out["sd"].to_numpy(float) / np.sqrt(n)
    out["lo"] = out["mean"] - half
    out["hi"] = out["mean"] + half
    if floor is not None:
        out["lo"] = out["lo"].clip(lower=floor)
    return out.drop(columns="sd")


def series(out: Path, results: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Banded daily series of the ok runs: total DAU, mean API price (market); app share and
    30-day MaaS margin per firm. Empty dict when the sweep kept no daily frames."""
    ok = results[results["status"] == "ok"]
    cell_of = dict(zip(ok["run_id"], ok["cell"].astype(int)))
    market = read_daily(out, "market", ["date", "total_dau", "mean_api_price"], run_ids=list(cell_of))
    firms = read_daily(out, "firms", ["date", "firm", "app_share", "api_revenue", "api_serving_cost"],
                       run_ids=list(cell_of))
    if not len(market) or not len(firms):
        return {}
    market["cell"] = market["run_id"].map(cell_of)
    firms["cell"] = firms["run_id"].map(cell_of)
    order = list(dict.fromkeys(firms["firm"]))  # scenario order (the frames list firms in it each day)
    with_app = set(firms.loc[firms["app_share"] > 0, "firm"])
    firms = firms.sort_values(["run_id", "firm", "date"], kind="stable")
    grouped = firms.groupby(["run_id", "firm"], sort=False)
    revenue = grouped["api_revenue"].transform(lambda s: s.rolling(MARGIN_WINDOW_DAYS, min_periods=1).sum())
    cost = grouped["api_serving_cost"].transform(lambda s: s.rolling(MARGIN_WINDOW_DAYS, min_periods=1).sum())
    firms["maas_margin_30d"] = ((revenue - cost) / revenue).where(revenue > 1e-6)
    app_share = bands(firms[firms["firm"].isin(with_app)], "app_share", ["firm", "cell", "date"], floor=0.0)
    margin = bands(firms, "maas_margin_30d", ["firm", "cell", "date"])
    rank = {f: i for i, f in enumerate(order)}
    return {
        "total_dau": bands(market, "total_dau", ["cell", "date"], floor=0.0),
        "mean_api_price": bands(market, "mean_api_price", ["cell", "date"], floor=0.0),
        "app_share": app_share.sort_values("firm", key=lambda s: s.map(rank), kind="stable"),
        "maas_margin_30d": margin.sort_values("firm", key=lambda s: s.map(rank), kind="stable"),
    }


# ---- figures ------------------------------------------------------------------------------------
def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def _add_band(fig: Any, frame: pd.DataFrame, name: str, color: str, *, row: int | None = None,
              col: int | None = None, legend: bool = True, fmt_hover: str = "%{y:.4g}") -> None:
    where = {"row": row, "col": col} if row is not None else {}
    x = frame["date"]
    has_band = frame["lo"].notna().any()
    if has_band:
        fig.add_scatter(x=x, y=frame["hi"], mode="lines", line={"width": 0}, hoverinfo="skip",
                        showlegend=False, legendgroup=name, **where)
        fig.add_scatter(x=x, y=frame["lo"], mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor=_rgba(color, 0.2), hoverinfo="skip", showlegend=False, legendgroup=name,
                        name=f"{name} 95% band", **where)
    fig.add_scatter(x=x, y=frame["mean"], mode="lines", name=name, legendgroup=name, showlegend=legend,
                    line={"color": color, "width": 1.8},
                    hovertemplate=f"%{{x|%Y-%m-%d}}: {fmt_hover}<extra>{html.escape(name)}</extra>", **where)


def figure_metric(table: pd.DataFrame, colors: dict[int, str]) -> Any:
    """Mean and 95% CI per option (left) and the difference from the baseline (right)."""
    from plotly.subplots import make_subplots

    metric = table.attrs["metric"]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=(f"{metric}: mean, 95% CI", "difference from the baseline, 95% CI"))
    order = table.iloc[::-1]
    for _, r in order.iterrows():
        color = colors[int(r["cell"])]
        name = r["option"] + (" (baseline)" if r["is_baseline"] else "")
        err = None if pd.isna(r["ci_lo"]) else {"type": "data", "symmetric": False,
                                                 "array": [r["ci_hi"] - r["mean"]],
                                                 "arrayminus": [r["mean"] - r["ci_lo"]]}
        fig.add_scatter(x=[r["mean"]], y=[name], error_x=err, mode="markers", marker={"color": color, "size": 9},
                        showlegend=False, row=1, col=1,
                        hovertemplate=f"{html.escape(name)}<br>mean %{{x:.4g}} (n={r['n']})<extra></extra>")
        if r["is_baseline"]:
            continue
        err = None if pd.isna(r["diff_lo"]) else {"type": "data", "symmetric": False,
                                                   "array": [r["diff_hi"] - r["diff"]],
                                                   "arrayminus": [r["diff"] - r["diff_lo"]]}
        p = "n/a" if pd.isna(r["p_beats"]) else f"{r['p_beats']:.3f}"
        fig.add_scatter(x=[r["diff"]], y=[name], error_x=err, mode="markers+text", text=[f"P={p}"],
                        textposition="top center", cliponaxis=False,
                        marker={"color": color, "size": 9, "symbol": "diamond"},
                        showlegend=False, row=1, col=2,
                        hovertemplate=f"{html.escape(name)}<br>diff %{{x:.4g}}; P(beats baseline) {p}<extra></extra>")
    fig.add_vline(x=0, line={"color": "#888", "width": 1, "dash": "dash"}, row=1, col=2)
    fig.update_layout(template="plotly_white", height=max(260, 60 + 42 * len(table)),
                      margin={"t": 50, "l": 10, "r": 20, "b": 40})
    fig.update_yaxes(automargin=True)
    return fig


def figure_market(frame: pd.DataFrame, labels: dict[int, str], colors: dict[int, str], title: str,
                  ytitle: str, **yaxis: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for cell, rows in frame.groupby("cell", sort=True):
        _add_band(fig, rows, labels[int(cell)], colors[int(cell)])
    fig.update_layout(template="plotly_white", height=440, title={"text": title, "x": 0, "font": {"size": 15}},
                      margin={"t": 60, "l": 70, "r": 20, "b": 45}, hovermode="closest")
    fig.update_xaxes(title_text="date", type="date")
    fig.update_yaxes(title_text=ytitle, **yaxis)
    return fig


def figure_per_firm(frame: pd.DataFrame, firms: list[str], labels: dict[int, str], colors: dict[int, str],
                    title: str, tickformat: str) -> Any:
    from plotly.subplots import make_subplots

    cols = 3
    nrows = max(1, math.ceil(len(firms) / cols))
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=firms, shared_xaxes=True,
                        vertical_spacing=0.5 / max(nrows, 1) / 2 + 0.02, horizontal_spacing=0.06)
    for i, fid in enumerate(firms):
        rows_f = frame[frame["firm"] == fid]
        for cell, rows in rows_f.groupby("cell", sort=True):
            _add_band(fig, rows, labels[int(cell)], colors[int(cell)], row=i // cols + 1, col=i % cols + 1,
                      legend=i == 0, fmt_hover="%{y:.2%}" if tickformat.endswith("%") else "%{y:.4g}")
    fig.update_layout(template="plotly_white", height=230 * nrows + 80,
                      title={"text": title, "x": 0, "font": {"size": 15}},
                      margin={"t": 80, "l": 60, "r": 20, "b": 40}, hovermode="closest")
    fig.update_yaxes(tickformat=tickformat)
    return fig


# ---- the page -----------------------------------------------------------------------------------
def _table_html(frame: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(str(c))}</th>' for c in frame.columns)
    body = "".join("<tr>" + "".join(f'<td class="{"l" if c in left else ""}">{html.escape(str(v))}</td>'
                                    for c, v in row.items()) + "</tr>" for _, row in frame.iterrows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(table: pd.DataFrame, results: pd.DataFrame, cells: list[Cell],
                daily: dict[str, pd.DataFrame], *, title: str = "pricewar: comparison", facts: str = "",
                command: str = "") -> str:
    """One self-contained HTML page: plotly.js inlined once, no CDN."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from market.report import CSS, PALETTE

    labels = labels_of(cells)
    colors = {c.index: PALETTE[i % len(PALETTE)] for i, c in enumerate(cells)}
    metric = table.attrs["metric"]
    direction = "higher" if table.attrs.get("higher_is_better", True) else "lower"
    figs = [("metric", figure_metric(table, colors))]
    if daily:
        figs.append(("total_dau", figure_market(daily["total_dau"], labels, colors,
                                                "Total DAU (mean across replicates, shaded 95% CI)",
                                                "people", rangemode="tozero")))
        figs.append(("mean_api_price", figure_market(daily["mean_api_price"], labels, colors,
                                                     "Token-weighted mean API list price (mean, 95% CI)",
                                                     "CNY per M tokens")))
        figs.append(("app_share", figure_per_firm(daily["app_share"], list(dict.fromkeys(daily["app_share"]["firm"])),
                                                  labels, colors, "App share of people by firm (mean, 95% CI; "
                                                  "firms without an app left out)", ".2~%")))
        firms = list(dict.fromkeys(daily["maas_margin_30d"]["firm"]))
        figs.append(("maas_margin", figure_per_firm(daily["maas_margin_30d"], firms, labels, colors,
                                                    f"MaaS margin, {MARGIN_WINDOW_DAYS}-day rolling, by firm "
                                                    "(mean over replicates with API revenue, 95% CI)", ".0%")))
    config = {"displaylogo": False, "responsive": True}
    divs = [(name, pio.to_html(fig, include_plotlyjs=False, full_html=False, config=config,
                               default_width="100%")) for name, fig in figs]
    outcomes = [metric, *[h for h in HEADLINE if h != metric]]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style>",
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>',
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>", f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{facts}</p>' if facts else "",
        f'<p class="meta">command: <code>{html.escape(command)}</code></p>' if command else "",
        f"<h2>Ranking on <code>{html.escape(metric)}</code> ({direction} is better)</h2>",
        _table_html(format_table(table), left=("option",)),
        f'<p class="note">Baseline: {html.escape(table.attrs["baseline_label"])}. Means with 95% t-intervals over '
        "ok replicates. The difference is paired (t-interval of per-replicate differences) when the replicates "
        "share seeds, else Welch. P(beats baseline): bootstrap probability (10,000 resamples) that the option's "
        "mean beats the baseline's. Win rate: share of replicate pairs the option wins (ties half).</p>",
        '<div class="fig">' + divs[0][1] + "</div>",
        "<h2>Outcomes by option (mean [95% CI])</h2>",
        _table_html(outcome_means(results, cells, outcomes), left=("option",)),
        "<h2>Time series</h2>",
    ]
    if not daily:
        parts.append("<p>This sweep kept no daily frames (--no-daily): no time series.</p>")
    drawn = set(daily["total_dau"]["cell"]) if daily else set()
    hidden = len(cells) - len(drawn)
    parts.append('<p class="note">Lines are the mean across an option\'s ok replicates; the shaded band is the '
                 "95% t-interval of that mean, day by day. Click a legend entry to hide an option."
                 + (f" Only the baseline and the {len(drawn) - 1} best-ranked options are drawn ({hidden} more "
                    "are in the tables)." if daily and hidden else "") + "</p>")
    parts += [f'<div class="fig" id="fig-{name}">{div}</div>' for name, div in divs[1:]]
    parts += ["</body></html>"]
    return "\n".join(p for p in parts if p)


def shown_cells(table: pd.DataFrame, limit: int = MAX_SERIES) -> list[int]:
    """The baseline and the best-ranked other options, at most `limit` in all."""
    base = int(table.attrs["baseline"])
    others = [int(c) for c in table["cell"] if int(c) != base]
    return [base, *others[: limit - 1]]


def report(source: str | Path, metric: str = "total_dau_end", *, baseline: int | str | None = None,
           higher_is_better: bool = True, command: str = "") -> tuple[pd.DataFrame, str]:
    """(option table, HTML page) for a sweep directory."""
    results, spec, out = load(source)
    table = option_table(results, metric, baseline=baseline, higher_is_better=higher_is_better, spec=spec)
    cells = cells_of(results, spec)
    shown = shown_cells(table)
    daily = series(out, results[results["cell"].isin(shown)]) if out is not None else {}
    names = ", ".join(dict.fromkeys(c.scenario for c in cells))
    n_ok = int((results["status"] == "ok").sum())
    facts = (f"scenario(s) <b>{html.escape(names)}</b>; {len(cells)} options; {len(results)} runs "
             f"({n_ok} ok)")
    if spec is not None:
        days = "all" if spec.days is None else spec.days
        facts += (f"; {spec.replicates} replicates per option; days {days}; base seed {spec.base_seed}, "
                  f"seeds {spec.seeds}")
        if spec.overrides:
            facts += "; --set " + html.escape(" ".join(f"{k}={v}" for k, v in spec.to_json()["overrides"].items()))
    return table, render_html(table, results, cells, daily, facts=facts, command=command)
