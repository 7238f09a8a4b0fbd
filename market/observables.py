"""The public record firms decide from: list prices, benchmarks, weights, lagged share figures.

Built once per day before firms decide, so the order in which firms act within the decision
phase never lets one firm see another's same-day move.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from agents.observation import Release, Rival

if TYPE_CHECKING:
    from market.model import MarketModel

RELEASE_MEMORY_DAYS = 60
GAIN_WINDOW = 30  # days over which a rival's published share gain is measured


class PublicBoard:
    """Rivals' public facts for today, with share figures published `lag` days late."""

    def __init__(self, n_firms: int, lag: int) -> None:
        self.lag = lag
        self._app = deque(maxlen=lag + 1 + GAIN_WINDOW)
        self._tokens = deque(maxlen=lag + 1 + GAIN_WINDOW)
        self.releases_log: list[Release] = []
        self.releases: tuple[Release, ...] = ()
        self._rivals: dict[str, tuple[Rival, ...]] = {}
        self.zero = np.zeros(n_firms)

    def record_shares(self, app_share: np.ndarray, token_share: np.ndarray) -> None:
        """Store today's exact shares; they become public after the lag."""
        self._app.append(app_share.copy())
        self._tokens.append(token_share.copy())

    def publish(self, model: MarketModel) -> None:
        """Freeze today's public snapshot for the decision phase."""
        app, app_before = self._published(self._app)
        tokens, tokens_before = self._published(self._tokens)
        gain = (app + tokens) - (app_before + tokens_before)
        everyone = [
            Rival(firm=f.firm_id, status=f.status, api_price=f.api_price, quality=f.quality,
                  open_weights=f.open_weights, has_app=f.app_live, sub_price=f.sub_price,
                  app_share=float(app[f.index]), token_share=float(tokens[f.index]),
                  share_gain=float(gain[f.index]))
            for f in model.firm_list
        ]
        self._rivals = {r.firm: tuple(x for x in everyone if x.firm != r.firm) for r in everyone}
        cutoff = model.day - RELEASE_MEMORY_DAYS
        self.releases = tuple(r for r in self.releases_log
                              if model.calendar.day(r.date) >= cutoff)

    def _published(self, history: deque) -> tuple[np.ndarray, np.ndarray]:
        """The figure public today (recorded `lag` days ago) and the one GAIN_WINDOW days before."""
        if not history:
            return self.zero, self.zero
        now = max(0, len(history) - 1 - self.lag)
        return history[now], history[max(0, now - GAIN_WINDOW)]

    def rivals_of(self, firm_id: str) -> tuple[Rival, ...]:
        return self._rivals[firm_id]
