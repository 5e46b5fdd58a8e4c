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
    MONTHS_PER_YEAR,
    N_LEADER_TIERS,
    N_SIZE_TIERS,
    SHARE_TOLERANCE,
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
    # 前期研判 screen (issue 23): the share of leads appraised under the plan's screen
    # (研判 on readiness, 投资强度/亩均 and 能耗限度), decided per lead by its own uniform, the
    # same in every policy (the dosage). 0 = no lead is screened (status quo: before 2023 the
    # pass rate above was the whole of due diligence; the level of 2022 is not published).
    screen_share: float = 0.0
    # The screen's bars, in force only for screened leads (screen_share above). Readiness: a
    # screened lead with latent readiness to proceed (quality, uniform 0-1; it sets the pre-work
    # speed) below this is not signed, unless it is ready at signing (model.readiness).
    # Assumption 0.15 (the least prepared 15%), uncertain input, range 0-0.3 (0 = no bar).
    min_quality: float = 0.15
    # 投资强度/亩均: a screened lead needing more land per 亿 than this multiple of its
    # sector's median (model.land.land_mu_per_yi) is not signed; 0 = no land bar. No Huai'an
    # 2023 floor is in calibration.md: assumption 1.5, uncertain input, range 1.2-2.5.
    screen_land_ratio_max: float = 1.5
    # 能耗限度: the same for energy per 亿 against model.energy.tce_per_yi; 0 = no energy bar.
    # Assumption 2.0, uncertain input, range 1.5-3.0.
    screen_energy_ratio_max: float = 2.0
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

    # Pre-work of a project not ready at signing (model.readiness: ready ones have their own).
    # calibration.md §2.1-2.2: signing -> land is often the dominant wait; Yancheng had
    # 64.5% of signings "being tracked" months later. Median 60 days (estimate; prior 30-120
    # in conf/uncertainty/evidence.yaml). The flagship median of 70 days (§2.1) is signing ->
    # start of showcase projects, not pre-work: it sizes the ready path instead.
    median_days: float = 60.0
    # Log-sd of pre-work. No direct figure: §3's start rates spread from 14-41% within 4-9
    # months to 67-68% within 4-15 months, a wide spread (p10 0.28x, p90 3.6x the median at
    # 1.0). Prior 0.6-1.2 (conf/uncertainty/evidence.yaml; assumption).
    sigma_log: float = 1.0
    # Median multiplier exp(-effect * (quality - 0.5)): better-prepared projects prepare
    # faster (0.47x-2.1x at 1.5). No figure: prior 0-2 (0 = quality does not matter;
    # assumption). With sigma_log 1.0 the mean pre-work is 60 e^0.5 sinh(0.75)/0.75 = 109 d.
    quality_effect: float = 1.5
    # 前移指导、前置服务 (issue 23): share of leads whose pre-work is guided from the lead's
    # arrival on, so that it overlaps due diligence and the city review (the days before
    # signing count towards it), decided by the lead's own uniform (the dosage). 0 = status
    # quo (pre-work begins at signing). Event leads were appraised before the ceremony: the
    # service has nothing to overlap for them.
    advance_service_share: float = 0.0
    # 全程代办 of pre-work (issue 23): the projects that take the agency service up
    # (model.uptake.agency_service, one uptake decision for the one service) also have their
    # pre-work filings (立项备案, company set-up, design tender) run by the agent.
    # Median multiplier of pre-work under 全程代办 (assumption 0.7, range 0.5-0.9: the agent
    # does the paperwork share of pre-work, the investor's own decisions remain; no figure).
    agency_factor: float = 0.7

    def __post_init__(self) -> None:
        check_all(self, "model.prework")


