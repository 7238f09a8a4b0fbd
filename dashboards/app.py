"""The dashboard page: a Mesa SolaraViz on MarketModel, with pricewar's levers and views.

    solara run dashboards.app          # or: pricewar viz

SolaraViz supplies Reset / Play-Pause / Step, the play interval (speed) and render interval
controls; the side panel (`dashboards.controls`) chooses what Reset builds; the main area
(`dashboards.views`) shows the run. Each browser tab gets its own Session and model (made in
`Page`, not at import time, so tabs never share one).
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from dashboards.controls import LeverPanel
from dashboards.live_model import DashboardModel, Session
from dashboards.plotly_live import serve_plotly_js
from dashboards.settings import Settings
from dashboards.views import Dashboard

TITLE = "pricewar: the Chinese LLM price war"
serve_plotly_js()  # before the first page asks for it
PLAY_INTERVAL_MS = 100


@solara.component
def Page() -> None:
    """One tab: a session, its model, SolaraViz's controls, the levers and the views."""
    session = solara.use_memo(Session, [])
    settings = solara.use_reactive(session.settings)
    first = solara.use_memo(lambda: DashboardModel(session), [])
    model = solara.use_reactive(first)
    solara.use_effect(lambda: session.close, [])  # the cleanup runs when the tab goes away
    solara.Title(TITLE)
    SolaraViz(model, components=[], model_params={"session": session}, name=TITLE,
              play_interval=PLAY_INTERVAL_MS)
    SideLevers(settings, session, model.value.settings)
    Dashboard(model.value)


@solara.component
def SideLevers(settings: solara.Reactive[Settings], session: Session, running: Settings) -> None:
    """The levers in the sidebar, below SolaraViz's own cards.

    Solara orders sidebar content by how deep in the component tree it was added; SolaraViz adds
    its cards two components below the page, so the levers are added three below.
    """
    _SideLeversInner(settings, session, running)


@solara.component
def _SideLeversInner(settings: solara.Reactive[Settings], session: Session, running: Settings) -> None:
    with solara.Sidebar():
        LeverPanel(settings, session, running)
