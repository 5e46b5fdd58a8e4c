"""Leads (招引): when projects arrive and what they are, drawn once per replication.

All leads of the horizon are drawn up front, vectorised, from their own named streams: the
arrival times and sectors from ``arrivals``; size, flags, quality and needs from
``attributes``; one latent normal per duration from ``durations``; one latent uniform per
yes/no decision from ``decisions``; patience from ``patience``. Policies only change how the
latents are turned into days and decisions (:mod:`sim.plan`), never the latents themselves,
so switching a lever leaves each project's arrival and attributes unchanged (common random
numbers), and inverse-transform coupling makes the comparison monotone where it should be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calendar import Calendar
from sim.config import SECTORS, DemandConfig

INDUSTRIAL, PRODUCER_SERVICES, OTHER_SERVICES, AGRICULTURE = range(4)

# Tier bounds of agreed investment in 亿元: 1000万, 1亿, 10亿, 50亿 (plan's size tiers).
TIER_LOWER_YI: tuple[float, ...] = (0.1, 1.0, 10.0, 50.0)

# Names of the latent normals (one per duration) and uniforms (one per decision). Append
# only at the end: the position is the stream order, and reordering breaks CRN histories.
DURATION_LATENTS: tuple[str, ...] = (
    "appraisal",
    "city_review",
    "prework",
    "land_transfer",
    "energy_assessment",
    "applicant",
    "review",
    "permit",
    "problem_ordinary",
    "problem_leader",
    "construction",
    "stall",
    "registration",
    "output",
    "land_need",
    "energy_need",
)
DECISION_LATENTS: tuple[str, ...] = (
    "pass",
    "rework",
    "problem",
    "stall",
    "registration",
    "output",
    "in_park",
    "foreign",
    "taiwan",
    "tech_talent",
    "quality",
    "standard_plant",
    "approval_service",
    "never_proceeds",
    "leave",
    "resigned",
)

# Sector mix of event leads (industry-heavy; assumption).
EVENT_SECTOR_SHARES: tuple[float, float, float, float] = (0.8, 0.1, 0.1, 0.0)


@dataclass(frozen=True)
class Leads:
    """Every lead of one replication, sorted by arrival; one array element per project.

    Attributes
    ----------
    arrival_day
        Model day the lead reaches appraisal.
    sector
        Index into :data:`sim.config.SECTORS`.
    investment_yi
        Agreed investment, 亿元.
    from_event
        True when the lead came from a campaign event.
    event_taiwan
        True when an event made the lead Taiwan-funded.
    z
        Latent standard normals, shape (len(DURATION_LATENTS), n).
    u
        Latent uniforms, shape (len(DECISION_LATENTS), n).
    patience_u
        Latent uniform of the investor's patience.
    """

    arrival_day: np.ndarray
    sector: np.ndarray
    investment_yi: np.ndarray
    from_event: np.ndarray
    event_taiwan: np.ndarray
    z: np.ndarray
    u: np.ndarray
    patience_u: np.ndarray

    def __len__(self) -> int:
        return int(self.arrival_day.size)

    def normal(self, name: str) -> np.ndarray:
        """Latent normal array of the duration ``name``."""
        return self.z[DURATION_LATENTS.index(name)]

    def uniform(self, name: str) -> np.ndarray:
        """Latent uniform array of the decision ``name``."""
        return self.u[DECISION_LATENTS.index(name)]


def growth_factor(demand: DemandConfig, year: int, last_year: int | None = None) -> float:
    """Lead volume of ``year`` relative to ``demand.base_year``.

    ``demand.last_year_volume_factor`` applies when ``year == last_year`` (the target year).
    """
    factor = demand.last_year_volume_factor if year == last_year else 1.0
    return float(factor * (1.0 + demand.lead_growth_per_year) ** (year - demand.base_year))


def _truncated_pareto(u: np.ndarray, low: float, high: float, alpha: float) -> np.ndarray:
    """Inverse CDF of a Pareto(alpha) truncated to [low, high]."""
    span = 1.0 - (low / high) ** alpha
    return low * (1.0 - u * span) ** (-1.0 / alpha)


def draw_size_yi(
    u_tier: np.ndarray,
    u_size: np.ndarray,
    below_1e8: np.ndarray,
    tier_shares: np.ndarray,
    demand: DemandConfig,
) -> np.ndarray:
    """Agreed investment in 亿 from latent uniforms (heavy-tailed, by tier).

    Parameters
    ----------
    u_tier, u_size
        Latent uniforms choosing the tier and the size within it.
    below_1e8
        True where the project is in the 1000万-1亿 tier.
    tier_shares
        Shares of the >= 1亿 tiers (1-10, 10-50, >= 50亿), per project, shape (n, 3).
    """
    cum = np.cumsum(tier_shares, axis=1)
    tier = 1 + (u_tier[:, None] > cum[:, :2]).sum(axis=1)
    tier = np.where(below_1e8, 0, tier)
    alpha = demand.within_tier_pareto_alpha
    size = np.empty_like(u_size)
    bounds = (*TIER_LOWER_YI, demand.max_investment_yi)
    top = len(TIER_LOWER_YI) - 1
    for t in range(len(TIER_LOWER_YI)):
        mask = tier == t
        a = demand.top_tier_pareto_alpha if t == top else alpha
        size[mask] = _truncated_pareto(u_size[mask], bounds[t], bounds[t + 1], a)
    return size


def _background_arrivals(
    demand: DemandConfig, calendar: Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival days and sectors of background leads: Poisson, piecewise-constant by month."""
    per_sector = np.array(
        [
            n / (1.0 - s)
            for n, s in zip(demand.leads_1e8_per_year.as_tuple(), demand.share_below_1e8.as_tuple(), strict=True)
        ]
    )
    days, sectors = [], []
    for year in range(calendar.first_year, calendar.last_year + 1):
        starts = calendar.month_starts(year)
        ends = calendar.month_ends(year)
        # month_weights are relative daily rates, so a month's share also scales with its length
        weights = np.asarray(demand.month_weights, dtype=float) * (ends - starts)
        weights = weights / weights.sum()
        means = np.outer(weights, per_sector) * growth_factor(demand, year, calendar.last_year)  # (12, 4)
        counts = rng.poisson(means)
        for m in range(12):
            total = int(counts[m].sum())
            days.append(rng.uniform(starts[m], ends[m], size=total))
            sectors.append(np.repeat(np.arange(4), counts[m]))
    return np.concatenate(days), np.concatenate(sectors)


