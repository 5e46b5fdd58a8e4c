"""Typed configuration schema for gongjian.

Hydra composes YAML from ``conf/`` and ``scenarios/`` into these dataclasses; the entry
point calls ``OmegaConf.to_object`` so every ``__post_init__`` runs once, at the boundary.
``__post_init__`` only *checks* and raises :class:`ConfigError` naming the field, the value
and what is allowed; it never changes a value. Code below ``sim/__main__.py`` sees only
these dataclasses, never a ``DictConfig``.

Every default is an assumption with a unit in its name. The comment above each field says
where it came from: ``calibration.md §x`` (published evidence), ``plan`` (the 2023 plan
text, ``shared/seed``), or ``assumption`` (judgement, to be calibrated; issue 7).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from analysis.errors import ConfigError, fail  # noqa: F401 - sim.config.ConfigError is the shared class
from analysis.plan_schema import SECTORS, PlanConfig
from sim.calendar import FIRST_WORKING_DAY, SPRING_FESTIVAL

MONTHS_PER_YEAR = 12
DAYS_PER_YEAR = 365  # day-of-year settings run 0..364
N_TIERS_1E8 = 3  # size tiers from 1亿: 1-10亿, 10-50亿, >= 50亿
N_SIZE_TIERS = 4  # with the 1000万-1亿 tier
N_LEADER_TIERS = 3  # county/park head, city deputy, top leaders
SHARE_TOLERANCE = 1e-6
TOP_TIER_LOWER_YI = 50.0
# Calendar years a config may name (run years, the demand base year, an energy freeze).
# Assumption: the evidence covers 2018-2023 (calibration.md §1) and the plan is for 2023; a
# year outside 2000-2100 is a typo, and would blow up lead volumes (growth compounds over
# the distance to demand.base_year) or simulate centuries.
FIRST_PLAUSIBLE_YEAR = 2000
LAST_PLAUSIBLE_YEAR = 2100
YEARS_ALLOWED = f"a calendar year from {FIRST_PLAUSIBLE_YEAR} to {LAST_PLAUSIBLE_YEAR}"


_fail = fail


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise ConfigError unless ``value`` is a finite number > 0 (or >= 0)."""
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        _fail(name, value, "a finite number >= 0" if allow_zero else "a finite number > 0")


def check_probability(name: str, value: float) -> None:
    """Raise ConfigError unless ``0 <= value <= 1``."""
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        _fail(name, value, "a probability between 0 and 1")


def check_year(name: str, value: int, *, zero_means_never: bool = False) -> None:
    """Raise ConfigError unless ``value`` is a plausible calendar year (or 0 when allowed)."""
    if zero_means_never and value == 0:
        return
    plausible = FIRST_PLAUSIBLE_YEAR <= value <= LAST_PLAUSIBLE_YEAR if isinstance(value, int) else False
    if isinstance(value, bool) or not plausible:
        _fail(name, value, ("0 (never) or " if zero_means_never else "") + YEARS_ALLOWED)


def check_day_of_year(name: str, value: int) -> None:
    """Raise ConfigError unless ``value`` is a day of the year, 0..364."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < DAYS_PER_YEAR:
        _fail(name, value, f"a day of the year, 0..{DAYS_PER_YEAR - 1}")


def _check_all(obj: Any, prefix: str, *, probability: tuple[str, ...] = ()) -> None:
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


@dataclass
class BySector:
    """One number per sector (industrial, producer services, other services, agriculture)."""

    industrial: float = 0.0
    producer_services: float = 0.0
    other_services: float = 0.0
    agriculture: float = 0.0

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Values in the order of :data:`SECTORS`."""
        return (self.industrial, self.producer_services, self.other_services, self.agriculture)


def _by_sector(i: float, p: float, o: float, a: float) -> Any:
    return field(default_factory=lambda: BySector(i, p, o, a))


@dataclass
class CampaignEvent:
    """A signing event (招商活动) that brings a batch of leads on one day of every year."""

    name: str = "event"
    day_of_year: int = 100
    # Mean number of >= 1亿 leads at the event in the base year (Poisson).
    leads_1e8_mean: float = 10.0
    # Share of the event's leads that are Taiwan-funded (foreign) projects.
    taiwan_share: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.day_of_year < DAYS_PER_YEAR:
            _fail(f"events[{self.name}].day_of_year", self.day_of_year, "0..364")
        check_positive(f"events[{self.name}].leads_1e8_mean", self.leads_1e8_mean, allow_zero=True)
        check_probability(f"events[{self.name}].taiwan_share", self.taiwan_share)


def _default_events() -> list[CampaignEvent]:
    # calibration.md §1: 4-6 batch events a year carrying ~10% of the count, skewed large.
    # Dates are the published rhythm; counts are an estimate (Huaihe convention ~37 projects).
    return [
        CampaignEvent("spring_promotion_conference", 105, 15.0, 0.0),
        CampaignEvent("huaihe_entrepreneurs_convention", 170, 30.0, 0.0),
        CampaignEvent("golden_autumn_trade_fair", 288, 12.0, 0.0),
        CampaignEvent("taiwan_business_forum", 314, 20.0, 0.8),
        CampaignEvent("shanghai_conference", 344, 10.0, 0.0),
    ]


