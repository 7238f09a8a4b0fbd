"""The `pricewar` command line: run a scenario, list scenarios, list the `--set` keys.

    pricewar run [--scenario NAME|PATH] [--seed N] [--days N] [--set KEY=VALUE ...] [--out DIR] [--quiet]
    pricewar scenarios
    pricewar keys [--scenario NAME|PATH]

Bad input (a scenario error, a bad value, an unwritable --out) prints one line,
`pricewar: error: ...`, to stderr and exits 2. Anything else is a bug and raises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shlex
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from market.errors import ScenarioError

PROG = "pricewar"
DEFAULT_SCENARIO = "history"
# Modules that add subcommands: each has `register(subparsers) -> dict[command name, handler]`,
# a handler taking the parsed args and returning an exit code (it may raise UsageError or
# ScenarioError for bad input).
PLUGINS = ("market.calibration_cli", "market.batch_cli", "dashboards.cli")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


def _fail(message: str) -> int:
    one_line = " ".join(str(message).split())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    return 2


# ---- arguments ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Agent-based model of the Chinese LLM price war (Mesa).",
        epilog="Example: pricewar run --scenario history --seed 1 "
               "--set firms.deepseek.open_weights=false --out out/closed-deepseek")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run a scenario and write CSVs and an HTML report",
                         description="Run a scenario; print a summary; write firms.csv, "
                                     "market.csv, events.csv and report.html into --out.")
    run.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="NAME|PATH",
                     help="a shipped scenario name (see `pricewar scenarios`) or a TOML file "
                          f"(default: {DEFAULT_SCENARIO})")
    run.add_argument("--seed", type=int, default=None, metavar="N",
                     help="random seed, >= 0 (default: the scenario's scenario.seed)")
    run.add_argument("--days", type=int, default=None, metavar="N",
                     help="simulate only the first N >= 1 days (default: the whole scenario)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. firms.deepseek.api_price=2 "
                          "(repeatable; `pricewar keys` lists the keys)")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="output directory (default: out/<scenario>)")
    run.add_argument("--quiet", action="store_true", help="print only the paths written")
    run.add_argument("--baseline", default=None, metavar="NAME|PATH|none",
                     help="overlay this scenario (same seed, days and --set) in the report; default: the "
                          "scenario it extends, e.g. history for a counterfactual; 'none' to skip")

    sub.add_parser("scenarios", help="list the shipped scenarios",
                   description="List the shipped scenarios: name and one-line description.")

    keys = sub.add_parser("keys", help="list the keys --set accepts",
                          description="List every KEY that `pricewar run --set KEY=VALUE` accepts "
                                      "for a scenario, with its current value, range and unit.")
    keys.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="NAME|PATH",
                      help=f"scenario name or TOML file (default: {DEFAULT_SCENARIO})")
    parser.handlers = {"run": cmd_run, "scenarios": cmd_scenarios, "keys": cmd_keys}
    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        parser.handlers.update(module.register(sub))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pricewar` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    handlers = parser.handlers
    try:
        return handlers[args.command](args)
    except (ScenarioError, UsageError) as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # e.g. `pricewar keys | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


# ---- pricewar scenarios -------------------------------------------------------------------------
def cmd_scenarios(args: argparse.Namespace) -> int:
    from market.scenario import available

    shipped = available()
    width = max((len(name) for name, _ in shipped), default=0)
    for name, description in shipped:
        print(f"{name:<{width}}  {description}".rstrip())
    return 0


# ---- pricewar keys ------------------------------------------------------------------------------
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (dt.date, int)):
        return str(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    return repr(value)


def describe_key(raw: dict, key: str) -> tuple[str, str, str]:
    """(current value, allowed values, unit and meaning) of a dotted --set key."""
    import dataclasses

    from agents.strategies import REGISTRY
    from market.schema import SECTIONS, TABLES, fields_of

    parts = key.split(".")
    if parts[0] in SECTIONS:
        field = fields_of(SECTIONS[parts[0]])[parts[1]]
    elif len(parts) == 5:
        field = fields_of(REGISTRY[parts[3]])[parts[4]]
    else:
        field = fields_of(TABLES[parts[0]])[parts[2]]
    node: Any = raw
    for part in parts:
        node = node.get(part, dataclasses.MISSING) if isinstance(node, dict) else dataclasses.MISSING
    if node is dataclasses.MISSING:
        node = field.default if field.default is not dataclasses.MISSING else (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else None)
    meta = field.metadata
    if meta.get("choices"):
        allowed = "|".join(meta["choices"])
    elif meta.get("lo") is not None or meta.get("hi") is not None:
        allowed = f"[{_num(meta.get('lo'))} .. {_num(meta.get('hi'))}]"
    else:
        allowed = {"bool": "true|false", "str": "text", "dt.date": "YYYY-MM-DD"}.get(str(field.type), "")
    info = "; ".join(x for x in (meta.get("unit", ""), meta.get("doc", "")) if x)
    return _toml(node), allowed, info


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.10g}"


def cmd_keys(args: argparse.Namespace) -> int:
    from market.scenario import read, resolve, valid_keys

    raw = read(resolve(args.scenario))
    keys = valid_keys(raw)
    rows = []
    for key in keys:
        value, allowed, info = describe_key(raw, key)
        if len(value) > 40:
            value = value[:38] + '.."'
        rows.append((key, value, allowed, info))
    widths = [max(len(r[i]) for r in rows) for i in range(3)] if rows else [0, 0, 0]
    for key, value, allowed, info in rows:
        line = f"{key:<{widths[0]}}  = {value:<{widths[1]}}  {allowed:<{widths[2]}}  {info}"
        print(line.rstrip())
    return 0


# ---- pricewar run -------------------------------------------------------------------------------
def _check_out(out: Path) -> None:
    """Make the output directory and check a file can be created in it (before a long run)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"cannot write to --out '{out}': it exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".pricewar-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to --out '{out}': {exc.strerror or exc}") from None


