"""Time market.network by hand: `python benchmarks/bench_network.py [--networkx]`.

Prints two markdown tables: graph building at n = 10^5 and 10^6 (wall time, peak traced numpy
memory, peak process RSS growth; each case in a fresh subprocess so RSS peaks do not mix), and
the word-of-mouth kernel against the scipy reference for 1% and 5% of 10^6 people.
`--networkx` adds networkx's own generators at 10^5 for comparison.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np
from _timing import best_time  # noqa: E402 (benchmarks/ is on sys.path when run as a script)

from market.network import (
    KINDS,
    build_consumer_graph,
    neighbour_app_counts,
    neighbour_app_counts_reference,
)

MEAN_DEGREE, REWIRE, N_APPS = 10, 0.1, 6


def max_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_case(kind: str, n: int, networkx: bool) -> dict:
    """Build one graph: wall time untraced, then again under tracemalloc for the traced peak."""
    base = max_rss_mb()
    t0 = time.perf_counter()
    if networkx:
        import networkx as nx

        gens = {"watts_strogatz": lambda: nx.watts_strogatz_graph(n, MEAN_DEGREE, REWIRE, seed=1),
                "barabasi_albert": lambda: nx.barabasi_albert_graph(n, MEAN_DEGREE // 2, seed=1),
                "random": lambda: nx.gnm_random_graph(n, n * MEAN_DEGREE // 2, seed=1)}
        graph = gens[kind]()
        wall = time.perf_counter() - t0
        edges = graph.number_of_edges()
    else:
        adj = build_consumer_graph(n, kind, MEAN_DEGREE, REWIRE, np.random.default_rng(1))
        wall = time.perf_counter() - t0
        edges = adj.nnz // 2
    rss = max_rss_mb() - base
    traced = float("nan")
    if not networkx:
        del adj
        tracemalloc.start()
        build_consumer_graph(n, kind, MEAN_DEGREE, REWIRE, np.random.default_rng(1))
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {"wall": wall, "rss": rss, "traced": traced, "edges": edges}


def run_case(kind: str, n: int, networkx: bool = False) -> dict:
    """Run one_case in a fresh interpreter so ru_maxrss measures only that build."""
    cmd = [sys.executable, __file__, "--case", kind, str(n)] + (["--networkx"] if networkx else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_build(networkx: bool) -> None:
    """Markdown table of graph-building cost."""
    print("| builder | kind | n | edges | wall s | peak traced MB | peak RSS growth MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for n in (10**5, 10**6):
        for kind in KINDS:
            r = run_case(kind, n)
            print(f"| market.network | {kind} | {n:,} | {r['edges']:,} | {r['wall']:.2f} "
                  f"| {r['traced']:.0f} | {r['rss']:.0f} |")
    if networkx:
        for kind in KINDS:
            r = run_case(kind, 10**5, networkx=True)
            print(f"| networkx | {kind} | {10**5:,} | {r['edges']:,} | {r['wall']:.2f} "
                  f"| - | {r['rss']:.0f} |")


def bench_counts() -> None:
    """Markdown table of the word-of-mouth kernel against the scipy reference at 10^6 people."""
    n = 10**6
    rng = np.random.default_rng(2)
    current = rng.integers(-1, N_APPS, size=n).astype(np.int8)
    print("| kind | subset | people | fast ms | reference ms | speed-up | equal |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for kind in ("watts_strogatz", "barabasi_albert"):
        adj = build_consumer_graph(n, kind, MEAN_DEGREE, REWIRE, np.random.default_rng(1))
        for share in (0.01, 0.05):
            idx = np.sort(rng.choice(n, size=int(n * share), replace=False))
            fast = best_time(neighbour_app_counts, adj, idx, current, N_APPS)
            ref = best_time(neighbour_app_counts_reference, adj, idx, current, N_APPS)
            a = neighbour_app_counts(adj, idx, current, N_APPS)
            b = neighbour_app_counts_reference(adj, idx, current, N_APPS)
            same = all(np.array_equal(x, y) for x, y in zip(a, b))
            print(f"| {kind} | {share:.0%} | {idx.size:,} | {fast * 1e3:.2f} | {ref * 1e3:.2f} "
                  f"| {ref / fast:.1f}x | {same} |")


def main() -> None:
    """Parse arguments; either run one build case (subprocess mode) or the whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--networkx", action="store_true", help="also time networkx at 10^5")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one_case(args.case[0], int(args.case[1]), args.networkx)))
        return
    print(f"mean_degree={MEAN_DEGREE}, rewire={REWIRE}, n_apps={N_APPS}, numpy {np.__version__}\n")
    bench_build(args.networkx)
    print()
    bench_counts()


if __name__ == "__main__":
    main()
