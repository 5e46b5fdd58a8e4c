"""Validators and unit constants of the schema: each check raises one line naming the field.

``check_*`` raise :class:`cityplan.errors.ConfigError` naming the field, the value and what is
allowed; :func:`check_all` checks every float field of a dataclass at once.
"""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date
from typing import Any

from cityplan.errors import fail
from cityplan.schema import LEADER_TIERS, SIZE_TIER_LOWER_YI

MONTHS_PER_YEAR = 12
DAYS_PER_YEAR = 365  # day-of-year settings run 0..364
N_SIZE_TIERS = len(SIZE_TIER_LOWER_YI)  # with the 1000万-1亿 tier
N_TIERS_1E8 = N_SIZE_TIERS - 1  # size tiers from 1亿: 1-10亿, 10-50亿, >= 50亿
N_LEADER_TIERS = len(LEADER_TIERS)  # county/park head, city deputy, top leaders
SHARE_TOLERANCE = 1e-6
TOP_TIER_LOWER_YI = SIZE_TIER_LOWER_YI[-1]  # >= 50亿, the top size tier (cityplan.schema)
# Calendar years a config may name (run years, the demand base year, an energy freeze).
# Assumption: the evidence covers 2018-2023 (calibration.md §1) and the plan is for 2023; a
# year outside 2000-2100 is a typo, and would blow up lead volumes (growth compounds over
# the distance to demand.base_year) or simulate centuries.
FIRST_PLAUSIBLE_YEAR = 2000
LAST_PLAUSIBLE_YEAR = 2100
YEARS_ALLOWED = f"a calendar year from {FIRST_PLAUSIBLE_YEAR} to {LAST_PLAUSIBLE_YEAR}"


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise ConfigError unless ``value`` is a finite number > 0 (or >= 0)."""
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        fail(name, value, "a finite number >= 0" if allow_zero else "a finite number > 0")


def check_probability(name: str, value: float) -> None:
    """Raise ConfigError unless ``0 <= value <= 1``."""
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        fail(name, value, "a probability between 0 and 1")


def check_year(name: str, value: int, *, zero_means_never: bool = False) -> None:
    """Raise ConfigError unless ``value`` is a plausible calendar year (or 0 when allowed)."""
    if zero_means_never and value == 0:
        return
    plausible = FIRST_PLAUSIBLE_YEAR <= value <= LAST_PLAUSIBLE_YEAR if isinstance(value, int) else False
    if isinstance(value, bool) or not plausible:
        fail(name, value, ("0 (never) or " if zero_means_never else "") + YEARS_ALLOWED)


def check_day_of_year(name: str, value: int) -> None:
    """Raise ConfigError unless ``value`` is a day of the year, 0..364."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < DAYS_PER_YEAR:
        fail(name, value, f"a day of the year, 0..{DAYS_PER_YEAR - 1}")


def check_all(obj: Any, prefix: str, *, probability: tuple[str, ...] = ()) -> None:
    """Check every float field of ``obj``: probabilities in [0, 1], the rest >= 0."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        name = f"{prefix}.{f.name}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if f.name in probability or f.name.endswith(("_probability", "_share")):
            check_probability(name, value)
        else:
            check_positive(name, value, allow_zero=True)


def check_iso_date(name: str, value: str) -> None:
    """Raise ConfigError unless ``value`` is an ISO date ``YYYY-MM-DD``."""
    try:
        ok = len(value) == len("2023-06-30") and date.fromisoformat(value).isoformat() == value
    except ValueError:
        ok = False
    if not ok:
        fail(name, value, "an ISO date YYYY-MM-DD such as '2023-06-30'")


def check_tier_capacity(name: str, capacity: list[int]) -> None:
    """Raise ConfigError unless ``capacity`` is one whole number >= 0 per leaders' tier (LEADER_TIERS order)."""
    tiers = ", ".join(en for _key, _zh, en in LEADER_TIERS)
    if len(capacity) != N_LEADER_TIERS:
        fail(name, list(capacity), f"{N_LEADER_TIERS} whole numbers >= 0, one per leaders' tier ({tiers})")
    for tier, value in zip(LEADER_TIERS, capacity, strict=True):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"{name} ({tier[2]})", value, "a whole number of projects >= 0")
