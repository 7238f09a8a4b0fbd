"""`pricewar sweep`, `pricewar compare` and `pricewar sensitivity`: batch runs from the command line.

    pricewar sweep --scenario NAME --vary KEY=V1,V2 [--vary ...] --replicates N --days D --workers W --out DIR
    pricewar compare DIR [--metric COLUMN] [--baseline CELL|LABEL]
    pricewar compare --scenarios A,B,C --replicates N --days D --out DIR
    pricewar sensitivity --scenario NAME --params KEY:LOW:HIGH ... --method sobol|morris --out DIR

A plug-in of `market.cli` (see PLUGINS there): `register` adds the subcommands. Bad input raises
ScenarioError or UsageError (one line, exit 2); exit 1 when runs failed or were lost; 130 on Ctrl-C
(finished runs are kept: rerun with --resume).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from market.batch import ENGINES, SEED_MODES, BatchError, SweepReport

FAST_HINT = "e.g. --set population.consumers=20000"


def register(sub: Any) -> dict[str, Any]:
    """Add the subcommands to `pricewar`'s subparsers; return {name: handler}."""
    sweep = sub.add_parser(
        "sweep", help="run a grid of --vary values x replicates in parallel (Parquet results)",
        description="Run every combination of the --vary values (cells) x --replicates, in parallel, "
                    "writing each run as it finishes under --out: results/<run_id>.parquet (one row: "
                    "parameters, seed, status, outcomes), firms/ and market/<run_id>.parquet (daily "
                    "frames) and results.parquet (all rows) at the end.")
    _scenario_args(sweep)
    sweep.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="a --set key and its values (repeatable: the grid is every combination)")
    _run_args(sweep, replicates=5)
    sweep.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="output directory (default: out/sweep-<scenario>)")
    sweep.add_argument("--seeds", choices=SEED_MODES, default="independent",
                       help="independent: seed from (seed, cell, replicate); common: replicate i has the "
                            "same seed in every cell (paired comparisons). Default: independent")
    sweep.add_argument("--no-daily", dest="daily", action="store_false",
                       help="keep only the results rows, not each run's daily frames")

    compare = sub.add_parser(
        "compare", help="compare a sweep's options against a baseline (HTML report + table)",
        description="Each option (cell) of a sweep against the baseline on --metric: means and 95% "
                    "intervals over replicates, the difference, P(option beats baseline) and a ranking; "
                    "time series with 95% bands; one self-contained HTML page. Give a sweep directory, "
                    "or --scenarios to run the scenarios first (common seeds: paired replicates).")
    compare.add_argument("dir", nargs="?", type=Path, default=None, metavar="DIR",
                         help="a sweep's --out directory")
    compare.add_argument("--scenarios", default=None, metavar="A,B,C",
                         help="run these scenarios (names or TOML files) and compare them; the first "
                              "is the baseline")
    compare.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                         help="with --scenarios: override a value in every scenario (repeatable)")
    _run_args(compare, replicates=10)
    compare.add_argument("--seeds", choices=SEED_MODES, default="common",
                         help="with --scenarios (default: common, so replicates pair up)")
    compare.add_argument("--out", type=Path, default=None, metavar="DIR",
                         help="with --scenarios: where the runs go (default: out/compare-A-B-C)")
    compare.add_argument("--metric", default="total_dau_end", metavar="COLUMN",
                         help="outcome column to rank on, e.g. dau_end__deepseek (default: total_dau_end)")
    compare.add_argument("--lower-is-better", action="store_true",
                         help="the option with the lower --metric wins (e.g. prices)")
    compare.add_argument("--baseline", default=None, metavar="CELL|LABEL",
                         help="cell index, option label or scenario name (default: the status-quo cell, "
                              "else the first)")
    compare.add_argument("--html", type=Path, default=None, metavar="PATH",
                         help="where to write the report (default: DIR/compare.html)")

    sens = sub.add_parser(
        "sensitivity", help="global sensitivity analysis (SALib Sobol or Morris) of outcomes to parameters",
        description="Sample the --params ranges with SALib, run every sample through the sweep engine "
                    "(common seeds), and report first-order and total indices (Sobol S1/ST, Morris "
                    "mu_star/sigma) for each outcome: a printed table, sensitivity.csv and sensitivity.html.")
    _scenario_args(sens)
    sens.add_argument("--params", nargs="+", action="extend", default=[], metavar="KEY:LOW:HIGH",
                      help="numeric --set keys and their ranges (integer keys are rounded)")
    sens.add_argument("--method", choices=("sobol", "morris"), default="morris",
                      help="sobol: N x (D+2) runs; morris: N x (D+1) runs (default: morris)")
    sens.add_argument("--samples", type=int, default=None, metavar="N",
                      help="base samples N (default: 64 for sobol, a power of 2; 10 trajectories for morris)")
    sens.add_argument("--levels", type=int, default=4, metavar="L", help="Morris grid levels (default: 4)")
    sens.add_argument("--outcomes", nargs="+", action="extend", default=[], metavar="COLUMN",
                      help="results columns to analyse (default: total_dau_end mean_api_price_end)")
    _run_args(sens, replicates=1)
    sens.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="output directory (default: out/sensitivity-<scenario>)")
    return {"sweep": cmd_sweep, "compare": cmd_compare, "sensitivity": cmd_sensitivity}


