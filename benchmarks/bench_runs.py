"""Time whole runs of the default scenario: `python benchmarks/bench_runs.py [--big]`.

Runs `market.run("history", seed=0, overrides=["population.consumers=N"])` for N = 10^4 and 10^5
(plus 10^6 with `--big`), each in a fresh subprocess so peak RSS belongs to that run alone.
Prints a markdown table (wall s, peak RSS MB, ms per step, user-steps per second) and the
log-log slope of time per step against N over the sizes run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np


def one_case(n: int) -> dict:
    """One whole run in this process; returns wall time, steps and peak RSS (MB)."""
    import market

    t0 = time.perf_counter()
    result = market.run("history", seed=0, overrides=[f"population.consumers={n}"])
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KB
    return {"n": n, "wall": wall, "steps": len(result.market), "rss": rss}


def run_case(n: int) -> dict:
    """Run one_case in a fresh interpreter so ru_maxrss measures only that run."""
    cmd = [sys.executable, __file__, "--case", str(n)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Parse arguments; either run one case (subprocess mode) or the whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--big", action="store_true", help="also run 10^6 consumers")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one_case(args.case)))
        return
    sizes = [10**4, 10**5] + ([10**6] if args.big else [])
    print(f"scenario=history, seed=0, python {sys.version.split()[0]}, numpy {np.__version__}\n")
    print("| consumers | steps | wall s | peak RSS MB | ms/step | user-steps/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    per_step = []
    for n in sizes:
        r = run_case(n)
        ms = r["wall"] / r["steps"] * 1e3
        per_step.append(ms)
        print(f"| {n:,} | {r['steps']} | {r['wall']:.2f} | {r['rss']:.0f} | {ms:.2f} "
              f"| {n * r['steps'] / r['wall']:,.0f} |")
    slope = np.polyfit(np.log(sizes), np.log(per_step), 1)[0]
    print(f"\ntime per step ~ n^{slope:.2f} (log-log slope over n = {', '.join(f'{n:,}' for n in sizes)})")


if __name__ == "__main__":
    main()