def _event_arrivals(
    demand: DemandConfig, calendar: Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival days, sectors and Taiwan flags of campaign-event leads."""
    days: list[np.ndarray] = [np.empty(0)]
    sectors: list[np.ndarray] = [np.empty(0, dtype=int)]
    taiwan: list[np.ndarray] = [np.empty(0, dtype=bool)]
    for year in range(calendar.first_year, calendar.last_year + 1):
        for event in demand.events:
            n = int(rng.poisson(event.leads_1e8_mean * growth_factor(demand, year, calendar.last_year)))
            days.append(np.full(n, calendar.year_start(year) + event.day_of_year))
            sectors.append(rng.choice(4, size=n, p=EVENT_SECTOR_SHARES))
            taiwan.append(rng.random(n) < event.taiwan_share)
    return np.concatenate(days), np.concatenate(sectors), np.concatenate(taiwan)


def draw_leads(demand: DemandConfig, calendar: Calendar, streams: dict[str, np.random.Generator]) -> Leads:
    """Draw every lead of the horizon, with attributes and latent draws.

    Parameters
    ----------
    demand
        Volumes, seasonality and mix.
    calendar
        Which years are simulated.
    streams
        Named generators from :func:`sim.rng.replication_streams`.
    """
    arrivals = streams["arrivals"]
    bg_days, bg_sector = _background_arrivals(demand, calendar, arrivals)
    ev_days, ev_sector, ev_taiwan = _event_arrivals(demand, calendar, arrivals)
    days = np.concatenate([bg_days, ev_days])
    sector = np.concatenate([bg_sector, ev_sector]).astype(np.int8)
    from_event = np.concatenate([np.zeros(bg_days.size, bool), np.ones(ev_days.size, bool)])
    event_taiwan = np.concatenate([np.zeros(bg_days.size, bool), ev_taiwan])
    order = np.argsort(days, kind="stable")
    days, sector, from_event, event_taiwan = days[order], sector[order], from_event[order], event_taiwan[order]
    n = days.size

    attributes = streams["attributes"]
    u_below, u_tier, u_size = attributes.random((3, n))
    share_below = np.asarray(demand.share_below_1e8.as_tuple())[sector]
    below = (u_below < share_below) & ~from_event
    tier_shares = np.where(
        from_event[:, None], np.asarray(demand.event_tier_shares_1e8), np.asarray(demand.tier_shares_1e8)
    )
    size = draw_size_yi(u_tier, u_size, below, tier_shares, demand)

    z = streams["durations"].standard_normal((len(DURATION_LATENTS), n))
    u = streams["decisions"].random((len(DECISION_LATENTS), n))
    patience_u = streams["patience"].random(n)
    return Leads(days, sector, size, from_event, event_taiwan, z, u, patience_u)


def sector_names(sector: np.ndarray) -> np.ndarray:
    """Sector codes as names."""
    return np.asarray(SECTORS, dtype=object)[sector]
