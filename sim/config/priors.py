"""Uncertain inputs: a :class:`Prior` per model field, and the field paths they name.

A prior names a field below ``model`` by a path (``demand.lead_growth_per_year``,
``construction.median_months_by_tier[1]``); :func:`get_field` and :func:`set_field` read and
write it (a copy of each dataclass on the way). :func:`check_priors` validates every prior
against the model at the boundary, before anything runs. How the priors are drawn per
replication is :mod:`sim.run.parameters`.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field, is_dataclass
from functools import lru_cache
from typing import Any

from cityplan.errors import (
    ConfigError,
    fail,
)
from sim.config.checks import check_positive
from sim.config.model import ModelConfig

_STEP = re.compile(r"^([A-Za-z_]\w*)(?:\[(\d+)\])?$")
Step = str | int


@lru_cache(maxsize=1024)
def parse_path(path: str) -> tuple[Step, ...]:
    """Split ``a.b[2].c`` into ``["a", "b", 2, "c"]``; raise ConfigError on bad syntax."""
    steps: list[Step] = []
    for token in path.split("."):
        match = _STEP.match(token)
        if match is None:
            raise ConfigError(f"uncertainty prior path {path!r}: {token!r} is not a field name or name[index]")
        steps.append(match.group(1))
        if match.group(2) is not None:
            steps.append(int(match.group(2)))
    return tuple(steps)


def get_field(obj: Any, path: str) -> Any:
    """The value at ``path`` below ``obj`` (a ModelConfig); ConfigError if there is none."""
    for step in parse_path(path):
        try:
            if isinstance(step, int):
                obj = obj[step]
            elif step in getattr(obj, "__dataclass_fields__", ()):
                obj = getattr(obj, step)
            else:
                raise KeyError(step)
        except (KeyError, IndexError, TypeError):
            raise ConfigError(f"uncertainty prior path 'model.{path}': no such field ({step!r})") from None
    return obj


def set_field(obj: Any, path: str, value: float) -> Any:
    """A copy of ``obj`` with ``path`` set to ``value`` (see :func:`set_fields`)."""
    return set_fields(obj, {path: value})


def set_fields(obj: Any, values: dict[str, float]) -> Any:
    """A copy of ``obj`` with each path set to its value, then checked; ``obj`` is unchanged.

    Every dataclass that holds a changed field runs its ``__post_init__`` again, so a value
    the field does not allow raises the field's own :class:`ConfigError`. Integer fields take
    the value rounded.
    """
    out = copy.copy(obj)
    fresh = {id(out)}  # objects copied here (copy on write: only the paths set are copied)
    touched: dict[int, Any] = {id(out): out}
    for path, value in values.items():
        steps = parse_path(path)
        holder: Any = out
        for step in steps[:-1]:
            child = holder[step] if isinstance(step, int) else getattr(holder, step)
            if id(child) not in fresh:
                child = list(child) if isinstance(child, list) else copy.copy(child)
                fresh.add(id(child))
                _put(holder, step, child)
            holder = child
            if is_dataclass(holder):
                touched[id(holder)] = holder
        last = steps[-1]
        current = holder[last] if isinstance(last, int) else getattr(holder, last)
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ConfigError(f"uncertainty prior 'model.{path}' names a non-numeric field (value {current!r})")
        _put(holder, last, round(value) if isinstance(current, int) else float(value))
    for holder in touched.values():
        if hasattr(holder, "__post_init__"):
            holder.__post_init__()
    return out


def _put(holder: Any, step: Step, value: Any) -> None:
    if isinstance(step, int):
        holder[step] = value
    else:
        setattr(holder, step, value)


def lever_value(prior: Prior, policy: float, baseline: float, drawn: float) -> float:
    """The policy model's value when a lever sets the field (policy != baseline)."""
    if prior.lever == "keep" or (prior.lever == "scale" and baseline == 0):
        return policy
    if prior.lever == "scale":
        return policy * drawn / baseline
    return policy + (drawn - baseline)


@lru_cache(maxsize=1)
def _defaults() -> ModelConfig:
    return ModelConfig()


