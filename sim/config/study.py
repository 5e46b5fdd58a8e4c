"""One scenario x policy cell (:class:`StudyConfig`) and the views derived from it.

:class:`NowcastConfig` (a ledger and its date), :class:`DefinitionsConfig` (the counting
switches) and the cross-checks that need the whole study; :func:`calendar_of` and
:func:`kpi_window` are derived views of the config (like :meth:`StudyConfig.launch_date`),
used by the run, the nowcast and the tables alike.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from operator import attrgetter

from cityplan.calendar import FIRST_WORKING_DAY, SPRING_FESTIVAL, Calendar
from cityplan.counting import KpiWindow, kpi_window_of
from cityplan.errors import fail
from cityplan.schema import PlanConfig
from sim.config.checks import check_iso_date, check_tier_capacity
from sim.config.model import ModelConfig
from sim.config.priors import UncertaintyConfig, check_priors
from sim.config.run import RunConfig
from sim.config.sample import check_sample


def calendar_of(cfg: StudyConfig) -> Calendar:
    """The simulated years of a study."""
    return Calendar(cfg.run.first_year, cfg.run.target_year)


def kpi_window(cfg: StudyConfig) -> KpiWindow:
    """Counting window (target year, month ends) and the KPI settings taken from config."""
    return kpi_window_of(calendar_of(cfg), cfg.run.target_year, lambda path: attrgetter(path)(cfg))


MIN_PAIRS = 2  # replications a paired interval needs


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
    # Where leaders' help pays most (领导帮办, issue 25): after the nowcast, rank the ledger's
    # projects by the gain in the plan's targets if a leader takes them up on as_of, estimate the
    # top ``help_candidates`` by paired runs of ``help_replications`` replications (common random
    # numbers; 30: range 20-200, the interval narrows as 1/sqrt) and propose an allocation
    # within each tier's capacity; writes help.csv (sim/run/help.py).
    help: bool = False
    help_candidates: int = 8
    help_replications: int = 30
    # Projects each tier's leaders can take up, in the order of cityplan.schema.LEADER_TIERS
    # (county and park heads, city leaders, top leaders), e.g. [5, 3, 1]; [] = the problems each
    # tier works on at once (model.problems.leader_capacity, an assumption with its range).
    help_capacity: list[int] = field(default_factory=list)
    # Ledger rows (台账行号 in watchlist.csv) of projects a leader takes up from as_of: their
    # problem (堵点) gets the leader of their size tier, whose attention is theirs first.
    helped_rows: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.ledger and not self.as_of:
            fail("nowcast.as_of", self.as_of, "an ISO date (required when nowcast.ledger is set)")
        if self.as_of and not self.ledger:
            fail("nowcast.ledger", self.ledger, "a ledger file (required when nowcast.as_of is set)")
        if self.ledger and not self.ledger.lower().endswith((".csv", ".xlsx")):
            fail("nowcast.ledger", self.ledger, "a .csv or .xlsx file")
        for name in ("as_of", "export_at"):
            if getattr(self, name):
                check_iso_date(f"nowcast.{name}", getattr(self, name))
        self.check_help()

    def check_help(self) -> None:
        """Raise ConfigError naming the field unless the help settings are usable."""
        if (self.help or self.helped_rows) and not self.ledger:
            fail("nowcast.ledger", self.ledger, "a ledger file (required by nowcast.help and nowcast.helped_rows)")
        if self.help_candidates < 1:
            fail("nowcast.help_candidates", self.help_candidates, "at least 1 project")
        if self.help_replications < MIN_PAIRS:
            fail("nowcast.help_replications", self.help_replications, f"at least {MIN_PAIRS} (paired intervals)")
        if self.help_capacity:
            check_tier_capacity("nowcast.help_capacity", self.help_capacity)


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
                fail(f"definitions.{name}", getattr(self, name), f"one of {', '.join(allowed)}")


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
    # holiday of run.target_year (cityplan/calendar.py; calibration.md §5: 28 January 2023).
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
            allowed = f"years with a Spring Festival date in cityplan/calendar.py ({known}; missing {missing})"
            fail("run.first_year..run.target_year", (self.run.first_year, self.run.target_year), allowed)
        if not self.launch_date():
            published = f"{min(FIRST_WORKING_DAY)}-{max(FIRST_WORKING_DAY)}"
            allowed = f"an ISO date: cityplan/calendar.py knows the first working day after the festival in {published}"
            fail("campaign_launch", self.campaign_launch, allowed)
        try:
            year = int(self.launch_date()[:4])
            datetime.date.fromisoformat(self.launch_date())
        except ValueError:
            fail("campaign_launch", self.campaign_launch, "an ISO date such as 2023-01-28, or '' (festival)")
        if year > self.run.target_year:  # before run.first_year: levers apply from the start
            allowed = f"a date in or before run.target_year ({self.run.target_year})"
            fail("campaign_launch", self.campaign_launch, allowed)
        _check_plan_units(self.plan)
        first, last = f"{self.run.first_year}-01-01", f"{self.run.target_year}-12-31"
        for name in ("as_of", "export_at"):
            value = getattr(self.nowcast, name)
            if value and not first <= value <= last:
                fail(f"nowcast.{name}", value, f"a date from {first} to {last} (run.first_year..run.target_year)")
        if self.uncertainty.priors:
            check_priors(self.model, self.baseline_model or self.model, self.uncertainty)
        if self.uncertainty.sample:
            check_sample(self.uncertainty, self.baseline_model or self.model)


def _check_plan_units(plan: PlanConfig) -> None:
    """Unit keys of the plan (goals per unit, unit filters) must be in ``cityplan/units.py``."""
    from cityplan.units import UNIT_KEYS

    allowed = f"a unit key of cityplan/units.py ({', '.join(UNIT_KEYS)})"
    for unit in plan.units:
        if unit not in UNIT_KEYS:
            fail(f"plan.units.{unit}", unit, allowed)
    for key, spec in plan.targets.items():
        for name, sel in (("measure", spec.measure), ("measure.denominator", spec.measure.denominator)):
            if sel is not None and sel.unit and sel.unit not in UNIT_KEYS:
                fail(f"plan.targets.{key}.{name}.unit", sel.unit, allowed)
