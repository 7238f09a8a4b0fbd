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


class PublicBoard:
    """Rivals' public facts for today, with share figures published `lag` days late."""

    def __init__(self, n_firms: int, lag: int) -> None:
        self.lag = lag
        self._app = deque(maxlen=lag + 1)
        self._tokens = deque(maxlen=lag + 1)
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
        app = self._app[0] if self._app else self.zero
        tokens = self._tokens[0] if self._tokens else self.zero
        everyone = [
            Rival(firm=f.firm_id, status=f.status, api_price=f.api_price, quality=f.quality,
                  open_weights=f.open_weights, has_app=f.app_live, sub_price=f.sub_price,
                  app_share=float(app[f.index]), token_share=float(tokens[f.index]))
            for f in model.firm_list
        ]
        self._rivals = {r.firm: tuple(x for x in everyone if x.firm != r.firm) for r in everyone}
        cutoff = model.day - RELEASE_MEMORY_DAYS
        self.releases = tuple(r for r in self.releases_log
                              if model.calendar.day(r.date) >= cutoff)

    def rivals_of(self, firm_id: str) -> tuple[Rival, ...]:
        return self._rivals[firm_id]
