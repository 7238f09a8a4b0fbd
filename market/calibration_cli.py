"""`pricewar calibrate` (the calibration report) and `pricewar fit` (the calibration procedure)."""

from __future__ import annotations

import argparse
import html
import os
from pathlib import Path

import pandas as pd

from market.cli import UsageError


def register(sub: argparse._SubParsersAction) -> dict:
    cal = sub.add_parser("calibrate", help="check scenarios against the seed facts over several seeds",
                         description="Run each scenario over several seeds and write a calibration "
                                     "table (markdown and HTML): target, source row, simulated mean "
                                     "and spread, error, pass/fail against the stated tolerance.")
    cal.add_argument("--scenarios", default="history,history-endogenous", metavar="A,B",
                     help="comma-separated scenarios, shown side by side (default: history,history-endogenous)")
    cal.add_argument("--seeds", type=int, default=5, metavar="N", help="seeds 0..N-1 (default 5, at least 1)")
    cal.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cal.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), metavar="W")
    cal.add_argument("--out", type=Path, default=Path("out/calibration"), metavar="DIR")
    cal.add_argument("--strict", action="store_true", help="exit 1 if a target of the first scenario fails")

    fit = sub.add_parser("fit", help="refit history's calibrated parameters (market/data/calibration.toml)",
                         description="Run the documented fit (market/fit.py) and write the fitted "
                                     "values; rerunning it reproduces the committed file.")
    fit.add_argument("--rounds", type=int, default=12, metavar="N")
    fit.add_argument("--seeds", type=int, default=5, metavar="N")
    fit.add_argument("--consumers", type=int, default=20_000, metavar="N")
    fit.add_argument("--out", type=Path, default=None, metavar="FILE",
                     help="where to write (default: the package's market/data/calibration.toml)")
    return {"calibrate": cmd_calibrate, "fit": cmd_fit}


def calibration_table(scenarios: list[str], seeds: int, overrides: list[str], workers: int) -> pd.DataFrame:
    """The calibration rows of every scenario, stacked."""
    from market.calibration import evaluate, simulate

    frames = [evaluate(simulate(name, range(seeds), overrides=overrides or None, workers=workers), name)
              for name in scenarios]
    return pd.concat(frames, ignore_index=True)


def _fmt(value: float, unit: str) -> str:
    if unit in ("people", "tokens/day", "CNY/month"):
        return f"{value / 1e6:,.2f} M" if abs(value) < 1e9 else f"{value / 1e9:,.2f} bn"
    return f"{value:.3g}"


def to_markdown(table: pd.DataFrame) -> str:
    lines = []
    for scenario, rows in table.groupby("scenario", sort=False):
        passed = int(rows["passed"].sum())
        lines += [f"## {scenario}: {passed} of {len(rows)} targets pass (mean over {rows['seeds'].iloc[0]} seeds)",
                  "", "| target | source | observed | simulated mean (min–max) | error | tolerance | pass | note |",
                  "|---|---|---:|---:|---:|---|---|---|"]
        for r in rows.itertuples():
            sim = f"{_fmt(r.simulated_mean, r.unit)} ({_fmt(r.simulated_min, r.unit)}–{_fmt(r.simulated_max, r.unit)})"
            lines.append(f"| {r.what} | {r.source} | {_fmt(r.observed, r.unit)} {r.unit} | {sim} | "
                         f"{r.error:+.2f} | {r.tolerance} | {'yes' if r.passed else 'NO'} "
                         f"({r.seeds_passing}/{r.seeds} seeds) | {r.note} |")
        lines.append("")
    return "\n".join(lines)


def to_html(table: pd.DataFrame) -> str:
    body = []
    for scenario, rows in table.groupby("scenario", sort=False):
        body.append(f"<h2>{html.escape(scenario)}: {int(rows['passed'].sum())} of {len(rows)} targets pass</h2>")
        cells = ["<tr><th>target</th><th>source</th><th>observed</th><th>simulated mean</th><th>sd</th>"
                 "<th>error</th><th>tolerance</th><th>pass</th><th>note</th></tr>"]
        for r in rows.itertuples():
            colour = "#d8f5d8" if r.passed else "#f8d7d7"
            cells.append(
                f"<tr style='background:{colour}'><td>{html.escape(r.what)}</td><td>{r.source}</td>"
                f"<td>{_fmt(r.observed, r.unit)} {r.unit}</td><td>{_fmt(r.simulated_mean, r.unit)}</td>"
                f"<td>{_fmt(r.simulated_sd, r.unit)}</td><td>{r.error:+.2f}</td><td>{r.tolerance}</td>"
                f"<td>{'yes' if r.passed else 'NO'} ({r.seeds_passing}/{r.seeds})</td>"
                f"<td>{html.escape(r.note)}</td></tr>")
        body.append("<table>" + "".join(cells) + "</table>")
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;font-size:14px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>pricewar calibration</title>"
            f"<style>{style}</style></head><body><h1>pricewar calibration</h1>"
            "<p>Targets from market/data/seed_facts.csv. Tolerances: rankings exact, users ±30%, token "
            "volumes within ×2, prices ±20%. Error: relative (log2 ratio for tokens).</p>"
            + "".join(body) + "</body></html>")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from market.cli import write_outputs

    if args.seeds < 1 or args.workers < 1:
        raise UsageError("--seeds and --workers must be at least 1")
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if not scenarios:
        raise UsageError("--scenarios needs at least one scenario name")
    from market.scenario import load

    for name in scenarios:  # refuse bad names or --set keys before running anything
        load(name, args.overrides)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out '{args.out}': {exc.strerror or exc}") from None
    table = calibration_table(scenarios, args.seeds, args.overrides, args.workers)
    markdown = to_markdown(table)
    print(markdown)
    paths = write_outputs(args.out, {"calibration.md": markdown, "calibration.html": to_html(table),
                                     "calibration.csv": table.to_csv(index=False)})
    print("wrote:\n" + "\n".join(f"  {p}" for p in paths))
    first = table[table["scenario"] == scenarios[0]]
    return 1 if args.strict and not first["passed"].all() else 0


def cmd_fit(args: argparse.Namespace) -> int:
    from market.fit import CALIBRATION_FILE, fit, write

    if args.seeds < 1 or args.rounds < 0 or args.consumers < 10:
        raise UsageError("--seeds >= 1, --rounds >= 0 and --consumers >= 10 are required")
    seeds = tuple(range(args.seeds))
    values, history = fit(seeds=seeds, consumers=args.consumers, rounds=args.rounds)
    path = write(values, history, seeds, args.consumers, args.out or CALIBRATION_FILE)
    print(f"wrote {path}")
    return 0
