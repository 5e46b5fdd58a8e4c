"""Model time: days (float) since 1 January of the first simulated year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calendar:
    """Maps calendar years and months to model days.

    Parameters
    ----------
    first_year
        Year whose 1 January is model day 0.
    last_year
        Last simulated year (the target year); the run ends on its 31 December.
    """

    first_year: int
    last_year: int

    def day_of(self, date: str) -> float:
        """Model day of an ISO date (``'2023-06-30'`` -> days since first_year-01-01)."""
        origin = np.datetime64(f"{self.first_year}-01-01", "D")
        return float((np.datetime64(date, "D") - origin) / np.timedelta64(1, "D"))

    def year_start(self, year: int) -> float:
        """Model day of 1 January of ``year``."""
        return self.day_of(f"{year}-01-01")

    @property
    def horizon_days(self) -> float:
        """Model day at which the run ends (1 January after last_year)."""
        return self.year_start(self.last_year + 1)

    def month_starts(self, year: int) -> np.ndarray:
        """Model days of the first day of each month of ``year`` (12 values)."""
        months = np.arange(f"{year}-01", f"{year + 1}-01", dtype="datetime64[M]")
        origin = np.datetime64(f"{self.first_year}-01-01", "D")
        return (months.astype("datetime64[D]") - origin).astype(float)

    def month_ends(self, year: int) -> np.ndarray:
        """Model days at the end of each month of ``year`` (start of the next; 12 values)."""
        starts = self.month_starts(year)
        return np.append(starts[1:], self.year_start(year + 1))
