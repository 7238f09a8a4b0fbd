"""pricewar's market: the model, demand, accounting, scenarios and the CLI.

    >>> from market import run
    >>> result = run("history", seed=0, days=30)
"""

from market.errors import ScenarioError
from market.model import MarketModel
from market.runner import RunResult, run
from market.scenario import Scenario, available, load

__all__ = ["MarketModel", "RunResult", "Scenario", "ScenarioError", "available", "load", "run"]