def _scenario_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="history", metavar="NAME|PATH",
                        help="a shipped scenario name or a TOML file (default: history)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a value in every run (repeatable)")


def _run_args(parser: argparse.ArgumentParser, replicates: int) -> None:
    parser.add_argument("--replicates", type=int, default=replicates, metavar="N",
                        help=f"runs per cell, each with its own seed (default: {replicates})")
    parser.add_argument("--days", type=int, default=None, metavar="N",
                        help="simulate the first N days of each run (default: the whole scenario)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="base seed (default: 0)")
    parser.add_argument("--workers", type=int, default=None, metavar="W",
                        help="worker processes (default: the CPUs this process may use)")
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="local processes (default) or a Dask cluster (pip install 'pricewar[dist]')")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="with --engine dask: join this scheduler (default: start a LocalCluster)")
    parser.add_argument("--resume", action="store_true", help="skip runs already finished in the output directory")
    parser.add_argument("--retry-failed", action="store_true", help="with --resume: rerun the failed runs too")
    parser.add_argument("--max-tasks-per-child", type=int, default=None, metavar="N",
                        help="local engine: replace a worker process after N runs (default: never)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only the paths written")


def text_table(frame: Any, left: tuple[str, ...] = ("option",), indent: str = "  ") -> str:
    """A frame as printed text, the `left` columns left-aligned (names read better that way)."""
    shown = frame.copy()
    for col in left:
        if col in shown:
            width = max([len(str(col)), *(len(str(v)) for v in shown[col])])
            shown[col] = [str(v).ljust(width) for v in shown[col]]
            shown = shown.rename(columns={col: str(col).ljust(width)})
    return indent + shown.to_string(index=False).replace("\n", "\n" + indent)


def _usage(fn: Any) -> Any:
    """Turn BatchError into the CLI's one-line UsageError; Ctrl-C into exit code 130."""

    def handler(args: argparse.Namespace) -> int:
        from market.cli import UsageError

        try:
            return fn(args)
        except BatchError as exc:
            raise UsageError(str(exc)) from None
        except KeyboardInterrupt as exc:
            report = getattr(exc, "report", None)
            kept = f"{len(report.results)} finished runs are kept in {report.out}; " if report else ""
            print(f"\ninterrupted: {kept}rerun the same command with --resume to finish", file=sys.stderr)
            return 130

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


def _engine_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    from market.cli import UsageError

    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    if args.retry_failed and not args.resume:
        raise UsageError("--retry-failed needs --resume")
    if args.max_tasks_per_child is not None and args.max_tasks_per_child < 1:
        raise UsageError(f"--max-tasks-per-child must be >= 1, got {args.max_tasks_per_child}")
    return {"workers": args.workers, "engine": args.engine, "scheduler": args.scheduler, "resume": args.resume,
            "retry_failed": args.retry_failed, "progress": not args.quiet,
            "max_tasks_per_child": args.max_tasks_per_child}


