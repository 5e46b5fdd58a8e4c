"""The lifecycle steps, in the order a project meets them: appraisal (前期研判) to retrofit (技改).

Appraisal, pre-work, land (亩), energy (吨标煤), approvals, the investor's walk-away, problems
(堵点) and who settles them, construction, completion and registration (竣工、列统), retrofits.
Each default carries its unit in its name and its source in the comment above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cityplan.schema import SECTORS
from sim.config.checks import (
    DAYS_PER_YEAR,
    N_LEADER_TIERS,
    N_SIZE_TIERS,
    check_all,
    check_day_of_year,
    check_iso_date,
    check_positive,
    check_probability,
    check_year,
    fail,
)
from sim.config.demand import BySector, by_sector


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
        check_all(self, "model.appraisal", probability=("min_quality",))


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
        check_all(self, "model.prework")


@dataclass
class LandConfig:
    """Land quota (用地指标, 亩) and land delivery."""

    # New land per 亿 of agreed investment, 亩 (median; land need = investment x this).
    # Industrial: calibration.md §8, 9.6 (Taixing 2021-22) to 45 (Lianyungang 2010) 亩/亿;
    # default 15, nearer the recent Jiangsu figure (range 9.6-45). Services 6.7 and
    # agriculture 2 (assumption: multi-storey and facility land, range x0.5-x2).
    land_mu_per_yi: BySector = by_sector(15.0, 6.7, 6.7, 2.0)
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
            fail("model.land.priority", self.priority, "'fifo' or 'size'")
        check_all(self, "model.land")


@dataclass
class EnergyConfig:
    """Energy quota (能耗指标, 吨标煤) and energy assessment (能评)."""

    # Energy need per 亿 of agreed investment, 吨标煤 a year at design output (assumption;
    # no figure in calibration.md; range x0.4-x4, heavy industry far above the median).
    tce_per_yi: BySector = by_sector(250.0, 40.0, 30.0, 20.0)
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
            fail("model.energy.priority", self.priority, "'fifo' or 'size'")
        check_year("model.energy.frozen_from_year", self.frozen_from_year, zero_means_never=True)
        if self.feedstock_deducted_from:
            check_iso_date("model.energy.feedstock_deducted_from", self.feedstock_deducted_from)
        check_all(self, "model.energy")


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
    # Days from having land and permits to a physical start. calibration.md §2.2:
    # Zhangzhou <= 7 days (reformed); the status quo adds site preparation (assumption).
    start_lag_days: float = 20.0
    # What each service reform does for a project that takes it up (who does, and how many:
    # model.uptake). 拿地即开工: permits prepared while the land is delivered, and the site
    # starts within days of the land (calibration.md §2.2: Zhangzhou <= 7 days from land
    # handover to start; Taizhou "zero wait").
    parallel_start_lag_days: float = 7.0
    # 五证联发: the permits within 1 working day of the land transfer (calibration.md §2.2,
    # Huai'an, measured): median 2 calendar days.
    five_permits_permit_median_days: float = 2.0
    # 数字化联合审图: one joint review instead of several (assumption: review time x0.48, 25 ->
    # 12 days; range x0.3-x0.7) and rework 30% -> 10% (assumption, range 0.05-0.2).
    joint_review_time_factor: float = 0.48
    joint_review_rework_probability: float = 0.1
    # 全程代办: an agent prepares the applicant's file (assumption: applicant-side time x0.5,
    # 30 -> 15 days; range x0.3-x0.8).
    agency_applicant_time_factor: float = 0.5
    # Larger projects served first at the approval offices ("fifo" or "size").
    priority: str = "fifo"
    # Distribution of the office's time per file (review + permits): "lognormal" with the
    # medians above, or "exponential" with mean review + permit medians (used to check the
    # model against M/M/c queueing theory).
    service_distribution: str = "lognormal"

    def __post_init__(self) -> None:
        if self.service_distribution not in ("lognormal", "exponential"):
            fail("model.approvals.service_distribution", self.service_distribution, "'lognormal' or 'exponential'")
        if self.capacity_projects < 1:
            fail("model.approvals.capacity_projects", self.capacity_projects, "an integer >= 1")
        if self.priority not in ("fifo", "size"):
            fail("model.approvals.priority", self.priority, "'fifo' or 'size'")
        check_all(self, "model.approvals")


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
    # work on at once. The leaders were there before 2023 (the plan 完善s the 挂钩帮办 system):
    # ~10 county/park heads x 4, ~10 city deputy leaders x 3, the top leaders 10 (assumption;
    # range x0.5-x2). Which projects have a leader assigned: model.uptake.leader_help.
    leader_threshold_yi: list[float] = field(default_factory=lambda: [1.0, 10.0, 50.0])
    leader_capacity: list[int] = field(default_factory=lambda: [40, 30, 10])
    # Days for a leader to settle a problem (assumption).
    leader_median_days: float = 15.0
    # Problem-resolution meetings (问题会办) every N days settle the open problems on their
    # agenda; 0 = none. Monthly, with the monthly bulletin (一月一通报; assumption, range
    # 14-90 days); which problems are on the agenda: model.uptake.problem_meetings.
    meeting_interval_days: float = 30.0
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
            fail(f"{p}.leader_threshold_yi", self.leader_threshold_yi, "3 increasing sizes")
        if len(self.leader_capacity) != N_LEADER_TIERS or min(self.leader_capacity) < 0:
            fail(f"{p}.leader_capacity", self.leader_capacity, "3 non-negative integers")


@dataclass
class ConstructionConfig:
    """Construction start, duration and the spending curve."""

    # No physical starts in the Spring Festival dead period, from this many days before each
    # year's festival (cityplan/calendar.py) to this many after it (calibration.md §4-5: winter
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
            fail(f"{p}.dead_period_days_before/after_festival", (before, after), "days >= 0, together < 365")
        if len(self.median_months_by_tier) != N_SIZE_TIERS or min(self.median_months_by_tier) <= 0:
            fail(f"{p}.median_months_by_tier", self.median_months_by_tier, "4 positive months")
        check_positive(f"{p}.spend_curve_a", self.spend_curve_a)
        check_positive(f"{p}.spend_curve_b", self.spend_curve_b)
        shares = self.later_phase_share_by_tier
        if len(shares) != N_SIZE_TIERS or min(shares) < 0 or max(shares) >= 1:
            fail(f"{p}.later_phase_share_by_tier", shares, "4 shares in [0, 1)")
        check_all(self, p)


@dataclass
class CompletionConfig:
    """Completion acceptance, statistical registration (列统) and design output (达效)."""

    # Probability that a completed project becomes a registered enterprise (列统): that it
    # reaches the size threshold, a property of the firm that no service changes (assumption).
    registration_probability: BySector = by_sector(0.55, 0.35, 0.25, 0.20)
    # Days from completion to registration for those that register: median and spread
    # (assumption). The completion service (竣工列统服务) shortens and steadies this wait.
    registration_median_days: float = 120.0
    # Probability and delay of reaching design output (assumption).
    output_probability: float = 0.7
    output_median_days: float = 365.0
    sigma_log: float = 0.6
    registration_sigma_log: float = 0.6
    # A project the completion service (竣工项目服务帮办) serves (who is: model.uptake.
    # completion_service): staff help it file for registration and reach output, so the wait
    # is shorter and steadier (never longer than the same firm's wait unserved); it does not
    # change which firms are large enough to register
    # (assumption: registration median x0.5, 120 -> 60 days, range x0.4-x0.75; log-sd 0.3,
    # range 0.2-0.5; output median x0.74, 365 -> 270 days, range x0.6-x0.9).
    served_registration_time_factor: float = 0.5
    served_registration_sigma_log: float = 0.3
    served_output_time_factor: float = 0.74

    def __post_init__(self) -> None:
        for sector, value in zip(SECTORS, self.registration_probability.as_tuple(), strict=True):
            check_probability(f"model.completion.registration_probability.{sector}", value)
        check_all(self, "model.completion")


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
        check_all(self, "model.retrofit")
