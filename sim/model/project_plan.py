"""Turn each lead's latent draws into its days and decisions under one configuration.

This is the only place where distributions meet parameters. Everything is vectorised over
the leads of a replication and uses inverse transforms of the latents drawn in
:mod:`sim.model.leads`: a lognormal with median ``m`` and log-sd ``s`` is ``m * exp(s * z)``, a
Bernoulli(p) is ``u < p``. A lever that shortens a median therefore shortens every
project's duration (monotone coupling), and a lever that raises a probability only adds
projects to the "yes" side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cityplan.schema import SECTORS, SIZE_TIER_LOWER_YI
from sim.config.model import ModelConfig
from sim.config.uptake import Dosage
from sim.model.attraction import park_choice_probabilities
from sim.model.leads import AGRICULTURE, INDUSTRIAL, Leads

DAYS_PER_MONTH = 365.25 / 12


def lognormal_days(median_days: float | np.ndarray, sigma_log: float, z: np.ndarray) -> np.ndarray:
    """Lognormal durations by inverse transform: ``median * exp(sigma * z)`` (days)."""
    return np.asarray(median_days) * np.exp(sigma_log * z)


def weibull_days(scale_days: float, shape: float, u: np.ndarray) -> np.ndarray:
    """Weibull durations by inverse transform of uniforms ``u`` (days)."""
    return scale_days * (-np.log1p(-u)) ** (1.0 / shape)


@dataclass(frozen=True)
class ProjectPlan:
    """What each project will take at each step, given the configuration (arrays, days)."""

    passes: np.ndarray
    quality: np.ndarray
    size_tier: np.ndarray
    leader_tier: np.ndarray
    in_park: np.ndarray
    foreign: np.ndarray
    taiwan: np.ndarray
    tech_talent: np.ndarray
    land_mu: np.ndarray
    energy_tce: np.ndarray
    appraisal_days: np.ndarray
    city_review_days: np.ndarray
    prework_days: np.ndarray
    land_transfer_days: np.ndarray
    energy_days: np.ndarray
    applicant_days: np.ndarray
    review_days: np.ndarray
    permit_days: np.ndarray
    problem_days: np.ndarray
    leader_days: np.ndarray
    construction_days: np.ndarray
    stall_days: np.ndarray
    registration_days: np.ndarray
    output_days: np.ndarray
    patience_days: np.ndarray
    land_priority: np.ndarray
    energy_priority: np.ndarray
    approval_priority: np.ndarray
    never_proceeds: np.ndarray
    leave_days: np.ndarray
    resigned: np.ndarray
    energy_national: np.ndarray
    energy_feedstock_tce: np.ndarray
    spend_span_factor: np.ndarray
    # issue 23: ready at signing (short path), pre-work median (days), no separate energy review
    ready: np.ndarray
    prework_median_days: np.ndarray
    energy_review_exempt: np.ndarray
    # 拿地即开工 taken up: land and paperwork side by side (else one after the other).
    parallel_procedures: np.ndarray
    start_lag_days: np.ndarray
    # 问题会办: the project's problems are on the meetings' agenda.
    on_meeting_agenda: np.ndarray


def _priority(rule: str, leads: Leads, favoured: np.ndarray) -> np.ndarray:
    """Heap key: smaller is served first. 'fifo' keeps arrival order; 'size' serves big first.

    ``favoured``: projects under differentiated supply (差别化供给), served before all others
    (largest first among them; keys below every arrival day).
    """
    if rule == "size":
        return -leads.investment_yi
    return np.where(favoured, -leads.investment_yi, leads.arrival_day)


def takes_up(dosage: Dosage, leads: Leads, lever: str, needs_land: np.ndarray) -> np.ndarray:
    """Whether each project takes the reform ``lever`` up under ``dosage`` (boolean array).

    Eligible (sector, size, new land) and either large enough to take it up always or its own
    ``uptake`` uniform below the share in force: the same uniform in every policy, so a larger
    share only adds projects.
    """
    size = leads.investment_yi
    eligible = np.isin(leads.sector, [SECTORS.index(name) for name in dosage.sectors]) & (size >= dosage.min_size_yi)
    if dosage.needs_land:
        eligible &= needs_land
    return eligible & ((size >= dosage.always_from_yi) | (leads.uptake_uniform(lever) < dosage.share_in_force()))


def leader_tiers(investment_yi: np.ndarray, model: ModelConfig) -> np.ndarray:
    """The leaders' tier of each size (0 county and park heads, 1 city, 2 top; -1 below the first)."""
    thresholds = np.asarray(model.problems.leader_threshold_yi)
    return np.searchsorted(thresholds, np.asarray(investment_yi, dtype=float), side="right") - 1