def is_pinned(prior: Prior, uncertainty: UncertaintyConfig, baseline: ModelConfig) -> bool:
    """True when the scenario or the command line set the field: its prior is off.

    ``baseline`` is the scenario's model without levers (the study's ``baseline_model``, or
    its ``model`` before the entry point fills the baseline).
    """
    if prior.path in uncertainty.pinned:
        return True
    return bool(get_field(baseline, prior.path) != get_field(_defaults(), prior.path))


def _field_range(path: str, uncertainty: UncertaintyConfig, baseline: ModelConfig) -> tuple[float, float]:
    """The smallest and largest value a draw can give the field ``path``.

    Its configured value if no free prior draws it; a ratio prior's range is its ratio range x
    its ``per`` field's.
    """
    prior = next((p for p in uncertainty.priors if p.path == path and not is_pinned(p, uncertainty, baseline)), None)
    if prior is None:
        value = float(get_field(baseline, path))
        return value, value
    if not prior.per:
        return prior.low, prior.high
    per_low, per_high = _field_range(prior.per, uncertainty, baseline)
    products = [prior.low * per_low, prior.low * per_high, prior.high * per_low, prior.high * per_high]
    return min(products), max(products)


def check_priors(model: ModelConfig, baseline: ModelConfig, uncertainty: UncertaintyConfig) -> None:
    """Validate every prior against the model before anything runs (raises ConfigError).

    ``model`` is the scenario with the policy's levers, ``baseline`` the same without them.
    Checks that the path (and a ratio prior's ``per``) names a numeric field and that the
    smallest and largest value a draw can give the field (and, for a lever that sets the
    field, the lever's value at both) are values the field allows.
    """
    for prior in uncertainty.priors:
        where = f"uncertainty prior 'model.{prior.path}'"
        base_value, policy_value = get_field(baseline, prior.path), get_field(model, prior.path)
        if prior.per:
            per_value = get_field(baseline, prior.per)
            if isinstance(per_value, bool) or not isinstance(per_value, int | float):
                raise ConfigError(f"{where}: per 'model.{prior.per}' names a non-numeric field (value {per_value!r})")
        bounds: tuple[float, ...]
        if not is_pinned(prior, uncertainty, baseline):
            bounds = _field_range(prior.path, uncertainty, baseline)
        else:  # the field keeps its value; a bad range is still an error (a ratio's is checked above)
            bounds = () if prior.per else (prior.low, prior.high)
        for bound in bounds:
            try:
                set_field(baseline, prior.path, bound)
                if policy_value != base_value:
                    set_field(model, prior.path, lever_value(prior, policy_value, base_value, bound))
            except ConfigError as err:
                raise ConfigError(f"{where}: bound {bound} is outside what the field allows: {err}") from None


SAMPLE_ORDERS: tuple[str, ...] = ("shuffled", "in_order")
PRIOR_DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular", "loguniform", "beta")
# How a policy lever that sets a field with a prior keeps its mechanism (sim/run/parameters.py):
# keep = the lever's value as written; scale = the lever's ratio to the status quo is kept
# (halved stays halved); shift = the lever's difference is kept (+10 points stays +10).
LEVER_RULES: tuple[str, ...] = ("keep", "scale", "shift")


