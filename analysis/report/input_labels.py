"""A planner's words for the uncertain inputs: English label and unit of each prior (issue 24).

The Chinese label is the prior's ``zh`` field (``conf/uncertainty/evidence.yaml``); a prior may
carry its own ``en``. For the others :data:`ENGLISH` gives the English a planner reads (never
the config path: not "tce per yi (industrial)" but "energy use per 亿 of industrial
investment"). :data:`UNITS` gives the unit a number of the input is written in (a probability
or share as a percentage, days, months, 亿元, 亩 per 亿); inputs not listed take the unit their
path names (``..._days``: days; ``..._probability`` and ``..._share``: %), else none.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Unit(NamedTuple):
    """How a value of an input is written: ``value * scale`` then the unit (zh, en)."""

    zh: str = ""
    en: str = ""
    scale: float = 1.0


PERCENT = Unit("%", "%", 100.0)
DAYS = Unit(" 天", " days")
MONTHS = Unit(" 个月", " months")
YI = Unit(" 亿元", " 亿 yuan")
NONE = Unit()

ENGLISH: dict[str, str] = {
    "demand.lead_growth_per_year": "growth of new leads a year",
    "demand.foreign_probability": "chance a project is foreign-funded",
    "demand.taiwan_share_of_foreign": "Taiwanese share of foreign-funded projects",
    "demand.tech_talent_probability": "chance a project is a tech-talent project",
    "demand.in_park_probability": "share of projects in provincial or higher parks",
    "land.in_park_transfer_factor": "land delivery time in parks (x the time outside)",
    "prework.median_days": "preparation after signing (median)",
    "land.quota_mu_per_year/land.land_mu_per_yi.industrial": "investment a year the land quota covers",
    "land.land_mu_per_yi.industrial": "land per 亿 of industrial investment",
    "land.initial_stock_mu/land.quota_mu_per_year": "land quota in stock on 1 January (years of quota)",
    "land.transfer_median_days": "land transfer time (median)",
    "land.standard_plant_share": "share of projects needing no new land",
    "energy.quota_tce_per_year/energy.tce_per_yi.industrial": "investment a year the energy quota covers",
    "energy.tce_per_yi.industrial": "energy use per 亿 of industrial investment",
    "energy.national_reserve_threshold_yi": "size from which the state reserves a project's energy",
    "energy.feedstock_share_industrial": "feedstock share of industrial energy use",
    "approvals.capacity_projects": "files the approval offices handle at once",
    "approvals.applicant_median_days": "applicants' time to prepare the files (median)",
    "approvals.review_median_days": "drawing review time (median)",
    "approvals.permit_median_days": "permit issuing time (median)",
    "approvals.rework_probability": "chance a drawing review needs rework",
    "walkaway.patience_scale_days": "investors' patience while waiting",
    "walkaway.never_proceed_share": "share of signings that never proceed",
    "walkaway.leave_scale_days": "time scale of investors leaving",
    "appraisal.resigned_share_of_event_leads": "share of event signings that are re-signings",
    "problems.probability": "chance a project meets a procedural block",
    "construction.median_months_by_tier[1]": "build time of 1-10亿 projects (median)",
    "construction.spend_realisation_share": "share of agreed investment realised",
    "construction.later_phase_share_by_tier[2]": "later-phase share of 10-50亿 projects",
    "construction.stall_probability": "chance construction stalls",
    "completion.registration_probability.industrial": "chance an industrial project enters the statistics",
    "completion.registration_probability.producer_services": "chance a producer-services project enters the statistics",
    "completion.registration_probability.other_services": "chance an other-services project enters the statistics",
    "completion.registration_probability.agriculture": "chance an agricultural project enters the statistics",
    "completion.registration_median_days": "time from completion to the statistics (median)",
    "retrofit.projects_per_year": "technical-retrofit projects a year",
    "retrofit.benchmark_probability": "chance a retrofit is rated a smart-manufacturing benchmark",
    "attraction.effort_per_shortfall": "attraction effort per unit of shortfall",
    "attraction.effort_adjust_share_per_month": "share of the effort gap closed each month",
    "attraction.max_extra_lead_share": "extra leads at full attraction effort",
    "attraction.park_choice_odds_per_30_days": "pull of a park per 30 days it saves",
    "attraction.series_event_leads_1e8_mean": "leads of 1亿+ a series event brings (mean)",
    "appraisal.min_quality": "screen's bar on how prepared a lead is",
    "appraisal.screen_land_ratio_max": "screen's bar on land per 亿 (x the sector's median)",
    "appraisal.screen_energy_ratio_max": "screen's bar on energy per 亿 (x the sector's median)",
    # issue 23's inputs: readiness, the 2022 dosages, land on need, investment outside the projects
    "land.quota_coverage_of_need": "land quota against the year's expected land need",
    "land.initial_stock_months": "land quota in stock on 1 January (months of quota)",
    "construction.other_industrial_investment_yi_in_base_year": "investment outside the campaign's projects, base year",
    "construction.other_industrial_investment_growth_per_year": "growth of investment outside the campaign's projects",
    "construction.ceremony_pull_days": "days a start is brought forward to a groundbreaking ceremony",
    "demand.top_tier_pareto_alpha": "size tail of projects of 50亿 and more (Pareto index)",
    "demand.share_below_1e8.agriculture": "share of agricultural projects under 1亿",
    "readiness.ready_share_of_no_land": "share of projects without new land that are ready to build at signing",
    "readiness.prework_median_days": "preparation after signing of a ready project (median)",
    "readiness.fitout_permit_median_days": "fit-out permit time (median)",
    "prework.sigma_log": "spread of preparation times after signing",
    "prework.quality_effect": "how much a project's preparedness shortens its preparation",
    "energy.electricity_share_of_energy": "electricity share of a project's energy use",
    "prework.agency_factor": "preparation time with full agency service (x the time without)",
    "uptake.parallel_with_land.status_quo_share": "2022 share of eligible projects building at land handover",
    "uptake.parallel_with_land.plan_share": "plan's share of eligible projects building at land handover",
    "uptake.five_permits.status_quo_share": "2022 share of eligible projects with five permits at once (五证联发)",
    "uptake.five_permits.plan_share": "plan's share of eligible projects with five permits at once (五证联发)",
    "uptake.joint_review.status_quo_share": "2022 share of projects with joint digital drawing review",
    "uptake.joint_review.plan_share": "plan's share of projects with joint digital drawing review",
    "uptake.agency_service.status_quo_share": "2022 share of projects with full agency service",
    "uptake.agency_service.plan_share": "plan's share of projects with full agency service",
    "uptake.leader_help.status_quo_share": "2022 share of projects with a leader assigned",
    "uptake.leader_help.plan_share": "plan's share of projects with a leader assigned",
    "uptake.problem_meetings.status_quo_share": "2022 share of projects on the problem meetings' agenda",
    "uptake.problem_meetings.plan_share": "plan's share of projects on the problem meetings' agenda",
    "uptake.differentiated_supply.status_quo_share": "2022 share of large projects served first for land and energy",
    "uptake.differentiated_supply.plan_share": "plan's share of large projects served first for land and energy",
    "uptake.completion_service.status_quo_share": "2022 share of completed projects helped to register",
    "uptake.completion_service.plan_share": "plan's share of completed projects helped to register",
    "approvals.joint_review_time_factor": "review time under joint drawing review (x the time without)",
    "approvals.agency_applicant_time_factor": "file preparation time with an agent (x the time without)",
    "problems.meeting_interval_days": "days between problem-solving meetings",
    "completion.served_registration_time_factor": "registration time with the completion service (x the time without)",
    "attraction.leader_extra_share_1e9": "extra leads of 10亿 and more from the No. 1 promoter",
    "attraction.chain_extra_share_industrial": "extra industrial leads from industrial-chain promotion",
    "supervision.patience_factor": "investors' patience under supervision (x the patience without)",
    "supervision.stall_factor": "stall time under supervision (x the time without)",
    "problems.leader_capacity[0]": "projects county and park heads can help at once",
    "problems.leader_capacity[1]": "projects city deputies can help at once",
    "problems.leader_capacity[2]": "projects the top city leaders can help at once",
}

UNITS: dict[str, Unit] = {
    "demand.lead_growth_per_year": PERCENT,
    "land.in_park_transfer_factor": Unit("", "x"),
    "land.quota_mu_per_year/land.land_mu_per_yi.industrial": YI,
    "land.land_mu_per_yi.industrial": Unit(" 亩/亿元", " mu per 亿"),
    "land.initial_stock_mu/land.quota_mu_per_year": Unit(" 年", " years"),
    "energy.quota_tce_per_year/energy.tce_per_yi.industrial": YI,
    "energy.tce_per_yi.industrial": Unit(" 吨标煤/亿元", " tce per 亿"),
    "energy.national_reserve_threshold_yi": YI,
    "approvals.capacity_projects": Unit(" 件", " files"),
    "construction.median_months_by_tier[1]": MONTHS,
    "retrofit.projects_per_year": Unit(" 个", ""),
    "attraction.effort_adjust_share_per_month": PERCENT,
    "attraction.max_extra_lead_share": PERCENT,
    "attraction.series_event_leads_1e8_mean": Unit(" 个", ""),
}

_SUFFIX_UNITS: tuple[tuple[str, Unit], ...] = (
    (r"_days$", DAYS),
    (r"_months$", MONTHS),
    (r"_yi$", YI),
)
_PERCENT_WORDS = ("probability", "share")  # a path whose field names one of these is a share
_ZH_UNIT = re.compile(r"（[^）]*）$")  # a trailing unit in the Chinese label, e.g. （天）


def english_label(key: str, prior_en: str = "") -> str:
    """The English label of an input key (``path`` or ``path/per``)."""
    if prior_en:
        return prior_en
    if key in ENGLISH:
        return ENGLISH[key]
    words = [p for p in re.split(r"[._/\[\]]+", key) if p and not p.isdigit()]
    return " ".join(w for w in words if w not in {"yi", "mu", "tce", "1e8"}).replace("_", " ")


def unit_of(key: str) -> Unit:
    """The unit a value of the input is written in (:data:`UNITS`, else read from its path)."""
    if key in UNITS:
        return UNITS[key]
    path = key.split("/", 1)[0]
    field = next(
        (p for p in reversed(path.split(".")) if not p.startswith(("industrial", "producer", "other", "agri"))), path
    )
    if any(word in field for word in _PERCENT_WORDS):
        return PERCENT
    for pattern, unit in _SUFFIX_UNITS:
        if re.search(pattern, path):
            return unit
    return NONE


def sentence_zh(label_zh: str) -> str:
    """The Chinese label without a trailing unit in brackets (the number carries the unit)."""
    return _ZH_UNIT.sub("", label_zh) or label_zh
