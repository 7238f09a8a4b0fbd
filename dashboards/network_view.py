"""A picture of word of mouth: a snowball sample of the social graph, coloured by app in use.

The sample and its layout are drawn once per model (and on "new sample"); each step only
recolours the people, so one can watch an app spread along the edges. Snowball sampling grows
breadth-first from random people, so the picture shows real neighbourhoods (a uniform sample
of a large sparse graph has almost no edges).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from dashboards.figures import colors, label
from market.network import sample_graph

if TYPE_CHECKING:
    from dashboards.live_model import DashboardModel

NO_APP = "#d0d0d0"


@dataclass
class NetworkSample:
    """Sampled people (graph node ids = person ids), their fixed positions and the edge polyline."""

    people: np.ndarray
    x: np.ndarray
    y: np.ndarray
    edge_x: np.ndarray
    edge_y: np.ndarray
    degree: np.ndarray


def draw_sample(model: DashboardModel, draw: int = 0, size: int | None = None) -> NetworkSample:
    """Sample `size` people (default: the scenario's network.sample_size) and lay them out."""
    k = int(size if size is not None else model.scenario.network.sample_size)
    rng = np.random.default_rng([model.seed, draw])
    graph = sample_graph(model.graph, model.people.current, k, rng, method="snowball")
    people = np.array(sorted(graph.nodes), dtype=np.intp)
    pos = nx.spring_layout(graph, seed=int(draw), iterations=50) if len(people) else {}
    x = np.array([pos[int(p)][0] for p in people], dtype=float)
    y = np.array([pos[int(p)][1] for p in people], dtype=float)
    ex, ey = [], []
    for u, v in graph.edges:
        ex += [pos[u][0], pos[v][0], None]
        ey += [pos[u][1], pos[v][1], None]
    degree = np.array([graph.degree[int(p)] for p in people], dtype=int)
    return NetworkSample(people, x, y, np.array(ex, dtype=float), np.array(ey, dtype=float), degree)


def figure_network(model: DashboardModel, sample: NetworkSample) -> dict[str, Any]:
    """Edges in grey, then one marker trace per app (and one for people using none today)."""
    apps = np.asarray(model.people.current)[sample.people]
    c = colors(model)
    data: list[dict[str, Any]] = [{"type": "scatter", "mode": "lines", "x": sample.edge_x, "y": sample.edge_y,
                                   "name": "acquaintance", "hoverinfo": "skip", "showlegend": False,
                                   "line": {"color": "rgba(150,150,150,0.35)", "width": 0.7}}]
    groups = [(-1, "no AI app today", NO_APP, 6)]
    groups += [(f.index, label(model, f.firm_id, True), c[f.firm_id], 10) for f in model.firm_list if f.has_app]
    for index, name, color, size in groups:
        mask = apps == index
        text = [f"person {p}, {d} contacts in the sample" for p, d in zip(sample.people[mask], sample.degree[mask])]
        data.append({"type": "scatter", "mode": "markers", "x": sample.x[mask], "y": sample.y[mask], "name": name,
                     "text": text, "hovertemplate": f"%{{text}}<extra>{name}</extra>",
                     "marker": {"color": color, "size": size, "line": {"color": "white", "width": 0.5}}})
    title = f"Who uses which app today: {len(sample.people)} people sampled by snowball from the social graph"
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    return {"data": data, "layout": {"title": {"text": title, "x": 0.0, "font": {"size": 14}}, "height": 560,
                                     "margin": {"t": 50, "l": 10, "r": 10, "b": 10}, "template": "plotly_white",
                                     "hovermode": "closest", "xaxis": hidden, "yaxis": {**hidden, "scaleanchor": "x"},
                                     "legend": {"font": {"size": 10}, "itemsizing": "constant"}}}


def users_in_sample(model: DashboardModel, sample: NetworkSample) -> int:
    """How many sampled people use some AI app today."""
    return int((np.asarray(model.people.current)[sample.people] >= 0).sum())
