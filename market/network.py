"""The consumers' social graph: who can tell whom about an app (word of mouth).

Everything here is vectorized numpy/scipy so that a graph of 10^6 people builds in about a
second and ~0.3 GB (networkx's own generators take 1-2 s already at 10^5 people; see
benchmarks/bench_network.py). networkx is only used on small samples: the picture a dashboard
draws and the clustering estimate.

The graph is a symmetric ``scipy.sparse.csr_matrix`` of dtype bool with sorted int32
``indices`` (int64 only if the graph has more than 2^31 - 1 stored entries), no self-loops
and no duplicate edges. Every stored entry is an edge, so a person's neighbours are
``adj.indices[adj.indptr[i]:adj.indptr[i + 1]]`` and their degree is ``np.diff(adj.indptr)``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

KINDS = ("watts_strogatz", "barabasi_albert", "random")
SAMPLE_METHODS = ("uniform", "snowball")


# --------------------------------------------------------------------------- building


def build_consumer_graph(n: int, kind: str, mean_degree: int, rewire: float,
                         rng: np.random.Generator) -> sp.csr_matrix:
    """Build the n-person social graph of the given kind; vectorized so 10^6 people take ~1 s.

    kind is one of ``KINDS``:

    * ``watts_strogatz``: ring lattice, each person linked to the k = mean_degree (rounded up
      to even) nearest people on the ring, each lattice edge's far end moved with probability
      ``rewire`` to a uniformly random person; the self-loops and duplicates this creates are
      dropped, so degrees vary a little and the mean is slightly below k when rewire > 0.
    * ``barabasi_albert``: linear preferential attachment with m = max(1, mean_degree // 2) edges
      per new person (mean degree ~2m, so an odd mean_degree gives mean_degree - 1), grown from a
      clique of m + 1 people; see ``_barabasi_albert_edges`` for how it is vectorized.
    * ``random``: Erdos-Renyi G(n, M) with exactly M = round(n * mean_degree / 2) distinct
      edges (capped at n(n-1)/2).

    ``rewire`` is only used by watts_strogatz. Same rng state -> identical matrix. Tiny n
    (0, 1, 2, n <= mean_degree) gives a graph with smaller (or zero) degrees, never an error.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown network kind {kind!r}; allowed kinds: {', '.join(KINDS)}")
    n, mean_degree = int(n), int(mean_degree)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if mean_degree < 0:
        raise ValueError(f"mean_degree must be >= 0, got {mean_degree}")
    if not 0.0 <= rewire <= 1.0:
        raise ValueError(f"rewire must be in [0, 1], got {rewire}")
    if n < 2 or mean_degree == 0:
        return _csr_from_keys(np.empty(0, dtype=np.int64), n)
    if kind == "watts_strogatz":
        u, v = _watts_strogatz_edges(n, mean_degree, float(rewire), rng)
    elif kind == "barabasi_albert":
        u, v = _barabasi_albert_edges(n, max(1, mean_degree // 2), rng)
    else:
        return _csr_from_keys(_random_keys(n, mean_degree, rng), n)
    return _csr_from_keys(_canonical_keys(u, v, n), n)


def _watts_strogatz_edges(n: int, mean_degree: int, rewire: float,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ring-lattice edges (i, i+d mod n), d = 1..k/2, with far ends rewired at rate `rewire`."""
    half = min((mean_degree + 1) // 2, n // 2)  # k = 2*half; larger k on a tiny ring only repeats
    u = np.tile(np.arange(n, dtype=np.int64), half)
    v = u + np.repeat(np.arange(1, half + 1, dtype=np.int64), n)
    v %= n
    if rewire > 0.0:
        moved = rng.random(u.size) < rewire
        v[moved] = rng.integers(0, n, size=int(moved.sum()), dtype=np.int64)
    return u, v


def _barabasi_albert_edges(n: int, m: int, rng: np.random.Generator
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Preferential-attachment edges via the 'repeated nodes' list, resolved without a node loop.

    Reference algorithm: people 0..m form a clique; each later person i adds m edges whose far
    ends are drawn uniformly (with replacement) from the list of endpoints of all edges made
    before i, i.e. proportionally to degree. A draw lands on position p of that list, i.e. on
    end p % 2 of earlier edge p // 2. End 0 of a non-seed edge is the person who made it, a
    closed-form function of the edge number; end 1 is that edge's own drawn far end, so the
    draw is copied from it. Drawing all positions at once and following these copy links
    (each step goes to an earlier edge, and half of the steps stop, so ~log2(E) rounds of array
    operations) reproduces the sequential process exactly, with no loop over people or edges.

    Differences from networkx.barabasi_albert_graph: the seed is a clique rather than a star,
    and the m far ends are drawn with replacement, so a repeated far end is dropped later as a
    duplicate edge (a slightly lower degree for a few people, mostly early hubs).
    """
    s = min(n, m + 1)
    seed_u, seed_v = np.triu_indices(s, 1)
    seed_u, seed_v = seed_u.astype(np.int64), seed_v.astype(np.int64)
    e0 = seed_u.size  # number of seed edges
    if n <= s:
        return seed_u, seed_v
    q = (n - s) * m  # edges made by people s..n-1
    maker_offset = np.arange(q, dtype=np.int64) // m  # new edge -> (maker - s)
    list_len = 2 * (e0 + m * maker_offset)  # endpoint-list length when that maker arrived
    pos = rng.integers(0, list_len, dtype=np.int64)
    del list_len
    far = np.empty(q, dtype=np.int64)
    pending = np.arange(q, dtype=np.int64)
    cur = pos
    while pending.size:
        edge, end = cur >> 1, cur & 1
        in_seed = edge < e0
        hit = pending[in_seed]
        seed_edge, seed_end = edge[in_seed], end[in_seed]
        far[hit] = np.where(seed_end == 0, seed_u[seed_edge], seed_v[seed_edge])
        maker_end = ~in_seed & (end == 0)
        far[pending[maker_end]] = s + (edge[maker_end] - e0) // m
        follow = ~in_seed & (end == 1)
        pending = pending[follow]
        cur = pos[edge[follow] - e0]  # copy that earlier edge's draw
    makers = s + maker_offset
    return np.concatenate([seed_u, makers]), np.concatenate([seed_v, far])


def _random_keys(n: int, mean_degree: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted keys lo*n+hi of exactly M distinct random pairs (G(n, M)), drawn without replacement."""
    pairs = n * (n - 1) // 2
    m = min(pairs, round(n * mean_degree / 2))
    t = np.sort(rng.choice(pairs, size=m, replace=False).astype(np.int64))
    # Decode t -> (hi, lo) with t = hi*(hi-1)/2 + lo, 0 <= lo < hi (lower-triangle order).
    hi = np.floor((1.0 + np.sqrt(1.0 + 8.0 * t.astype(np.float64))) / 2.0).astype(np.int64)
    hi -= hi * (hi - 1) // 2 > t  # fix float rounding by at most one either way
    hi += (hi + 1) * hi // 2 <= t
    lo = t - hi * (hi - 1) // 2
    keys = lo * n + hi
    keys.sort()
    return keys


def _canonical_keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique keys lo*n+hi of the undirected edges (u, v), self-loops dropped."""
    keep = u != v
    u, v = u[keep], v[keep]
    keys = np.minimum(u, v) * n + np.maximum(u, v)
    del u, v, keep
    keys.sort()  # np.unique is ~15x slower than sort + mask on numpy 2.4
    if keys.size > 1:
        first = np.empty(keys.size, dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        keys = keys[first]
    return keys


def _csr_from_keys(keys: np.ndarray, n: int) -> sp.csr_matrix:
    """Symmetric bool CSR from sorted unique keys lo*n+hi (lo < hi); indices come out sorted."""
    idx_dtype = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    lo = (keys // max(n, 1)).astype(idx_dtype)
    hi = (keys % max(n, 1)).astype(idx_dtype)
    # Lower half first: scipy's counting sort keeps input order within a row, so each row gets
    # its smaller neighbours (ascending) before its larger ones (ascending) -> sorted indices.
    rows = np.concatenate([hi, lo])
    cols = np.concatenate([lo, hi])
    del lo, hi
    data = np.ones(rows.size, dtype=bool)
    return sp.coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr()


# --------------------------------------------------------------------------- word of mouth


def neighbour_app_counts(adj: sp.csr_matrix, idx: np.ndarray, current: np.ndarray,
                         n_apps: int) -> tuple[np.ndarray, np.ndarray]:
    """Per person in idx: how many neighbours use each app, and their degree (word-of-mouth kernel).

    ``current[k]`` is person k's app in 0..n_apps-1, or -1 for none (not counted). Returns
    ``(counts, degree)``: float32 arrays of shape (len(idx), n_apps) and (len(idx),). Reads the
    rows of idx straight from ``indptr``/``indices``, so the cost is O(sum of their degrees +
    len(idx) * n_apps), independent of n. Raises ValueError if a neighbour's app is
    outside -1..n_apps-1.
    """
    idx = np.asarray(idx, dtype=np.intp).ravel()
    indptr = adj.indptr
    starts = indptr[idx].astype(np.intp)
    deg = indptr[idx + 1] - starts
    total = int(deg.sum())
    # Positions of all neighbours of idx in adj.indices, person after person.
    pos = np.repeat(starts - (np.cumsum(deg) - deg), deg)
    pos += np.arange(total, dtype=np.intp)
    apps = np.asarray(current)[adj.indices[pos]]
    del pos
    if apps.size and (apps.min() < -1 or apps.max() >= n_apps):
        raise ValueError(f"current holds apps outside -1..{n_apps - 1} (n_apps={n_apps})")
    # Bin (person r, app a) at r*width + a + 1: column 0 takes the -1s and is dropped, which
    # is cheaper than masking them out.
    width = n_apps + 1
    key = np.repeat(np.arange(idx.size, dtype=np.intp) * width + 1, deg)
    key += apps
    counts = np.bincount(key, minlength=idx.size * width).reshape(idx.size, width)
    return counts[:, 1:].astype(np.float32), deg.astype(np.float32)


def neighbour_app_counts_reference(adj: sp.csr_matrix, idx: np.ndarray, current: np.ndarray,
                                   n_apps: int) -> tuple[np.ndarray, np.ndarray]:
    """Same result as neighbour_app_counts via adj[idx] @ one-hot(current); the benchmark baseline.

    Plain scipy: builds an (n, n_apps) one-hot matrix, so it costs O(n * n_apps) per call.
    """
    current = np.asarray(current)
    onehot = np.zeros((adj.shape[0], n_apps), dtype=np.float32)
    has = np.flatnonzero(current >= 0)
    onehot[has, current[has]] = 1.0
    rows = adj[np.asarray(idx, dtype=np.intp)].astype(np.float32)
    counts = np.asarray(rows @ onehot, dtype=np.float32)
    degree = np.asarray(rows.sum(axis=1), dtype=np.float32).ravel()
    return counts, degree


# --------------------------------------------------------------------------- looking at it


def sample_graph(adj: sp.csr_matrix, current: np.ndarray, k: int, rng: np.random.Generator,
                 method: str = "uniform") -> nx.Graph:
    """Draw k people (all if n <= k) and return their induced subgraph, for a dashboard to draw.

    Nodes keep their person ids and carry ``app`` (int, -1 = none). ``method="uniform"``
    draws people uniformly; in a large sparse graph their induced subgraph has almost no
    edges (expected ~ k^2 * mean_degree / (2n)). ``method="snowball"`` instead grows
    breadth-first from random people, so the picture shows actual neighbourhoods.
    """
    if method not in SAMPLE_METHODS:
        raise ValueError(f"unknown sample method {method!r}; allowed: {', '.join(SAMPLE_METHODS)}")
    n = adj.shape[0]
    k = max(0, int(k))
    if n <= k:
        nodes = np.arange(n, dtype=np.intp)
    elif method == "uniform":
        nodes = np.sort(rng.choice(n, size=k, replace=False)).astype(np.intp)
    else:
        nodes = _snowball(adj, k, rng)
    return _induced_nx(adj, nodes, np.asarray(current))


def _snowball(adj: sp.csr_matrix, k: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted ids of k people reached breadth-first from random starts (loops over BFS layers)."""
    n = adj.shape[0]
    taken = np.zeros(n, dtype=bool)
    chosen: list[np.ndarray] = [np.empty(0, dtype=np.intp)]
    need = k
    frontier = np.empty(0, dtype=np.intp)
    while need > 0:
        if frontier.size == 0:  # start (or restart, if a component ran out) at a random person
            free = np.flatnonzero(~taken)
            frontier = free[rng.integers(0, free.size, size=1)]
        else:
            frontier = _neighbours(adj, frontier)
            frontier = frontier[~taken[frontier]]
            if frontier.size > need:
                frontier = rng.choice(frontier, size=need, replace=False)
        taken[frontier] = True
        chosen.append(frontier)
        need -= frontier.size
    return np.sort(np.concatenate(chosen)).astype(np.intp)


def _neighbours(adj: sp.csr_matrix, nodes: np.ndarray) -> np.ndarray:
    """Sorted unique neighbours of `nodes` (which may include some of `nodes` themselves)."""
    starts, ends = adj.indptr[nodes], adj.indptr[nodes + 1]
    deg = (ends - starts).astype(np.intp)
    first = np.cumsum(deg) - deg
    pos = np.repeat(starts - first, deg) + np.arange(int(deg.sum()), dtype=np.intp)
    return np.unique(adj.indices[pos].astype(np.intp))


def _induced_nx(adj: sp.csr_matrix, nodes: np.ndarray, current: np.ndarray) -> nx.Graph:
    """The subgraph induced by sorted `nodes` as a networkx Graph labelled by person id."""
    sub = sp.triu(adj[nodes][:, nodes], k=1).tocoo()
    graph = nx.Graph()
    graph.add_nodes_from((int(v), {"app": int(a)}) for v, a in zip(nodes, current[nodes]))
    graph.add_edges_from(zip(nodes[sub.row].tolist(), nodes[sub.col].tolist()))
    return graph


def degree_stats(adj: sp.csr_matrix, sample: int = 1000,
                 rng: np.random.Generator | None = None) -> dict:
    """Mean/median/max degree plus a sampled clustering coefficient, to report what graph was built.

    Clustering is the mean local clustering (networkx.average_clustering) of up to ``sample``
    random people, computed on the subgraph induced by them and their neighbours, which holds
    every edge their local clustering needs. A plain random induced subgraph would not do: at
    large n it has almost no edges. ``rng`` defaults to a fixed seed so reports are repeatable.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    n = adj.shape[0]
    deg = np.diff(adj.indptr)
    out = {"n": int(n), "edges": int(adj.nnz // 2),
           "mean": float(deg.mean()) if n else 0.0,
           "median": float(np.median(deg)) if n else 0.0,
           "max": int(deg.max()) if n else 0,
           "clustering": 0.0}
    if n == 0 or adj.nnz == 0:
        return out
    picked = np.sort(rng.choice(n, size=min(n, sample), replace=False)).astype(np.intp)
    ego = np.union1d(picked, _neighbours(adj, picked))
    local = nx.from_scipy_sparse_array(adj[ego][:, ego])  # nodes 0..len(ego)-1
    out["clustering"] = float(nx.average_clustering(local, nodes=np.searchsorted(ego, picked).tolist()))
    return out
