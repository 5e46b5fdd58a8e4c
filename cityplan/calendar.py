"""Model time: days (float) since 1 January of the first simulated year, and the festival.

The Spring Festival (春节) moves with the lunar calendar; construction pauses around it and
the campaign launches on the first working day after its public holiday (calibration.md §5:
festival 22 January 2023, launch 28 January 2023). :data:`SPRING_FESTIVAL` holds the
festival and :data:`FIRST_WORKING_DAY` the day after its holiday, by year.

Sources: the festival (正月初一) from the Hong Kong Observatory's Gregorian-lunar conversion
tables (www.hko.gov.hk/tc/gts/time/conversion.htm); the first working day from the State
Council General Office's annual notice on public holidays (国务院办公厅关于<year>年部分节假日
安排的通知, www.gov.cn), published late in the year before, so later years have the
festival only (a run targeting one sets ``campaign_launch``). Both tables were checked
against the packages ``lunarcalendar`` 0.0.9 and ``chinesecalendar`` 1.11.0 (all years
agree); they are not dependencies: two small sourced tables need no yearly package update.
A simulated year outside :data:`SPRING_FESTIVAL` is a ConfigError naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where used: sim.config imports the tables, and --help stays quick
    import numpy as np


# Spring Festival (正月初一) by year, ISO dates (Hong Kong Observatory conversion tables).
SPRING_FESTIVAL: dict[int, str] = {
    2014: "2014-01-31",
    2015: "2015-02-19",
    2016: "2016-02-08",
    2017: "2017-01-28",
    2018: "2018-02-16",
    2019: "2019-02-05",
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",  # calibration.md §5
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
    2031: "2031-01-23",
    2032: "2032-02-11",
    2033: "2033-01-31",
    2034: "2034-02-19",
    2035: "2035-02-08",
}
# First working day after the Spring Festival public holiday (State Council notices).
FIRST_WORKING_DAY: dict[int, str] = {
    2018: "2018-02-22",  # holiday 15-21 Feb
    2019: "2019-02-11",  # holiday 4-10 Feb
    2020: "2020-02-03",  # holiday 24-30 Jan, extended to 2 Feb (COVID-19 notice of 27 Jan 2020)
    2021: "2021-02-18",  # holiday 11-17 Feb
    2022: "2022-02-07",  # holiday 31 Jan - 6 Feb
    2023: "2023-01-28",  # holiday 21-27 Jan; a make-up working day; the launch (calibration.md §5)
    2024: "2024-02-18",  # holiday 10-17 Feb; a make-up working day
    2025: "2025-02-05",  # holiday 28 Jan - 4 Feb
    2026: "2026-02-24",  # holiday 15-23 Feb
}


def spring_festival(year: int) -> str:
    """ISO date of the Spring Festival of ``year`` (KeyError outside :data:`SPRING_FESTIVAL`)."""
    return SPRING_FESTIVAL[year]


def first_working_day_after_festival(year: int) -> str:
    """First working day after the festival holiday of ``year`` (KeyError if not yet published)."""
    return FIRST_WORKING_DAY[year]


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
        import numpy as np

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
        import numpy as np

        months = np.arange(f"{year}-01", f"{year + 1}-01", dtype="datetime64[M]")
        origin = np.datetime64(f"{self.first_year}-01-01", "D")
        return (months.astype("datetime64[D]") - origin).astype(float)

    def festival_day(self, year: int) -> float:
        """Model day of the Spring Festival of ``year``."""
        return self.day_of(spring_festival(year))

    def month_ends(self, year: int) -> np.ndarray:
        """Model days at the end of each month of ``year`` (start of the next; 12 values)."""
        import numpy as np

        starts = self.month_starts(year)
        return np.append(starts[1:], self.year_start(year + 1))
