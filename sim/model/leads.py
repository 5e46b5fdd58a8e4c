"""Leads (招引): when projects arrive and what they are, drawn once per replication.

All leads of the horizon are drawn up front, vectorised, from their own named streams: the
arrival times and sectors from ``arrivals``; size, flags, quality and needs from
``attributes``; one latent normal per duration from ``durations``; one latent uniform per
yes/no decision from ``decisions``; patience from ``patience``. Policies only change how the
latents are turned into days and decisions (:mod:`sim.model.project_plan`), never the latents themselves,
so switching a lever leaves each project's arrival and attributes unchanged (common random
numbers), and inverse-transform coupling makes the comparison monotone where it should be.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from cityplan.calendar import Calendar
from cityplan.schema import SECTORS, SIZE_TIER_LOWER_YI
from sim.config.demand import AttractionConfig, DemandConfig
from sim.config.uptake import UPTAKE_LEVERS

INDUSTRIAL, PRODUCER_SERVICES, OTHER_SERVICES, AGRICULTURE = range(4)

# Tier bounds of agreed investment in 亿元: 1000万, 1亿, 10亿, 50亿 (plan's size tiers).

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
    "screen",  # issue 23: whether the 研判 screen is applied to the lead (the dosage)
    "advance_service",  # issue 23: whether pre-work is guided from the lead's arrival (前移指导)
)

# Uptake uniform of a lead made by hand (a trace test) or read without one: the median project.
HAND_MADE_UPTAKE_U = 0.5

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
    unit
        Index into :data:`cityplan.units.UNIT_KEYS` of the county, district or park the lead
        belongs to; -1 = none (hand-made leads). Default: -1.
    accept_u
        Latent uniform of the thinning: a candidate comes when it is below the intensity in
        force over the candidate ceiling (:mod:`sim.model.attraction`). Default: 0 (always comes).
    series_slot
        Slot of the 3+7+5 series event that brings the lead; -1 = not a series event.
    uptake_u
        Latent uniforms of the service reforms, shape (len(UPTAKE_LEVERS), n): a project takes
        a reform up when eligible and its uniform is below the share in force
        (:mod:`sim.config.uptake`). Default: 0.5 (a hand-made lead is the median project).
    """

    arrival_day: np.ndarray
    sector: np.ndarray
    investment_yi: np.ndarray
    from_event: np.ndarray
    event_taiwan: np.ndarray
    z: np.ndarray
    u: np.ndarray
    patience_u: np.ndarray
    unit: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    accept_u: np.ndarray = field(default_factory=lambda: np.empty(0))
    series_slot: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    uptake_u: np.ndarray = field(default_factory=lambda: np.empty((len(UPTAKE_LEVERS), 0)))

    def __post_init__(self) -> None:
        n = self.arrival_day.size
        for name, fill, dtype in (("unit", -1, np.int8), ("accept_u", 0.0, float), ("series_slot", -1, np.int8)):
            if getattr(self, name).size != n:
                object.__setattr__(self, name, np.full(n, fill, dtype=dtype))
        if self.uptake_u.shape != (len(UPTAKE_LEVERS), n):
            object.__setattr__(self, "uptake_u", np.full((len(UPTAKE_LEVERS), n), HAND_MADE_UPTAKE_U))

    def __len__(self) -> int:
        return int(self.arrival_day.size)

    def take(self, idx: np.ndarray) -> Leads:
        """The leads at positions ``idx`` (all arrays, latents included)."""
        return Leads(**{f.name: _take(getattr(self, f.name), idx) for f in fields(self)})

    @staticmethod
    def concat(a: Leads, b: Leads) -> Leads:
        """``a``'s leads followed by ``b``'s."""
        return Leads(**{f.name: _join(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)})

    def normal(self, name: str) -> np.ndarray:
        """Latent normal array of the duration ``name``."""
        return self.z[DURATION_LATENTS.index(name)]

    def uniform(self, name: str) -> np.ndarray:
        """Latent uniform array of the decision ``name``."""
        return self.u[DECISION_LATENTS.index(name)]

    def uptake_uniform(self, lever: str) -> np.ndarray:
        """Latent uniform array of the service reform ``lever`` (one of UPTAKE_LEVERS)."""
        return self.uptake_u[UPTAKE_LEVERS.index(lever)]


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return a[..., idx]  # latents are (n_latents, n): the lead axis is the last


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([a, b], axis=a.ndim - 1)


def trend_factor(demand: DemandConfig, year: int) -> float:
    """Lead trend of ``year`` relative to ``demand.base_year``.

    Up to the base year the trend follows the growth fitted to the measured history
    (``history_growth_per_year``), after it the projected growth (``lead_growth_per_year``).
    """
    growth = demand.history_growth_per_year if year <= demand.base_year else demand.lead_growth_per_year
    return float((1.0 + growth) ** (year - demand.base_year))


def growth_factor(demand: DemandConfig, year: int, last_year: int | None = None) -> float:
    """Volume of ``year`` relative to ``demand.base_year``, with the weak-year factor.

    The trend times ``demand.last_year_volume_factor`` when ``year == last_year`` (the
    target year). Leads apply the weak-year factor by thinning (:mod:`sim.model.attraction`); retrofits use this.
    """
    factor = demand.last_year_volume_factor if year == last_year else 1.0
    return factor * trend_factor(demand, year)


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
    bounds = (*SIZE_TIER_LOWER_YI, demand.max_investment_yi)
    top = len(SIZE_TIER_LOWER_YI) - 1
    for t in range(len(SIZE_TIER_LOWER_YI)):
        mask = tier == t
        a = demand.top_tier_pareto_alpha if t == top else alpha
        size[mask] = _truncated_pareto(u_size[mask], bounds[t], bounds[t + 1], a)
    return size


