"""Sweep throughput: `python benchmarks/bench_sweep.py [--runs 8] [--consumers 100000] [--workers 2]
[--dask [--repeat R]] [--trim R] [--memory N] [--hundred]`.

Default: `--runs` replicates of the whole `history` scenario at `--consumers` people on `--workers`
local worker processes, through `market.batch.run_spec` (the path `pricewar sweep` takes: spawn
pool, Parquet files written run by run). Prints runs per minute and the time a 100-run sweep
would take at that rate.

--dask     also time the Dask engine (LocalCluster) as pricewar starts it (MALLOC_TRIM_THRESHOLD_
           removed from the workers) and as Dask configures it (its nanny sets 65536), and the
           local engine with 65536 set: each case in a fresh process; --repeat R rounds over the
           cases, the fastest of each shown (the machine may be shared).
--memory N N small runs (2,000 consumers, 60 days) on one local worker; prints the worker's RSS
           after runs 1, N/4, N/2, 3N/4, N (flat = no leak across runs).
--hundred  time a real 100-run sweep of the default scenario at its own size (20,000 consumers).
--trim R   R rounds of one run in a fresh interpreter with and without MALLOC_TRIM_THRESHOLD_=65536:
           wall, user and system CPU, minor page faults (medians).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
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


CASES = {  # name: (engine, MALLOC_TRIM_THRESHOLD_ in the workers)
    "local": ("local", "unset (glibc default)"),
    "local-trim": ("local", "65536"),
    "dask-trim": ("dask", "65536 (Dask's own default)"),
    "dask": ("dask", "unset (pricewar's LocalCluster)"),
}


def one_case(name: str, runs: int, consumers: int, workers: int) -> dict:
    """One configuration, in this (fresh) process. The trim cases set the variable in the
    environment: Dask's nanny and market.batch both respect a user's explicit setting, so the
    Dask workers then get 65536 exactly as under Dask's default configuration."""
    with environ(TRIM, "65536" if name.endswith("-trim") else None):
        return timed_sweep(runs, consumers, workers, CASES[name][0])


def trim_effect(consumers: int, rounds: int) -> None:
    """One whole run per fresh interpreter, with and without MALLOC_TRIM_THRESHOLD_=65536,
    interleaved: wall, user and system CPU, and minor page faults (the mechanism: memory handed
    back to the kernel is faulted in again, zero-filled; counts do not depend on machine load)."""
    code = (f"import market; market.run('history', seed=0, overrides=['population.consumers={consumers}'])")
    rows: dict[str, list[tuple[float, float, float, int]]] = {"unset": [], "65536": []}
    for _ in range(rounds):
        for label in rows:
            env = {k: v for k, v in os.environ.items() if k != TRIM}
            if label != "unset":
                env[TRIM] = label
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            rows[label].append((wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime,
                                after.ru_minflt - before.ru_minflt))
    print(f"\n## MALLOC_TRIM_THRESHOLD_ on one whole run ({consumers:,} consumers, 731 days; one process, "
          f"median of {rounds})\n")
    print("| MALLOC_TRIM_THRESHOLD_ | wall s | user CPU s | system CPU s | minor page faults |")
    print("|---|---:|---:|---:|---:|")
    for label, values in rows.items():
        med = [sorted(v[i] for v in values)[len(values) // 2] for i in range(4)]
        print(f"| {label} | {med[0]:.2f} | {med[1]:.2f} | {med[2]:.2f} | {med[3]:,.0f} |", flush=True)


def run_case(name: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--case", name, "--runs", str(args.runs), "--consumers", str(args.consumers),
           "--workers", str(args.workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="0: skip the throughput table")
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="with --dask: rounds over the cases (min is shown)")
    parser.add_argument("--memory", type=int, default=0, metavar="N")
    parser.add_argument("--hundred", action="store_true")
    parser.add_argument("--trim", type=int, default=0, metavar="R",
                        help="R rounds of one run with and without MALLOC_TRIM_THRESHOLD_=65536")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one_case(args.case, args.runs, args.consumers, args.workers)))
        return
    print(f"history, whole scenario (731 days), {args.consumers:,} consumers, {args.runs} runs, "
          f"{args.workers} workers, {os.cpu_count()} CPUs, python {sys.version.split()[0]}\n")
    if args.runs:
        print("| engine | MALLOC_TRIM_THRESHOLD_ | wall s | runs/min | wall s per run (in worker) "
              "| worker CPU s per run | 100 runs, est. min | load avg after |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        names = list(CASES) if args.dask else ["local"]
        best: dict[str, dict] = {}
        for _ in range(args.repeat if args.dask else 1):
            for name in names:
                r = run_case(name, args)
                if name not in best or r["wall"] < best[name]["wall"]:
                    best[name] = r
        for name in names:
            r = best[name]
            engine, trim = CASES[name]
            print(f"| {engine} | {trim} | {r['wall']:.1f} | {r['per_min']:.1f} | {r['mean_run']:.2f} "
                  f"| {r['cpu_run']:.2f} | {100 / r['per_min']:.1f} | {r['load']:.1f} |", flush=True)
    if args.hundred:
        with environ(TRIM, None):
            r = timed_sweep(100, None, args.workers)
        print(f"\n100-run sweep of the default scenario (20,000 consumers, 731 days) on {args.workers} "
              f"local workers: {r['wall'] / 60:.1f} min ({r['per_min']:.1f} runs/min), {r['mb']:.0f} MB of Parquet")
    if args.trim:
        trim_effect(args.consumers, args.trim)
    if args.memory:
        memory(args.memory)


if __name__ == "__main__":
    main()