@dataclass
class DemandConfig:
    """Leads (招引): volume, seasonality, size mix and flags of arriving projects."""

    # Background leads >= 1亿 per year in the base year, by sector. calibration.md §1: H1
    # 2021 signed 198 industrial, 71 services, 43 agriculture; scaled to the year by H1's
    # share of the seasonal lead rate (month_weights x month length: 0.465, not 0.5, as
    # January is weak) and divided by the status-quo appraisal pass rate 0.85 (501, 90, 90,
    # 109), less the event leads below (87 a year, 80% industrial, 10% each service sector);
    # services split 50/50 producer/other (assumption).
    leads_1e8_per_year: BySector = _by_sector(431.0, 81.0, 81.0, 109.0)
    base_year: int = 2021
    # Growth of the lead trend per year up to base_year (the warm-up years). calibration.md
    # §1: log-linear fit of the measured >= 1亿 signings 2018 (210), Jan-Sep 2020 (345) and
    # H1 2021 (312), each scaled to a year by month_weights: 47.7%/yr (fitted by
    # sim.attraction.fit_history_growth; the test checks this default against the fit).
    history_growth_per_year: float = 0.477
    # Growth of the lead trend per year after base_year (the campaign response comes on top,
    # model.attraction). Uncertain input, range 0-0.477 (no growth to the measured 2018-21
    # rate, which includes those years' own effort); no evidence inside the range, so the
    # default is its geometric midpoint, sqrt(1.477) - 1.
    lead_growth_per_year: float = 0.215
    # Share of a sector's >= 1000万 leads that are below 1亿. Agriculture: 57 of 130 start
    # targets are >= 1亿 (plan), so ~0.55 below (derived); other sectors: assumption.
    share_below_1e8: BySector = _by_sector(0.35, 0.30, 0.30, 0.55)
    # Relative lead rate by month (Jan..Dec). calibration.md §1: Jan 2023 filings ~150 vs
    # ~345/month Feb-Apr (0.45, derived); year-end rush +15% in December (estimate).
    month_weights: list[float] = field(
        default_factory=lambda: [0.45, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.15]
    )
    # Shares of >= 1亿 background leads in the tiers 1-10亿, 10-50亿, >= 50亿.
    # calibration.md §1: Huai'an H1 2021, 278/30/4 of 312 (measured).
    tier_shares_1e8: list[float] = field(default_factory=lambda: [0.891, 0.096, 0.013])
    # Event leads are skewed large. calibration.md §1: Lianyungang 2020 event 97/40/2,
    # Huai'an development zone 2023 63/13/5 (measured); the default sits between.
    event_tier_shares_1e8: list[float] = field(default_factory=lambda: [0.72, 0.22, 0.06])
    events: list[CampaignEvent] = field(default_factory=_default_events)
    # Multiplier on the lead trend in the last simulated year (the target year) only; < 1 is
    # a weak signing year (stress scenario), 1 = as projected. The campaign's effort
    # response (model.attraction) acts on top of it.
    last_year_volume_factor: float = 1.0
    # Pareto tail index of size inside the bounded tiers (density ~ x^-(alpha+1)). With 1.0
    # the mean >= 1亿 project is ~5.6亿, inside calibration.md §1's 4.5-6.3亿 (derived).
    within_tier_pareto_alpha: float = 1.0
    # Tail index above 50亿 and the largest agreed investment allowed (assumption).
    top_tier_pareto_alpha: float = 1.5
    max_investment_yi: float = 300.0
    # Probability that a lead is foreign-invested. calibration.md §1: 168 foreign-funded
    # projects in 2018 against ~1000+ leads (assumption ~0.12).
    foreign_probability: float = 0.12
    # Share of background foreign leads that are Taiwan-funded (assumption).
    taiwan_share_of_foreign: float = 0.30
    # RMB per USD for the USD 10m foreign threshold (2023 average ~7.05; assumption).
    cny_per_usd: float = 7.05
    # Probability that a lead is a technology-talent project (科技人才; assumption).
    tech_talent_probability: float = 0.30
    # Probability that an industry/services lead locates in a provincial-level park when the
    # parks' time advantage is model.attraction.park_reference_advantage_days (the status
    # quo's). Uncertain input, range 0.6-0.85 (assumption: no published parks share before
    # 2023; the plan's 80% is a goal, not evidence of the starting point).
    in_park_probability: float = 0.72
    # Agriculture rarely sits in development parks (assumption).
    in_park_probability_agriculture: float = 0.10

    def __post_init__(self) -> None:
        p = "model.demand"
        for name in ("leads_1e8_per_year", "share_below_1e8"):
            for sector, value in zip(SECTORS, getattr(self, name).as_tuple(), strict=True):
                if name.startswith("share"):
                    if not 0 <= value < 1:
                        _fail(f"{p}.{name}.{sector}", value, "a share in [0, 1)")
                else:
                    check_positive(f"{p}.{name}.{sector}", value, allow_zero=True)
        check_year(f"{p}.base_year", self.base_year)
        check_positive(f"{p}.lead_growth_per_year", self.lead_growth_per_year + 1.0)
        check_positive(f"{p}.history_growth_per_year", self.history_growth_per_year + 1.0)
        check_positive(f"{p}.last_year_volume_factor", self.last_year_volume_factor, allow_zero=True)
        if len(self.month_weights) != MONTHS_PER_YEAR or min(self.month_weights) < 0:
            _fail(f"{p}.month_weights", self.month_weights, "12 non-negative weights")
        for name in ("tier_shares_1e8", "event_tier_shares_1e8"):
            shares = getattr(self, name)
            if len(shares) != N_TIERS_1E8 or min(shares) < 0 or abs(sum(shares) - 1) > SHARE_TOLERANCE:
                _fail(f"{p}.{name}", shares, "3 non-negative shares summing to 1")
        for name in ("within_tier_pareto_alpha", "top_tier_pareto_alpha", "cny_per_usd"):
            check_positive(f"{p}.{name}", getattr(self, name))
        if self.max_investment_yi <= TOP_TIER_LOWER_YI:
            _fail(f"{p}.max_investment_yi", self.max_investment_yi, "a number > 50")
        for name in (
            "foreign_probability",
            "taiwan_share_of_foreign",
            "tech_talent_probability",
            "in_park_probability",
            "in_park_probability_agriculture",
        ):
            check_probability(f"{p}.{name}", getattr(self, name))


@dataclass
class SigningTarget:
    """A year's city target of new >= 1亿 signings, as the monthly bulletin tracks it."""

    year: int = 2023
    signings_1e8: float = 600.0
    # Sectors the count covers (names from SECTORS).
    sectors: list[str] = field(default_factory=lambda: ["industrial"])

    def __post_init__(self) -> None:
        check_positive(f"attraction.targets[{self.year}].signings_1e8", self.signings_1e8)
        if not self.sectors or not set(self.sectors) <= set(SECTORS):
            _fail(f"attraction.targets[{self.year}].sectors", self.sectors, f"a non-empty subset of {list(SECTORS)}")


def _default_targets() -> list[SigningTarget]:
    # calibration.md §1: the 2021 target was 500 new >= 1亿 signings, all sectors (measured);
    # plan: 600 new >= 1亿 industrial signings in 2023. No 2019, 2020 or 2022 target is
    # published: in those years the bulletin has no pace line and effort relaxes to routine.
    return [SigningTarget(2021, 500.0, list(SECTORS)), SigningTarget(2023, 600.0, ["industrial"])]


# Huai'an's ten units (sim.units.HUAIAN_UNITS); equal shares (see unit_lead_shares).
N_UNITS = 10