@dataclass
class ReadinessConfig:
    """Readiness at signing and the short path it takes (issue 23; docs/assumptions.md).

    A ready project needs no new land (it moves into a standard factory building, 标准厂房,
    or expands on its own plot: a share of ``land.standard_plant_share``) and has its design
    done when it signs. It skips the land steps and the building permits of a new build:
    用地预审与选址, 用地规划许可, the land transfer (招拍挂), 建设工程规划许可 and the full
    construction-drawing review (施工图审查) of a new building. It still files a fit-out or
    expansion permit (装修/改扩建 施工许可 with its fire-safety design review, 消防设计审查)
    at the approval offices, and an energy review only above the 节能审查 threshold
    (``energy.review_exempt_below_tce``). Projects not ready keep today's chain.
    """

    # Share of the projects needing no new land that are ready at signing (design done),
    # decided by the same uniform as land.standard_plant_share (ready ones are its lowest
    # values). Ready share of all signings = this x standard_plant_share (1.0 x 0.3 = 0.3).
    # Fitted to Yancheng's snapshot (calibration.md §2.1: 14% of H1 signings started by 30
    # June, 17% of Jan-Sep ones by 30 September) over the ready path's own durations
    # (python -m sim.experiments.readiness_fit --fit): both figures ask for every no-land
    # project to be ready (the fit is clipped at 1.0); their ±7-point error as another city
    # allows 0.36-1.0. Prior triangular 0.4-1.0, mode 1.0 (docs/results/readiness.md).
    ready_share_of_no_land: float = 1.0
    # Pre-work of a ready project, median days (log-sd and quality effect as pre-work's).
    # calibration.md §2.1: Huai'an flagships start 32-216 days after signing, median 70;
    # less the ready path's own steps (fit-out file 10 + permit 10 + site preparation 20 days,
    # a problem in 35% of cases) that leaves ~25 days (derived; prior 12-50).
    prework_median_days: float = 25.0
    # Fit-out or expansion permit file, applicant side, median days (assumption; range
    # 5-20: a fit-out file is a part of a new build's, model.approvals.applicant_median_days).
    fitout_applicant_median_days: float = 10.0
    # Fit-out permit (施工许可 with 消防设计审查) once the office takes the file, median days.
    # calibration.md §2.2: Jiangyin's whole industrial chain takes 12-17 working days of
    # government time; a fit-out permit is a part of it: 10 days (range 5-24, derived).
    # Review and permit of a new build are replaced by it (never longer than theirs).
    fitout_permit_median_days: float = 10.0

    def __post_init__(self) -> None:
        check_all(self, "model.readiness", probability=("ready_share_of_no_land",))


