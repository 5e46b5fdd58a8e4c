"""Dates as offices write them in a ledger: every form, and what was assumed to read it.

Accepted (year first only; a day/month order is never guessed): a spreadsheet date cell,
an Excel serial number (days since 1899-12-30, the 1900 date system), ``2023-03-15``
(optionally with a midnight time), ``2023/3/15``, ``2023.3.15``, ``20230315``,
``2023年3月15日`` (full-width digits and spaces too), and a month only (``2023年3月``,
``2023年3月份``, ``2023.3``, ``2023-03``, ``2023/3``), read as the 15th of that month and
noted as an assumption.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

# Excel's 1900 date system: serial 1 is 1900-01-01 and Lotus's phantom 1900-02-29 is
# counted, so serials from 61 on are days since 1899-12-30.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Serials accepted as dates: 1950-01-01 (18264) to 2099-12-31 (73415). A number outside
# is no date of a current project (assumption: ledgers hold projects of this century).
EXCEL_SERIAL_RANGE: tuple[int, int] = (18264, 73415)
MID_MONTH_DAY = 15  # a month-only date is read as the 15th (issue 12: "at mid-month")

_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_MIDNIGHT = re.compile(r"[ T]+0{1,2}:00(?::00(?:\.0+)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.]?$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
ALLOWED = "a date such as 2023-03-15, 2023/3/15, 2023.3.15, 2023年3月15日, an Excel date, or a month (2023年3月)"


@dataclass(frozen=True)
class ParsedDate:
    """A date read from a cell: the day, and the assumption made to read it ("" = none)."""

    day: pd.Timestamp
    assumption: str = ""


def _normalise(text: str) -> str:
    s = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", text).strip())
    s = re.sub(r"\s+", "", s)
    s = s.replace("年", "-").replace("月份", "-").replace("月", "-").replace("日", "").replace("号", "")
    return s.rstrip("-") if s.count("-") == 2 and s.endswith("-") else s  # noqa: PLR2004 (year-month-)


def _day(year: int, month: int, day: int) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(dt.date(year, month, day))
    except ValueError:
        return None


def parse_date(cell: object) -> ParsedDate | None:
    """Read one ledger cell as a date, or None when it is not one of the accepted forms.

    Parameters
    ----------
    cell
        A spreadsheet value: ``datetime``/``date``/``Timestamp``, an ``int``/``float``
        Excel serial, or text in one of the forms in the module docstring.

    Returns
    -------
    ParsedDate or None
        The day (midnight) and, for a month-only date, the assumption (the 15th).
    """
    if isinstance(cell, dt.datetime | dt.date | pd.Timestamp):
        stamp = pd.Timestamp(cell)
        return None if pd.isna(stamp) else ParsedDate(stamp.normalize())
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _from_serial(float(cell))
    return _from_text(str(cell))


@functools.lru_cache(maxsize=8192)  # ledgers repeat dates; a parse is pure
def _from_text(cell: str) -> ParsedDate | None:
    text = _normalise(cell)
    if _SERIAL.match(text):
        return _from_serial(float(text))
    for pattern in (_FULL, _COMPACT):
        if match := pattern.match(text):
            day = _day(*(int(g) for g in match.groups()))
            return ParsedDate(day) if day is not None else None
    if match := _MONTH.match(text):
        year, month = (int(g) for g in match.groups())
        day = _day(year, month, MID_MONTH_DAY)
        if day is None:
            return None
        return ParsedDate(day, f"month only ({cell.strip()}): read as the {MID_MONTH_DAY}th, {day.date()}")
    return None


@functools.lru_cache(maxsize=8192)
def _from_serial(value: float) -> ParsedDate | None:
    low, high = EXCEL_SERIAL_RANGE
    if not (math.isfinite(value) and value == int(value) and low <= value <= high):
        return None
    return ParsedDate(EXCEL_EPOCH + pd.Timedelta(days=int(value)))
