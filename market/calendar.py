"""Simulated time: one step is one day from the scenario's start date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Number of simulated days, both ends included."""
        return (self.end - self.start).days + 1

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def day(self, date: dt.date) -> int:
        return (date - self.start).days
