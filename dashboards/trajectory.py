"""The run so far as preallocated numpy arrays, appended to after every step.

The charts redraw after every step, so they must not rebuild pandas frames from the
DataCollector each time (that grows with the run). The model records the same per-firm row the
DataCollector collects (`FirmAgent.row`) and the market row into fixed (days x firms) arrays;
a chart reads slices `[:n]`. Only the model's own thread writes; `n` moves after the day's
values are in place, so a reader on another thread sees whole days only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from market.model import MarketModel

FIRM_SERIES = ("app_dau", "app_share", "token_share", "api_price", "api_revenue", "api_serving_cost",
               "cash", "runway_days", "api_tokens", "hosted_tokens", "maas_margin")
MARKET_SERIES = ("total_dau", "outside_share", "total_tokens", "self_hosted_tokens", "mean_api_price",
                 "hhi_app", "hhi_tokens")
STATUS_CODES = {"active": 0, "pivoted": 1, "exited": 2}


def day_strings(start: dt.date, days: int) -> np.ndarray:
    """ISO dates 'YYYY-MM-DD' from `start`, one per day.

    Charts get dates as text, not as epoch numbers: plotly.js re-guesses an axis' type whenever a
    trace's x data is restyled, and numbers would turn the date axis into a plain number line.
    """
    first = np.datetime64(start.isoformat(), "D")
    return np.datetime_as_string(first + np.arange(days), unit="D")


class Trajectory:
    """Daily values of one model run: `firm[name]` is (days, firms), `market[name]` is (days,)."""

    def __init__(self, model: MarketModel) -> None:
        days = model.n_days
        n_firms = len(model.firm_list)
        self.firm_ids = [f.firm_id for f in model.firm_list]
        self.n = 0
        self.x = day_strings(model.calendar.start, days)
        self.firm = {name: np.zeros((days, n_firms)) for name in FIRM_SERIES}
        self.status = np.zeros((days, n_firms), dtype=np.int8)
        self.market = {name: np.zeros(days) for name in MARKET_SERIES}

    def record(self, model: MarketModel) -> None:
        """Append the day the model has just simulated."""
        i = self.n
        if i >= len(self.x):
            return
        for j, firm in enumerate(model.firm_list):
            row = firm.row
            for name in FIRM_SERIES:
                self.firm[name][i, j] = float(row[name])
            self.status[i, j] = STATUS_CODES.get(row["status"], 0)
        for name in MARKET_SERIES:
            self.market[name][i] = float(model.market_row[name])
        self.n = i + 1

    def firm_series(self, name: str) -> np.ndarray:
        return self.firm[name][: self.n]

    def market_series(self, name: str) -> np.ndarray:
        return self.market[name][: self.n]

    def days(self) -> np.ndarray:
        return self.x[: self.n]

    @property
    def start(self) -> str:
        """The first day, 'YYYY-MM-DD'."""
        return str(self.x[0])

    def rolling_margin(self, window: int = 30) -> np.ndarray:
        """(API revenue - serving cost) / revenue over a trailing window; NaN without revenue."""
        revenue = _rolling_sum(self.firm_series("api_revenue"), window)
        cost = _rolling_sum(self.firm_series("api_serving_cost"), window)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(revenue > 1e-6, (revenue - cost) / revenue, np.nan)


def _rolling_sum(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing sums along axis 0 (fewer rows at the start), via a cumulative sum."""
    total = np.cumsum(values, axis=0)
    out = total.copy()
    out[window:] -= total[:-window]
    return out