@dataclass
class AttractionConfig:
    """Promotion (招商): units, the monthly bulletin, effort that answers pace, attraction levers.

    Each unit (县区、园区, :mod:`sim.units`) holds a share of the city's leads and of its
    signing target. On the first day of each month the bulletin (一月一通报) compares each
    unit's signings to date with its pace line (its target spread over the year like the
    seasonal lead rate); a unit behind pace raises its promotion effort, with a lag, and
    effort adds leads with diminishing returns (:mod:`sim.attraction`). Candidate leads are
    drawn up front at ``candidate_intensity_factor`` x the trend and thinned against the
    intensity in force (Lewis-Shedler), so levers and scenarios never reshuffle the draws.
    """

    # Share of the city's leads (and of its signing target) in each unit, in the order of
    # sim.units.UNIT_KEYS. Assumption: no published split, so equal shares; consistent with
    # the development zone's 81 >= 1亿 signings of 2023 (calibration.md §1) being about a
    # tenth of a city total of 600-800. Range: any split.
    unit_lead_shares: list[float] = field(default_factory=lambda: [1.0 / N_UNITS] * N_UNITS)
    targets: list[SigningTarget] = field(default_factory=_default_targets)
    # Switch: effort answers the bulletin (true) or leads follow the trend alone (false).
    effort_response: bool = True
    # Effort a unit aims at per unit of shortfall (the share of its annual target it is
    # behind its pace line); ahead of pace it aims at routine (0). Assumption, range 1-10:
    # at 4, a unit a quarter of its target behind aims at effort 1 (63% of the maximum).
    # calibration.md §6: every published Jiangsu count target of 2018-22 was met (achieved
    # / target 1.0-1.8), so a shortfall is answered, not accepted.
    effort_per_shortfall: float = 4.0
    # Share of the gap between aimed and current effort closed each month: teams, trips and
    # visits take months to yield leads. Assumption, range 0.25-1 (a lag of 0-3.5 months).
    effort_adjust_share_per_month: float = 0.5
    # Extra leads at full effort, as a share of the trend; effort e adds
    # max_extra_lead_share x (1 - exp(-e)) (diminishing returns). Assumption, range 0-1
    # (calibration.md §1: Huai'an H1 2021 +67% year on year, 2018-21 +47%/yr, bound what a
    # campaign year adds).
    max_extra_lead_share: float = 0.5
    # Relative response of each size tier (< 1亿, 1-10亿, 10-50亿, >= 50亿) to effort.
    # calibration.md §1 (H1 2021: small projects at 65% of their sub-target, 10-50亿 46%,
    # >= 50亿 4 of 10) and §6 (achieved / target 0.7-1.1 for >= 50亿 and value sub-targets
    # against ~1.2 for counts): big projects answer effort less. Estimate, each 0-1.
    tier_response: list[float] = field(default_factory=lambda: [1.0, 1.0, 0.5, 0.25])
    # Not a model parameter: candidate leads are drawn at this multiple of the trend and
    # thinned. It only has to cover the largest intensity multiplier (checked); every cell
    # of a comparison must use the same value, since changing it changes every draw.
    candidate_intensity_factor: float = 2.5
    # Event leads sign at the event. calibration.md §1: a project counts as signed once the
    # investor is named, the company registered and the project filed; a signing ceremony
    # signs projects negotiated (and reviewed) before it, and the event's count is reported
    # as that edition's signings. false = event leads start appraisal on the event day.
    event_leads_sign_at_event: bool = True
    # 3+7+5 系列招商活动: series events per year beyond the five city events of
    # model.demand.events (status quo 0; the plan's 15 = 5 + 10). Slots on the days below.
    series_events_per_year: int = 0
    # Days of year of the series event slots, used in this order (assumption: one a month
    # from March, after the spring promotion season starts; two in the busy autumn).
    series_event_days: list[int] = field(default_factory=lambda: [60, 91, 121, 152, 182, 213, 244, 258, 274, 305])
    # Mean >= 1亿 leads a series event brings, net of leads that would have come anyway.
    # Assumption, range 2-10 (smaller than the city events of calibration.md §1, whose
    # Huaihe convention brought ~37).
    series_event_leads_1e8_mean: float = 5.0
    # 链式招商 with 委托招商、基金招商 (chain targeting, entrusted and fund promotion): extra
    # industrial leads as a share of the trend. 0 = off.
    chain_extra_share_industrial: float = 0.0
    # 一号招商员 (top leaders as lead promoters, one leader and team per >= 10亿 project):
    # extra >= 10亿 leads as a share of the trend. 0 = off.
    leader_extra_share_1e9: float = 0.0
    # Costs of the levers (reported, not simulated): staff-days per series event, promotion
    # staff (full-time) of the chain, entrusted and fund teams, leader-days a year.
    cost_staff_days_per_series_event: float = 0.0
    cost_chain_staff: float = 0.0
    cost_leader_days_per_year: float = 0.0
    # Parks' pull (园区主平台): the odds of locating in a provincial-level park multiply by
    # this per 30 days of time advantage parks offer over a site outside (ready land).
    # Assumption, range 1.0 (location ignores time) - 2.0.
    park_choice_odds_per_30_days: float = 1.5
    # The advantage at which model.demand.in_park_probability holds: the status quo's
    # land-transfer saving, 90 days x (1 - 0.6) (derived from the model.land defaults).
    park_reference_advantage_days: float = 36.0

    def __post_init__(self) -> None:
        p = "model.attraction"
        shares = list(self.unit_lead_shares)
        if len(shares) != N_UNITS or min(shares) < 0 or abs(sum(shares) - 1) > SHARE_TOLERANCE:
            _fail(f"{p}.unit_lead_shares", shares, f"{N_UNITS} non-negative shares summing to 1 (sim.units order)")
        if len(self.tier_response) != N_SIZE_TIERS or not all(0 <= w <= 1 for w in self.tier_response):
            _fail(f"{p}.tier_response", self.tier_response, f"{N_SIZE_TIERS} values in [0, 1]")
        years = [t.year for t in self.targets]
        if len(set(years)) != len(years):
            _fail(f"{p}.targets", years, "at most one target per year")
        if not 0 < self.effort_adjust_share_per_month <= 1:
            _fail(f"{p}.effort_adjust_share_per_month", self.effort_adjust_share_per_month, "a share in (0, 1]")
        if not 0 <= self.series_events_per_year <= len(self.series_event_days):
            allowed = f"0..{len(self.series_event_days)} (the slots in series_event_days)"
            _fail(f"{p}.series_events_per_year", self.series_events_per_year, allowed)
        if not all(0 <= d < DAYS_PER_YEAR for d in self.series_event_days):
            _fail(f"{p}.series_event_days", self.series_event_days, "days of year 0..364")
        non_negative = (
            "effort_per_shortfall",
            "max_extra_lead_share",
            "series_event_leads_1e8_mean",
            "chain_extra_share_industrial",
            "leader_extra_share_1e9",
            "cost_staff_days_per_series_event",
            "cost_chain_staff",
            "cost_leader_days_per_year",
            "park_reference_advantage_days",
        )
        for name in non_negative:
            check_positive(f"{p}.{name}", getattr(self, name), allow_zero=True)
        check_positive(f"{p}.park_choice_odds_per_30_days", self.park_choice_odds_per_30_days)
        if self.candidate_intensity_factor < 1:
            _fail(f"{p}.candidate_intensity_factor", self.candidate_intensity_factor, "a number >= 1")

    def max_multiplier(self) -> float:
        """The largest multiple of the trend the levers and full effort can reach."""
        effort = 1.0 + self.max_extra_lead_share * max(self.tier_response)
        return effort * (1.0 + self.chain_extra_share_industrial) * (1.0 + self.leader_extra_share_1e9)


@dataclass
class AppraisalConfig:
    """Pre-signing appraisal (前期研判) and the city-level review of >= 10亿 projects."""

    # Days of due diligence from lead to decision (assumption).
    median_days: float = 20.0
    sigma_log: float = 0.5
    # Share of leads passing due diligence whatever their quality (assumption).
    pass_probability: float = 0.85
    # Leads with latent quality (uniform 0-1) below this are screened out. 0 = no screen.
    min_quality: float = 0.0
    # plan: 10亿+ industry and services projects go to the city industry department.
    city_review_threshold_yi: float = 10.0
    # Days that review adds before signing (assumption).
    city_review_median_days: float = 30.0
    # Share of event leads that are re-signings, at a later ceremony, of a project already
    # signed (calibration.md §7: the same project is sometimes signed again, People's Daily
    # 2016). They are recorded as re-signed and counted once (assumption 0.10, range 0-0.3).
    resigned_share_of_event_leads: float = 0.10

    def __post_init__(self) -> None:
        _check_all(self, "model.appraisal", probability=("min_quality",))


