"""The model a browser tab drives: MarketModel built from the tab's settings, recording its run.

SolaraViz's Reset builds a new model as `type(model)(**model_params)`. The dashboard passes one
parameter, the tab's `Session`, so Reset reads whatever the controls last committed there, and
two tabs (two sessions) never share a model. Mesa keeps a class-level reference to every model
(`mesa.Agent._ids`); a session drops the one it replaces so closed or reset runs can be freed.
"""

from __future__ import annotations

import threading
import uuid

import mesa

from dashboards.settings import Settings, initial_settings
from dashboards.trajectory import Trajectory
from market.errors import ScenarioError
from market.model import MarketModel
from market.scenario import load


class Session:
    """One browser tab: the settings its controls committed and the model it is showing."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else initial_settings()
        self.model: DashboardModel | None = None
        self._lock = threading.Lock()

    def adopt(self, model: DashboardModel) -> None:
        """Make `model` this tab's model and let mesa forget the one it replaces."""
        with self._lock:
            old, self.model = self.model, model
        if old is not None and old is not model:
            release(old)

    def close(self) -> None:
        """The tab went away: forget its model."""
        with self._lock:
            old, self.model = self.model, None
        if old is not None:
            release(old)


def release(model: mesa.Model) -> None:
    """Drop mesa's class-level reference to a model (else every model ever built stays in memory)."""
    mesa.Agent._ids.pop(model, None)


class DashboardModel(MarketModel):
    """MarketModel built from a Session's settings; records each day into a Trajectory.

    `problem` is a one-line message when the settings could not be used (the controls should
    have refused them; this is the last line of defence): the model then runs the scenario with
    only the population size applied, so the page keeps working and says what was refused.
    """

    def __init__(self, session: Session | None = None) -> None:
        session = session if session is not None else Session()
        settings = session.settings
        problem = None
        try:
            spec = settings.build()
        except ScenarioError as exc:
            problem = f"settings refused, running the plain scenario instead: {exc}"
            spec = load(settings.scenario, [f"population.consumers={int(settings.consumers)}"])
        seed = settings.seed if problem is None else 0
        super().__init__(spec, seed=seed)
        self.settings = settings
        self.overrides = settings.overrides() if problem is None else []
        self.problem = problem
        self.trajectory = Trajectory(self)
        self.revision = uuid.uuid4().hex  # charts keep zoom and legend choices until this changes
        session.adopt(self)

    def step(self) -> None:
        if not self.running:  # a Play loop may call once more after the last day
            return
        super().step()
        self.trajectory.record(self)
