"""The published record as data: observations the model's warm-up years can be checked against.

An observations file (``conf/observations/<set>.yaml``) lists figures from before the campaign
launch, each with what it observes in the plan's vocabulary (:mod:`cityplan.schema`: a
milestone, filters on sector, size and flags, a window of dates) and a **statistic**:

- ``count``, ``investment`` (sum of agreed investment, 亿元), ``mean_investment`` (亿元 per
  project): projects whose ``milestone`` falls in ``window``;
- ``spending``: money spent in ``window`` by the selected projects (milestone ``spent``; with
  ``with_retrofits`` also retrofits, as the statistics count industrial investment);
- ``share``: the part of that selection that also passes ``part`` (a second set of filters),
  counted ``of`` count or investment;
- ``ratio``, ``growth`` (ratio - 1), ``rate_ratio`` (ratio of values per day): the selection's
  value (``of`` count, investment or spending) in ``window`` over its value in ``base_window``,
  with milestone ``base_milestone`` there when given (starts over signings);
- ``stock``: selected projects in ``stage`` on the date ``seen_on`` (``building``: started, not
  completed);
- ``stage_share``: of the projects signed in ``window``, the share in ``stage`` on ``seen_on``
  (``prework``: not yet in procedures, leavers included, as a city still "tracks" them;
  ``procedures``: in procedures, not started; ``started``) — the Yancheng-style snapshot;
- ``within_share``: of the projects signed in ``window``, the share reaching ``milestone`` within
  ``within_days`` of their own signing (Anqing: completed within 9 months);
- ``spent_within_share``: the share of the agreed investment signed in ``window`` spent within
  ``within_days`` of each signing ("funds in place a year after signing");
- ``median_days``: median days from ``since`` to ``milestone`` of projects whose milestone
  falls in ``window``.

``divide_by`` divides the value by a number (a target: progress against it).

Each observation carries its observed value or range, its error (what kind of figure it is,
and a standard deviation or range with the reason), its source, whether it comes from another
city (``other_city``: "a city like this", with a wide error) and whether it is held out of any
fit (``held_out``). Figures the model cannot produce are kept in ``not_modelled`` with the
reason. :func:`load_observations` checks everything once; each error is one line naming the
field, the value and what is allowed (:func:`cityplan.errors.fail`).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cityplan.errors import ConfigError, fail
from cityplan.schema import KEY_PATTERN, MILESTONES, SECTORS

OBSERVATIONS_DIR = Path(__file__).resolve().parents[1] / "conf" / "observations"
DEFAULT_OBSERVATIONS = "huaian_pre2023"

THEMES: tuple[str, ...] = (
    "signings",
    "starts",
    "completions",
    "mix",
    "pace",
    "investment",
    "land_permits",
    "snapshot",
)
THEME_LABELS: dict[str, tuple[str, str]] = {
    "signings": ("签约", "signings"),
    "starts": ("开工", "starts"),
    "completions": ("竣工", "completions"),
    "mix": ("结构", "mix"),
    "pace": ("节奏", "pace"),
    "investment": ("投资", "investment"),
    "land_permits": ("用地与手续", "land and permits"),
    "snapshot": ("时点状态", "snapshot"),
}
STATISTICS: tuple[str, ...] = (
    "count",
    "investment",
    "mean_investment",
    "spending",
    "share",
    "ratio",
    "growth",
    "rate_ratio",
    "stock",
    "stage_share",
    "within_share",
    "spent_within_share",
    "median_days",
)
# Statistics whose value is a share in [0, 1].
SHARE_STATISTICS: tuple[str, ...] = ("share", "stage_share", "within_share", "spent_within_share")
WINDOWED: tuple[str, ...] = tuple(s for s in STATISTICS if s != "stock")
COMPARED: tuple[str, ...] = ("ratio", "growth", "rate_ratio")
COHORT: tuple[str, ...] = ("stage_share", "within_share", "spent_within_share")
OF: tuple[str, ...] = ("count", "investment", "spending")
STAGES: dict[str, tuple[str, ...]] = {"stock": ("building",), "stage_share": ("prework", "procedures", "started")}
PROJECT_MILESTONES: tuple[str, ...] = MILESTONES["projects"]
# Milestones with a date of their own (not ``spent``, which runs over the build).
DATED_MILESTONES: tuple[str, ...] = (*(m for m in PROJECT_MILESTONES if m != "spent"), "procedures", "land")
PAIR = 2  # a window [first day, last day] or a range [low, high]
ERROR_KINDS: dict[str, str] = {
    "census": "a count or sum from an official bulletin (error: which projects the count includes)",
    "rounded": "a rounded or derived figure (error: the rounding or the arithmetic)",
    "rhetorical": "a phrase such as 'double-digit' or 'at least' (a range, not a measurement)",
    "estimate": "a judgement or a figure of uncertain year or scope",
    "other_city": "another city's figure read as 'a city like this' (wide)",
}
FLAG_FIELDS: tuple[str, ...] = ("foreign", "taiwan", "in_park", "from_event", "took_land")


def _iso(name: str, value: Any) -> str:
    """An ISO date from YAML (a date object or a string), or a ConfigError naming the field."""
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        fail(name, value, "an ISO date such as 2020-09-30")
    return text


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        fail(name, value, f"one of {', '.join(allowed)}")


@dataclass
class Filters:
    """Which projects: the plan's filters (:class:`cityplan.schema.Selection`) and two more.

    ``below_investment_yi`` is an exclusive upper bound on agreed investment (亿元; 0 = none),
    so a size tier is ``min_investment_yi: 1, below_investment_yi: 10``; ``from_event``
    selects projects signed at a city event (true), elsewhere (false) or either (null);
    ``took_land`` projects that needed new land (true: ``land_mu`` > 0), none (false) or either.
    """

    sectors: list[str] = field(default_factory=list)
    min_investment_yi: float = 0.0
    below_investment_yi: float = 0.0
    foreign: bool | None = None
    taiwan: bool | None = None
    in_park: bool | None = None
    from_event: bool | None = None
    took_land: bool | None = None
    unit: str = ""

    def check(self, name: str, units: tuple[str, ...]) -> None:
        """Raise ConfigError on an unknown sector or unit or a bad threshold."""
        for sector in self.sectors:
            _one_of(f"{name}.sectors", sector, SECTORS)
        for f in ("min_investment_yi", "below_investment_yi"):
            value = getattr(self, f)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                fail(f"{name}.{f}", value, "a finite number >= 0 (0 = no bound)")
        if 0 < self.below_investment_yi <= self.min_investment_yi:
            fail(
                f"{name}.below_investment_yi",
                self.below_investment_yi,
                f"0 or > min_investment_yi ({self.min_investment_yi})",
            )
        for f in FLAG_FIELDS:
            if getattr(self, f) not in (None, True, False):
                fail(f"{name}.{f}", getattr(self, f), "true, false or null (either)")
        if self.unit and self.unit not in units:
            fail(
                f"{name}.unit",
                self.unit,
                f"'' (the whole city) or a unit key of cityplan/units.py ({', '.join(units)})",
            )


@dataclass
class ObservedMeasure(Filters):
    """What the model computes for one observation (see the module docstring for the words).

    Dates are ISO strings; a window is ``[first day, last day]``, both included.
    """

    statistic: str = "count"
    milestone: str = "signed"
    window: list[str] = field(default_factory=list)
    base_window: list[str] = field(default_factory=list)
    base_milestone: str = ""
    of: str = "count"
    part: Filters | None = None
    seen_on: str = ""
    stage: str = ""
    within_days: float = 0.0
    since: str = ""
    with_retrofits: bool = False
    # The value is divided by this (a target, for progress against it: 500 signings).
    divide_by: float = 1.0

    def dates(self) -> list[tuple[str, str]]:
        """Every date the measure names, with its field name."""
        out = [(f"window[{i}]", d) for i, d in enumerate(self.window)]
        out += [(f"base_window[{i}]", d) for i, d in enumerate(self.base_window)]
        return out + ([("seen_on", self.seen_on)] if self.seen_on else [])

    def check(self, name: str, units: tuple[str, ...]) -> None:
        """Raise ConfigError on an unknown word or a field the statistic needs or forbids."""
        super().check(name, units)
        s = self.statistic
        _one_of(f"{name}.statistic", s, STATISTICS)
        allowed_milestones = DATED_MILESTONES if s in ("within_share", "median_days") else PROJECT_MILESTONES
        _one_of(f"{name}.milestone", self.milestone, allowed_milestones)
        if (self.milestone == "spent") != (s == "spending" or (s in COMPARED and self.of == "spending")):
            fail(f"{name}.milestone", self.milestone, "'spent' exactly when the value is spending")
        if self.with_retrofits and self.milestone != "spent":
            fail(f"{name}.with_retrofits", True, "false unless the milestone is 'spent'")
        if s in WINDOWED and len(self.window) != PAIR:
            fail(f"{name}.window", self.window, f"[first day, last day] (statistic '{s}' needs a window)")
        if s == "stock" and self.window:
            fail(f"{name}.window", self.window, "none for statistic 'stock' (it counts on the date seen_on)")
        if len(self.window) == PAIR and self.window[0] > self.window[1]:
            fail(f"{name}.window", self.window, "a first day on or before the last day")
        if s in COMPARED:
            if len(self.base_window) != PAIR or self.base_window[0] > self.base_window[1]:
                fail(
                    f"{name}.base_window", self.base_window, f"[first day, last day] (statistic '{s}' compares windows)"
                )
            _one_of(f"{name}.of", self.of, OF)
        elif self.base_window or self.base_milestone:
            fail(f"{name}.base_window", self.base_window, f"none: only {', '.join(COMPARED)} compare windows")
        if self.base_milestone:
            _one_of(f"{name}.base_milestone", self.base_milestone, PROJECT_MILESTONES)
        if s == "share":
            _one_of(f"{name}.of", self.of, OF[:2])
            if self.part is None:
                fail(f"{name}.part", None, "the filters of the part (statistic 'share' needs them)")
        elif self.part is not None:
            fail(f"{name}.part", "set", "none: only statistic 'share' has a part")
        if self.part is not None:
            self.part.check(f"{name}.part", units)
        if s in STAGES:
            if not self.seen_on:
                fail(f"{name}.seen_on", self.seen_on, f"an ISO date (statistic '{s}' counts on a date)")
            _one_of(f"{name}.stage", self.stage, STAGES[s])
        elif self.seen_on or self.stage:
            fail(f"{name}.seen_on", self.seen_on, "none: only stock and stage_share count on a date")
        if s in ("within_share", "spent_within_share"):
            if not (
                isinstance(self.within_days, int | float) and math.isfinite(self.within_days) and self.within_days > 0
            ):
                fail(f"{name}.within_days", self.within_days, f"a number of days > 0 (statistic '{s}')")
        elif self.within_days:
            fail(f"{name}.within_days", self.within_days, "0: only within_share and spent_within_share have it")
        if s == "median_days":
            _one_of(f"{name}.since", self.since, DATED_MILESTONES)
        elif self.since:
            fail(f"{name}.since", self.since, "'': only median_days has it")
        if not (isinstance(self.divide_by, int | float) and math.isfinite(self.divide_by) and self.divide_by > 0):
            fail(f"{name}.divide_by", self.divide_by, "a finite number > 0 (1 = the value itself)")
        if s == "stage_share" and self.window and self.seen_on < self.window[1]:
            fail(
                f"{name}.seen_on", self.seen_on, f"a date on or after the cohort's last signing day ({self.window[1]})"
            )

    def last_day_needed(self) -> str:
        """The last date the model must have simulated to compute this measure (ISO)."""
        last = max(d for _n, d in self.dates())
        if self.within_days and self.window:
            end = datetime.date.fromisoformat(self.window[1]) + datetime.timedelta(days=math.ceil(self.within_days))
            last = max(last, end.isoformat())
        return last


@dataclass
class ObservationError:
    """How far the published figure may be from the truth, and why.

    ``sd`` (in the observation's unit) or ``range`` (``[low, high]`` around the figure).
    """

    kind: str = ""
    sd: float | None = None
    range: list[float] = field(default_factory=list)
    why: str = ""

    def check(self, name: str) -> None:
        """Raise ConfigError on an unknown kind, a negative sd or a missing reason."""
        _one_of(f"{name}.kind", self.kind, tuple(ERROR_KINDS))
        if (self.sd is None) == (not self.range):
            fail(f"{name}.sd", self.sd, "exactly one of sd or range")
        if self.sd is not None and not (isinstance(self.sd, int | float) and math.isfinite(self.sd) and self.sd >= 0):
            fail(f"{name}.sd", self.sd, "a finite standard deviation >= 0")
        if self.range and (len(self.range) != PAIR or not self.range[0] <= self.range[1]):
            fail(f"{name}.range", self.range, "[low, high] with low <= high")
        if not self.why.strip():
            fail(f"{name}.why", self.why, "a reason for the size of the error")


@dataclass
class Source:
    """Where the figure is written: a section of calibration.md and the phrase quoted."""

    section: str = ""
    phrase: str = ""

    def check(self, name: str) -> None:
        """Raise ConfigError unless both are given."""
        for f in ("section", "phrase"):
            if not str(getattr(self, f)).strip():
                fail(f"{name}.{f}", getattr(self, f), "a non-empty text (where the figure is published)")


@dataclass
class Observation:
    """One published figure and how the model produces it."""

    key: str
    label_zh: str = ""
    label_en: str = ""
    theme: str = ""
    unit: str = ""
    measure: ObservedMeasure = field(default_factory=ObservedMeasure)
    period: str = ""
    observed: float | None = None
    observed_range: list[float] = field(default_factory=list)
    error: ObservationError = field(default_factory=ObservationError)
    source: Source | None = None
    other_city: bool = False
    held_out: bool = False
    note: str = ""

    @property
    def low(self) -> float:
        """Lower end of the observed value (the value itself when not a range)."""
        return float(self.observed_range[0]) if self.observed_range else float(self.observed)  # type: ignore[arg-type]

    @property
    def high(self) -> float:
        """Upper end of the observed value."""
        return float(self.observed_range[1]) if self.observed_range else float(self.observed)  # type: ignore[arg-type]

    def check(self, name: str, units: tuple[str, ...], first_day: str, launch: str) -> None:
        """Raise ConfigError naming the first field outside the vocabulary or the simulated years."""
        for f in ("label_zh", "label_en", "unit", "period"):
            if not str(getattr(self, f)).strip():
                fail(f"{name}.{f}", getattr(self, f), "a non-empty text")
        _one_of(f"{name}.theme", self.theme, THEMES)
        if self.source is None:
            fail(f"{name}.source", None, "the calibration.md section and the phrase the figure comes from")
        assert self.source is not None
        self.source.check(f"{name}.source")
        self.measure.check(f"{name}.measure", units)
        for what, day in self.measure.dates():
            if not first_day <= day < launch:
                allowed = f"a date from {first_day} (run.first_year) to the day before the campaign launch ({launch})"
                fail(f"{name}.measure.{what}", day, allowed)
        if (last := self.measure.last_day_needed()) >= launch:
            fail(
                f"{name}.measure.within_days",
                self.measure.within_days,
                f"a span ending before the launch ({launch}); it ends {last}",
            )
        if (self.observed is None) == (not self.observed_range):
            fail(f"{name}.observed", self.observed, "exactly one of observed or observed_range")
        values = [self.observed] if self.observed is not None else list(self.observed_range)
        if self.observed_range and (len(values) != PAIR or not values[0] <= values[1]):
            fail(f"{name}.observed_range", self.observed_range, "[low, high] with low <= high")
        for v in values:
            if not (isinstance(v, int | float) and math.isfinite(v)):
                fail(f"{name}.observed", v, "a finite number")
        if self.measure.statistic in SHARE_STATISTICS:
            for v in values:
                if not 0 <= v <= 1:
                    fail(f"{name}.observed", v, "a share in [0, 1] (0.64 = 64%)")
        self.error.check(f"{name}.error")
        if self.other_city and self.error.kind != "other_city":
            fail(f"{name}.error.kind", self.error.kind, "'other_city' for a figure from another city")


@dataclass
class NotModelled:
    """A published figure kept in the record although the model cannot produce it."""

    key: str
    figure: str = ""
    source: str = ""
    reason: str = ""

    def check(self, name: str) -> None:
        """Raise ConfigError on an empty figure, source or reason."""
        for f in ("figure", "source", "reason"):
            if not str(getattr(self, f)).strip():
                fail(f"{name}.{f}", getattr(self, f), "a non-empty text")


@dataclass
class ObservationSet:
    """A file of observations: its name, title, the observations and what is not modelled."""

    name: str
    title_zh: str
    title_en: str
    observations: dict[str, Observation]
    not_modelled: dict[str, NotModelled]

    @property
    def keys(self) -> tuple[str, ...]:
        """Observation keys in file order."""
        return tuple(self.observations)


def _build(cls: type, data: Any, name: str, **extra: Any) -> Any:
    """A dataclass from a mapping; an unknown key is a ConfigError naming it."""
    if not isinstance(data, dict):
        fail(name, data, f"a mapping of {', '.join(f.name for f in fields(cls) if f.name not in extra)}")
    known = {f.name for f in fields(cls)} - set(extra)
    for key in data:
        if key not in known:
            fail(f"{name}.{key}", data[key], f"a field of {cls.__name__} ({', '.join(sorted(known))})")
    return cls(**data, **extra)


def _measure(data: Any, name: str) -> ObservedMeasure:
    data = dict(data) if isinstance(data, dict) else data
    if isinstance(data, dict):
        for key in ("window", "base_window"):
            if key in data:
                if not isinstance(data[key], list):
                    fail(f"{name}.{key}", data[key], "[first day, last day]")
                data[key] = [_iso(f"{name}.{key}[{i}]", d) for i, d in enumerate(data[key])]
        if data.get("seen_on"):
            data["seen_on"] = _iso(f"{name}.seen_on", data["seen_on"])
        if data.get("part") is not None:
            data["part"] = _build(Filters, data["part"], f"{name}.part")
    return _build(ObservedMeasure, data, name)


def parse_observations(
    raw: Any, *, first_year: int, launch: str, units: tuple[str, ...], name: str = "observations"
) -> ObservationSet:
    """Validate a parsed observations file (plain dicts) into an :class:`ObservationSet`.

    Parameters
    ----------
    raw
        The YAML file as plain Python objects.
    first_year
        ``run.first_year``: no observed date before its 1 January.
    launch
        ISO date of the campaign launch: observed dates must be before it (the warm-up years).
    units
        Unit keys the ``unit`` filter may name (:data:`cityplan.units.UNIT_KEYS`).
    name
        Prefix of the field names in errors.
    """
    if not isinstance(raw, dict):
        fail(name, raw, "a mapping with name, title_zh, title_en, observations, not_modelled")
    allowed = ("name", "title_zh", "title_en", "observations", "not_modelled")
    for key in raw:
        if key not in allowed:
            fail(f"{name}.{key}", raw[key], f"one of {', '.join(allowed)}")
    first_day = f"{first_year}-01-01"
    observations: dict[str, Observation] = {}
    items = raw.get("observations") or {}
    if not isinstance(items, dict) or not items:
        fail(f"{name}.observations", items, "a mapping of observation keys to observations (at least one)")
    for key, data in items.items():
        here = f"observations.{key}"
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            fail(f"{name}.observations", key, "a key of lower-case letters, digits and '_' starting with a letter")
        if not isinstance(data, dict):
            fail(here, data, "a mapping")
        data = dict(data)  # noqa: PLW2901 - a copy to fill with the typed parts
        if "measure" not in data:
            fail(f"{here}.measure", None, "what is observed (statistic, milestone, filters, window)")
        data["measure"] = _measure(data["measure"], f"{here}.measure")
        if "error" not in data:
            fail(f"{here}.error", None, "the error of the figure (kind, sd or range, why)")
        data["error"] = _build(ObservationError, data["error"], f"{here}.error")
        if data.get("source") is not None:
            data["source"] = _build(Source, data["source"], f"{here}.source")
        obs = _build(Observation, data, here, key=key)
        obs.check(here, units, first_day, launch)
        observations[key] = obs
    not_modelled: dict[str, NotModelled] = {}
    for key, data in (raw.get("not_modelled") or {}).items():
        item = _build(NotModelled, data, f"{name}.not_modelled.{key}", key=key)
        item.check(f"{name}.not_modelled.{key}")
        not_modelled[key] = item
    return ObservationSet(
        name=str(raw.get("name", "")),
        title_zh=str(raw.get("title_zh", "")),
        title_en=str(raw.get("title_en", "")),
        observations=observations,
        not_modelled=not_modelled,
    )


def observations_path(name: str | Path = DEFAULT_OBSERVATIONS) -> Path:
    """The file of ``conf/observations/<name>.yaml``, or ``name`` itself when it is a YAML path."""
    path = Path(name) if str(name).endswith((".yaml", ".yml")) else OBSERVATIONS_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in OBSERVATIONS_DIR.glob("*.yaml")))
        raise ConfigError(
            f"config field 'observations' = {str(name)!r} is not allowed: expected one of {known} or a YAML file"
        )
    return path


def load_observations(
    name: str | Path = DEFAULT_OBSERVATIONS, *, first_year: int, launch: str, units: tuple[str, ...] | None = None
) -> ObservationSet:
    """Read and validate an observations file (see :func:`parse_observations`)."""
    import yaml

    from cityplan.units import UNIT_KEYS

    path = observations_path(name)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"observations file {path}: {first}") from None
    return parse_observations(raw, first_year=first_year, launch=launch, units=units or UNIT_KEYS)