def _background_arrivals(
    demand: DemandConfig, calendar: Calendar, rng: np.random.Generator, ceiling: float
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival days and sectors of background candidates.

    Poisson at ``ceiling`` x the trend, piecewise-constant by month.
    """
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
        means = np.outer(weights, per_sector) * trend_factor(demand, year) * ceiling  # (12, 4)
        counts = rng.poisson(means)
        for m in range(12):
            total = int(counts[m].sum())
            days.append(rng.uniform(starts[m], ends[m], size=total))
            sectors.append(np.repeat(np.arange(4), counts[m]))
    return np.concatenate(days), np.concatenate(sectors)


def _event_arrivals(
    events: list[tuple[int, float, float]],
    demand: DemandConfig,
    calendar: Calendar,
    rng: np.random.Generator,
    ceiling: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrival days, sectors, Taiwan flags and event index of event candidates.

    ``events`` holds (day of year, mean >= 1亿 leads in the base year, Taiwan share) per
    event; batch sizes are Poisson at ``ceiling`` x the trend.
    """
    days: list[np.ndarray] = [np.empty(0)]
    sectors: list[np.ndarray] = [np.empty(0, dtype=int)]
    taiwan: list[np.ndarray] = [np.empty(0, dtype=bool)]
    index: list[np.ndarray] = [np.empty(0, dtype=int)]
    for year in range(calendar.first_year, calendar.last_year + 1):
        for k, (day_of_year, mean, taiwan_share) in enumerate(events):
            n = int(rng.poisson(mean * trend_factor(demand, year) * ceiling))
            days.append(np.full(n, calendar.year_start(year) + day_of_year))
            sectors.append(rng.choice(4, size=n, p=EVENT_SECTOR_SHARES))
            taiwan.append(rng.random(n) < taiwan_share)
            index.append(np.full(n, k))
    return np.concatenate(days), np.concatenate(sectors), np.concatenate(taiwan), np.concatenate(index)


def lead_draw_inputs(demand: DemandConfig, attraction: AttractionConfig) -> tuple[object, ...]:
    """Everything :func:`draw_leads` reads of the configuration: equal inputs draw the same leads.

    The demand, and of the attraction settings the candidate ceiling, the 3+7+5 series slots
    (days and volume) and the units' shares of leads. Two studies whose inputs are equal and
    whose streams are the same share their leads (:mod:`sim.run.fork`).
    """
    a = attraction
    series = (a.series_event_days, a.series_event_leads_1e8_mean)
    return (demand, a.candidate_intensity_factor, series, a.unit_lead_shares)


def draw_leads(
    demand: DemandConfig,
    calendar: Calendar,
    streams: dict[str, np.random.Generator],
    attraction: AttractionConfig | None = None,
) -> Leads:
    """Draw every candidate lead of the horizon, with attributes and latent draws.

    Candidates come at ``attraction.candidate_intensity_factor`` x the trend: background
    leads, the city events of ``demand.events`` and every slot of the 3+7+5 series
    (``attraction.series_event_days``), whether a policy holds it or not. The model keeps a
    candidate by thinning (:mod:`sim.model.attraction`), so no setting a policy may change enters
    the draws.

    Parameters
    ----------
    demand
        Volumes, seasonality and mix.
    calendar
        Which years are simulated.
    streams
        Named generators from :func:`sim.run.rng.replication_streams`.
    attraction
        Units, candidate ceiling and series event slots (default: the schema's).
    """
    a = attraction or AttractionConfig()
    ceiling = a.candidate_intensity_factor
    arrivals = streams["arrivals"]
    bg_days, bg_sector = _background_arrivals(demand, calendar, arrivals, ceiling)
    city = [(e.day_of_year, e.leads_1e8_mean, e.taiwan_share) for e in demand.events]
    ev_days, ev_sector, ev_taiwan, _ = _event_arrivals(city, demand, calendar, arrivals, ceiling)
    extra = streams["attraction"]
    series = [(day, a.series_event_leads_1e8_mean, 0.0) for day in a.series_event_days]
    se_days, se_sector, se_taiwan, se_slot = _event_arrivals(series, demand, calendar, extra, ceiling)
    days = np.concatenate([bg_days, ev_days, se_days])
    sector = np.concatenate([bg_sector, ev_sector, se_sector]).astype(np.int8)
    n_bg, n_ev = bg_days.size, ev_days.size + se_days.size
    from_event = np.concatenate([np.zeros(n_bg, bool), np.ones(n_ev, bool)])
    event_taiwan = np.concatenate([np.zeros(n_bg, bool), ev_taiwan, se_taiwan])
    series_slot = np.concatenate([np.full(n_bg + ev_days.size, -1), se_slot]).astype(np.int8)
    order = np.argsort(days, kind="stable")
    days, sector, from_event = days[order], sector[order], from_event[order]
    event_taiwan, series_slot = event_taiwan[order], series_slot[order]
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
    shares = np.asarray(a.unit_lead_shares, float)
    unit = extra.choice(shares.size, size=n, p=shares / shares.sum()).astype(np.int8)
    accept_u = extra.random(n)
    uptake_u = streams["uptake"].random((len(UPTAKE_LEVERS), n))
    return Leads(days, sector, size, from_event, event_taiwan, z, u, patience_u, unit, accept_u, series_slot, uptake_u)


def sector_names(sector: np.ndarray) -> np.ndarray:
    """Sector codes as names."""
    return np.asarray(SECTORS, dtype=object)[sector]