def write_outputs(out: Path, texts: dict[str, str]) -> list[Path]:
    """Write every file atomically: all go to temp files first, then each is renamed over its
    target. A failure never leaves a half-written file nor destroys an existing good one."""
    from market.report import stage_text

    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in texts.items():
            target = out / name
            staged.append((stage_text(target, text), target))
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"cannot write to --out '{out}': {exc.strerror or exc}") from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [target for _, target in staged]


def cmd_run(args: argparse.Namespace) -> int:
    from market.runner import run
    from market.scenario import load

    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.days is not None and args.days < 1:
        raise UsageError(f"--days must be >= 1, got {args.days}")
    spec = load(args.scenario, args.overrides)  # every scenario error, before anything is written
    out = args.out if args.out is not None else Path("out") / Path(args.scenario).stem
    _check_out(out)

    baseline_name = args.baseline
    if baseline_name is None:
        from market.scenario import read, resolve

        meta = read(resolve(args.scenario)).get("scenario", {})
        baseline_name = meta.get("extends", "") if isinstance(meta, dict) else ""
    baseline_spec = None
    if baseline_name and baseline_name.lower() != "none":
        baseline_spec = load(baseline_name, args.overrides)

    started = time.perf_counter()
    result = run(spec, seed=args.seed, days=args.days)
    baseline = run(baseline_spec, seed=result.seed, days=args.days) if baseline_spec else None
    elapsed = time.perf_counter() - started

    from market.report import render_report

    command = shlex.join([PROG, *(sys.argv[1:] if args.argv is None else args.argv)])
    texts = {
        "firms.csv": result.firms.to_csv(index=False, lineterminator="\n"),
        "market.csv": result.market.to_csv(index=False, lineterminator="\n"),
        "events.csv": result.events.to_csv(index=False, lineterminator="\n"),
        "report.html": render_report(result, baseline, command=command),
    }
    if not args.quiet:
        print_summary(result, elapsed, args)
    paths = write_outputs(out, texts)
    if not args.quiet:
        print("\nwrote:")
    for path in paths:
        print(f"  {path}" if not args.quiet else path)
    return 0


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent=indent,
                         subsequent_indent=indent)


def print_summary(result: Any, elapsed: float, args: argparse.Namespace) -> None:
    import pandas as pd

    from market.report import format_summary, notable_decisions, summary_table

    scenario = result.scenario
    meta = scenario.meta
    market = result.market
    first, last = (pd.Timestamp(market["date"].min()).date(), pd.Timestamp(market["date"].max()).date())
    print(f"scenario  {meta.name} ({scenario.source})")
    if meta.description:
        print(_wrap(meta.description, " " * 10))
    print(f"dates     {first} to {last}: {len(market)} days simulated "
          f"(scenario {meta.start} to {meta.end})")
    if args.days is not None and args.days > len(market):
        print(f"          (--days {args.days} is longer than the scenario: ran all {len(market)} days)")
    print(f"seed      {result.seed}")
    if args.overrides:
        print(f"--set     {' '.join(args.overrides)}")
    print(f"elapsed   {elapsed:.1f} s")

    print(f"\nfinal day {last}, per firm:")
    table = format_summary(summary_table(result), result)
    table.index.name = None
    print(textwrap.indent(table.to_string(), "  "))
    print("  (shares: of the population for apps, of all tokens served for the API; "
          "MaaS margin over the last 30 days)")

    events = result.events[result.events["source"] == "scenario"]
    later = sum(1 for e in scenario.events if pd.Timestamp(e.date) > pd.Timestamp(last))
    print(f"\nscenario events ({len(events)}" + (f"; {later} more after {last}" if later else "") + "):")
    for _, e in events.iterrows():
        evidence = f"  [{e['evidence']}]" if e["evidence"] else ""
        print(f"  {pd.Timestamp(e['date']).date()}  {e['firm'] or '-':<10} {e['action']:<16} "
              f"{e['label']}{evidence}")

    moves = notable_decisions(result)
    print(f"\ndecisions of note ({len(moves)}; each firm's first):")
    for _, m in moves.iterrows():
        print(f"  {pd.Timestamp(m['date']).date()}  {m['firm']:<10} {m['decision']}  <- {m['how']}")


if __name__ == "__main__":
    raise SystemExit(main())