@dataclass
class PreworkConfig:
    """Project-side preparation after signing, before procedures (front-end work)."""

    # calibration.md §2.1-2.2: signing -> land is often the dominant wait; Yancheng had
    # 64.5% of signings "being tracked" months later. Median 75 days (estimate), wide.
    median_days: float = 60.0
    sigma_log: float = 1.0
    # Median multiplier exp(-effect * (quality - 0.5)): better projects prepare faster.
    quality_effect: float = 1.5

    def __post_init__(self) -> None:
        _check_all(self, "model.prework")


@dataclass
class LandConfig:
    """Land quota (用地指标, 亩) and land delivery."""

    # New land per 亿 of agreed investment, 亩 (median; land need = investment x this).
    # Industrial: calibration.md §8, 9.6 (Taixing 2021-22) to 45 (Lianyungang 2010) 亩/亿;
    # default 15, nearer the recent Jiangsu figure (range 9.6-45). Services 6.7 and
    # agriculture 2 (assumption: multi-storey and facility land, range x0.5-x2).
    land_mu_per_yi: BySector = _by_sector(15.0, 6.7, 6.7, 2.0)
    intensity_sigma_log: float = 0.4
    # Annual land quota for campaign projects in 亩, released in equal monthly tranches at
    # each month start. No Huai'an figure is published (calibration.md §8): derived as the
    # investment volume the quota covers x the land per 亿 above. Volume: the 2020 start
    # volume, 758亿 in Jan-Sep (calibration.md §1), ~1,010亿 a year, up to twice that
    # (assumption: the quota at least covered what was started, and also serves growth);
    # default the centre, 1,515亿 a year x 15 亩/亿 = 22,700 亩 (derived). Under
    # `uncertainty=evidence` the volume is the uncertain input and the quota moves with the
    # drawn land per 亿 (a ratio prior), not independently of it.
    quota_mu_per_year: float = 22700.0
    # Quota in stock on 1 January of the first simulated year (亩; assumption: two months
    # of quota, 22,700 / 6; range 0-6 months).
    initial_stock_mu: float = 3800.0
    # Share of projects that need no new land: expansions on their own plot or standard
    # factory buildings (标准厂房). calibration.md §2.3 (standard-plant projects finish within
    # months) and §2.1 (Yancheng: 14-17% start within months of signing); share an estimate.
    standard_plant_share: float = 0.3
    # Share of unused quota carried into the next year; the rest lapses with the annual
    # land plan (用地计划指标; assumption).
    carryover_share: float = 0.5
    # Land reclamation (清理闲置低效用地): extra 亩 added per month. 0 = lever off.
    reclamation_mu_per_month: float = 0.0
    # Land delivered to an investor who then leaves before starting lies idle (闲置土地)
    # until the city recovers it into the quota pool. 闲置土地处置办法 (2012, art. 14): land
    # idle for two years may be recovered without compensation, so 730 days in the status
    # quo; 清理闲置用地 (land_reclamation) acts sooner. 0 = never recovered.
    idle_recovery_days: float = 730.0
    # Who gets land first: "fifo" (status quo) or "size" (differentiated supply). The office
    # serves, in that order, every request the quota covers (first fit).
    priority: str = "fifo"
    # Strict reservation: the head of the line blocks all behind it until the quota covers
    # it. Off by default: with it, one giant request held every smaller one for months.
    reserve_for_head: bool = False
    # Land transfer after the quota is granted. calibration.md §2.2: ~3 months; >= 20 days
    # public notice in 招拍挂 (estimate from reform texts).
    transfer_median_days: float = 90.0
    transfer_sigma_log: float = 0.4
    # In-park plots are ready faster (calibration.md §3: Yunnan, parks start faster).
    in_park_transfer_factor: float = 0.6

    def __post_init__(self) -> None:
        for sector, value in zip(SECTORS, self.land_mu_per_yi.as_tuple(), strict=True):
            check_positive(f"model.land.land_mu_per_yi.{sector}", value, allow_zero=True)
        if self.priority not in ("fifo", "size"):
            _fail("model.land.priority", self.priority, "'fifo' or 'size'")
        _check_all(self, "model.land")


@dataclass
class EnergyConfig:
    """Energy quota (能耗指标, 吨标煤) and energy assessment (能评)."""

    # Energy need per 亿 of agreed investment, 吨标煤 a year at design output (assumption;
    # no figure in calibration.md; range x0.4-x4, heavy industry far above the median).
    tce_per_yi: BySector = _by_sector(250.0, 40.0, 30.0, 20.0)
    tce_sigma_log: float = 0.6
    # Annual energy quota for campaign projects, 吨标煤, monthly tranches. No Huai'an total is
    # published (calibration.md §8): an assumption, 800,000 = the energy of 3,200亿 a year of
    # industrial investment at 250 吨标煤/亿 (range x0.5-x1.5 of that volume). Under
    # `uncertainty=evidence` the volume is the uncertain input and the quota moves with the
    # drawn energy per 亿 (a ratio prior: a city's quota reflects its industry's energy use).
    quota_tce_per_year: float = 800000.0
    # Quota in stock on 1 January of the first simulated year (assumption: ~one month).
    initial_stock_tce: float = 80000.0
    # National major projects draw energy from the national reserve and skip the local
    # quota (发改环资〔2021〕1310号, calibration.md §8, from 2021). Which projects are national
    # major projects is not published per city: projects of at least this agreed investment
    # (亿; assumption, range 50-300; 0 = no national channel).
    national_reserve_threshold_yi: float = 100.0
    # Feedstock (原料用能) energy is deducted from the quota a project needs from this date
    # on (发改环资〔2022〕803号, calibration.md §8: October 2022); "" = never.
    feedstock_deducted_from: str = "2022-10-01"
    # Share of an industrial project's energy use that is feedstock (assumption: chemicals
    # and materials use much, most industry none; city-wide mean 0.10, range 0-0.3). Other
    # sectors use none.
    feedstock_share_industrial: float = 0.10
    # Share of unused energy quota carried into the next year (assumption).
    carryover_share: float = 0.5
    # From 1 January of this year no new energy quota is released (能耗 frozen); 0 = never.
    frozen_from_year: int = 0
    # Energy swap (腾退能耗): 吨标煤 freed per month by retiring capacity. 0 = lever off.
    swap_tce_per_month: float = 0.0
    # Who gets energy quota first ("fifo" or "size"), and strict reservation (see land).
    priority: str = "fifo"
    reserve_for_head: bool = False
    # Energy assessment duration in days (assumption).
    assessment_median_days: float = 30.0
    assessment_sigma_log: float = 0.4

    def __post_init__(self) -> None:
        for sector, value in zip(SECTORS, self.tce_per_yi.as_tuple(), strict=True):
            check_positive(f"model.energy.tce_per_yi.{sector}", value, allow_zero=True)
        if self.priority not in ("fifo", "size"):
            _fail("model.energy.priority", self.priority, "'fifo' or 'size'")
        check_year("model.energy.frozen_from_year", self.frozen_from_year, zero_means_never=True)
        if self.feedstock_deducted_from:
            _check_iso_date("model.energy.feedstock_deducted_from", self.feedstock_deducted_from)
        _check_all(self, "model.energy")