def _command(args: argparse.Namespace) -> str:
    return shlex.join(["pricewar", *(sys.argv[1:] if args.argv is None else args.argv)])


def _describe_start(report_total: int, cells: int, replicates: int, args: argparse.Namespace, what: str) -> None:
    if args.quiet:
        return
    workers = args.workers or "all-CPU"
    engine = args.engine + (f" at {args.scheduler}" if args.scheduler else "")
    print(f"{what}: {cells} cells x {replicates} replicates = {report_total} runs on {workers} {engine} workers",
          flush=True)


def _describe_end(report: SweepReport, quiet: bool) -> int:
    """Print how the runs went; the exit code (1 if any run failed or was lost)."""
    results = report.results
    failed = results[results["status"] != "ok"] if len(results) else results
    if not quiet:
        rate = f" ({report.runs_per_minute:.1f} runs/min)" if report.executed else ""
        print(f"ran       {report.executed} runs in {report.wall_s:.1f} s{rate}: {report.ok} ok, "
              f"{report.failed} failed; {report.skipped} already finished (--resume)")
        if report.lost:
            print(f"lost      {len(report.lost)} runs to a dead worker ({', '.join(report.lost[:5])}"
                  f"{', ...' if len(report.lost) > 5 else ''}): rerun with --resume")
        if len(failed):
            print(f"failed    {len(failed)} runs, e.g. {failed.iloc[0]['run_id']}: {failed.iloc[0]['error']}")
        bad = results.attrs.get("unreadable", [])
        if bad:
            print(f"skipped   {len(bad)} unreadable results files (they rerun with --resume): {bad[0]}")
    return 1 if len(failed) or report.lost else 0


# ---- pricewar sweep -----------------------------------------------------------------------------
@_usage
def cmd_sweep(args: argparse.Namespace) -> int:
    from market.batch import make_spec, parse_vary, run_spec

    vary = parse_vary(args.vary)
    spec = make_spec(args.scenario, vary, replicates=args.replicates, days=args.days, overrides=args.overrides,
                     seed=args.seed, seeds=args.seeds, daily=args.daily)
    kwargs = _engine_kwargs(args)
    out = args.out if args.out is not None else Path("out") / f"sweep-{Path(args.scenario).stem}"
    _describe_start(len(spec.cells) * spec.replicates, len(spec.cells), spec.replicates, args,
                    f"sweep     {args.scenario}")
    report = run_spec(spec, out, load_cells=False, **kwargs)
    code = _describe_end(report, args.quiet)
    if not args.quiet:
        print_cells(report, spec)
        print(f"\nwrote     {out / 'results.parquet'} ({len(report.results)} rows; one file per run in "
              f"{out / 'results'}" + (f", daily frames in {out / 'firms'} and {out / 'market'})" if spec.daily
                                       else ")"))
    else:
        print(out / "results.parquet")
    return code


def print_cells(report: SweepReport, spec: Any) -> None:
    """Per cell: its values, ok/failed runs and the mean of two headline outcomes."""
    import pandas as pd

    results = report.results
    if not len(results):
        return
    labels = {c.index: c.label(with_scenario=len({x.scenario for x in spec.cells}) > 1) for c in spec.cells}
    ok = results[results["status"] == "ok"]
    rows = []
    for cell in spec.cells:
        mine = ok[ok["cell"] == cell.index]
        row = {"cell": cell.index, "option": labels[cell.index], "ok": len(mine),
               "failed": int(((results["cell"] == cell.index) & (results["status"] != "ok")).sum())}
        for name, scale, unit in (("total_dau_end", 1e6, "total DAU end (M)"),
                                  ("mean_api_price_end", 1.0, "mean API price end (CNY/M)")):
            row[unit] = f"{mine[name].mean() / scale:.4g}" if name in mine and len(mine) else "n/a"
        rows.append(row)
    frame = pd.DataFrame(rows)
    shown = frame if len(frame) <= 40 else frame.head(40)
    print("\nper cell (mean over ok replicates" + (", first 40 cells" if len(frame) > 40 else "") + "):")
    print(text_table(shown))