def plan_projects(leads: Leads, model: ModelConfig) -> ProjectPlan:
    """Compute every project's durations, needs and decisions (vectorised).

    Parameters
    ----------
    leads
        The replication's leads and latent draws.
    model
        The model configuration (scenario + policy already applied).
    """
    d, a = model.demand, model.appraisal
    sector, size = leads.sector, leads.investment_yi
    agri = sector == AGRICULTURE
    quality = leads.uniform("quality")
    needs_land, ready = land_and_readiness(leads, model)
    passes = (leads.uniform("pass") < a.pass_probability) & passes_screen(leads, model, quality, ready, needs_land)
    size_tier = np.searchsorted(np.asarray(SIZE_TIER_LOWER_YI), size, side="right") - 1
    leader_tier = leader_tiers(size, model)

    park, park_agri = park_choice_probabilities(model)
    p_park = np.where(agri, park_agri, park)
    in_park = leads.uniform("in_park") < p_park
    foreign = (leads.uniform("foreign") < d.foreign_probability) | leads.event_taiwan
    taiwan = leads.event_taiwan | (foreign & (leads.uniform("taiwan") < d.taiwan_share_of_foreign))
    tech_talent = leads.uniform("tech_talent") < d.tech_talent_probability

    mu_per_yi = np.asarray(model.land.land_mu_per_yi.as_tuple())[sector]
    up = model.uptake

    def uptake(lever: str) -> np.ndarray:
        return takes_up(getattr(up, lever), leads, lever, needs_land)

    # 领导挂钩帮办: only a project with a leader assigned has a leader's route
    leader_tier = np.where(uptake("leader_help"), leader_tier, -1)
    land_mu = size * mu_per_yi * np.exp(model.land.intensity_sigma_log * leads.normal("land_need"))
    land_mu = np.where(needs_land, land_mu, 0.0)
    tce = np.asarray(model.energy.tce_per_yi.as_tuple())[sector]
    energy_tce = size * tce * np.exp(model.energy.tce_sigma_log * leads.normal("energy_need"))
    e = model.energy
    energy_national = (e.national_reserve_threshold_yi > 0) & (size >= e.national_reserve_threshold_yi)
    feedstock = np.where(sector == INDUSTRIAL, e.feedstock_share_industrial, 0.0) * energy_tce

    z = leads.normal
    needs_review = (size >= a.city_review_threshold_yi) & ~agri
    city_review = np.where(needs_review, lognormal_days(a.city_review_median_days, a.sigma_log, z("city_review")), 0.0)
    # event leads were appraised and reviewed before the ceremony that signs them
    before_event = leads.from_event & model.attraction.event_leads_sign_at_event
    city_review = np.where(before_event, 0.0, city_review)
    pw = model.prework
    agency = uptake("agency_service")  # 全程代办: an agent prepares the file and the pre-work filings
    prework_median = prework_median_days(model, quality, ready, agency)
    land = model.land
    transfer = lognormal_days(land.transfer_median_days, land.transfer_sigma_log, z("land_transfer"))
    transfer = np.where(in_park, transfer * land.in_park_transfer_factor, transfer)
    transfer = np.where(needs_land, transfer, 0.0)
    ap = model.approvals
    joint = uptake("joint_review")  # 数字化联合审图: a shorter review, less rework
    review_median = np.where(joint, ap.review_median_days * ap.joint_review_time_factor, ap.review_median_days)
    review = lognormal_days(review_median, ap.sigma_log, z("review"))
    rework = np.where(joint, ap.joint_review_rework_probability, ap.rework_probability)
    review = np.where(leads.uniform("rework") < rework, 2.0 * review, review)
    five = uptake("five_permits")  # 五证联发: the permits within a working day
    permit_median = np.where(five, ap.five_permits_permit_median_days, ap.permit_median_days)
    permit = lognormal_days(permit_median, ap.sigma_log, z("permit"))
    applicant_median = np.where(
        agency, ap.applicant_median_days * ap.agency_applicant_time_factor, ap.applicant_median_days
    )
    applicant = lognormal_days(applicant_median, ap.sigma_log, z("applicant"))
    parallel = uptake("parallel_with_land")  # 拿地即开工
    favoured = uptake("differentiated_supply")  # 差别化供给
    if ap.service_distribution == "exponential":
        mean_days = ap.review_median_days + ap.permit_median_days
        review = -mean_days * np.log1p(-leads.uniform("approval_service"))
        permit = np.zeros_like(review)
    else:
        applicant, review, permit = fitout_permits(leads, model, ready, applicant, review, permit)
    appraisal_days = np.where(before_event, 0.0, lognormal_days(a.median_days, a.sigma_log, z("appraisal")))
    prework = lognormal_days(prework_median, pw.sigma_log, z("prework"))
    prework = prework_after_advance_service(leads, model, prework, appraisal_days + city_review, before_event)
    exempt = energy_review_exempt(model, energy_tce)
    pr = model.problems
    has_problem = leads.uniform("problem") < pr.probability
    c = model.construction
    months = np.asarray(c.median_months_by_tier)[size_tier] * DAYS_PER_MONTH
    stalls = leads.uniform("stall") < c.stall_probability
    sv = model.supervision
    stall_median = c.stall_median_days * (sv.stall_factor if sv.in_force else 1.0)
    patience_scale = model.walkaway.patience_scale_days * (sv.patience_factor if sv.in_force else 1.0)
    comp = model.completion
    served = uptake("completion_service")  # 竣工项目服务帮办
    # served: a shorter, steadier wait, never longer than the same firm's wait unserved
    registration = lognormal_days(comp.registration_median_days, comp.registration_sigma_log, z("registration"))
    served_median = comp.registration_median_days * comp.served_registration_time_factor
    served_registration = lognormal_days(served_median, comp.served_registration_sigma_log, z("registration"))
    registration = np.where(served, np.minimum(served_registration, registration), registration)
    output_median = comp.output_median_days * np.where(served, comp.served_output_time_factor, 1.0)
    w = model.walkaway
    reg_p = np.asarray(comp.registration_probability.as_tuple())[sector]
    registers = leads.uniform("registration") < reg_p
    outputs = leads.uniform("output") < comp.output_probability
    nan = np.nan
    return ProjectPlan(
        passes=passes,
        quality=quality,
        size_tier=size_tier,
        leader_tier=leader_tier,
        in_park=in_park,
        foreign=foreign,
        taiwan=taiwan,
        tech_talent=tech_talent,
        land_mu=land_mu,
        energy_tce=energy_tce,
        appraisal_days=appraisal_days,
        city_review_days=city_review,
        prework_days=prework,
        land_transfer_days=transfer,
        energy_days=np.where(
            exempt, 0.0, lognormal_days(e.assessment_median_days, e.assessment_sigma_log, z("energy_assessment"))
        ),
        applicant_days=applicant,
        review_days=review,
        permit_days=permit,
        problem_days=np.where(
            has_problem, lognormal_days(pr.ordinary_median_days, pr.sigma_log, z("problem_ordinary")), 0.0
        ),
        leader_days=lognormal_days(pr.leader_median_days, pr.sigma_log, z("problem_leader")),
        construction_days=lognormal_days(months, c.sigma_log, z("construction")),
        stall_days=np.where(stalls, lognormal_days(stall_median, c.sigma_log, z("stall")), 0.0),
        registration_days=np.where(registers, registration, nan),
        output_days=np.where(outputs, lognormal_days(output_median, comp.sigma_log, z("output")), nan),
        patience_days=weibull_days(patience_scale, model.walkaway.patience_shape, leads.patience_u),
        land_priority=_priority(land.priority, leads, favoured),
        energy_priority=_priority(model.energy.priority, leads, favoured),
        approval_priority=_priority(ap.priority, leads, favoured),
        never_proceeds=leads.uniform("never_proceeds") < w.never_proceed_share,
        leave_days=weibull_days(w.leave_scale_days, w.leave_shape, leads.uniform("leave")),
        resigned=leads.from_event & (leads.uniform("resigned") < a.resigned_share_of_event_leads),
        energy_national=energy_national,
        energy_feedstock_tce=feedstock,
        spend_span_factor=1.0 / (1.0 - np.asarray(c.later_phase_share_by_tier)[size_tier]),
        ready=ready,
        prework_median_days=prework_median,
        energy_review_exempt=exempt,
        parallel_procedures=parallel,
        start_lag_days=np.where(parallel, ap.parallel_start_lag_days, ap.start_lag_days),
        on_meeting_agenda=uptake("problem_meetings"),
    )