@dataclass
class ApprovalConfig:
    """Planning and construction permits served by limited approval capacity."""

    # Files the approval offices work on at once (servers). No published figure: an
    # uncertain input, range 177-354. Lower end: the most files the offices held at once in
    # 2022 in the status quo (177: mean over 20 replications of a run with unlimited
    # offices, 2026-11-25); before 2023 the chain met Jiangsu's <= 100 working-day cap
    # (calibration.md §2.2), so the offices were no lasting queue then. Upper end: twice
    # that (assumption: offices can double their staff for a campaign). Default: the centre.
    capacity_projects: int = 265
    # Applicant-side preparation of the file (days). calibration.md §2.2: land -> start took
    # at least 4-6 months conventionally (with energy assessment and site preparation);
    # split into applicant 30 + review 25 (x2 on rework) + permits 35 (assumption).
    applicant_median_days: float = 30.0
    # Drawing review (审图), days, and the chance it must be redone once (assumption).
    review_median_days: float = 25.0
    rework_probability: float = 0.3
    # Permit issuance after review, days (calibration.md §2.2: chain capped at <= 100
    # working days in Jiangsu; assumption for the split).
    permit_median_days: float = 35.0
    sigma_log: float = 0.5
    # 拿地即开工: permits prepared in parallel before land delivery.
    parallel_with_land: bool = False
    # Days from having land and permits to a physical start. calibration.md §2.2:
    # Zhangzhou <= 7 days (reformed); the status quo adds site preparation (assumption).
    start_lag_days: float = 20.0
    # Larger projects served first at the approval offices ("fifo" or "size").
    priority: str = "fifo"
    # Distribution of the office's time per file (review + permits): "lognormal" with the
    # medians above, or "exponential" with mean review + permit medians (used to check the
    # model against M/M/c queueing theory).
    service_distribution: str = "lognormal"

    def __post_init__(self) -> None:
        if self.service_distribution not in ("lognormal", "exponential"):
            _fail("model.approvals.service_distribution", self.service_distribution, "'lognormal' or 'exponential'")
        if self.capacity_projects < 1:
            _fail("model.approvals.capacity_projects", self.capacity_projects, "an integer >= 1")
        if self.priority not in ("fifo", "size"):
            _fail("model.approvals.priority", self.priority, "'fifo' or 'size'")
        _check_all(self, "model.approvals")


@dataclass
class WalkawayConfig:
    """Investors walking away while they wait for land, energy or approvals."""

    # Patience in days of waiting ~ Weibull(shape, scale); shape > 1 means the hazard grows
    # with the wait (assumption; calibrate from dropped projects in the ledger, issue 7).
    patience_shape: float = 2.0
    patience_scale_days: float = 420.0
    # 签而不落: share of signings that never proceed to procedures; the investor is recorded
    # as gone when its pre-work would have ended. calibration.md §7: 86-90% of Anhui's
    # convention signings started (10-14% never did); Sichuan and Weinan 67-68% within 4-15
    # months (§3). Default 0.12, range 0.10-0.33.
    never_proceed_share: float = 0.12
    # Investors who proceed may still leave before the start, with a hazard that grows with
    # the time since signing (pre-work and procedures alike): days from signing to leaving
    # ~ Weibull(shape, scale) (assumption; scale range 900-3,600 days). With 1.5 and 1,800
    # days, 9% of those not started a year after signing leave by then, 23% within two.
    leave_shape: float = 1.5
    leave_scale_days: float = 1800.0

    def __post_init__(self) -> None:
        check_positive("model.walkaway.patience_shape", self.patience_shape)
        check_positive("model.walkaway.patience_scale_days", self.patience_scale_days)
        check_probability("model.walkaway.never_proceed_share", self.never_proceed_share)
        check_positive("model.walkaway.leave_shape", self.leave_shape)
        check_positive("model.walkaway.leave_scale_days", self.leave_scale_days)


@dataclass
class ProblemConfig:
    """Problems (堵点) hit during procedures, and who resolves them."""

    # Probability that a project hits a problem during procedures (assumption).
    probability: float = 0.35
    # Days to resolve through the ordinary route (assumption).
    ordinary_median_days: float = 60.0
    sigma_log: float = 0.8
    # Leader help (领导帮办): size thresholds in 亿 for tiers (plan: >= 1亿 county/park head,
    # >= 10亿 city deputy leader, >= 50亿 top leaders) and how many problems each tier can
    # work on at once. All zero = lever off.
    leader_threshold_yi: list[float] = field(default_factory=lambda: [1.0, 10.0, 50.0])
    leader_capacity: list[int] = field(default_factory=lambda: [0, 0, 0])
    # Days for a leader to settle a problem (assumption).
    leader_median_days: float = 15.0
    # Problem-resolution meetings (问题会办) every N days settle open problems; 0 = none.
    meeting_interval_days: float = 0.0
    meeting_followup_days: float = 7.0

    def __post_init__(self) -> None:
        p = "model.problems"
        check_probability(f"{p}.probability", self.probability)
        for name in ("ordinary_median_days", "sigma_log", "leader_median_days"):
            check_positive(f"{p}.{name}", getattr(self, name), allow_zero=True)
        check_positive(f"{p}.meeting_interval_days", self.meeting_interval_days, allow_zero=True)
        check_positive(f"{p}.meeting_followup_days", self.meeting_followup_days, allow_zero=True)
        thresholds = list(self.leader_threshold_yi)
        if len(thresholds) != N_LEADER_TIERS or thresholds != sorted(thresholds):
            _fail(f"{p}.leader_threshold_yi", self.leader_threshold_yi, "3 increasing sizes")
        if len(self.leader_capacity) != N_LEADER_TIERS or min(self.leader_capacity) < 0:
            _fail(f"{p}.leader_capacity", self.leader_capacity, "3 non-negative integers")


