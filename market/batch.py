"""Batch runs: a grid of scenario overrides x replicates, run in parallel, kept as Parquet.

    >>> from market.batch import sweep, read_results, read_daily
    >>> results = sweep("history", vary={"firms.deepseek.api_price": [1, 2, 4]}, replicates=5,
    ...                 days=365, workers=2, out="out/sweep")     # one row per run, a pandas frame
    >>> daily = read_daily("out/sweep", "market")               # every run's daily market frame

Workers are spawned processes, so a script that calls `sweep` must do so under
`if __name__ == "__main__":` (notebooks need nothing).

A *cell* is one scenario with one combination of the varied values; a *run* is one replicate of a
cell. Replicate i of cell c gets the seed

    int(np.random.SeedSequence([base_seed, c, i]).generate_state(1, dtype=np.uint32)[0])

(`seeds="common"` uses c = 0 for every cell: common random numbers, so the cells' replicates pair
up). Seeds depend on nothing else, so the table is the same on 1 or 16 workers and on either
engine, and any row reruns alone: `market.run(row.scenario, seed=row.seed,
overrides=json.loads(row.overrides), days=row.days)`.

An output directory holds

    sweep.json                the sweep's spec (scenarios, cells, --set, days, seeds); --resume checks it
    results/<run_id>.parquet  one row per run, written after the run's daily frames: a run is
                              finished when this file exists (failed runs too, with their error)
    firms/<run_id>.parquet    the run's daily per-firm frame (`RunResult.firms`)
    market/<run_id>.parquet   the run's daily market frame (`RunResult.market`)
    results.parquet           every row in one file, assembled when the sweep stops

Each file goes to a temp file in the same directory and is renamed over its name (os.replace),
so an interrupted sweep keeps every finished run and never leaves a half-written file under a real
name; `read_results` still skips (and reports) a file it cannot read. Workers are processes
(`concurrent.futures.ProcessPoolExecutor` with the spawn start method, or a Dask cluster's
executor): both sit behind the `Executor` interface and share one code path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import itertools
import json
import logging
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from market.errors import ScenarioError

SPEC_FILE = "sweep.json"
RESULTS_FILE = "results.parquet"
DAILY_KINDS = ("firms", "market")
ENGINES = ("local", "dask")
SEED_MODES = ("independent", "common")
TRIM_VAR = "MALLOC_TRIM_THRESHOLD_"
FAIL_ENV = "PRICEWAR_BATCH_FAIL"  # fault injection for tests: comma-separated run_ids that raise
MARGIN_WINDOW_DAYS = 30
# Per-firm outcomes: (name in the results table, column of RunResult.firms).
FIRM_OUTCOMES = (("dau", "app_dau"), ("app_share", "app_share"), ("token_share", "token_share"),
                 ("api_price", "api_price"), ("cash", "cash"))
MARKET_OUTCOMES = ("total_dau", "outside_share", "hhi_app", "hhi_tokens", "mean_api_price",
                   "total_tokens", "active_pretraining_firms")
ROW_HEAD = ("run_id", "cell", "replicate", "seed", "scenario", "status", "error", "elapsed_s",
            "overrides")


class BatchError(ValueError):
    """Bad batch input (a --vary or --out problem): the CLI prints it in one line, exit code 2."""


# ---- cells, seeds, runs -------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One scenario with one combination of varied values (`params`: dotted key -> value)."""

    index: int
    scenario: str
    params: dict[str, Any] = field(default_factory=dict)

    def label(self, with_scenario: bool = False) -> str:
        parts = [f"{k}={toml_value(v)}" for k, v in self.params.items()]
        if with_scenario or not parts:
            parts.insert(0, self.scenario)
        return ", ".join(parts)


