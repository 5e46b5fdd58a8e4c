"""The model of one city: every step's config together, and the checks that span steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config.checks import SHARE_TOLERANCE, fail
from sim.config.demand import AttractionConfig, DemandConfig
from sim.config.steps import (
    AppraisalConfig,
    ApprovalConfig,
    CompletionConfig,
    ConstructionConfig,
    EnergyConfig,
    LandConfig,
    PreworkConfig,
    ProblemConfig,
    ReadinessConfig,
    RetrofitConfig,
    WalkawayConfig,
)
from sim.config.uptake import SupervisionConfig, UptakeConfig


@dataclass
class ModelConfig:
    """Everything the simulated city is made of: demand, steps, quotas, capacities."""

    demand: DemandConfig = field(default_factory=DemandConfig)
    attraction: AttractionConfig = field(default_factory=AttractionConfig)
    appraisal: AppraisalConfig = field(default_factory=AppraisalConfig)
    prework: PreworkConfig = field(default_factory=PreworkConfig)
    readiness: ReadinessConfig = field(default_factory=ReadinessConfig)
    land: LandConfig = field(default_factory=LandConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    approvals: ApprovalConfig = field(default_factory=ApprovalConfig)
    walkaway: WalkawayConfig = field(default_factory=WalkawayConfig)
    problems: ProblemConfig = field(default_factory=ProblemConfig)
    construction: ConstructionConfig = field(default_factory=ConstructionConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    retrofit: RetrofitConfig = field(default_factory=RetrofitConfig)
    # Who takes each service reform up, at 2022's level or the plan's (sim.config.uptake).
    uptake: UptakeConfig = field(default_factory=UptakeConfig)
    supervision: SupervisionConfig = field(default_factory=SupervisionConfig)

    def __post_init__(self) -> None:
        a = self.attraction
        peak = a.max_multiplier() * max(1.0, self.demand.last_year_volume_factor)
        if peak > a.candidate_intensity_factor + SHARE_TOLERANCE:
            allowed = f"a number >= {peak:.3f}, the largest intensity multiplier of this configuration"
            fail("model.attraction.candidate_intensity_factor", a.candidate_intensity_factor, allowed)