@dataclass
class ConstructionConfig:
    """Construction start, duration and the spending curve."""

    # No physical starts in the Spring Festival dead period, from this many days before each
    # year's festival (sim/calendar.py) to this many after it (calibration.md §4-5: winter
    # around the festival is a dead period). Derived: the earlier fixed window, days 14-42 of
    # the year (15 Jan - 11 Feb), read against the 2023 festival on 22 January.
    dead_period_days_before_festival: int = 7
    dead_period_days_after_festival: int = 21
    # Median months from start to (first-phase) completion by size tier: < 1亿, 1-10亿,
    # 10-50亿, >= 50亿. calibration.md §2.3: big plants 6-17 months; Anqing 54% of small
    # projects within 9 months (measured); assignment to tiers is an estimate.
    median_months_by_tier: list[float] = field(default_factory=lambda: [7.0, 11.0, 15.0, 18.0])
    sigma_log: float = 0.35
    # Share of agreed investment that a project which starts spends over all its phases.
    # calibration.md §7: Anhui's convention signings had 43-54% of the agreed funds in place
    # after 2-3 years with 86-90% started, i.e. ~50-63% among started projects, still
    # spending; default 0.75 (range 0.5-1.0: lower end derived, upper an assumption).
    spend_realisation_share: float = 0.75
    # Spending follows a Beta(a, b) S-curve over the construction period (assumption).
    spend_curve_a: float = 2.0
    spend_curve_b: float = 2.0
    # Probability that a project stalls during construction, and stall length (assumption).
    stall_probability: float = 0.15
    stall_median_days: float = 60.0
    # Big projects build in phases (calibration.md §2.3): the first phase completes after
    # median_months_by_tier (the 竣工 milestone), later phases go on spending. Share of the
    # whole spending span that comes after the first phase, by tier (< 1亿, 1-10亿, 10-50亿,
    # >= 50亿). §2.3: half of Huai'an's >= 30亿 projects under construction in 2025 had a
    # first phase in production, so later phases last about as long as the first (0.5,
    # derived, top tier); 10-50亿 0.33 (assumption, range 0-0.5); smaller ones one phase.
    later_phase_share_by_tier: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.33, 0.5])

    def __post_init__(self) -> None:
        p = "model.construction"
        before, after = self.dead_period_days_before_festival, self.dead_period_days_after_festival
        if min(before, after) < 0 or before + after >= DAYS_PER_YEAR:
            _fail(f"{p}.dead_period_days_before/after_festival", (before, after), "days >= 0, together < 365")
        if len(self.median_months_by_tier) != N_SIZE_TIERS or min(self.median_months_by_tier) <= 0:
            _fail(f"{p}.median_months_by_tier", self.median_months_by_tier, "4 positive months")
        check_positive(f"{p}.spend_curve_a", self.spend_curve_a)
        check_positive(f"{p}.spend_curve_b", self.spend_curve_b)
        shares = self.later_phase_share_by_tier
        if len(shares) != N_SIZE_TIERS or min(shares) < 0 or max(shares) >= 1:
            _fail(f"{p}.later_phase_share_by_tier", shares, "4 shares in [0, 1)")
        _check_all(self, p)


@dataclass
class CompletionConfig:
    """Completion acceptance, statistical registration (列统) and design output (达效)."""

    # Probability that a completed project becomes a registered enterprise (列统): that it
    # reaches the size threshold, a property of the firm that no service changes (assumption).
    registration_probability: BySector = _by_sector(0.55, 0.35, 0.25, 0.20)
    # Days from completion to registration for those that register: median and spread
    # (assumption). The completion service (竣工列统服务) shortens and steadies this wait.
    registration_median_days: float = 120.0
    # Probability and delay of reaching design output (assumption).
    output_probability: float = 0.7
    output_median_days: float = 365.0
    sigma_log: float = 0.6
    registration_sigma_log: float = 0.6

    def __post_init__(self) -> None:
        for sector, value in zip(SECTORS, self.registration_probability.as_tuple(), strict=True):
            check_probability(f"model.completion.registration_probability.{sector}", value)
        _check_all(self, "model.completion")


@dataclass
class RetrofitConfig:
    """Smart/digital retrofits (智能化改造、数字化转型) of existing firms, and benchmarks."""

    # Retrofit projects started per year in the base year (assumption: no figure in
    # calibration.md; grows with demand.lead_growth_per_year).
    projects_per_year: float = 420.0
    investment_median_yi: float = 0.25
    investment_sigma_log: float = 1.0
    duration_median_days: float = 180.0
    sigma_log: float = 0.5
    # Probability that a completed retrofit firm is named a smart-manufacturing benchmark
    # at the December assessment (assumption).
    benchmark_probability: float = 0.07
    benchmark_day_of_year: int = 335

    def __post_init__(self) -> None:
        check_day_of_year("model.retrofit.benchmark_day_of_year", self.benchmark_day_of_year)
        _check_all(self, "model.retrofit")