@dataclass
class SweepSpec:
    """What to run: the cells, replicates per cell, days, the --set overrides and the seeding.

    `baseline` is the index of the cell compare() measures the others against: the cell whose
    varied values equal the scenario's own (the status quo), else cell 0.
    """

    cells: list[Cell]
    replicates: int = 1
    days: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    base_seed: int = 0
    seeds: str = "independent"
    daily: bool = True
    baseline: int = 0
    kind: str = "sweep"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict; values are kept as TOML text so dates and ints survive the trip."""
        return {
            "kind": self.kind, "replicates": self.replicates, "days": self.days,
            "overrides": {k: toml_value(v) for k, v in self.overrides.items()},
            "base_seed": self.base_seed, "seeds": self.seeds, "daily": self.daily,
            "baseline": self.baseline, "extra": self.extra,
            "cells": [{"index": c.index, "scenario": c.scenario,
                       "params": {k: toml_value(v) for k, v in c.params.items()}} for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepSpec:
        from market.scenario import parse_value

        cells = [Cell(c["index"], c["scenario"], {k: parse_value(v) for k, v in c["params"].items()})
                 for c in data["cells"]]
        return cls(cells=cells, replicates=data["replicates"], days=data["days"],
                   overrides={k: parse_value(v) for k, v in data["overrides"].items()},
                   base_seed=data["base_seed"], seeds=data["seeds"], daily=data["daily"],
                   baseline=data.get("baseline", 0), kind=data.get("kind", "sweep"),
                   extra=data.get("extra", {}))

    def identity(self) -> dict[str, Any]:
        """What must match for --resume: everything that decides a run's numbers."""
        data = self.to_json()
        return {k: data[k] for k in ("cells", "overrides", "days", "base_seed", "seeds")}


@dataclass(frozen=True)
class RunTask:
    """One run, as shipped to a worker (small: names and overrides, no model objects)."""

    run_id: str
    cell: int
    replicate: int
    seed: int
    scenario: str      # as the user named it (goes into the results table)
    location: str      # a shipped name, or an absolute path the worker can open
    overrides: dict[str, Any]
    params: dict[str, Any]
    days: int | None
    daily: bool


@dataclass
class RunOutcome:
    """What a worker sends back: the run's results row and its files as Parquet bytes."""

    run_id: str
    status: str
    row: bytes
    firms: bytes | None = None
    market: bytes | None = None


