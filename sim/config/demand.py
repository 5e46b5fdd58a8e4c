"""Demand and promotion: where leads come from, campaign events, signing targets, attraction (招商).

Values per sector use :class:`BySector` (industrial, producer services, other services,
agriculture). Sources are on each field (``calibration.md §x``, ``plan`` or ``assumption``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cityplan.schema import SECTORS
from sim.config.checks import (
    DAYS_PER_YEAR,
    MONTHS_PER_YEAR,
    N_SIZE_TIERS,
    N_TIERS_1E8,
    SHARE_TOLERANCE,
    TOP_TIER_LOWER_YI,
    check_positive,
    check_probability,
    check_year,
    fail,
)


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


def by_sector(i: float, p: float, o: float, a: float) -> Any:
    """A :class:`BySector` default (industrial, producer services, other, agriculture)."""
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
            fail(f"events[{self.name}].day_of_year", self.day_of_year, "0..364")
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
    leads_1e8_per_year: BySector = by_sector(431.0, 81.0, 81.0, 109.0)
    base_year: int = 2021
    # Growth of the lead trend per year up to base_year (the warm-up years). calibration.md
    # §1: log-linear fit of the measured >= 1亿 signings 2018 (210), Jan-Sep 2020 (345) and
    # H1 2021 (312), each scaled to a year by month_weights: 47.7%/yr (fitted by
    # sim.model.attraction.fit_history_growth; the test checks this default against the fit).
    history_growth_per_year: float = 0.477
    # Growth of the lead trend per year after base_year (the campaign response comes on top,
    # model.attraction). Uncertain input, range 0-0.477 (no growth to the measured 2018-21
    # rate, which includes those years' own effort); no evidence inside the range, so the
    # default is its geometric midpoint, sqrt(1.477) - 1.
    lead_growth_per_year: float = 0.215
    # Share of a sector's >= 1000万 leads that are below 1亿 (assumption; no published count).
    # Agriculture: uncertain input, range 0.3-0.8 (prior in conf/uncertainty/evidence.yaml),
    # default its midpoint; the plan's own target ratio (57 of 130 starts >= 1亿) is a goal,
    # not evidence, and is not the source. Other sectors: assumption.
    share_below_1e8: BySector = by_sector(0.35, 0.30, 0.30, 0.55)
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
    # Tail index above 50亿 (Pareto on [50亿, max_investment_yi]). calibration.md §9: the 2022
    # Huaihe convention's 9 projects >= 50亿 held 67% of its 876.2亿, a mean of ~65亿, which a
    # bounded Pareto on 50-300亿 gives at alpha ~4.3 (derived, one event of 9 projects).
    # Uncertain input, range 1.5-4.5 (prior; 1.5, mean ~95亿, the former unsourced default).
    top_tier_pareto_alpha: float = 4.3
    # The largest agreed investment allowed (assumption; at alpha 4.3 under 0.1% of >= 50亿
    # projects would exceed it, so it matters little).
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
                        fail(f"{p}.{name}.{sector}", value, "a share in [0, 1)")
                else:
                    check_positive(f"{p}.{name}.{sector}", value, allow_zero=True)
        check_year(f"{p}.base_year", self.base_year)
        check_positive(f"{p}.lead_growth_per_year", self.lead_growth_per_year + 1.0)
        check_positive(f"{p}.history_growth_per_year", self.history_growth_per_year + 1.0)
        check_positive(f"{p}.last_year_volume_factor", self.last_year_volume_factor, allow_zero=True)
        if len(self.month_weights) != MONTHS_PER_YEAR or min(self.month_weights) < 0 or sum(self.month_weights) <= 0:
            fail(f"{p}.month_weights", self.month_weights, "12 non-negative weights, not all zero")
        for name in ("tier_shares_1e8", "event_tier_shares_1e8"):
            shares = getattr(self, name)
            if len(shares) != N_TIERS_1E8 or min(shares) < 0 or abs(sum(shares) - 1) > SHARE_TOLERANCE:
                fail(f"{p}.{name}", shares, "3 non-negative shares summing to 1")
        for name in ("within_tier_pareto_alpha", "top_tier_pareto_alpha", "cny_per_usd"):
            check_positive(f"{p}.{name}", getattr(self, name))
        if self.max_investment_yi <= TOP_TIER_LOWER_YI:
            fail(f"{p}.max_investment_yi", self.max_investment_yi, "a number > 50")
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
            fail(f"attraction.targets[{self.year}].sectors", self.sectors, f"a non-empty subset of {list(SECTORS)}")


def _default_targets() -> list[SigningTarget]:
    # calibration.md §1: the 2021 target was 500 new >= 1亿 signings, all sectors (measured);
    # plan: 600 new >= 1亿 industrial signings in 2023. No 2019, 2020 or 2022 target is
    # published: in those years the bulletin has no pace line and effort relaxes to routine.
    return [SigningTarget(2021, 500.0, list(SECTORS)), SigningTarget(2023, 600.0, ["industrial"])]


# Huai'an's ten units (cityplan.units.HUAIAN_UNITS); equal shares (see unit_lead_shares).
N_UNITS = 10


@dataclass
class AttractionConfig:
    """Promotion (招商): units, the monthly bulletin, effort that answers pace, attraction levers.

    Each unit (县区、园区, :mod:`cityplan.units`) holds a share of the city's leads and of its
    signing target. On the first day of each month the bulletin (一月一通报) compares each
    unit's signings to date with its pace line (its target spread over the year like the
    seasonal lead rate); a unit behind pace raises its promotion effort, with a lag, and
    effort adds leads with diminishing returns (:mod:`sim.model.attraction`). Candidate leads are
    drawn up front at ``candidate_intensity_factor`` x the trend and thinned against the
    intensity in force (Lewis-Shedler), so levers and scenarios never reshuffle the draws.
    """

    # Share of the city's leads (and of its signing target) in each unit, in the order of
    # cityplan.units.UNIT_KEYS. Assumption: no published split, so equal shares; consistent with
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
    # max_extra_lead_share x (1 - exp(-e)) (diminishing returns). Uncertain input, range 0-1
    # (prior): calibration.md §1, Huai'an H1 2021 +67% year on year against a 2018-21 trend of
    # +47.7%/yr (~+13% above trend at partial effort); §6, achieved / target up to 1.8.
    max_extra_lead_share: float = 0.5
    # Relative response of each size tier (< 1亿, 1-10亿, 10-50亿, >= 50亿) to effort.
    # calibration.md §1 (H1 2021: small projects at 65% of their sub-target, 10-50亿 46%,
    # >= 50亿 4 of 10) and §6 (achieved / target 0.7-1.1 for >= 50亿 and value sub-targets
    # against ~1.2 for counts): big projects answer effort less. Estimate, each 0-1.
    tier_response: list[float] = field(default_factory=lambda: [1.0, 1.0, 0.5, 0.25])
    # Not a model parameter: candidate leads are drawn at this multiple of the trend and
    # thinned. It only has to cover the largest intensity multiplier (checked); every cell
    # of a comparison must use the same value, since changing it changes every draw. 2.7
    # covers max_extra_lead_share's prior (up to 1.0) with the plan's levers (2.0 x 1.1 x 1.2
    # = 2.64); cost: candidates drawn and thinned grow in proportion (+8% against 2.5).
    candidate_intensity_factor: float = 2.7
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
    # 链式招商 with 委托招商、基金招商 (chain targeting, entrusted and fund promotion; plan:
    # 探索, "explore"): extra industrial leads as a share of the trend while ``chain_targeting``
    # is in force. An uncertain input, not a mechanism: no figure links a team or a fund to
    # leads, and the trend (fitted to 2018-21, calibration.md §1) already holds the chain
    # promotion done before 2023. Assumption 0-0.15, point the centre (the upper end is cut
    # by candidate_intensity_factor: 1.8 x 1.15 x 1.2 < 2.5).
    chain_targeting: bool = False
    chain_extra_share_industrial: float = 0.075
    # 一号招商员 (top leaders as lead promoters, one leader and team per >= 10亿 project; plan:
    # 充分发挥, "give full play"): extra >= 10亿 leads as a share of the trend while
    # ``lead_promoter`` is in force. An uncertain input: no figure on leads per leader-day, and
    # leaders promoted before 2023 too (in the trend). Assumption 0-0.2, point the centre
    # (calibration.md §6: >= 50亿 and value sub-targets are the ones cities fall short of).
    # Its follow-up after signing (一抓到底) is leader help (model.uptake.leader_help).
    lead_promoter: bool = False
    leader_extra_share_1e9: float = 0.1
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
            fail(f"{p}.unit_lead_shares", shares, f"{N_UNITS} non-negative shares summing to 1 (cityplan.units order)")
        if len(self.tier_response) != N_SIZE_TIERS or not all(0 <= w <= 1 for w in self.tier_response):
            fail(f"{p}.tier_response", self.tier_response, f"{N_SIZE_TIERS} values in [0, 1]")
        years = [t.year for t in self.targets]
        if len(set(years)) != len(years):
            fail(f"{p}.targets", years, "at most one target per year")
        if not 0 < self.effort_adjust_share_per_month <= 1:
            fail(f"{p}.effort_adjust_share_per_month", self.effort_adjust_share_per_month, "a share in (0, 1]")
        if not 0 <= self.series_events_per_year <= len(self.series_event_days):
            allowed = f"0..{len(self.series_event_days)} (the slots in series_event_days)"
            fail(f"{p}.series_events_per_year", self.series_events_per_year, allowed)
        if not all(0 <= d < DAYS_PER_YEAR for d in self.series_event_days):
            fail(f"{p}.series_event_days", self.series_event_days, "days of year 0..364")
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
            fail(f"{p}.candidate_intensity_factor", self.candidate_intensity_factor, "a number >= 1")

    def max_multiplier(self) -> float:
        """The largest multiple of the trend the levers and full effort can reach."""
        effort = 1.0 + self.max_extra_lead_share * max(self.tier_response)
        return effort * (1.0 + self.chain_share_in_force()) * (1.0 + self.leader_share_in_force())

    def chain_share_in_force(self) -> float:
        """Extra industrial leads from chain targeting in force (0 unless ``chain_targeting``)."""
        return self.chain_extra_share_industrial if self.chain_targeting else 0.0

    def leader_share_in_force(self) -> float:
        """Extra >= 10亿 leads from 一号招商员 in force (0 unless ``lead_promoter``)."""
        return self.leader_extra_share_1e9 if self.lead_promoter else 0.0
