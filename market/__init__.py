"""pricewar's market: the model, demand, accounting, scenarios and the CLI.

    >>> from market import run
    >>> result = run("history", seed=0, days=30)

Names are imported lazily so that `agents` and `market` modules can import each other's small
pieces (e.g. market.schema) without a circular import through this package's top level.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MarketModel": "market.model",
    "RunResult": "market.runner",
    "run": "market.runner",
    "Scenario": "market.scenario",
    "available": "market.scenario",
    "load": "market.scenario",
    "ScenarioError": "market.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'market' has no attribute {name!r}")
