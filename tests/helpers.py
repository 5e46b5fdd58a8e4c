"""Hand-made configurations and leads for exact and analytic tests."""

from __future__ import annotations

import ast
import re
from dataclasses import replace

import numpy as np
import yaml

from cityplan.files import load_plan
from sim.config.demand import BySector, DemandConfig
from sim.config.model import ModelConfig
from sim.config.run import RunConfig
from sim.config.steps import (
    AppraisalConfig,
    ApprovalConfig,
    ConstructionConfig,
    EnergyConfig,
    LandConfig,
    PreworkConfig,
    ProblemConfig,
    WalkawayConfig,
)
from sim.config.study import StudyConfig
from sim.model.leads import DECISION_LATENTS, DURATION_LATENTS, Leads

# The default plan (conf/plan/huaian_2023.yaml): its 28 target keys in order, and those counted
# from the retrofit stream (not in a project ledger).
HUAIAN_2023 = load_plan()
TARGET_KEYS: tuple[str, ...] = HUAIAN_2023.keys
RETROFIT_TARGETS: tuple[str, ...] = tuple(k for k, t in HUAIAN_2023.targets.items() if t.measure.stream == "retrofits")


def deterministic_model(**sections: object) -> ModelConfig:
    """A model with every log-sd at 0 (durations equal their medians) and no problems."""
    m = ModelConfig()
    m = replace(
        m,
        appraisal=replace(m.appraisal, sigma_log=0.0),
        prework=replace(m.prework, sigma_log=0.0),
        land=replace(m.land, intensity_sigma_log=0.0, transfer_sigma_log=0.0),
        energy=replace(m.energy, tce_sigma_log=0.0, assessment_sigma_log=0.0),
        approvals=replace(m.approvals, sigma_log=0.0),
        problems=replace(m.problems, probability=0.0),
        construction=replace(m.construction, sigma_log=0.0, stall_probability=0.0),
        completion=replace(m.completion, sigma_log=0.0),
    )
    return replace(m, **sections)  # type: ignore[arg-type]


def make_leads(
    arrival_day: list[float],
    investment_yi: list[float],
    uniforms: dict[str, list[float]],
    patience_u: list[float] | None = None,
    sector: list[int] | None = None,
) -> Leads:
    """Leads with given arrivals and sizes; latent normals 0; uniforms default 0.99 ("no")."""
    n = len(arrival_day)
    u = np.full((len(DECISION_LATENTS), n), 0.99)
    u[DECISION_LATENTS.index("quality")] = 0.5
    u[DECISION_LATENTS.index("pass")] = 0.0
    for name, values in uniforms.items():
        u[DECISION_LATENTS.index(name)] = values
    return Leads(
        arrival_day=np.asarray(arrival_day, dtype=float),
        sector=np.asarray(sector or [0] * n, dtype=np.int8),
        investment_yi=np.asarray(investment_yi, dtype=float),
        from_event=np.zeros(n, bool),
        event_taiwan=np.zeros(n, bool),
        z=np.zeros((len(DURATION_LATENTS), n)),
        u=u,
        patience_u=np.asarray(patience_u or [0.5] * n, dtype=float),
    )


def approval_only_study(
    arrivals_per_year: float,
    servers: int,
    mean_service_days: float,
    replications: int,
    first_year: int = 2025,
    years: int = 3,
) -> StudyConfig:
    """Poisson arrivals straight to the approval offices, exponential service, no leaving, all proceed."""
    zero4 = BySector(0.0, 0.0, 0.0, 0.0)
    model = ModelConfig(
        demand=DemandConfig(
            leads_1e8_per_year=BySector(arrivals_per_year, 0.0, 0.0, 0.0),
            share_below_1e8=zero4,
            lead_growth_per_year=0.0,
            month_weights=[1.0] * 12,
            events=[],
        ),
        appraisal=AppraisalConfig(median_days=0.0, pass_probability=1.0, city_review_threshold_yi=1e9),
        prework=PreworkConfig(median_days=0.0, sigma_log=0.0),
        land=LandConfig(standard_plant_share=1.0),
        energy=EnergyConfig(tce_per_yi=zero4, assessment_median_days=0.0),
        approvals=ApprovalConfig(
            capacity_projects=servers,
            applicant_median_days=0.0,
            rework_probability=0.0,
            review_median_days=mean_service_days,
            permit_median_days=0.0,
            service_distribution="exponential",
        ),
        walkaway=WalkawayConfig(patience_scale_days=1e12, never_proceed_share=0.0, leave_scale_days=1e12),
        problems=ProblemConfig(probability=0.0),
        construction=ConstructionConfig(),
    )
    run = RunConfig(
        replications=replications,
        first_year=first_year,
        target_year=first_year + years - 1,
        keep_ledgers=replications,
        jobs=1,
        progress=False,
    )
    return StudyConfig(model=model, run=run, plan=load_plan(), campaign_launch=f"{first_year}-01-01")


CONFIG_ERROR = re.compile(
    r"config field '(?P<field>[^']+)' = (?P<value>.*?) is not allowed: expected (?P<rule>.+)", re.S
)


def echoed(message: str) -> tuple[str, object]:
    """The field and the value a one-line ConfigError names (``config field 'f' = v is not allowed: ...``).

    The value is read back as a Python literal where it is one (``[1.0, 2.0]``, ``'fifo'``,
    ``(2019, 2040)``), else kept as text; so a test compares it with what it overrode, not
    with whatever digits the rest of the message happens to hold.
    """
    match = CONFIG_ERROR.search(message)
    assert match is not None, f"not a one-line config error: {message!r}"
    try:
        value: object = ast.literal_eval(match["value"])
    except (ValueError, SyntaxError):
        value = match["value"]
    return match["field"], value


def names_value(value: object, override_value: str) -> bool:
    """Whether an echoed ``value`` is the override's value (or holds it: a pair of fields)."""
    given = yaml.safe_load(override_value)
    if isinstance(value, tuple) and not isinstance(given, list):
        return given in value
    if isinstance(value, list | tuple) and isinstance(given, list):
        return list(value) == given
    return value == given or str(value) == str(given)