@dataclass
class LandConfig:
    """Land quota (用地指标, 亩) and land delivery."""

    # New land per 亿 of agreed investment, 亩 (median; land need = investment x this).
    # Industrial: calibration.md §8, 9.6 (Taixing 2021-22) to 45 (Lianyungang 2010) 亩/亿;
    # default 15, nearer the recent Jiangsu figure (range 9.6-45). Services 6.7 and
    # agriculture 2 (assumption: multi-storey and facility land, range x0.5-x2).
    land_mu_per_yi: BySector = by_sector(15.0, 6.7, 6.7, 2.0)
    intensity_sigma_log: float = 0.4
    # Annual land quota (用地计划指标) for campaign projects, released in equal monthly tranches
    # at each month start. No Huai'an quota is published (calibration.md §8: uncertain, wide
    # range). Since 2020 the annual land plan follows the projects (土地要素跟着项目走; new
    # quota for ordinary projects tied to the stock land a city revives, 增存挂钩; national
    # and provincial list projects 应保尽保: docs/assumptions.md, land), so the quota of each
    # year is this ratio x the land that year's expected projects need
    # (sim.model.land_plan.expected_land_need_mu: the trend of leads, size mix, share needing
    # land, land per 亿; it grows with the trend, x2.2 from 2020 to 2023). Uncertain input,
    # range 0.5-1.5: below 1 when the new quota falls short and 增存挂钩 leaves the rest to
    # revived stock; above 1 with ample stock (地等项目); centre 1 = the plan covers its
    # projects. Not fitted to any outcome.
    quota_coverage_of_need: float = 1.0
    # A fixed annual quota in 亩 instead (what-if scenarios, tests); null = sized on the need
    # above. The quota before issue 23 was a flat 22,700 亩 a year (the 2020 start volume,
    # calibration.md §1, x 15 亩/亿), 40-75% of 2023's need by construction.
    quota_mu_per_year: float | None = None
    # Quota in stock on 1 January of the first simulated year, in months of that year's quota
    # (assumption: two months; range 0-6).
    initial_stock_months: float = 2.0
    # A fixed stock in 亩 instead (tests); null = initial_stock_months of the first year's quota.
    initial_stock_mu: float | None = None
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
    # How the city allocates the quota in stock: first fit (false: every waiting request the
    # stock covers is served, in priority order) or head of line (true: the first request
    # blocks all behind it until the stock covers it). First fit is the documented choice of
    # how a city allocates, not chosen for its effect (docs/assumptions.md, land): unused
    # quota lapses in part at year end (carryover_share), so a city does not hold quota idle
    # for one request while ready projects wait; and the largest projects' land comes from
    # the national and provincial key-project lists (单列, 应保尽保), not from reserving the
    # city pool. Head of line is the what-if (model.land.reserve_for_head=true).
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
    # 节能审查 threshold (issue 23): a project using less than 1,000 吨标煤 a year AND less than
    # 5 million kWh of electricity needs no separate energy review (固定资产投资项目节能审查办法,
    # 国家发展改革委令2016年第44号 art. 6; kept by the 2023 revision, 令2023年第2号, in force
    # 1 June 2023): it skips the assessment, its energy use still draws on the city's quota.
    # The rule held before 2023, so it holds in the status quo too. 0 = every project reviewed.
    review_exempt_below_tce: float = 1000.0
    review_exempt_below_kwh: float = 5.0e6
    # Electricity in 吨标煤 per kWh at the equivalent value (当量值 0.1229 kgce/kWh), as the
    # rule converts it (national standard GB/T 2589).
    tce_per_kwh: float = 0.0001229
    # Share of a project's energy use (吨标煤) that is electricity (assumption 0.5, range
    # 0.3-0.8: manufacturing outside heavy industry runs mostly on power; no Huai'an figure).
    electricity_share_of_energy: float = 0.5

    def __post_init__(self) -> None:
        for sector, value in zip(SECTORS, self.tce_per_yi.as_tuple(), strict=True):
            check_positive(f"model.energy.tce_per_yi.{sector}", value, allow_zero=True)
        if self.priority not in ("fifo", "size"):
            fail("model.energy.priority", self.priority, "'fifo' or 'size'")
        check_year("model.energy.frozen_from_year", self.frozen_from_year, zero_means_never=True)
        if self.feedstock_deducted_from:
            check_iso_date("model.energy.feedstock_deducted_from", self.feedstock_deducted_from)
        check_all(self, "model.energy", probability=("electricity_share_of_energy",))