@dataclass
class ModelConfig:
    """Everything the simulated city is made of: demand, steps, quotas, capacities."""

    demand: DemandConfig = field(default_factory=DemandConfig)
    attraction: AttractionConfig = field(default_factory=AttractionConfig)
    appraisal: AppraisalConfig = field(default_factory=AppraisalConfig)
    prework: PreworkConfig = field(default_factory=PreworkConfig)
    land: LandConfig = field(default_factory=LandConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    approvals: ApprovalConfig = field(default_factory=ApprovalConfig)
    walkaway: WalkawayConfig = field(default_factory=WalkawayConfig)
    problems: ProblemConfig = field(default_factory=ProblemConfig)
    construction: ConstructionConfig = field(default_factory=ConstructionConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    retrofit: RetrofitConfig = field(default_factory=RetrofitConfig)

    def __post_init__(self) -> None:
        a = self.attraction
        peak = a.max_multiplier() * max(1.0, self.demand.last_year_volume_factor)
        if peak > a.candidate_intensity_factor + SHARE_TOLERANCE:
            allowed = f"a number >= {peak:.3f}, the largest intensity multiplier of this configuration"
            _fail("model.attraction.candidate_intensity_factor", a.candidate_intensity_factor, allowed)


RUN_BACKENDS: tuple[str, ...] = ("local", "dask")
DASK_SCHEMES: tuple[str, ...] = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")
MAX_HALFWIDTH = 0.5  # a Wilson 95% half-width is below 0.5 for any n >= 1


@dataclass
class RunConfig:
    """How many replications, which seed, which years."""

    replications: int = 300
    # Root seed: the campaign launch date, 2023-01-28 (calibration.md §5).
    seed: int = 20230128
    # Worker processes; 1 = serial. Results do not depend on it.
    jobs: int = 1
    # Replications per task shipped to a worker.
    chunk_size: int = 25
    # Warm-up: the model runs from 1 January of first_year so the pipeline of earlier years
    # is carried into target_year; targets count only target_year events. 2019: projects
    # signed in 2019-20 (calibration.md §1: 210 signings in 2018, 345 in Jan-Sep 2020) can
    # still be building in 2023 (big plants take 6-17 months to a first phase, §2.3, after
    # months of procedures, §2.1). Earlier years add run time, not 2023 projects.
    first_year: int = 2019
    target_year: int = 2023
    # Replications whose full project ledger is written (for bottleneck charts).
    keep_ledgers: int = 1
    progress: bool = True
    # Where chunks run: "local" (serial when jobs=1, else `jobs` worker processes) or "dask"
    # (a Dask distributed cluster; issue 6). Results do not depend on it.
    backend: str = "local"
    # Scheduler address of an existing Dask cluster, e.g. "tcp://10.0.0.5:8786"; empty = a
    # LocalCluster of `jobs` worker processes with one thread each, for this run only.
    dask_address: str = ""
    # Reuse finished chunks (parts/ in the run directory) of the same configuration and
    # compute only the missing replications; false = refuse to run where parts exist.
    resume: bool = True
    # Precision on demand: keep adding replications until every finite p_attain Wilson 95%
    # half-width is at most this (probability, e.g. 0.02), or max_replications is reached;
    # 0 = off (exactly `replications` are run). Assumption: 0.02 = +-2 points is what a
    # planner can read off a chart.
    target_halfwidth: float = 0.0
    # Cap on replications when target_halfwidth > 0. Assumption: 10,000 is the scale the
    # benchmark sizes KPI-table memory for (README "Benchmark"); a half-width of 0.01 needs
    # at most ~9,600 (p = 1/2).
    max_replications: int = 10000

    def __post_init__(self) -> None:
        if self.replications < 1:
            _fail("run.replications", self.replications, "an integer >= 1")
        if self.seed < 0:
            _fail("run.seed", self.seed, "a non-negative integer")
        if self.jobs < 1:
            _fail("run.jobs", self.jobs, "an integer >= 1")
        if self.chunk_size < 1:
            _fail("run.chunk_size", self.chunk_size, "an integer >= 1")
        check_year("run.first_year", self.first_year)
        check_year("run.target_year", self.target_year)
        if not self.first_year <= self.target_year:
            _fail("run.first_year", self.first_year, f"a year <= run.target_year ({self.target_year})")
        if self.keep_ledgers < 0:
            _fail("run.keep_ledgers", self.keep_ledgers, "an integer >= 0")
        if self.backend not in RUN_BACKENDS:
            _fail("run.backend", self.backend, f"one of {', '.join(RUN_BACKENDS)}")
        if self.dask_address and not self.dask_address.startswith(DASK_SCHEMES):
            _fail("run.dask_address", self.dask_address, f"empty or an address starting with {', '.join(DASK_SCHEMES)}")
        if not (math.isfinite(self.target_halfwidth) and 0.0 <= self.target_halfwidth < MAX_HALFWIDTH):
            _fail("run.target_halfwidth", self.target_halfwidth, f"0 (off) or a probability in (0, {MAX_HALFWIDTH})")
        if self.target_halfwidth > 0 and self.max_replications < self.replications:
            allowed = f"an integer >= run.replications ({self.replications})"
            _fail("run.max_replications", self.max_replications, allowed)


PRIOR_DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular", "loguniform", "beta")
# How a policy lever that sets a field with a prior keeps its mechanism (sim/uncertainty.py):
# keep = the lever's value as written; scale = the lever's ratio to the status quo is kept
# (halved stays halved); shift = the lever's difference is kept (+10 points stays +10).
LEVER_RULES: tuple[str, ...] = ("keep", "scale", "shift")


@dataclass
class Prior:
    """One uncertain input: a model field, its distribution over a range, and the evidence.

    ``path`` is the field below ``model``, e.g. ``demand.lead_growth_per_year``,
    ``completion.registration_probability.industrial`` or ``construction.median_months_by_tier[1]``.
    """

    path: str = ""
    dist: str = "uniform"
    low: float = 0.0
    high: float = 0.0
    # Triangular only: the most likely value (default: the midpoint).
    mode: float | None = None
    # Beta only: shape parameters of Beta(a, b) stretched over [low, high].
    a: float = 2.0
    b: float = 2.0
    # What a policy lever that also sets this field keeps (see LEVER_RULES).
    lever: str = "scale"
    # Where the range comes from (calibration.md §x, the plan, or "assumption: ..."). Required.
    source: str = ""
    # Chinese label for planners' sentences and charts.
    zh: str = ""
    # English label (optional; default: read from the path, or "<path> per <per>").
    en: str = ""
    # A ratio prior: when set (a field path, like ``path``), low/high/dist describe the ratio
    # ``path / per`` and the field takes ``ratio x`` the value ``per`` has in the same draw. For
    # inputs derived from another uncertain input (the land quota was derived as a start volume
    # x land per 亿: its uncertainty is the volume it covers, not an independent range).
    per: str = ""

    @property
    def key(self) -> str:
        """The name of the drawn quantity: the path, or ``path/per`` for a ratio prior."""
        return f"{self.path}/{self.per}" if self.per else self.path

    def __post_init__(self) -> None:
        name = f"uncertainty.priors[{self.path}]"
        if self.per == self.path:
            _fail(f"{name}.per", self.per, "another field's path (a field cannot be a ratio of itself)")
        if self.per and self.low < 0:
            _fail(f"{name}.low", self.low, "a ratio >= 0 (a ratio prior scales a field by low..high)")
        if self.dist not in PRIOR_DISTRIBUTIONS:
            _fail(f"{name}.dist", self.dist, f"one of {', '.join(PRIOR_DISTRIBUTIONS)}")
        if self.lever not in LEVER_RULES:
            _fail(f"{name}.lever", self.lever, f"one of {', '.join(LEVER_RULES)}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            _fail(f"{name}.low/high", (self.low, self.high), "finite numbers")
        if self.low > self.high:
            _fail(f"{name}.low", self.low, f"a number <= high ({self.high})")
        if self.dist == "loguniform" and self.low <= 0:
            _fail(f"{name}.low", self.low, "a number > 0 for a log-uniform prior")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            _fail(f"{name}.mode", self.mode, f"a value in [low, high] = [{self.low}, {self.high}]")
        check_positive(f"{name}.a", self.a)
        check_positive(f"{name}.b", self.b)
        if not self.source.strip():
            _fail(f"{name}.source", self.source, "the evidence for the range (calibration.md §x or 'assumption: ...')")


@dataclass
class UncertaintyConfig:
    """Parameter uncertainty (issue 11): priors drawn once per parameter draw.

    Replications ``k * replications_per_draw .. (k + 1) * replications_per_draw - 1`` share
    the k-th point of a scrambled Sobol sequence (their luck differs), so luck's share of the
    variance is measured from the replications that share a draw (analysis/sensitivity.py).
    No priors (``uncertainty=none``) = every input at its configured value.
    """

    name: str = "none"
    replications_per_draw: int = 2
    priors: list[Prior] = field(default_factory=list)
    # Fields set on the command line (filled by the entry point): their prior is off.
    pinned: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.replications_per_draw < 1:
            _fail("uncertainty.replications_per_draw", self.replications_per_draw, "an integer >= 1")
        paths = [p.path for p in self.priors]
        for path in paths:
            if paths.count(path) > 1:
                _fail("uncertainty.priors", path, "each field path at most once")
        ratio_of = {p.path: p.per for p in self.priors if p.per}
        for path in ratio_of:
            seen = [path]
            while seen[-1] in ratio_of:
                seen.append(ratio_of[seen[-1]])
                if seen[-1] in seen[:-1]:
                    _fail(f"uncertainty.priors[{path}].per", " -> ".join(seen), "a chain of ratios without a cycle")


def _check_iso_date(name: str, value: str) -> None:
    """Raise ConfigError unless ``value`` is an ISO date ``YYYY-MM-DD``."""
    try:
        ok = len(value) == len("2023-06-30") and date.fromisoformat(value).isoformat() == value
    except ValueError:
        ok = False
    if not ok:
        _fail(name, value, "an ISO date YYYY-MM-DD such as '2023-06-30'")


@dataclass
class NowcastConfig:
    """Start from a planner's project ledger on a date, and export ledgers (issue 7).

    Not model parameters: paths and dates chosen by the user. ``as_of`` is the end of that
    day (the ledger's report date); the run restarts on the next day. See sim/ledger/io.py.
    """

    # Planner ledger, CSV or XLSX (template: data/ledger_template.csv); "" = no nowcast.
    ledger: str = ""
    # Date the ledger describes, ISO YYYY-MM-DD; required with ``ledger``.
    as_of: str = ""
    # Write ledger_<date>.csv of replication 0 at this ISO date; "" = no export.
    export_at: str = ""
    # true: the template's layout, all or nothing (sim/ledger/io.py); false: read an office's
    # layout row by row and account for every row in ledger_read.csv (sim/ledger/tolerant.py).
    strict: bool = False

    def __post_init__(self) -> None:
        if self.ledger and not self.as_of:
            _fail("nowcast.as_of", self.as_of, "an ISO date (required when nowcast.ledger is set)")
        if self.as_of and not self.ledger:
            _fail("nowcast.ledger", self.ledger, "a ledger file (required when nowcast.as_of is set)")
        if self.ledger and not self.ledger.lower().endswith((".csv", ".xlsx")):
            _fail("nowcast.ledger", self.ledger, "a .csv or .xlsx file")
        for name in ("as_of", "export_at"):
            if getattr(self, name):
                _check_iso_date(f"nowcast.{name}", getattr(self, name))


PARKS_SCOPES: tuple[str, ...] = ("industry_services", "all_sectors")
RETROFIT_COUNTS: tuple[str, ...] = ("started", "in_progress")
RETROFIT_AMOUNTS: tuple[str, ...] = ("agreed", "spent")


@dataclass
class DefinitionsConfig:
    """How targets are counted where the plan leaves the statistic open (documented switches).

    Not model parameters: they change what is counted, never what happens.
    """

    # Parks share (省级以上园区占比) among new >= 1亿 signings of industry and services only
    # (default: the plan lists it with the industrial-services targets), or of all sectors
    # with agriculture (most agriculture sits outside parks, so the share is lower).
    parks_share_scope: str = "industry_services"
    # Retrofit projects (技改项目): those started in the year (default), or those in progress
    # at any time in the year (started before the month end, not completed before 1 January).
    retrofit_count: str = "started"
    # Retrofit investment (技改投资): the agreed investment of retrofits started in the year
    # (default), or the amount spent in the year by every retrofit in progress.
    retrofit_amount: str = "agreed"
    # Industrial investment (工业投资) as the statistics count it (calibration.md §7): spending
    # of industrial projects of any signing year plus retrofits of existing firms (技改).
    # False = new projects only.
    industrial_investment_with_retrofits: bool = True

    def __post_init__(self) -> None:
        for name, allowed in (
            ("parks_share_scope", PARKS_SCOPES),
            ("retrofit_count", RETROFIT_COUNTS),
            ("retrofit_amount", RETROFIT_AMOUNTS),
        ):
            if getattr(self, name) not in allowed:
                _fail(f"definitions.{name}", getattr(self, name), f"one of {', '.join(allowed)}")


@dataclass
class StudyConfig:
    """One scenario x policy cell: the model, the run settings, and their names.

    ``model`` is the scenario with the policy's levers; ``baseline_model`` is the same
    scenario without levers (filled by the entry point). The model runs the baseline until
    ``campaign_launch`` and the levers from then on, so the 2021-2022 warm-up (and the
    pipeline it carries into 2023) is the status quo whatever the policy.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    run: RunConfig = field(default_factory=RunConfig)
    baseline_model: ModelConfig | None = None
    # ISO date the levers take effect; "" = the first working day after the Spring Festival
    # holiday of run.target_year (sim/calendar.py; calibration.md §5: 28 January 2023).
    campaign_launch: str = ""
    nowcast: NowcastConfig = field(default_factory=NowcastConfig)
    # The plan: targets, goals and how each is counted (conf/plan/<city>_<year>.yaml; the
    # Hydra group ``plan``, default huaian_2023). Empty here; a run needs one.
    plan: PlanConfig = field(default_factory=PlanConfig)
    definitions: DefinitionsConfig = field(default_factory=DefinitionsConfig)
    # Uncertain inputs (issue 11): the Hydra group ``uncertainty`` (evidence or none).
    uncertainty: UncertaintyConfig = field(default_factory=UncertaintyConfig)
    # Filled by the entry point from Hydra's group choices; carried into every table.
    scenario_name: str = "huaian_2023"
    policy_name: str = "status_quo"

    def launch_date(self) -> str:
        """ISO date the levers take effect: ``campaign_launch``, or the target year's default."""
        return self.campaign_launch or FIRST_WORKING_DAY.get(self.run.target_year, "")

    def __post_init__(self) -> None:
        years = range(self.run.first_year, self.run.target_year + 1)
        if missing := [y for y in years if y not in SPRING_FESTIVAL]:
            known = f"{min(SPRING_FESTIVAL)}-{max(SPRING_FESTIVAL)}"
            allowed = f"years with a Spring Festival date in sim/calendar.py ({known}; missing {missing})"
            _fail("run.first_year..run.target_year", (self.run.first_year, self.run.target_year), allowed)
        if not self.launch_date():
            published = f"{min(FIRST_WORKING_DAY)}-{max(FIRST_WORKING_DAY)}"
            allowed = f"an ISO date: sim/calendar.py knows the first working day after the festival for {published}"
            _fail("campaign_launch", self.campaign_launch, allowed)
        try:
            year = int(self.launch_date()[:4])
            datetime.date.fromisoformat(self.launch_date())
        except ValueError:
            _fail("campaign_launch", self.campaign_launch, "an ISO date such as 2023-01-28, or '' (festival)")
        if year > self.run.target_year:  # before run.first_year: levers apply from the start
            allowed = f"a date in or before run.target_year ({self.run.target_year})"
            _fail("campaign_launch", self.campaign_launch, allowed)
        _check_plan_units(self.plan)
        first, last = f"{self.run.first_year}-01-01", f"{self.run.target_year}-12-31"
        for name in ("as_of", "export_at"):
            value = getattr(self.nowcast, name)
            if value and not first <= value <= last:
                _fail(f"nowcast.{name}", value, f"a date from {first} to {last} (run.first_year..run.target_year)")
        if self.uncertainty.priors:
            from sim.uncertainty import check_priors

            check_priors(self)


def _check_plan_units(plan: PlanConfig) -> None:
    """Unit keys of the plan (goals per unit, unit filters) must be in ``sim/units.py``."""
    from sim.units import UNIT_KEYS

    allowed = f"a unit key of sim/units.py ({', '.join(UNIT_KEYS)})"
    for unit in plan.units:
        if unit not in UNIT_KEYS:
            _fail(f"plan.units.{unit}", unit, allowed)
    for key, spec in plan.targets.items():
        for name, sel in (("measure", spec.measure), ("measure.denominator", spec.measure.denominator)):
            if sel is not None and sel.unit and sel.unit not in UNIT_KEYS:
                _fail(f"plan.targets.{key}.{name}.unit", sel.unit, allowed)
