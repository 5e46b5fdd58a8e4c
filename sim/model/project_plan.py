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

from cityplan.schema import SIZE_TIER_LOWER_YI
from sim.config.model import ModelConfig
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


def _priority(rule: str, leads: Leads) -> np.ndarray:
    """Heap key: smaller is served first. 'fifo' keeps arrival order; 'size' serves big first."""
    return -leads.investment_yi if rule == "size" else leads.arrival_day.copy()


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
    passes = (leads.uniform("pass") < a.pass_probability) & (quality >= a.min_quality)
    size_tier = np.searchsorted(np.asarray(SIZE_TIER_LOWER_YI), size, side="right") - 1
    thresholds = np.asarray(model.problems.leader_threshold_yi)
    leader_tier = np.searchsorted(thresholds, size, side="right") - 1

    park, park_agri = park_choice_probabilities(model)
    p_park = np.where(agri, park_agri, park)
    in_park = leads.uniform("in_park") < p_park
    foreign = (leads.uniform("foreign") < d.foreign_probability) | leads.event_taiwan
    taiwan = leads.event_taiwan | (foreign & (leads.uniform("taiwan") < d.taiwan_share_of_foreign))
    tech_talent = leads.uniform("tech_talent") < d.tech_talent_probability

    mu_per_yi = np.asarray(model.land.land_mu_per_yi.as_tuple())[sector]
    needs_land = leads.uniform("standard_plant") >= model.land.standard_plant_share
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
    prework_median = pw.median_days * np.exp(-pw.quality_effect * (quality - 0.5))
    land = model.land
    transfer = lognormal_days(land.transfer_median_days, land.transfer_sigma_log, z("land_transfer"))
    transfer = np.where(in_park, transfer * land.in_park_transfer_factor, transfer)
    transfer = np.where(needs_land, transfer, 0.0)
    ap = model.approvals
    review = lognormal_days(ap.review_median_days, ap.sigma_log, z("review"))
    review = np.where(leads.uniform("rework") < ap.rework_probability, 2.0 * review, review)
    permit = lognormal_days(ap.permit_median_days, ap.sigma_log, z("permit"))
    if ap.service_distribution == "exponential":
        mean_days = ap.review_median_days + ap.permit_median_days
        review = -mean_days * np.log1p(-leads.uniform("approval_service"))
        permit = np.zeros_like(review)
    pr = model.problems
    has_problem = leads.uniform("problem") < pr.probability
    c = model.construction
    months = np.asarray(c.median_months_by_tier)[size_tier] * DAYS_PER_MONTH
    stalls = leads.uniform("stall") < c.stall_probability
    comp = model.completion
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
        appraisal_days=np.where(before_event, 0.0, lognormal_days(a.median_days, a.sigma_log, z("appraisal"))),
        city_review_days=city_review,
        prework_days=lognormal_days(prework_median, pw.sigma_log, z("prework")),
        land_transfer_days=transfer,
        energy_days=lognormal_days(
            model.energy.assessment_median_days, model.energy.assessment_sigma_log, z("energy_assessment")
        ),
        applicant_days=lognormal_days(ap.applicant_median_days, ap.sigma_log, z("applicant")),
        review_days=review,
        permit_days=permit,
        problem_days=np.where(
            has_problem, lognormal_days(pr.ordinary_median_days, pr.sigma_log, z("problem_ordinary")), 0.0
        ),
        leader_days=lognormal_days(pr.leader_median_days, pr.sigma_log, z("problem_leader")),
        construction_days=lognormal_days(months, c.sigma_log, z("construction")),
        stall_days=np.where(stalls, lognormal_days(c.stall_median_days, c.sigma_log, z("stall")), 0.0),
        registration_days=np.where(
            registers,
            lognormal_days(comp.registration_median_days, comp.registration_sigma_log, z("registration")),
            nan,
        ),
        output_days=np.where(outputs, lognormal_days(comp.output_median_days, comp.sigma_log, z("output")), nan),
        patience_days=weibull_days(model.walkaway.patience_scale_days, model.walkaway.patience_shape, leads.patience_u),
        land_priority=_priority(land.priority, leads),
        energy_priority=_priority(model.energy.priority, leads),
        approval_priority=_priority(ap.priority, leads),
        never_proceeds=leads.uniform("never_proceeds") < w.never_proceed_share,
        leave_days=weibull_days(w.leave_scale_days, w.leave_shape, leads.uniform("leave")),
        resigned=leads.from_event & (leads.uniform("resigned") < a.resigned_share_of_event_leads),
        energy_national=energy_national,
        energy_feedstock_tce=feedstock,
        spend_span_factor=1.0 / (1.0 - np.asarray(c.later_phase_share_by_tier)[size_tier]),
    )
