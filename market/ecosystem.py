"""Who hosts or integrates whose model: a networkx graph of the model ecosystem, for analysis
and pictures (the consumer graph, far larger, lives in market/network.py as a sparse matrix)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from market.model import MarketModel


def ecosystem_graph(model: MarketModel) -> nx.DiGraph:
    """Firms as nodes; an edge host -> maker for each open model a cloud serves (weight: tokens/day
    today) and integrator -> maker for a model an app carries."""
    graph = nx.DiGraph()
    for firm in model.firm_list:
        graph.add_node(firm.firm_id, name=firm.name, status=firm.status, open_weights=firm.open_weights,
                       cloud=firm.cloud, app=firm.app)
    offer = getattr(model, "api_offer", None)
    demands = [b.demand for b in model.buyers if b.demand is not None]
    if offer is not None and demands:
        demand = sum(demands)
        for host in model.firm_list:
            for maker in model.firm_list:
                if host is not maker and offer.available[host.index, maker.index]:
                    graph.add_edge(host.firm_id, maker.firm_id, kind="hosts",
                                   tokens=float(demand[host.index, maker.index]))
    for firm in model.firm_list:
        if firm.integrated:
            graph.add_edge(firm.firm_id, firm.integrated, kind="integrates", tokens=firm.app_tokens)
    return graph
