"""One run of a scenario, returned as pandas frames: the Python entry point `market.run`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mesa
import pandas as pd

from agents.firm import FirmAgent
from market.model import FIRM_FIELDS, MARKET_FIELDS, MarketModel
from market.scenario import Scenario, load


@dataclass
class RunResult:
    """`firms`: one row per firm per day; `market`: one row per day; `events`: what happened."""

    firms: pd.DataFrame
    market: pd.DataFrame
    events: pd.DataFrame
    scenario: Scenario
    seed: int

    def final(self) -> pd.DataFrame:
        """The last day's row for every firm, indexed by firm id."""
        last = self.firms["date"].max()
        return self.firms[self.firms["date"] == last].set_index("firm")


def frames(model: MarketModel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tidy frames from a model's DataCollector and event log."""
    dc = model.datacollector
    firms = dc.get_agenttype_vars_dataframe(FirmAgent).reset_index(drop=True)
    firms = firms[list(FIRM_FIELDS)] if len(firms) else pd.DataFrame(columns=FIRM_FIELDS)
    market = dc.get_model_vars_dataframe().reset_index(drop=True)
    market = market[list(MARKET_FIELDS)] if len(market) else pd.DataFrame(columns=MARKET_FIELDS)
    for frame in (firms, market):
        frame["date"] = pd.to_datetime(frame["date"])
    events = pd.DataFrame(model.event_log, columns=["date", "firm", "kind", "action", "label",
                                                    "evidence", "source"])
    events["date"] = pd.to_datetime(events["date"])
    return firms, market, events


def run(scenario: str | Path | Scenario = "history", seed: int = 0,
        overrides: list[str] | dict | None = None, days: int | None = None) -> RunResult:
    """Run a scenario (name, path or Scenario) with a seed; overrides are dotted `--set` keys."""
    spec = scenario if isinstance(scenario, Scenario) else load(scenario, overrides)
    if isinstance(scenario, Scenario) and overrides:
        raise ValueError("pass overrides with a scenario name, not with a built Scenario")
    model = MarketModel(spec, seed=seed, days=days)
    try:
        model.run()
        firms, market, events = frames(model)
    finally:
        mesa.Agent._ids.pop(model, None)  # mesa keeps a class-level reference to every model
    return RunResult(firms=firms, market=market, events=events, scenario=spec, seed=model.seed)