@dataclass
class ApprovalConfig:
    """Planning and construction permits served by limited approval capacity."""

    # Files the approval offices work on at once (servers). No staffing figure is published:
    # an uncertain input, range 135-540 (log-uniform), sized on measured throughput, not on
    # the model's load. Lower end: the offices issued the permits of 2020's starts (calibration
    # .md §1: 305 >= 1亿 starts Jan-Sep 2020, ~407 a year; with the projects below 1亿 at
    # demand.share_below_1e8, ~645 files a year) at the mean office time per file of the
    # defaults here (review 25 x e^(0.5^2/2) x 1.3 rework + permits 35 x e^(0.5^2/2) = 76.5
    # days): 645 x 76.5 / 365 = 135 files at once, the fewest that keep up with that flow.
    # Upper end: four times that (assumption: campaign staffing, 全程代办 agents, and the
    # concurrent-file limit is soft). Default: the geometric midpoint, 270 (derived).
    capacity_projects: int = 270
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
    # Concentrated-start ceremonies (集中开工) and the year-end assessment (全年一考核): days of
    # year on which projects with their permits in hand start together. calibration.md §4
    # (measured events, rhythm an estimate): about once a quarter, late Jan/Feb right after
    # the Spring Festival (mid-February, 45), April (110), July-September (227, mid-August),
    # October-November (298, late October); §6: starts count after city verification, and the
    # year's assessment counts the year's starts, so late December is a deadline (358,
    # estimate). In force before 2023 (§6: a new-spring mega-project meeting every year since
    # 2021), so the status quo has them. Empty = no ceremonies.
    ceremony_days_of_year: list[int] = field(default_factory=lambda: [45, 110, 227, 298, 358])
    # At most this many days a start is brought forward to a ceremony: the site preparation
    # cut short (the start lag is 20 days in the status quo, model.approvals). Uncertain input,
    # range 0-30 (prior; assumption: §4 says ceremonies collect projects started in the weeks
    # before, so within a month); default the midpoint.
    ceremony_pull_days: float = 15.0
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
    # Industrial investment the statistics count (规上工业投资, calibration.md §7: all industrial
    # fixed-asset spending above the size threshold) outside the model's projects and retrofits:
    # projects signed before run.first_year still building, existing firms' own investment
    # (技改, expansions without a new signing) beyond the modelled retrofits. 亿元 in
    # demand.base_year. Uncertain input, range 300-1,200 (prior): §9 industrial investment 2017
    # ~1,700亿 on the old basis, revised down in 2018-19 by an unpublished amount; 技改 was
    # 58.3% of Jiangsu's industrial investment in Jan-Oct 2017 (省经信委, press; not in
    # calibration.md), i.e. ~990亿 of Huai'an's 2017 total, less the modelled retrofits
    # (~150亿 a year in 2021); the lower end allows a revision that halves the basis. Default:
    # the range's geometric midpoint.
    other_industrial_investment_yi_in_base_year: float = 600.0
    # Its growth per year. Uncertain input, range 0.05-0.15 (prior): §9 Huai'an industrial
    # investment 2017 +13%, H1 2017 +11%; §7 >10% a year 2021-22 (weak); default 0.10.
    other_industrial_investment_growth_per_year: float = 0.10
    # Share of it spent by each month end (Jan..Dec): calibration.md §4, national fixed-asset
    # investment 2023, cumulative Q1 21.3%, H1 48.3%, Jan-Oct 83.4% (NBS, measured), 100% by
    # December; months between the published points linearly (derived).
    other_investment_cumulative_share_by_month: list[float] = field(
        default_factory=lambda: [0.071, 0.142, 0.213, 0.303, 0.393, 0.483, 0.571, 0.659, 0.746, 0.834, 0.917, 1.0]
    )

    def __post_init__(self) -> None:
        p = "model.construction"
        if not all(0 <= d < DAYS_PER_YEAR for d in self.ceremony_days_of_year):
            fail(f"{p}.ceremony_days_of_year", self.ceremony_days_of_year, "days of year 0..364")
        check_positive(f"{p}.ceremony_pull_days", self.ceremony_pull_days, allow_zero=True)
        months = self.other_investment_cumulative_share_by_month
        if (
            len(months) != MONTHS_PER_YEAR
            or min(months) < 0
            or abs(months[-1] - 1) > SHARE_TOLERANCE
            or sorted(months) != months
        ):
            fail(f"{p}.other_investment_cumulative_share_by_month", months, "12 non-decreasing shares ending at 1")
        check_positive(
            f"{p}.other_industrial_investment_yi_in_base_year",
            self.other_industrial_investment_yi_in_base_year,
            allow_zero=True,
        )
        check_positive(
            f"{p}.other_industrial_investment_growth_per_year", self.other_industrial_investment_growth_per_year + 1.0
        )
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
