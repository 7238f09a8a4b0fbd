"""Dated events: shocks from outside the firms, and scripted decisions backed by evidence.

Applied in the first phase of a day, before any firm observes the market.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.observation import Decision, Release
from market.schema import Event

if TYPE_CHECKING:
    from market.model import MarketModel


def apply_event(model: MarketModel, event: Event) -> str:
    """Apply one event to the model; return a line for the run's event log."""
    firm = model.firm(event.firm) if event.firm else None
    action = event.action
    if action == "release":
        if event.quality >= 0:
            firm.quality = event.quality
        firm.serving_cost *= event.cost_factor
        firm.capacity *= event.capacity_factor
        model.public.releases_log.append(Release(firm.firm_id, model.date, firm.quality))
    elif action == "app_launch":
        if firm.active and firm.has_app:
            firm.app_live = True
    elif action == "capacity":
        firm.capacity *= event.capacity_factor
    elif action == "serving_cost":
        firm.serving_cost *= event.cost_factor
    elif action == "channel_ban":
        model.channels[event.channel].rivals_banned = True if event.value is None else bool(event.value)
    elif action == "funding":
        firm.ledger.funding += float(event.value)
    elif action == "demand":
        model.demand_factor *= float(event.value)
    elif action == "marker":
        pass  # a dated label for the time axis (e.g. a foreign release) with no effect inside
    else:  # a decision: same path as a strategy's, but pinned for the rest of the run
        value = event.model if action == "integrate" else event.value
        if action in ("pivot", "exit") and value is None:
            value = True
        firm.apply(Decision(**{action: value}), hold_until=model.day + event.hold_days)
    who = event.firm or event.channel
    return event.label or f"{who}: {action}" + ("" if event.value is None else f" = {event.value}")