def toml_value(value: Any) -> str:
    """A value as TOML text, which `market.scenario.parse_value` reads back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise BatchError(f"cannot use {value!r} as a scenario value")


def run_id(cell: int, replicate: int) -> str:
    return f"c{cell:05d}-r{replicate:04d}"


def run_seed(base_seed: int, cell: int, replicate: int, seeds: str = "independent") -> int:
    """The seed of replicate `replicate` of cell `cell` (a uint32; see the module docstring)."""
    key = [int(base_seed), 0 if seeds == "common" else int(cell), int(replicate)]
    return int(np.random.SeedSequence(key).generate_state(1, dtype=np.uint32)[0])


def parse_vary(items: Sequence[str]) -> dict[str, list[Any]]:
    """`["KEY=V1,V2", ...]` into {key: [values]} (each value read as TOML, like --set)."""
    from market.scenario import parse_value

    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(f"--vary takes KEY=V1,V2,..., got '{item}'", source="--vary")
        texts = [v.strip() for v in values.split(",")]
        if not values.strip() or any(not v for v in texts):
            raise ScenarioError(f"--vary needs comma-separated values, got '{item}'", source="--vary",
                                key=key)
        if key in out:
            raise ScenarioError("given twice with --vary; list all its values once", source="--vary",
                                key=key)
        out[key] = [parse_value(v) for v in texts]
    return out


def grid(scenarios: str | Sequence[str], vary: dict[str, Sequence[Any]] | None = None) -> list[Cell]:
    """Every scenario x every combination of the varied values, in the order given (last key fastest)."""
    names = [scenarios] if isinstance(scenarios, (str, Path)) else list(scenarios)
    vary = vary or {}
    keys = list(vary)
    cells = []
    for name in names:
        for combo in itertools.product(*(list(vary[k]) for k in keys)):
            cells.append(Cell(len(cells), str(name), dict(zip(keys, combo))))
    return cells


def plan(spec: SweepSpec) -> list[RunTask]:
    """Every run of the sweep, replicate-major (all cells' replicate 0 first), so a sweep that
    stops early has covered every cell evenly."""
    from market.scenario import resolve

    locations = {}
    for cell in spec.cells:
        if cell.scenario not in locations:
            path = resolve(cell.scenario)
            shipped = path.parent == Path(__file__).parent / "scenarios"
            locations[cell.scenario] = cell.scenario if shipped else str(path.resolve())
    return [RunTask(run_id=run_id(c.index, i), cell=c.index, replicate=i,
                    seed=run_seed(spec.base_seed, c.index, i, spec.seeds), scenario=c.scenario,
                    location=locations[c.scenario], overrides={**spec.overrides, **c.params},
                    params=dict(c.params), days=spec.days, daily=spec.daily)
            for i in range(spec.replicates) for c in spec.cells]


# ---- checking a spec before anything runs -------------------------------------------------------
def validate(spec: SweepSpec, load_cells: bool = True) -> None:
    """Check the numbers and load every cell's scenario once (raising the same ScenarioError as
    --set, with --vary named as the source for a varied key); nothing is run. `load_cells=False`
    skips the loads (sensitivity samples: their ranges' corners were loaded instead)."""
    from market.scenario import load

    if spec.replicates < 1:
        raise BatchError(f"--replicates must be >= 1, got {spec.replicates}")
    if spec.days is not None and spec.days < 1:
        raise BatchError(f"--days must be >= 1, got {spec.days}")
    if spec.seeds not in SEED_MODES:
        raise BatchError(f"--seeds must be one of {', '.join(SEED_MODES)}, got '{spec.seeds}'")
    if not 0 <= spec.base_seed < 2**32:
        raise BatchError(f"--seed must be between 0 and {2**32 - 1}, got {spec.base_seed}")
    if not spec.cells:
        raise BatchError("nothing to run: no cells")
    for cell in spec.cells if load_cells else ():
        both = sorted(set(cell.params) & set(spec.overrides))
        if both:
            raise ScenarioError("given with both --set and --vary; use one", source="--vary", key=both[0])
        try:
            load(cell.scenario, {**spec.overrides, **cell.params})
        except ScenarioError as exc:
            if exc.key in cell.params and exc.source == "--set":
                raise ScenarioError(exc.message, source="--vary", key=exc.key) from None
            raise


def scenario_value(scenario: Any, key: str) -> Any:
    """The value a loaded Scenario has for a dotted --set key (dataclasses.MISSING if it has
    none, e.g. a strategy the firm does not use)."""
    from agents.strategies import REGISTRY
    from market.schema import fields_of

    parts = key.split(".")
    missing = dataclasses.MISSING
    try:
        if parts[0] in ("scenario", "population", "network"):
            obj = getattr(scenario, "meta" if parts[0] == "scenario" else parts[0])
            return getattr(obj, parts[1])
        item = getattr(scenario, parts[0])[parts[1]]
        if parts[2] != "strategies":
            return getattr(item, parts[2])
        params = item.strategies.get(parts[3])
        if params is None:
            return missing
        if parts[4] in params:
            return params[parts[4]]
        f = fields_of(REGISTRY[parts[3]])[parts[4]]
        return f.default if f.default is not missing else f.default_factory()
    except (AttributeError, KeyError, IndexError, TypeError):
        return missing


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def status_quo_cell(cells: Sequence[Cell], overrides: dict[str, Any]) -> int:
    """The first cell of the first scenario whose varied values are the scenario's own (after
    --set): the natural baseline. Cell 0 when there is none."""
    from market.scenario import load

    first = [c for c in cells if c.scenario == cells[0].scenario]
    if not first or not first[0].params:
        return 0
    spec = load(first[0].scenario, overrides)
    for cell in first:
        if all(same_value(v, scenario_value(spec, k)) for k, v in cell.params.items()):
            return cell.index
    return 0


# ---- the worker ---------------------------------------------------------------------------------
def execute(task: RunTask) -> RunOutcome:
    """Run one task in a worker process and return its row and daily frames as Parquet bytes.
    Any exception from the model is caught: the row says `failed` with the error."""
    from market.runner import run

    started = time.perf_counter()
    head = {"run_id": task.run_id, "cell": task.cell, "replicate": task.replicate, "seed": task.seed,
            "scenario": task.scenario, "status": "ok", "error": "", "elapsed_s": 0.0,
            "overrides": json.dumps([f"{k}={toml_value(v)}" for k, v in task.overrides.items()])}
    try:
        if task.run_id in os.environ.get(FAIL_ENV, "").split(","):
            raise RuntimeError(f"injected failure ({FAIL_ENV})")
        result = run(task.location, seed=task.seed, overrides=dict(task.overrides), days=task.days)
        outcomes = summarise(result)
        firms = to_parquet(result.firms) if task.daily else None
        market = to_parquet(result.market) if task.daily else None
        del result
    except Exception as exc:  # a failed run is data: record it, the sweep goes on
        head.update(status="failed", error=describe_error(exc),
                    elapsed_s=round(time.perf_counter() - started, 3))
        return RunOutcome(task.run_id, "failed", to_parquet(row_frame(head, task.params, {}), small=True))
    head["elapsed_s"] = round(time.perf_counter() - started, 3)
    row = to_parquet(row_frame(head, task.params, outcomes), small=True)
    return RunOutcome(task.run_id, "ok", row, firms, market)


def describe_error(exc: BaseException) -> str:
    """`Type: message (at file:line in function)`, one line, for the results table."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return " ".join(f"{type(exc).__name__}: {exc}{where}".split())


def row_frame(head: dict[str, Any], params: dict[str, Any], outcomes: dict[str, Any]) -> pd.DataFrame:
    """One results row: identity, the varied parameters (named by their dotted key), outcomes."""
    data: dict[str, Any] = dict(head)
    data.update(params)
    data.update(outcomes)
    frame = pd.DataFrame({k: [v] for k, v in data.items()})
    for col in frame.columns:
        if col.startswith(("exit_date__", "pivot_date__")) or col == "last_date":
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
    return frame


def summarise(result: Any) -> dict[str, Any]:
    """End-of-run and time-averaged outcomes of one run, as flat columns.

    Per firm F: `{dau,app_share,token_share,api_price,cash}_{end,mean}__F` (the last day's value
    and the mean over the simulated days), `maas_margin_end__F` (revenue-weighted over the last
    30 days), `maas_margin_mean__F` (over the whole run; NaN without API revenue), `status_end__F`,
    `exit_date__F` and `pivot_date__F` (first day exited / pivoted; NaT if never). Market:
    `{total_dau,outside_share,hhi_app,hhi_tokens,mean_api_price,total_tokens,
    active_pretraining_firms}_{end,mean}`, `days` (simulated) and `last_date`.
    """
    firms, market = result.firms, result.market
    out: dict[str, Any] = {"days": int(len(market)),
                           "last_date": pd.Timestamp(market["date"].max()) if len(market) else pd.NaT}
    market = market.sort_values("date")
    for name in MARKET_OUTCOMES:
        values = market[name].astype(float)
        out[f"{name}_end"] = float(values.iloc[-1]) if len(values) else math.nan
        out[f"{name}_mean"] = float(values.mean()) if len(values) else math.nan
    last = firms["date"].max()
    window = firms["date"] > last - pd.Timedelta(days=MARGIN_WINDOW_DAYS)
    groups = dict(tuple(firms.sort_values("date", kind="stable").groupby("firm", sort=False)))
    order = [f for f in result.scenario.firms if f in groups]
    for name, column in FIRM_OUTCOMES:
        for fid in order:
            values = groups[fid][column].astype(float)
            out[f"{name}_end__{fid}"] = float(values.iloc[-1])
    for name, column in FIRM_OUTCOMES:
        for fid in order:
            out[f"{name}_mean__{fid}"] = float(groups[fid][column].astype(float).mean())
    for fid in order:
        rows = groups[fid]
        recent = rows[window.loc[rows.index]]
        out[f"maas_margin_end__{fid}"] = margin(recent)
        out[f"maas_margin_mean__{fid}"] = margin(rows)
    for fid in order:
        out[f"status_end__{fid}"] = str(groups[fid]["status"].iloc[-1])
    for what, status in (("exit_date", "exited"), ("pivot_date", "pivoted")):
        for fid in order:
            rows = groups[fid]
            hit = rows.loc[rows["status"] == status, "date"]
            out[f"{what}__{fid}"] = pd.Timestamp(hit.iloc[0]) if len(hit) else pd.NaT
    return out


def margin(rows: pd.DataFrame) -> float:
    """(API revenue - API serving cost) / API revenue summed over the rows; NaN without revenue."""
    revenue = float(rows["api_revenue"].astype(float).sum())
    if revenue <= 1e-6:
        return math.nan
    return (revenue - float(rows["api_serving_cost"].astype(float).sum())) / revenue


def to_parquet(frame: pd.DataFrame, small: bool = False) -> bytes:
    """Parquet bytes (zstd). `small` drops column statistics and the stored Arrow schema, which
    take 100 KB in a one-row file of 200 columns (types still round-trip through Parquet's own)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", write_statistics=not small, store_schema=not small)
    return buffer.getvalue()


def _worker_init() -> None:
    """Local workers ignore Ctrl-C (the parent decides what stops, and keeps finished runs) and
    exit when the parent dies (e.g. kill -9): a pool worker would otherwise wait forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="pricewar-parent-watch", daemon=True).start()


# ---- executors ----------------------------------------------------------------------------------
@contextlib.contextmanager
def open_executor(engine: str = "local", workers: int | None = None, scheduler: str | None = None,
                  max_tasks_per_child: int | None = None) -> Iterator[Executor]:
    """A `concurrent.futures.Executor` for the runs.

    local: a ProcessPoolExecutor with the spawn start method (mesa's import requires it).
    dask:  `distributed.Client(scheduler).get_executor()`; with no scheduler address, a
           LocalCluster of `workers` single-threaded worker processes.
    """
    workers = workers or default_workers()
    if engine == "local":
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_init, max_tasks_per_child=max_tasks_per_child)
        try:
            yield executor
        except BaseException:
            abort_local(executor)
            raise
        else:
            executor.shutdown(wait=True)
        return
    if engine != "dask":
        raise BatchError(f"--engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise BatchError("--engine dask needs Dask distributed: pip install 'pricewar[dist]'") from None
    environ = dict(os.environ)  # a LocalCluster's nannies write their variables into this process's
    try:
        with contextlib.ExitStack() as stack:
            if scheduler:
                try:
                    client = stack.enter_context(Client(scheduler, timeout="20s"))
                except (OSError, TimeoutError) as exc:
                    raise BatchError(f"cannot reach the Dask scheduler at '{scheduler}': {exc}") from None
            else:
                # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in its workers; on this workload that halves
                # throughput (benchmarks/bench_sweep.py --dask), so leave glibc's default unless the
                # user set the variable.
                keep = {} if TRIM_VAR in os.environ else {f"distributed.nanny.pre-spawn-environ.{TRIM_VAR}": None}
                with dask.config.set(keep):
                    cluster = stack.enter_context(LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=logging.ERROR))
                client = stack.enter_context(Client(cluster))
            executor = client.get_executor(pure=False)
            try:
                yield executor
            finally:
                executor.shutdown(wait=False)
    finally:
        os.environ.clear()
        os.environ.update(environ)


def abort_local(executor: ProcessPoolExecutor) -> None:
    """Stop a local pool now: cancel queued runs and end the worker processes (runs in flight
    are lost, which is fine: they had not finished, so --resume reruns them)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())  # private, but the only handle
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


# ---- files --------------------------------------------------------------------------------------
def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file next to `path`, then rename it over `path`."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def store(out: Path, outcome: RunOutcome) -> None:
    """Write a finished run: daily frames first, the results row last (it marks the run done)."""
    for kind, data in (("firms", outcome.firms), ("market", outcome.market)):
        if data is not None:
            write_bytes_atomic(out / kind / f"{outcome.run_id}.parquet", data)
    write_bytes_atomic(out / "results" / f"{outcome.run_id}.parquet", outcome.row)


def prepare_out(out: Path, spec: SweepSpec, resume: bool) -> None:
    """Create the directories and write sweep.json; refuse to mix two different sweeps."""
    if out.exists() and not out.is_dir():
        raise BatchError(f"cannot write to --out '{out}': it exists and is not a directory")
    existing = read_spec(out) if (out / SPEC_FILE).is_file() else None
    finished = list((out / "results").glob("*.parquet")) if (out / "results").is_dir() else []
    if existing is not None and finished:
        if not resume:
            raise BatchError(f"--out '{out}' already holds a sweep with {len(finished)} finished runs; "
                             "pass --resume to continue it, or choose another --out")
        old, new = existing.identity(), spec.identity()
        diff = [k for k in new if old[k] != new[k]]
        if diff:
            raise BatchError(f"--resume: '{out}' holds a different sweep ({', '.join(diff)} differ); "
                             "give the same scenario, --vary, --set, --days and --seed, or another --out")
    try:
        for sub in ("results", *(DAILY_KINDS if spec.daily else ())):
            (out / sub).mkdir(parents=True, exist_ok=True)
            for stale in (out / sub).glob(".*.tmp"):  # left by a process killed while writing
                stale.unlink(missing_ok=True)
        write_bytes_atomic(out / SPEC_FILE, json.dumps(spec.to_json(), indent=1).encode())
    except OSError as exc:
        raise BatchError(f"cannot write to --out '{out}': {exc.strerror or exc}") from None


def read_spec(out: str | Path) -> SweepSpec:
    """The spec of the sweep stored in `out` (its sweep.json)."""
    path = Path(out) / SPEC_FILE
    try:
        return SweepSpec.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BatchError(f"'{out}' holds no sweep (no {SPEC_FILE}); run `pricewar sweep --out {out}` first") \
            from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BatchError(f"cannot read '{path}': {exc}") from None


def read_results(out: str | Path) -> pd.DataFrame:
    """Every finished run's row, sorted by run_id. A file that cannot be read (e.g. truncated by a
    crash of something other than this code) is skipped with a warning and listed in
    `frame.attrs["unreadable"]`; --resume reruns those runs."""
    folder = Path(out) / "results"
    rows, bad = [], []
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        try:
            row = pd.read_parquet(path)
            if len(row) != 1 or row["run_id"].iloc[0] != path.stem:
                raise ValueError("not one row for this run_id")
        except Exception as exc:  # pyarrow raises several types for garbage
            bad.append(str(path))
            warnings.warn(f"skipped unreadable results file {path}: {type(exc).__name__}: {exc}",
                          stacklevel=2)
            continue
        rows.append(row)
    frame = concat_rows(rows)
    frame.attrs["unreadable"] = bad
    return frame


def concat_rows(rows: list[pd.DataFrame]) -> pd.DataFrame:
    """One-row frames (different columns for ok and failed runs) into one table sorted by run_id."""
    if not rows:
        return pd.DataFrame(columns=list(ROW_HEAD))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # all-NA columns of failed rows
        frame = pd.concat(rows, ignore_index=True, sort=False)
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


def read_daily(out: str | Path, kind: str = "market", columns: Sequence[str] | None = None,
               run_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The daily frames of finished runs (`kind` "firms" or "market"), stacked, with a run_id column."""
    if kind not in DAILY_KINDS:
        raise BatchError(f"kind must be one of {', '.join(DAILY_KINDS)}, got '{kind}'")
    folder = Path(out) / kind
    wanted = None if run_ids is None else set(run_ids)
    frames = []
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        if wanted is not None and path.stem not in wanted:
            continue
        try:
            frame = pd.read_parquet(path, columns=list(columns) if columns else None)
        except Exception as exc:
            warnings.warn(f"skipped unreadable daily file {path}: {type(exc).__name__}: {exc}", stacklevel=2)
            continue
        frame.insert(0, "run_id", path.stem)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["run_id", *(columns or [])])
    return pd.concat(frames, ignore_index=True)


# ---- running a sweep ----------------------------------------------------------------------------
@dataclass
class SweepReport:
    """How a sweep went: the results table and counts of this invocation's runs."""

    results: pd.DataFrame
    out: Path
    total: int
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)  # run_ids a dead worker took with it
    executed: int = 0
    wall_s: float = 0.0
    interrupted: bool = False

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.executed / self.wall_s if self.wall_s > 0 else math.nan


def run_spec(spec: SweepSpec, out: str | Path, *, workers: int | None = None, engine: str = "local",
             scheduler: str | None = None, resume: bool = False, retry_failed: bool = False,
             progress: bool = True, max_tasks_per_child: int | None = None,
             load_cells: bool = True) -> SweepReport:
    """Run every run of `spec` not already finished in `out`; write each as it finishes.

    On Ctrl-C the finished runs stay on disk, results.parquet is assembled from them, and
    KeyboardInterrupt propagates (SweepReport is attached as `exc.report`).
    """
    from tqdm import tqdm

    out = Path(out)
    if engine not in ENGINES:
        raise BatchError(f"--engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be >= 1, got {workers}")
    validate(spec, load_cells=load_cells)
    prepare_out(out, spec, resume)
    tasks = plan(spec)
    done = finished_runs(out, include_failed=not retry_failed) if resume else set()
    pending = [t for t in tasks if t.run_id not in done]
    report = SweepReport(results=pd.DataFrame(), out=out, total=len(tasks), skipped=len(tasks) - len(pending))
    bar = tqdm(total=len(tasks), initial=report.skipped, unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, smoothing=0.05, desc="runs")
    bar.set_postfix(failed=0, refresh=False)
    started = time.perf_counter()
    try:
        if pending:
            with open_executor(engine, workers, scheduler, max_tasks_per_child) as executor:
                futures = {executor.submit(execute, task): task for task in pending}
                for future in as_completed(futures):
                    task = futures.pop(future)
                    try:
                        outcome = future.result()
                    except Exception as exc:  # the worker died (killed, out of memory): not a result
                        report.lost.append(task.run_id)
                        warnings.warn(f"run {task.run_id} lost: {describe_error(exc)}", stacklevel=2)
                        continue
                    store(out, outcome)
                    report.executed += 1
                    if outcome.status == "ok":
                        report.ok += 1
                    else:
                        report.failed += 1
                    bar.set_postfix(failed=report.failed, refresh=False)
                    bar.update(1)
    except KeyboardInterrupt as exc:
        report.interrupted = True
        exc.report = report  # type: ignore[attr-defined]
        raise
    finally:
        bar.close()
        report.wall_s = time.perf_counter() - started
        report.results = read_results(out)
        if len(report.results):
            with contextlib.suppress(OSError):
                write_bytes_atomic(out / RESULTS_FILE, to_parquet(report.results))
    return report


def finished_runs(out: Path, include_failed: bool = True) -> set[str]:
    """run_ids with a readable results row (ok, and failed unless `include_failed` is False)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = read_results(out)
    if not len(rows):
        return set()
    keep = rows if include_failed else rows[rows["status"] == "ok"]
    return set(keep["run_id"])


def make_spec(scenario: str | Sequence[str] = "history", vary: dict[str, Sequence[Any]] | Sequence[str] | None = None,
              *, replicates: int = 1, days: int | None = None, overrides: Sequence[str] | dict | None = None,
              seed: int = 0, seeds: str = "independent", daily: bool = True) -> SweepSpec:
    """A validated SweepSpec from the same arguments as `pricewar sweep` (--vary as strings or a dict)."""
    from market.scenario import parse_overrides

    if vary is not None and not isinstance(vary, dict):
        vary = parse_vary(list(vary))
    cells = grid(scenario, vary)
    fixed = parse_overrides(list(overrides) if isinstance(overrides, (list, tuple)) else overrides)
    spec = SweepSpec(cells=cells, replicates=int(replicates), days=days, overrides=fixed,
                     base_seed=int(seed), seeds=seeds, daily=daily)
    validate(spec)
    spec.baseline = status_quo_cell(cells, fixed)
    return spec


def sweep(scenario: str | Sequence[str] = "history", vary: dict[str, Sequence[Any]] | Sequence[str] | None = None,
          *, replicates: int = 1, days: int | None = None, overrides: Sequence[str] | dict | None = None,
          seed: int = 0, seeds: str = "independent", workers: int | None = None, out: str | Path | None = None,
          engine: str = "local", scheduler: str | None = None, resume: bool = False, daily: bool = True,
          progress: bool = False, max_tasks_per_child: int | None = None) -> pd.DataFrame:
    """Run scenario(s) x the grid of `vary` x `replicates` and return the results table (one row
    per run, sorted by run_id). With `out=None` the files go to a temporary directory that is
    removed afterwards (only the table is returned)."""
    spec = make_spec(scenario, vary, replicates=replicates, days=days, overrides=overrides, seed=seed,
                     seeds=seeds, daily=daily and out is not None)
    with contextlib.ExitStack() as stack:
        where = Path(out) if out is not None else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        report = run_spec(spec, where, workers=workers, engine=engine, scheduler=scheduler, resume=resume,
                          progress=progress, max_tasks_per_child=max_tasks_per_child, load_cells=False)
    return report.results


def compare(source: str | Path | pd.DataFrame, metric: str = "total_dau_end", *, baseline: int | str | None = None,
            higher_is_better: bool = True) -> pd.DataFrame:
    """Each cell of a finished sweep (a directory or a results frame) against the baseline on
    `metric`: means, 95% intervals, the difference and P(beats baseline). See market.compare."""
    from market.compare import option_table

    return option_table(source, metric, baseline=baseline, higher_is_better=higher_is_better)


def rerun(out: str | Path, run: str) -> Any:
    """Run one row of a stored sweep again, alone, in this process (a `RunResult`)."""
    from market.runner import run as run_one

    rows = read_results(out)
    row = rows[rows["run_id"] == run]
    if not len(row):
        raise BatchError(f"no finished run '{run}' in '{out}'")
    row = row.iloc[0]
    spec = read_spec(out)
    task = next(t for t in plan(spec) if t.run_id == run)
    return run_one(task.location, seed=int(row["seed"]), overrides=json.loads(row["overrides"]), days=spec.days)