@dataclass
class Prior:
    """One uncertain input: a model field, its distribution over a range, and the evidence.

    ``path`` is the field below ``model``, e.g. ``demand.lead_growth_per_year``,
    ``completion.registration_probability.industrial`` or ``construction.median_months_by_tier[1]``.
    """

    path: str = ""
    dist: str = "uniform"
    low: float = 0.0
    high: float = 0.0
    # Triangular only: the most likely value (default: the midpoint).
    mode: float | None = None
    # Beta only: shape parameters of Beta(a, b) stretched over [low, high].
    a: float = 2.0
    b: float = 2.0
    # What a policy lever that also sets this field keeps (see LEVER_RULES).
    lever: str = "scale"
    # Where the range comes from (calibration.md §x, the plan, or "assumption: ..."). Required.
    source: str = ""
    # Chinese label for planners' sentences and charts.
    zh: str = ""
    # English label (optional; default: read from the path, or "<path> per <per>").
    en: str = ""
    # A ratio prior: when set (a field path, like ``path``), low/high/dist describe the ratio
    # ``path / per`` and the field takes ``ratio x`` the value ``per`` has in the same draw. For
    # inputs derived from another uncertain input (the land quota was derived as a start volume
    # x land per 亿: its uncertainty is the volume it covers, not an independent range).
    per: str = ""

    @property
    def key(self) -> str:
        """The name of the drawn quantity: the path, or ``path/per`` for a ratio prior."""
        return f"{self.path}/{self.per}" if self.per else self.path

    def __post_init__(self) -> None:
        name = f"uncertainty.priors[{self.path}]"
        if self.per == self.path:
            fail(f"{name}.per", self.per, "another field's path (a field cannot be a ratio of itself)")
        if self.per and self.low < 0:
            fail(f"{name}.low", self.low, "a ratio >= 0 (a ratio prior scales a field by low..high)")
        if self.dist not in PRIOR_DISTRIBUTIONS:
            fail(f"{name}.dist", self.dist, f"one of {', '.join(PRIOR_DISTRIBUTIONS)}")
        if self.lever not in LEVER_RULES:
            fail(f"{name}.lever", self.lever, f"one of {', '.join(LEVER_RULES)}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            fail(f"{name}.low/high", (self.low, self.high), "finite numbers")
        if self.low > self.high:
            fail(f"{name}.low", self.low, f"a number <= high ({self.high})")
        if self.dist == "loguniform" and self.low <= 0:
            fail(f"{name}.low", self.low, "a number > 0 for a log-uniform prior")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            fail(f"{name}.mode", self.mode, f"a value in [low, high] = [{self.low}, {self.high}]")
        check_positive(f"{name}.a", self.a)
        check_positive(f"{name}.b", self.b)
        if not self.source.strip():
            fail(f"{name}.source", self.source, "the evidence for the range (calibration.md §x or 'assumption: ...')")


@dataclass
class UncertaintyConfig:
    """Parameter uncertainty (issue 11): priors drawn once per parameter draw.

    Replications ``k * replications_per_draw .. (k + 1) * replications_per_draw - 1`` share
    the k-th point of a scrambled Sobol sequence (their luck differs), so luck's share of the
    variance is measured from the replications that share a draw (analysis/sensitivity.py).
    No priors (``uncertainty=none``) = every input at its configured value.
    """

    name: str = "none"
    replications_per_draw: int = 2
    priors: list[Prior] = field(default_factory=list)
    # Fields set on the command line (filled by the entry point): their prior is off.
    pinned: list[str] = field(default_factory=list)
    # A table of input vectors to draw from instead of the priors (uncertainty=history: the
    # history-matched sample, a CSV of one column per prior key; path relative to the project
    # root). Empty = draw from the priors (Sobol). The priors still name the fields, their
    # labels and lever rules, and bound the sample's values.
    sample: str = ""
    # How draw k picks its row: shuffled (a permutation per pass through the sample, from the
    # root seed; prefix-stable) or in_order (row k: a history-matching wave's design).
    sample_order: str = "shuffled"

    def __post_init__(self) -> None:
        if self.replications_per_draw < 1:
            fail("uncertainty.replications_per_draw", self.replications_per_draw, "an integer >= 1")
        if self.sample_order not in SAMPLE_ORDERS:
            fail("uncertainty.sample_order", self.sample_order, f"one of {', '.join(SAMPLE_ORDERS)}")
        if self.sample and not self.priors:
            fail("uncertainty.sample", self.sample, "'' when there are no priors (the priors name the sample's inputs)")
        paths = [p.path for p in self.priors]
        for path in paths:
            if paths.count(path) > 1:
                fail("uncertainty.priors", path, "each field path at most once")
        ratio_of = {p.path: p.per for p in self.priors if p.per}
        for path in ratio_of:
            seen = [path]
            while seen[-1] in ratio_of:
                seen.append(ratio_of[seen[-1]])
                if seen[-1] in seen[:-1]:
                    fail(f"uncertainty.priors[{path}].per", " -> ".join(seen), "a chain of ratios without a cycle")
