"""Attraction (招商) as a mechanism: units, the monthly bulletin, effort, thinning, parks' pull.

Candidate leads are drawn up front (:func:`sim.model.leads.draw_leads`) at
``attraction.candidate_intensity_factor`` times the trend, each with a latent uniform
``accept_u``. When a candidate's day comes, :func:`accepts` keeps it if ``accept_u`` is below
the intensity in force divided by that ceiling (Lewis-Shedler thinning). The intensity in
force is the trend times: the weak-year factor in the target year; the attraction levers
(chain targeting for industry, 一号招商员 for >= 10亿 leads); the unit's promotion effort;
and, for an event's leads, whether the event is held. A lever or a scenario therefore never
reshuffles the draws: it only moves the bar each candidate's own uniform is compared with
(common random numbers; with the same effort, a higher bar keeps a superset).

Effort answers the monthly bulletin (一月一通报, :meth:`EffortState.bulletin`): each unit's
signings to date are compared with its pace line, its share of the year's target spread
over the months like the seasonal lead rate. A unit behind pace aims at effort
``effort_per_shortfall x shortfall``; ahead of pace it aims at routine (0); effort moves
toward the aim by ``effort_adjust_share_per_month`` each month (the lag), and adds
``max_extra_lead_share x (1 - exp(-effort))`` of the trend (diminishing returns), scaled by
the tier's response.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cityplan.calendar import Calendar
from cityplan.schema import SECTORS
from cityplan.units import UNIT_KEYS
from sim.config.demand import AttractionConfig, SigningTarget
from sim.config.model import ModelConfig

DAYS_PER_ADVANTAGE_STEP = 30.0  # park_choice_odds_per_30_days is per 30 days of advantage
BIG_LEAD_YI = 10.0  # 一号招商员: one leader and one team per >= 10亿 project (plan)
INDUSTRIAL = SECTORS.index("industrial")


def fit_history_growth(
    points: Sequence[tuple[int, float, int]], month_weights: Sequence[float], year: int
) -> tuple[float, float]:
    """Log-linear trend through measured signings, each scaled to a full year.

    Parameters
    ----------
    points
        ``(year, signings, months covered from January)``, e.g. ``(2020, 345, 9)`` for
        Jan-Sep 2020 (calibration.md §1).
    month_weights
        Relative daily lead rate by month (``demand.month_weights``); a part year is scaled
        by its share of the year's weight (month lengths of ``year``).
    year
        Year whose month lengths weigh the months (any non-leap year gives the same result
        to 3 decimals).

    Returns
    -------
    growth, level
        Growth per year (0.48 = +48%/yr) and the fitted signings of the last point's year.
    """
    cal = Calendar(year, year)
    weights = np.asarray(month_weights, float) * (cal.month_ends(year) - cal.month_starts(year))
    share = np.cumsum(weights) / weights.sum()
    years = np.array([p[0] for p in points], float)
    annual = np.array([p[1] / share[p[2] - 1] for p in points])
    slope, intercept = np.polyfit(years, np.log(annual), 1)
    return float(math.exp(slope) - 1.0), float(math.exp(intercept + slope * years[-1]))


def park_choice_probabilities(model: ModelConfig) -> tuple[float, float]:
    """Probability that a lead locates in a provincial-level park (industry/services, agriculture).

    The parks' pull (园区主平台) is their time advantage: the land-transfer days a park saves
    over a site outside (``land.transfer_median_days x (1 - land.in_park_transfer_factor)``).
    The odds of choosing a park are ``demand.in_park_probability``'s odds at the reference
    advantage, multiplied by ``park_choice_odds_per_30_days`` per 30 days of advantage beyond it.
    """
    a, d, land = model.attraction, model.demand, model.land
    advantage = land.transfer_median_days * (1.0 - land.in_park_transfer_factor)
    shift = math.log(a.park_choice_odds_per_30_days) * (advantage - a.park_reference_advantage_days) / 30.0

    def shifted(p: float) -> float:
        if p <= 0.0 or p >= 1.0:
            return p
        return 1.0 / (1.0 + math.exp(-(math.log(p / (1.0 - p)) + shift)))

    return shifted(d.in_park_probability), shifted(d.in_park_probability_agriculture)


def target_of(a: AttractionConfig, year: int) -> SigningTarget | None:
    """The city's signing target for ``year``, or None if none is published."""
    return next((t for t in a.targets if t.year == year), None)


