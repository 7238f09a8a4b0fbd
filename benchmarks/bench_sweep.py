"""Sweep throughput: `python benchmarks/bench_sweep.py [--runs 8] [--consumers 100000] [--workers 2]
[--dask] [--memory N] [--hundred]`.

Default: `--runs` replicates of the whole `history` scenario at `--consumers` people on `--workers`
local worker processes, through `market.batch.run_spec` (the path `pricewar sweep` takes: spawn
pool, Parquet files written run by run). Prints runs per minute and the time a 100-run sweep
would take at that rate.

--dask     also time the Dask engine (LocalCluster) as Dask configures it (its nanny sets
           MALLOC_TRIM_THRESHOLD_=65536 in the workers), with that variable removed, and the local
           engine with it set, so the allocator's share of any difference shows.
--memory N N small runs (2,000 consumers, 60 days) on one local worker; prints the worker's RSS
           after runs 1, N/4, N/2, 3N/4, N (flat = no leak across runs).
--hundred  time a real 100-run sweep of the default scenario at its own size (20,000 consumers).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from market import batch

TRIM = "MALLOC_TRIM_THRESHOLD_"


def timed_sweep(runs: int, consumers: int | None, workers: int, engine: str = "local",
                days: int | None = None) -> dict:
    """Wall time of one sweep of `runs` replicates (fresh output directory, pool start included)."""
    overrides = [f"population.consumers={consumers}"] if consumers else []
    spec = batch.make_spec("history", None, replicates=runs, days=days, overrides=overrides)
    out = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        cpu0 = children_cpu()
        t0 = time.perf_counter()
        report = batch.run_spec(spec, out, workers=workers, engine=engine, progress=False, load_cells=False)
        wall = time.perf_counter() - t0
        cpu = children_cpu() - cpu0  # worker processes are reaped when the pool or cluster closes
        mean_run = float(report.results["elapsed_s"].mean())
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"runs": runs, "ok": report.ok, "wall": wall, "per_min": 60 * runs / wall, "mean_run": mean_run,
            "mb": size / 1e6, "cpu_run": cpu / runs, "load": os.getloadavg()[0]}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def environ(name: str, value: str | None):
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextlib.contextmanager
def dask_trim(enabled: bool):
    """Dask's default pre-spawn environment, or the same without MALLOC_TRIM_THRESHOLD_."""
    import dask

    if enabled:
        yield
        return
    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{TRIM}": None}):
        yield


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def measured(task: batch.RunTask) -> tuple[str, float, int]:
    """Worker side of --memory: run one task, report this process's RSS and pid."""
    outcome = batch.execute(task)
    return outcome.status, rss_mb(), os.getpid()


def memory(n: int) -> None:
    spec = batch.make_spec("history", None, replicates=n, days=60, overrides=["population.consumers=2000"],
                           daily=True)
    marks = sorted({1, max(1, n // 4), max(1, n // 2), max(1, 3 * n // 4), n})
    print(f"\n## Worker memory over {n} runs (2,000 consumers, 60 days, 1 local worker)\n")
    print("| runs done | worker RSS MB |")
    print("|---:|---:|")
    with batch.open_executor("local", 1) as executor:
        for i, task in enumerate(batch.plan(spec), start=1):
            status, rss, _ = executor.submit(measured, task).result()
            if i in marks:
                print(f"| {i} | {rss:.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="0: skip the throughput table")
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--memory", type=int, default=0, metavar="N")
    parser.add_argument("--hundred", action="store_true")
    args = parser.parse_args()
    print(f"history, whole scenario (731 days), {args.consumers:,} consumers, {args.runs} runs, "
          f"{args.workers} workers, {os.cpu_count()} CPUs, python {sys.version.split()[0]}\n")
    print("| engine | MALLOC_TRIM_THRESHOLD_ | wall s | runs/min | wall s per run (in worker) "
          "| worker CPU s per run | 100 runs, est. min | load avg after |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")

    def line(engine: str, trim: str, r: dict) -> None:
        print(f"| {engine} | {trim} | {r['wall']:.1f} | {r['per_min']:.1f} | {r['mean_run']:.2f} "
              f"| {r['cpu_run']:.2f} | {100 / r['per_min']:.1f} | {r['load']:.1f} |", flush=True)

    with environ(TRIM, None):
        if args.runs:
            line("local", "unset", timed_sweep(args.runs, args.consumers, args.workers))
        if args.dask:
            with dask_trim(True):
                line("dask", "65536 (dask default)", timed_sweep(args.runs, args.consumers, args.workers, "dask"))
            with dask_trim(False):
                line("dask", "unset", timed_sweep(args.runs, args.consumers, args.workers, "dask"))
            with environ(TRIM, "65536"):
                line("local", "65536", timed_sweep(args.runs, args.consumers, args.workers))
        if args.hundred:
            r = timed_sweep(100, None, args.workers)
            print(f"\n100-run sweep of the default scenario (20,000 consumers, 731 days) on {args.workers} "
                  f"local workers: {r['wall'] / 60:.1f} min ({r['per_min']:.1f} runs/min), {r['mb']:.0f} MB "
                  "of Parquet")
    if args.memory:
        memory(args.memory)


if __name__ == "__main__":
    main()
