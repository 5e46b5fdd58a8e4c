"""A plan is data: the vocabulary of targets and how each is counted (issue 15).

A plan (``conf/plan/<city>_<year>.yaml``) lists targets. Each target has labels, a unit, a
goal, a direction and a **measure** composed from a small vocabulary the model counts:

- ``stream``: ``projects`` (the project ledger) or ``retrofits`` (技改, their own stream);
- ``milestone``: for projects ``signed``, ``started``, ``completed``, ``registered``,
  ``output`` or ``spent`` (money spent during construction); for retrofits ``started``,
  ``completed`` or ``benchmarked`` (named a smart-manufacturing benchmark);
- filters on projects: ``sectors``, a size threshold on agreed investment
  (``min_investment_yi`` in 亿元, ``min_investment_musd`` in million USD), the flags
  ``foreign``, ``taiwan``, ``tech_talent``, ``in_park`` (true / false / null = either) and
  ``unit`` (a county, district or park key of ``cityplan/units.py``; "" = the whole city);
- ``window``: ``in_year`` (the milestone falls in the target year) or ``signed_in_year``
  (signed in the target year and the milestone in it too);
- ``statistic``: ``count``, ``investment`` (sum of agreed investment), ``spending`` (money
  spent in the year; milestone ``spent``) or ``share``: this measure's selection counted the
  way its ``denominator`` counts (count or investment), divided by the denominator.

Both ``sim/`` (the schema in ``sim/config/``) and ``analysis/`` (KPI counting in
:mod:`cityplan.counting`) name this module; it imports neither. Every field is checked once, in
``__post_init__``, raising :class:`~cityplan.errors.ConfigError` naming field, value and what is
allowed; nothing is changed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from cityplan.errors import fail

SECTORS: tuple[str, ...] = ("industrial", "producer_services", "other_services", "agriculture")
STREAMS: tuple[str, ...] = ("projects", "retrofits")
MILESTONES: dict[str, tuple[str, ...]] = {
    "projects": ("signed", "started", "completed", "registered", "output", "spent"),
    "retrofits": ("started", "completed", "benchmarked"),
}
WINDOWS: tuple[str, ...] = ("in_year", "signed_in_year")
STATISTICS: tuple[str, ...] = ("count", "investment", "spending", "share")
DIRECTIONS: tuple[str, ...] = ("at_least", "at_most")
FLAGS: tuple[str, ...] = ("foreign", "taiwan", "tech_talent", "in_park")
# Size tiers by agreed investment, 亿元 (lower bounds): 1000万-1亿, 1-10亿, 10-50亿, >= 50亿 (the plan's
# sub-targets and calibration.md §1 count signings in these tiers). The one table of size tiers.
SIZE_TIER_LOWER_YI: tuple[float, ...] = (0.1, 1.0, 10.0, 50.0)
# The leaders who help projects by size (领导挂钩帮办; plan: >= 1亿 county and park heads, >= 10亿
# city leaders, >= 50亿 the top leaders): key (as in nowcast.help_capacity), Chinese, English.
LEADER_TIERS: tuple[tuple[str, str, str], ...] = (
    ("county", "县区（园区）主要负责人", "county and park heads"),
    ("city", "市领导", "city leaders"),
    ("top", "市主要领导", "the city's top leaders"),
)
CITY = "city"  # the ``unit`` of a city-wide row in per-unit tables
SHARE_UNIT = "%"  # unit of a share target: goal and value are fractions in [0, 1]
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")  # usable on the command line: plan.targets.<key>.goal


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        fail(name, value, f"one of {', '.join(allowed)}")


@dataclass
class Selection:
    """Which events of which projects (or retrofits) a measure counts, and how.

    Defaults select every project; each filter narrows. See the module docstring for the
    words. Validation needs the field's full name, so it runs in :meth:`check`.
    """

    stream: str = "projects"
    milestone: str = "signed"
    window: str = "in_year"
    sectors: list[str] = field(default_factory=list)  # empty = every sector
    # Threshold on agreed investment (>=), 亿元; 0 = none.
    min_investment_yi: float = 0.0
    # Threshold on agreed investment (>=), million USD at model.demand.cny_per_usd; 0 = none.
    min_investment_musd: float = 0.0
    foreign: bool | None = None
    taiwan: bool | None = None
    tech_talent: bool | None = None
    in_park: bool | None = None
    unit: str = ""  # a unit key (cityplan/units.py); "" = the whole city
    statistic: str = "count"
    # Spending also counts retrofits (技改) of existing firms spent in the year, as the
    # statistics count industrial investment (calibration.md §7); statistic spending only.
    with_retrofits: bool = False

    def filters_set(self) -> list[str]:
        """Names of the project filters that narrow the selection."""
        out = [f for f in FLAGS if getattr(self, f) is not None]
        out += [f for f in ("sectors", "min_investment_yi", "min_investment_musd", "unit") if getattr(self, f)]
        return out

    def check(self, name: str, *, allow_share: bool) -> None:
        """Raise ConfigError on any word or number outside the vocabulary."""
        _one_of(f"{name}.stream", self.stream, STREAMS)
        _one_of(f"{name}.milestone", self.milestone, MILESTONES[self.stream])
        _one_of(f"{name}.window", self.window, WINDOWS)
        _one_of(f"{name}.statistic", self.statistic, STATISTICS if allow_share else STATISTICS[:-1])
        for sector in self.sectors:
            _one_of(f"{name}.sectors", sector, SECTORS)
        if len(set(self.sectors)) != len(self.sectors):
            fail(f"{name}.sectors", list(self.sectors), "each sector at most once")
        for f in ("min_investment_yi", "min_investment_musd"):
            value = getattr(self, f)
            if not (math.isfinite(value) and value >= 0):
                fail(f"{name}.{f}", value, "a finite number >= 0 (0 = no threshold)")
        if self.stream == "retrofits":
            if self.filters_set() or self.window != "in_year":
                what = self.filters_set() or [f"window={self.window}"]
                fail(f"{name}.stream", self.stream, f"no project filters or window with retrofits (set: {what})")
            _one_of(f"{name}.statistic", self.statistic, ("count", "investment", "share"))
        if self.with_retrofits and self.statistic != "spending":
            fail(f"{name}.with_retrofits", True, "false unless the statistic is 'spending'")
        if self.statistic != "share" and (self.milestone == "spent") != (self.statistic == "spending"):
            fail(f"{name}.statistic", self.statistic, "'spending' exactly when milestone is 'spent'")


@dataclass
class Measure(Selection):
    """A :class:`Selection`, and for ``statistic: share`` the selection it is a share of."""

    denominator: Selection | None = None

    def numerator(self) -> Selection:
        """The selection counted over the denominator (a share), or the measure itself."""
        if self.denominator is None:
            return self
        values = {f.name: getattr(self, f.name) for f in fields(Selection)}
        return Selection(**(values | {"statistic": self.denominator.statistic}))

    def check(self, name: str, *, allow_share: bool = True) -> None:
        """Check the words; a share needs a denominator and only a share has one."""
        _one_of(f"{name}.statistic", self.statistic, STATISTICS)
        if self.statistic == "share" and self.denominator is None:
            fail(f"{name}.denominator", None, "a selection to divide by (statistic 'share' needs a denominator)")
        if self.statistic != "share" and self.denominator is not None:
            fail(f"{name}.statistic", self.statistic, "'share' when a denominator is given")
        super().check(name, allow_share=allow_share)
        if self.denominator is not None:
            self.denominator.check(f"{name}.denominator", allow_share=False)
            self.numerator().check(f"{name} (counted as its denominator)", allow_share=False)


@dataclass
class TargetSpec:
    """One target of a plan: what a planner reads (labels, unit, goal) and how it is counted."""

    label_zh: str = ""
    label_en: str = ""
    unit: str = ""  # 个, 亿元, %, ... ; "%" marks a share (goal and value in [0, 1])
    goal: float = 0.0
    direction: str = "at_least"  # attained when the year-end value >= goal (at_most: <=)
    measure: Measure = field(default_factory=Measure)
    note: str = ""  # how a definition the plan leaves open was read (documentation)

    def check(self, name: str) -> None:
        """Raise ConfigError on a missing label, a negative goal or an unknown word."""
        for f in ("label_zh", "label_en", "unit"):
            if not str(getattr(self, f)).strip():
                fail(f"{name}.{f}", getattr(self, f), "a non-empty text")
        if not (math.isfinite(self.goal) and self.goal >= 0):
            fail(f"{name}.goal", self.goal, "a finite number >= 0")
        _one_of(f"{name}.direction", self.direction, DIRECTIONS)
        self.measure.check(f"{name}.measure")
        is_share = self.measure.statistic == "share"
        if is_share != (self.unit == SHARE_UNIT):
            fail(f"{name}.unit", self.unit, f"'{SHARE_UNIT}' exactly when the measure is a share")
        if is_share and self.goal > 1:
            fail(f"{name}.goal", self.goal, "a share in [0, 1] (0.8 = 80%)")


@dataclass
class PlanConfig:
    """A plan: its name, the targets in reporting order, and optional goals per unit.

    ``units`` gives counties, districts and parks their own goals: ``{unit key: {target key:
    goal}}``. Each is counted by the target's measure restricted to that unit (the ledger's
    ``unit`` column). Unit keys are checked against ``cityplan/units.py`` by ``sim/config/``.
    """

    name: str = ""
    title_zh: str = ""
    title_en: str = ""
    targets: dict[str, TargetSpec] = field(default_factory=dict)
    units: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, spec in self.targets.items():
            if not KEY_PATTERN.match(key):
                fail("plan.targets", key, "a key of lower-case letters, digits and '_' starting with a letter")
            spec.check(f"plan.targets.{key}")
        for unit, goals in self.units.items():
            for key, goal in goals.items():
                name = f"plan.units.{unit}.{key}"
                if key not in self.targets:
                    fail(name, key, f"a target of this plan ({', '.join(self.targets) or 'none'})")
                if not (math.isfinite(goal) and goal >= 0):
                    fail(name, goal, "a finite number >= 0")
                if self.targets[key].measure.unit:
                    fail(name, goal, f"no unit goal: target '{key}' is already restricted to a unit")

    @property
    def keys(self) -> tuple[str, ...]:
        """Target keys in reporting order."""
        return tuple(self.targets)


def measures_from_config(plan: dict[str, Any]) -> dict[str, Measure]:
    """The measures of a run's plan as its ``.hydra/config.yaml`` holds it (plain dicts)."""
    out = {}
    for key, target in (plan.get("targets") or {}).items():
        m = dict(target["measure"])
        den = m.pop("denominator", None)
        out[key] = Measure(**m, denominator=Selection(**den) if den else None)
    return out


@dataclass(frozen=True)
class PlanRow:
    """One counted row: a target for the whole city (``unit == 'city'``) or for one unit."""

    target: str
    unit: str
    goal: float
    measure: Measure


def plan_rows(plan: PlanConfig) -> list[PlanRow]:
    """The city's targets in plan order, then each unit's goals (units in plan order).

    A unit's row counts the target's measure restricted to the unit (numerator and
    denominator of a share alike).
    """
    rows = [PlanRow(key, CITY, spec.goal, spec.measure) for key, spec in plan.targets.items()]
    for unit, goals in plan.units.items():
        for key, goal in goals.items():
            m = plan.targets[key].measure
            den = replace(m.denominator, unit=unit) if m.denominator is not None else None
            rows.append(PlanRow(key, unit, goal, replace(m, unit=unit, denominator=den)))
    return rows