def pace_shares(month_weights: Sequence[float], calendar: Calendar, year: int) -> np.ndarray:
    """Share of the year's target due by the start of each month (12 values, first is 0).

    The pace line follows the seasonal lead rate (``demand.month_weights`` x month length).
    """
    weights = np.asarray(month_weights, float) * (calendar.month_ends(year) - calendar.month_starts(year))
    return np.concatenate([[0.0], np.cumsum(weights)[:-1]]) / weights.sum()


@dataclass
class EffortState:
    """Promotion effort of each unit, updated by the monthly bulletin.

    Attributes
    ----------
    effort
        Effort of each unit (dimensionless; 0 = routine), in :data:`cityplan.units.UNIT_KEYS` order.
    unit, sector, investment_yi
        Per-candidate unit index (-1 = none), sector index and agreed investment (亿).
    """

    effort: np.ndarray
    unit: np.ndarray
    sector: np.ndarray
    investment_yi: np.ndarray
    # Candidates a target counts (>= 1亿 in one of its sectors), by the target's sector indices:
    # the same each month, and ``np.isin`` over every candidate was most of a bulletin's time.
    eligible: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def start(cls, unit: np.ndarray, sector: np.ndarray, investment_yi: np.ndarray) -> EffortState:
        """Every unit at routine effort."""
        return cls(np.zeros(len(UNIT_KEYS)), unit, sector, investment_yi)

    def signings_to_date(
        self, a: AttractionConfig, signed_day: np.ndarray, year_start: float, day: float, target: SigningTarget
    ) -> np.ndarray:
        """Signings counted by ``target`` in [year_start, day), per unit.

        Signings without a unit (a planner ledger without the 县区 column) are spread over the
        units by ``a.unit_lead_shares``, so they do not make every unit look behind.
        """
        sectors = tuple(SECTORS.index(s) for s in target.sectors)
        if sectors not in self.eligible:
            self.eligible[sectors] = (self.investment_yi >= 1.0) & np.isin(self.sector, sectors)
        counted = (signed_day >= year_start) & (signed_day < day) & self.eligible[sectors]
        known = counted & (self.unit >= 0)
        per_unit = np.bincount(self.unit[known], minlength=len(UNIT_KEYS)).astype(float)
        return per_unit + np.asarray(a.unit_lead_shares) * float((counted & ~known).sum())

    def bulletin(
        self, a: AttractionConfig, target: SigningTarget | None, pace_share: float, signed: np.ndarray
    ) -> None:
        """One monthly bulletin: each unit's shortfall against its pace line moves its effort.

        Parameters
        ----------
        a
            The attraction settings in force.
        target
            This year's target (None: no pace line, effort relaxes to routine).
        pace_share
            Share of the year's target due by this bulletin.
        signed
            Signings to date per unit (:meth:`signings_to_date`).
        """
        aim = np.zeros_like(self.effort)
        if target is not None and a.effort_response:
            unit_target = np.asarray(a.unit_lead_shares) * target.signings_1e8
            with np.errstate(divide="ignore", invalid="ignore"):
                shortfall = np.where(unit_target > 0, (pace_share * unit_target - signed) / unit_target, 0.0)
            aim = a.effort_per_shortfall * np.maximum(shortfall, 0.0)
        self.effort += a.effort_adjust_share_per_month * (aim - self.effort)

    def multiplier(self, a: AttractionConfig, project: int, tier: int, target: SigningTarget | None) -> float:
        """Lead intensity from effort for one candidate (1 = routine)."""
        u = int(self.unit[project])
        if not a.effort_response or u < 0:
            return 1.0
        if target is not None and SECTORS[int(self.sector[project])] not in target.sectors:
            return 1.0
        return 1.0 + a.max_extra_lead_share * a.tier_response[tier] * (1.0 - math.exp(-float(self.effort[u])))


