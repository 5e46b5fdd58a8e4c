"""Dosage of the plan's service reforms: who is eligible and what share of them takes each up.

The status quo is 2022 practice, not an empty city: 拿地即开工 was used by 35 projects in 2021
and 41 in H1 2022 (calibration.md §2.2) and by every city major project in Jan-May 2022 (§9);
leaders were already assigned to projects and problem meetings held (the plan's verbs are 完善
and 拓展应用). Each reform therefore has a 2022 level and the plan's level, both uncertain
inputs (``conf/uncertainty/evidence.yaml``); a policy file puts the plan's level in force
(``plan_level: true``). A project takes a reform up when it is eligible and its own uniform of
the ``uptake`` stream is below the share in force (:mod:`sim.model.project_plan`), so every
policy shares the draws: a project that takes a reform up at 40% also does at 80%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cityplan.schema import SECTORS
from sim.config.checks import check_positive, check_probability, fail

INDUSTRY_AND_SERVICES: tuple[str, ...] = SECTORS[:3]


@dataclass
class Dosage:
    """Who may take a reform up (sector, new land, size) and what share of them does.

    A project is eligible when its sector is listed, it is at least ``min_size_yi`` and (if
    ``needs_land``) it takes new land. Eligible projects of at least ``always_from_yi`` (the
    city major projects a reform was made for) always take it up; of the others, the share in
    force does.
    """

    # Sectors the reform applies to (names of cityplan.schema.SECTORS).
    sectors: list[str] = field(default_factory=lambda: list(SECTORS))
    # Only projects that need new land (a land step) are eligible.
    needs_land: bool = False
    # Smallest eligible agreed investment, 亿 (0 = every size).
    min_size_yi: float = 0.0
    # Eligible projects at least this large always take it up, 亿 (inf = none do by size).
    always_from_yi: float = math.inf
    # 2022 practice: share of the other eligible projects that take it up.
    status_quo_share: float = 0.0
    # The plan's level: share of the other eligible projects that take it up.
    plan_share: float = 0.0
    # Which level is in force: False = 2022 practice (status quo), True = the plan's (a policy file).
    plan_level: bool = False

    def check(self, name: str) -> None:
        """Raise ConfigError naming the field unless sectors, sizes and shares are valid."""
        for sector in self.sectors:
            if sector not in SECTORS:
                fail(f"{name}.sectors", sector, f"one of {', '.join(SECTORS)}")
        check_positive(f"{name}.min_size_yi", self.min_size_yi, allow_zero=True)
        if not self.always_from_yi >= 0:
            fail(f"{name}.always_from_yi", self.always_from_yi, "a size in 亿 >= 0, or inf (none)")
        check_probability(f"{name}.status_quo_share", self.status_quo_share)
        check_probability(f"{name}.plan_share", self.plan_share)

    def share_in_force(self) -> float:
        """The uptake share in force (the plan's if ``plan_level``, else 2022's)."""
        return self.plan_share if self.plan_level else self.status_quo_share


def _dosage(
    sectors: tuple[str, ...],
    status_quo: float,
    plan: float,
    *,
    min_size_yi: float = 0.0,
    always_from_yi: float = math.inf,
    needs_land: bool = False,
) -> Dosage:
    return Dosage(list(sectors), needs_land, min_size_yi, always_from_yi, status_quo, plan)


@dataclass
class UptakeConfig:
    """The dosage of each service reform (one :class:`Dosage` each); ranges in evidence.yaml."""

    # 拿地即开工 (permits prepared while the land is delivered, start within days of the land).
    # Eligible: industrial projects from 1亿 that take new land (Jiangsu's reform is
    # 工业项目拿地即开工; the plan counts >= 1亿 projects; estimate). 2022: every city major
    # project used it (calibration.md §9: "every city major project in Jan-May 2022 used
    # 拿地即开工; 75 projects so far"), so >= 10亿 always; the other users (§2.2: 41 in H1 2022,
    # ~80 a year, against ~250 land-taking industrial >= 1亿 starts a year, ~25 of them >= 10亿)
    # are ~55 of ~225 1-10亿 starts: 0.2 (derived; range 0.05-0.35). Plan (拓展应用, "extend
    # the application"; how far is not said): 0.65 (assumption, range 0.35-1.0).
    parallel_with_land: Dosage = field(
        default_factory=lambda: _dosage(
            ("industrial",), 0.2, 0.65, min_size_yi=1.0, always_from_yi=10.0, needs_land=True
        )
    )
    # 五证联发 (the five permits issued together, within 1 working day of the land transfer,
    # calibration.md §2.2). Eligible: industry and services from 1亿 taking new land (the
    # permits follow the land transfer). 2022 and plan levels as for 拿地即开工, which it
    # accompanied (§9: 南汽锻造 "拿地即开工 and four permits at once"; same ranges, estimate).
    five_permits: Dosage = field(
        default_factory=lambda: _dosage(
            INDUSTRY_AND_SERVICES, 0.2, 0.65, min_size_yi=1.0, always_from_yi=10.0, needs_land=True
        )
    )
    # 数字化联合审图 (one joint digital drawing review). Eligible: every project. 2022: an
    # existing reform ("改革成果", plan) of unknown reach: 0.3 (assumption, range 0.1-0.5);
    # plan (拓展应用): 0.8 (assumption, range 0.5-1.0).
    joint_review: Dosage = field(default_factory=lambda: _dosage(SECTORS, 0.3, 0.8))
    # 一窗受理、全程代办 (an agent prepares the applicant's file). Eligible: every project. 2022:
    # 0.2 (assumption, range 0-0.4: agency service existed in parks); plan (推广, "promote"):
    # 0.6 (assumption, range 0.4-0.9).
    agency_service: Dosage = field(default_factory=lambda: _dosage(SECTORS, 0.2, 0.6))
    # 领导挂钩帮办 (a leader assigned to the project helps settle its problems). Eligible: every
    # sector from 1亿 (plan: 亿元 projects by county/park heads, >= 10亿 by city deputy leaders,
    # >= 50亿 by the top leaders, who always follow those). 2022: the system existed (plan:
    # 完善, "perfect"): 0.5 of 1-50亿 projects had a leader (assumption, range 0.2-0.8);
    # plan: all (range 0.8-1.0).
    leader_help: Dosage = field(
        default_factory=lambda: _dosage(SECTORS, 0.5, 1.0, min_size_yi=1.0, always_from_yi=50.0)
    )
    # 问题会办 (problem-resolution meetings settle the problems on their agenda). Eligible:
    # "重特大产业项目" (plan), industry and services from 1亿. 2022: meetings were held (plan:
    # 完善): 0.5 of eligible problems on an agenda (assumption, range 0.2-0.8); plan: all
    # (range 0.8-1.0).
    problem_meetings: Dosage = field(default_factory=lambda: _dosage(INDUSTRY_AND_SERVICES, 0.5, 1.0, min_size_yi=1.0))
    # 资源要素差别化供给 (the city's major projects are served first for land, energy and
    # approvals). Eligible: "市重特大项目" (plan), taken as industry and services from 10亿 (the
    # city major-project list, estimate). 2022: the guarantee mechanism existed (plan: 落实):
    # 0.5 (assumption, range 0.2-0.8); plan ("集中更多资源要素支持重大项目"): all (range 0.8-1.0).
    differentiated_supply: Dosage = field(
        default_factory=lambda: _dosage(INDUSTRY_AND_SERVICES, 0.5, 1.0, min_size_yi=10.0)
    )
    # 竣工项目服务帮办 (staff help a completed project register, 入库纳统, and reach output).
    # Eligible: every completed project. 2022: the service existed (plan: 持续优化, "keep
    # improving"): 0.3 (assumption, range 0.1-0.5); plan: 0.8 (assumption, range 0.5-1.0).
    completion_service: Dosage = field(default_factory=lambda: _dosage(SECTORS, 0.3, 0.8))

    def __post_init__(self) -> None:
        for name in UPTAKE_LEVERS:
            getattr(self, name).check(f"model.uptake.{name}")


# The reforms with a dosage, in the order of their uniforms in the ``uptake`` stream
# (sim/model/leads.py draws one row per name). Append only at the end.
UPTAKE_LEVERS: tuple[str, ...] = (
    "parallel_with_land",
    "five_permits",
    "joint_review",
    "agency_service",
    "leader_help",
    "problem_meetings",
    "differentiated_supply",
    "completion_service",
)


@dataclass
class SupervisionConfig:
    """督查考核 supervision beyond 2022 practice: an uncertain input, no mechanism.

    The plan says 坚持 ("keep up") 一月一通报、一季一点评、半年一观摩、全年一考核: 2022 already had
    monthly bulletins, monthly reviews and quarterly contests with red and black lists
    (calibration.md §6), so that practice is in the status quo's defaults. What 2023 adds has
    no evidence on investors' patience or on the length of construction stalls, and the model
    has no step where a review acts (no stall is surfaced and escalated), so the effect is an
    uncertain input with a range, in force under the policy (``in_force: true``).
    """

    # Whether the 2023 supervision's effect is in force: False = 2022 practice (status quo),
    # True = conf/policy/supervision.yaml (plan).
    in_force: bool = False
    # Investors' patience scale x this while followed (assumption: 1.0-1.25, point the centre;
    # the earlier lever's +25% is the upper end).
    patience_factor: float = 1.125
    # Median construction stall x this (assumption: 0.5-1.0, point the centre; the earlier
    # lever's "stalls halved" is the lower end).
    stall_factor: float = 0.75

    def __post_init__(self) -> None:
        if not self.patience_factor >= 1.0:
            fail("model.supervision.patience_factor", self.patience_factor, "a factor >= 1 (patience is not cut)")
        if not 0.0 < self.stall_factor <= 1.0:
            fail("model.supervision.stall_factor", self.stall_factor, "a factor in (0, 1] (stalls are not lengthened)")