# ---- pricewar compare ---------------------------------------------------------------------------
@_usage
def cmd_compare(args: argparse.Namespace) -> int:
    from market.cli import UsageError
    from market.compare import format_table, report
    from market.report import write_text_atomic

    if (args.dir is None) == (args.scenarios is None):
        raise UsageError("give a sweep directory DIR or --scenarios A,B,C (one of them)")
    code = 0
    if args.scenarios is not None:
        from market.batch import make_spec, run_spec

        names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        if not names:
            raise UsageError("--scenarios needs at least one scenario name")
        out = args.out if args.out is not None else Path("out") / ("compare-" + "-".join(Path(n).stem for n in names))
        spec = make_spec(names, None, replicates=args.replicates, days=args.days, overrides=args.overrides,
                         seed=args.seed, seeds=args.seeds)
        kwargs = _engine_kwargs(args)
        _describe_start(len(spec.cells) * spec.replicates, len(spec.cells), spec.replicates, args,
                        f"compare   {', '.join(names)}")
        code = _describe_end(run_spec(spec, out, load_cells=False, **kwargs), args.quiet)
    else:
        out = args.dir
        if not out.is_dir():
            raise UsageError(f"no such sweep directory '{out}'")
        if args.overrides:
            raise UsageError("--set works with --scenarios; a sweep directory keeps its own values")
    table, page = report(out, args.metric, baseline=args.baseline, higher_is_better=not args.lower_is_better,
                         command=_command(args))
    html_path = args.html if args.html is not None else out / "compare.html"
    try:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(html_path, page)
        csv_path = html_path.with_suffix(".csv")
        write_text_atomic(csv_path, table.to_csv(index=False, lineterminator="\n"))
    except OSError as exc:
        raise UsageError(f"cannot write '{html_path}': {exc.strerror or exc}") from None
    if args.quiet:
        print(html_path)
        return code
    direction = "lower" if args.lower_is_better else "higher"
    print(f"\n{table.attrs['metric']} ({direction} is better); baseline: {table.attrs['baseline_label']}")
    print(text_table(format_table(table)))
    print("  (means and differences with 95% t-intervals over replicates; P(beats baseline) by bootstrap; "
          "win rate: share of replicate pairs won)")
    print(f"\nwrote     {html_path}\n          {csv_path}")
    return code


# ---- pricewar sensitivity -----------------------------------------------------------------------
@_usage
def cmd_sensitivity(args: argparse.Namespace) -> int:
    import pandas as pd

    from market.report import write_text_atomic
    from market.sensitivity import format_table, render_html, run_analysis

    out = args.out if args.out is not None else Path("out") / f"sensitivity-{Path(args.scenario).stem}"
    kwargs = _engine_kwargs(args)
    if not args.quiet:
        print(f"sensitivity {args.scenario}: {args.method}, parameters {' '.join(args.params)}", flush=True)
    analysis = run_analysis(args.scenario, args.params, method=args.method, samples=args.samples,
                            outcomes=args.outcomes or None, days=args.days, overrides=args.overrides,
                            replicates=args.replicates, seed=args.seed, levels=args.levels, out=out, **kwargs)
    code = _describe_end(analysis.report, args.quiet)
    html_path, csv_path = out / "sensitivity.html", out / "sensitivity.csv"
    write_text_atomic(html_path, render_html(analysis, command=_command(args)))
    write_text_atomic(csv_path, analysis.table.to_csv(index=False, lineterminator="\n"))
    if args.quiet:
        print(html_path)
        return code
    table = analysis.table
    print(f"\n{analysis.method} indices ({table.attrs['samples']} base samples, {table.attrs['runs']} runs):")
    with pd.option_context("display.max_colwidth", 60):
        print(text_table(format_table(table), left=("outcome", "param")))
    for name, n in analysis.missing.items():
        if n:
            print(f"  {name}: {n} samples without a value (failed runs): its indices are n/a")
    print(f"\nwrote     {html_path}\n          {csv_path}")
    return code
