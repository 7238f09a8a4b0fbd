"""Tests for market.network: graph shape invariants, determinism, and the word-of-mouth kernel."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from market.network import (
    KINDS,
    build_consumer_graph,
    degree_stats,
    neighbour_app_counts,
    neighbour_app_counts_reference,
    sample_graph,
)

N = 20_000


def build(kind: str, n: int = N, mean_degree: int = 10, rewire: float = 0.1, seed: int = 1):
    """Build a graph with a fresh rng from `seed`."""
    return build_consumer_graph(n, kind, mean_degree, rewire, np.random.default_rng(seed))


def assert_simple_symmetric(adj: sp.csr_matrix, n: int) -> None:
    """Square n x n CSR, symmetric, no self-loops, no duplicate or explicit-zero entries."""
    assert sp.issparse(adj) and adj.format == "csr"
    assert adj.shape == (n, n)
    assert adj.indices.dtype == np.int32
    assert (adj != adj.T).nnz == 0
    assert not adj.diagonal().any()
    assert adj.data.all()
    assert adj.has_canonical_format  # sorted indices, no duplicates
    copy = adj.copy()
    copy.sum_duplicates()
    assert copy.nnz == adj.nnz


@pytest.fixture(scope="module", params=KINDS)
def graph(request):
    """One N-person graph of each kind, shared across tests."""
    return request.param, build(request.param)


def test_symmetric_no_self_loops(graph):
    _, adj = graph
    assert_simple_symmetric(adj, N)


def test_mean_degree_near_target(graph):
    _, adj = graph
    mean = np.diff(adj.indptr).mean()
    assert 8.0 <= mean <= 12.0


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_given_seed(kind):
    a, b, c = build(kind, 5000, seed=7), build(kind, 5000, seed=7), build(kind, 5000, seed=8)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert (a != c).nnz > 0


def test_barabasi_albert_has_heavier_tail():
    ba = np.diff(build("barabasi_albert").indptr)
    ws = np.diff(build("watts_strogatz").indptr)
    assert ba.max() > 10 * ws.max()
    assert np.median(ba) < np.median(ws)  # same mean, so the mass sits in the tail


def test_watts_strogatz_without_rewiring_is_ring_lattice():
    adj = build("watts_strogatz", n=100, mean_degree=4, rewire=0.0)
    assert np.all(np.diff(adj.indptr) == 4)
    assert set(adj.indices[adj.indptr[0]:adj.indptr[1]].tolist()) == {1, 2, 98, 99}


def test_odd_mean_degree_rounds_up_for_watts_strogatz():
    adj = build("watts_strogatz", n=100, mean_degree=5, rewire=0.0)
    assert np.all(np.diff(adj.indptr) == 6)


def test_random_has_exact_edge_count():
    assert build("random", n=1000, mean_degree=7).nnz == 1000 * 7


def test_unknown_kind_names_allowed_kinds():
    with pytest.raises(ValueError) as err:
        build("small_world")
    for kind in KINDS:
        assert kind in str(err.value)


@pytest.mark.parametrize("bad", [{"n": -1}, {"mean_degree": -2}, {"rewire": 1.5}])
def test_bad_numbers_raise(bad):
    args = {"n": 10, "kind": "random", "mean_degree": 4, "rewire": 0.1} | bad
    with pytest.raises(ValueError):
        build_consumer_graph(**args, rng=np.random.default_rng(0))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 7])
def test_tiny_n(kind, n):
    adj = build(kind, n=n, mean_degree=10)
    assert_simple_symmetric(adj, n)
    assert np.all(np.diff(adj.indptr) <= max(n - 1, 0))
    if n == 2:
        assert adj.nnz == 2  # the only possible edge


@pytest.mark.parametrize("kind", KINDS)
def test_zero_mean_degree_is_empty(kind):
    assert build(kind, n=50, mean_degree=0).nnz == 0


@settings(deadline=None, max_examples=30)
@given(n=st.integers(0, 300), mean_degree=st.integers(0, 30), kind=st.sampled_from(KINDS),
       rewire=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_property_simple_symmetric(n, mean_degree, kind, rewire, seed):
    adj = build_consumer_graph(n, kind, mean_degree, rewire, np.random.default_rng(seed))
    assert_simple_symmetric(adj, n)


# --------------------------------------------------------------------------- word of mouth


def brute_force_counts(adj, idx, current, n_apps):
    """Loop-by-loop count of neighbours' apps, the obviously correct version."""
    counts = np.zeros((len(idx), n_apps), dtype=np.float32)
    degree = np.zeros(len(idx), dtype=np.float32)
    dense = adj.toarray()
    for r, person in enumerate(idx):
        for other in range(adj.shape[0]):
            if dense[person, other]:
                degree[r] += 1
                if current[other] >= 0:
                    counts[r, current[other]] += 1
    return counts, degree


@pytest.mark.parametrize("kind", KINDS)
def test_counts_match_brute_force_and_reference(kind):
    rng = np.random.default_rng(3)
    adj = build(kind, n=60, mean_degree=6)
    current = rng.integers(-1, 4, size=60)
    idx = np.array([0, 5, 5, 59, 17, 33])  # repeats allowed
    counts, degree = neighbour_app_counts(adj, idx, current, 4)
    assert counts.dtype == np.float32 and degree.dtype == np.float32
    assert counts.shape == (6, 4) and degree.shape == (6,)
    want = brute_force_counts(adj, idx, current, 4)
    np.testing.assert_array_equal(counts, want[0])
    np.testing.assert_array_equal(degree, want[1])
    ref = neighbour_app_counts_reference(adj, idx, current, 4)
    np.testing.assert_array_equal(counts, ref[0])
    np.testing.assert_array_equal(degree, ref[1])