def land_and_readiness(leads: Leads, model: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Which projects need new land, and which are ready at signing (boolean arrays).

    One uniform decides both: below ``land.standard_plant_share`` a project needs no new land
    (标准厂房 or its own plot); below ``readiness.ready_share_of_no_land`` x that share it is
    also ready (design done), so every ready project is one that needs no land.
    """
    u = leads.uniform("standard_plant")
    share = model.land.standard_plant_share
    return u >= share, u < share * model.readiness.ready_share_of_no_land


def passes_screen(
    leads: Leads, model: ModelConfig, quality: np.ndarray, ready: np.ndarray, needs_land: np.ndarray
) -> np.ndarray:
    """Whether each lead passes the 前期研判 screen (True where it is not screened).

    A share ``appraisal.screen_share`` of leads is screened (its own uniform, the same in
    every policy). A screened lead passes if it is ready or prepared enough (readiness:
    quality >= ``min_quality``), if it needs no new land or no more land per 亿 than
    ``screen_land_ratio_max`` x its sector's median (投资强度, 亩均), and if its energy per 亿
    is at most ``screen_energy_ratio_max`` x its sector's median (能耗限度); a cap of 0 is off.
    The land and energy ratios are the leads' own latent intensity draws.
    """
    a = model.appraisal
    screened = leads.uniform("screen") < a.screen_share
    ok = ready | (quality >= a.min_quality)
    if a.screen_land_ratio_max > 0:
        land_ratio = np.exp(model.land.intensity_sigma_log * leads.normal("land_need"))
        ok &= ~needs_land | (land_ratio <= a.screen_land_ratio_max)
    if a.screen_energy_ratio_max > 0:
        energy_ratio = np.exp(model.energy.tce_sigma_log * leads.normal("energy_need"))
        ok &= energy_ratio <= a.screen_energy_ratio_max
    return ~screened | ok


def prework_median_days(
    model: ModelConfig, quality: np.ndarray, ready: np.ndarray, agency: np.ndarray
) -> np.ndarray:
    """Each project's pre-work median (days): ready or not, quality, and 全程代办 where taken up.

    ``m * exp(-quality_effect * (quality - 0.5))`` with ``m`` = ``readiness.prework_median_days``
    for ready projects and ``prework.median_days`` for the rest, times ``prework.agency_factor``
    for the projects that take the agency service up (``agency``: the one uptake decision of
    ``model.uptake.agency_service``, which also shortens their permit file).
    """
    pw = model.prework
    median = np.where(ready, model.readiness.prework_median_days, pw.median_days)
    median = np.where(agency, median * pw.agency_factor, median)
    return median * np.exp(-pw.quality_effect * (quality - 0.5))


def prework_after_advance_service(
    leads: Leads, model: ModelConfig, prework: np.ndarray, before_signing: np.ndarray, before_event: np.ndarray
) -> np.ndarray:
    """Pre-work left at signing (days) under 前移指导、前置服务.

    For the share ``prework.advance_service_share`` of leads (their own uniform), guidance
    starts at the lead's arrival, so the days of due diligence and city review before
    signing (``before_signing``) count towards pre-work. Event leads have nothing to overlap.
    """
    takes = (leads.uniform("advance_service") < model.prework.advance_service_share) & ~before_event
    return np.where(takes, np.maximum(prework - before_signing, 0.0), prework)


def fitout_permits(
    leads: Leads, model: ModelConfig, ready: np.ndarray, applicant: np.ndarray, review: np.ndarray, permit: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Applicant, review and permit days (lognormal), a ready project's fit-out permit in place of a new build's.

    A ready project files a fit-out or expansion permit (median ``readiness.fitout_*``, the
    approvals' log-sd, the same latent normals): no construction-drawing review of a new
    building, and never longer than the new build's own file and permits.
    """
    r, sigma = model.readiness, model.approvals.sigma_log
    fit_file = lognormal_days(r.fitout_applicant_median_days, sigma, leads.normal("applicant"))
    fit_permit = lognormal_days(r.fitout_permit_median_days, sigma, leads.normal("permit"))
    return (
        np.where(ready, np.minimum(fit_file, applicant), applicant),
        np.where(ready, 0.0, review),
        np.where(ready, np.minimum(fit_permit, review + permit), permit),
    )


def energy_review_exempt(model: ModelConfig, energy_tce: np.ndarray) -> np.ndarray:
    """Projects below the 节能审查 threshold: under 1,000 吨标煤 a year and 5 million kWh (boolean).

    Electricity is ``energy.electricity_share_of_energy`` of the project's energy use, in kWh
    at the equivalent value (``energy.tce_per_kwh``). A threshold of 0 exempts nobody.
    """
    e = model.energy
    if e.review_exempt_below_tce <= 0:
        return np.zeros(energy_tce.shape, dtype=bool)
    kwh = energy_tce * e.electricity_share_of_energy / e.tce_per_kwh
    return (energy_tce < e.review_exempt_below_tce) & (kwh < e.review_exempt_below_kwh)