def intensity_factor(
    model: ModelConfig,
    effort: EffortState,
    project: int,
    *,
    tier: int,
    from_event: bool,
    series_slot: int,
    last_year: bool,
    target: SigningTarget | None,
) -> float:
    """The intensity in force for one candidate, as a multiple of the trend.

    Event leads come if their event is held (the five city events always; a series slot when
    the 3+7+5 lever holds it); background leads follow levers and effort. The weak-year
    factor applies to both in the target year.
    """
    a = model.attraction
    factor = model.demand.last_year_volume_factor if last_year else 1.0
    if series_slot >= 0:
        return factor if series_slot < a.series_events_per_year else 0.0
    if from_event:
        return factor
    if int(effort.sector[project]) == INDUSTRIAL:
        factor *= 1.0 + a.chain_share_in_force()
    if float(effort.investment_yi[project]) >= BIG_LEAD_YI:
        factor *= 1.0 + a.leader_share_in_force()
    return factor * effort.multiplier(a, project, tier, target)


def lever_costs(a: AttractionConfig) -> dict[str, float]:
    """What the attraction levers in force cost a year (reported in ``meta.json``, not simulated).

    Returns
    -------
    dict
        ``series_event_staff_days`` (staff-days for the 3+7+5 series events held),
        ``promotion_staff`` (full-time staff of chain, entrusted and fund teams) and
        ``leader_days`` (top leaders' days as lead promoters).
    """
    return {
        "series_event_staff_days": a.series_events_per_year * a.cost_staff_days_per_series_event,
        "promotion_staff": a.cost_chain_staff,
        "leader_days": a.cost_leader_days_per_year,
    }


def unit_keys(unit: np.ndarray) -> np.ndarray:
    """Unit indices as keys of :mod:`cityplan.units` ("" for a lead without a unit)."""
    keys = np.asarray((*UNIT_KEYS, ""), dtype=object)
    return keys[np.where(unit >= 0, unit, len(UNIT_KEYS))]


def intensity_factors(
    model: ModelConfig,
    effort: EffortState,
    projects: np.ndarray,
    *,
    tier: np.ndarray,
    from_event: np.ndarray,
    series_slot: np.ndarray,
    last_year: bool,
    target: SigningTarget | None,
) -> np.ndarray:
    """:func:`intensity_factor` of many candidates at once (``tier`` etc. are theirs, aligned).

    The same arithmetic in the same order, element by element, so each factor has the same
    bits as the scalar one (the effort term uses :func:`math.exp` per unit, like
    :meth:`EffortState.multiplier`).
    """
    a = model.attraction
    base = model.demand.last_year_volume_factor if last_year else 1.0
    factor = np.full(projects.size, base)
    factor = np.where(effort.sector[projects] == INDUSTRIAL, factor * (1.0 + a.chain_share_in_force()), factor)
    factor = np.where(effort.investment_yi[projects] >= BIG_LEAD_YI, factor * (1.0 + a.leader_share_in_force()), factor)
    unit = effort.unit[projects].astype(np.intp)
    responds = np.zeros(projects.size, bool)
    if a.effort_response:
        responds = unit >= 0
        if target is not None:
            counted = np.asarray([s in target.sectors for s in SECTORS])
            responds &= counted[effort.sector[projects]]
    reach = np.asarray([1.0 - math.exp(-float(e)) for e in effort.effort])  # per unit
    extra = a.max_extra_lead_share * np.asarray(a.tier_response, float)[tier] * reach[np.where(responds, unit, 0)]
    factor = factor * np.where(responds, 1.0 + extra, 1.0)
    event = np.where(series_slot < a.series_events_per_year, base, 0.0)
    factor = np.where(from_event, base, factor)
    return np.where(series_slot >= 0, event, factor)