def test_counts_match_reference_large(graph):
    _, adj = graph
    rng = np.random.default_rng(4)
    current = rng.integers(-1, 5, size=N).astype(np.int8)
    idx = rng.choice(N, size=1000, replace=False)
    counts, degree = neighbour_app_counts(adj, idx, current, 5)
    ref_counts, ref_degree = neighbour_app_counts_reference(adj, idx, current, 5)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(degree, ref_degree)


def test_no_app_is_not_counted():
    adj = build("watts_strogatz", n=30, mean_degree=4, rewire=0.0)
    current = np.full(30, -1)
    counts, degree = neighbour_app_counts(adj, np.arange(30), current, 3)
    assert not counts.any()
    assert np.all(degree == 4)
    current[1] = 2
    counts, _ = neighbour_app_counts(adj, np.array([0, 3]), current, 3)
    np.testing.assert_array_equal(counts, [[0, 0, 1], [0, 0, 1]])


def test_counts_empty_idx_and_isolated_people():
    adj = build("random", n=10, mean_degree=0)
    counts, degree = neighbour_app_counts(adj, np.arange(10), np.zeros(10, int), 2)
    assert counts.shape == (10, 2) and not counts.any() and not degree.any()
    counts, degree = neighbour_app_counts(adj, np.array([], dtype=int), np.zeros(10, int), 2)
    assert counts.shape == (0, 2) and degree.shape == (0,)


@pytest.mark.parametrize("bad_app", [3, -2])
def test_counts_reject_app_out_of_range(bad_app):
    adj = build("watts_strogatz", n=10, mean_degree=2, rewire=0.0)
    with pytest.raises(ValueError):
        neighbour_app_counts(adj, np.array([0]), np.full(10, bad_app), 3)


# --------------------------------------------------------------------------- looking at it


@pytest.mark.parametrize("method", ["uniform", "snowball"])
def test_sample_graph(graph, method):
    _, adj = graph
    current = np.random.default_rng(5).integers(-1, 3, size=N)
    g = sample_graph(adj, current, 300, np.random.default_rng(6), method=method)
    assert isinstance(g, nx.Graph)
    assert g.number_of_nodes() == 300
    for node, app in g.nodes(data="app"):
        assert isinstance(app, int) and app == current[node]
    for u, v in g.edges():
        assert adj[u, v]
    if method == "snowball":  # grown through edges, so it is mostly connected
        assert g.number_of_edges() >= 299


@pytest.mark.parametrize("method", ["uniform", "snowball"])
def test_sample_graph_zero_people(method):
    g = sample_graph(build("random", n=50), np.zeros(50, int), 0, np.random.default_rng(0), method)
    assert g.number_of_nodes() == 0


def test_sample_graph_small_n_returns_everyone():
    adj = build("random", n=12, mean_degree=4)
    g = sample_graph(adj, np.arange(12) % 3 - 1, 300, np.random.default_rng(0))
    assert sorted(g.nodes) == list(range(12))
    assert g.number_of_edges() == adj.nnz // 2


def test_sample_graph_deterministic():
    adj = build("barabasi_albert", n=2000)
    current = np.zeros(2000, dtype=int)
    a = sample_graph(adj, current, 100, np.random.default_rng(1), method="snowball")
    b = sample_graph(adj, current, 100, np.random.default_rng(1), method="snowball")
    assert sorted(a.nodes) == sorted(b.nodes) and sorted(a.edges) == sorted(b.edges)


def test_degree_stats():
    ws = degree_stats(build("watts_strogatz"))
    assert set(ws) >= {"mean", "median", "max", "clustering"}
    assert 9.5 < ws["mean"] <= 10.0 and ws["median"] == 10.0
    assert 0.35 < ws["clustering"] < 0.6  # ~0.49 for k=10, rewire=0.1
    er = degree_stats(build("random"))
    assert er["clustering"] < 0.01
    assert degree_stats(build("random", n=0))["max"] == 0


def test_barabasi_albert_matches_sequential_repeated_nodes():
    """The vectorized copy-link resolution equals the plain loop over the endpoint list."""
    from market.network import _barabasi_albert_edges

    n, m = 300, 3
    u, v = _barabasi_albert_edges(n, m, np.random.default_rng(9))
    # Replay the same draws with the textbook loop: far end = endpoints[p], then append.
    s = m + 1
    seed_u, seed_v = np.triu_indices(s, 1)
    endpoints = np.column_stack([seed_u, seed_v]).ravel().tolist()
    e_start = len(seed_u) + m * (np.arange((n - s) * m) // m)
    draws = np.random.default_rng(9).integers(0, 2 * e_start)
    makers, fars = list(seed_u), list(seed_v)
    for e, p in enumerate(draws):
        maker = s + e // m
        far = endpoints[p]
        endpoints += [maker, far]
        makers.append(maker)
        fars.append(far)
    np.testing.assert_array_equal(u, makers)
    np.testing.assert_array_equal(v, fars)
