"""Parameter uncertainty (issue 11): a parameter vector per replication from the priors.

The priors (``conf/uncertainty/*.yaml``, typed as :class:`sim.config.priors.Prior`) name a model
field by its path below ``model`` (``demand.lead_growth_per_year``,
``completion.registration_probability.industrial``, ``construction.median_months_by_tier[1]``,
``demand.events[3].leads_1e8_mean``). Replication ``r`` uses draw ``k = r //
replications_per_draw``: point ``k`` of a scrambled Sobol sequence whose scramble comes from
the study stream ``parameters`` (:func:`sim.run.rng.study_stream`), mapped through each prior's
quantile function. The Sobol sequence is prefix-stable (point ``k`` does not depend on how
many are drawn), so chunks, workers, resumed runs and precision-on-demand all see the same
vector for ``r``; a Latin hypercube is not (its strata depend on ``n``), which is why it is
not offered. The scenario and the policy never enter the draw: replication ``r`` of every
cell sees the same parameters and the same luck.

With ``uncertainty.sample`` (``uncertainty=history``) draw ``k`` takes a row of that table
instead (:func:`sample_rows`: a permutation per pass through the sample, from the study
stream ``history_sample``; prefix-stable in the same way); pinned fields and the lever rules
work as below.

A *ratio prior* (``per: <field>``) draws the ratio ``path / per`` and gives the field that
ratio x the value ``per`` has in the same draw: an input derived from another uncertain input
(the land quota = the investment volume it covers x the land per 亿) moves with it instead of
being drawn apart. The drawn quantities (the ratio, not the field) are what
:func:`parameter_frame` records, so the inputs a sensitivity analysis sees are independent.

Which value a cell uses for an uncertain field:

- the field was set by the scenario or on the command line (it differs from the schema
  default, or it is in ``uncertainty.pinned``): that value, fixed (nothing a user wrote is
  overwritten); the prior is off for it;
- otherwise the baseline model (the scenario without levers) takes the drawn value;
- the policy model takes it too when the policy leaves the field as the baseline has it;
  when a lever sets the field, the prior's ``lever`` rule keeps the lever's mechanism:
  ``keep`` (the lever's value, e.g. 五证联发 issues permits in 2 days whatever the status quo
  took), ``scale`` (its ratio to the status quo: "halved" stays halved) or ``shift`` (its
  difference: "+10 points" stays +10 points).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from sim.config.priors import Prior, UncertaintyConfig, get_field, is_pinned, lever_value, set_fields
from sim.config.sample import read_sample
from sim.config.study import StudyConfig
from sim.run.rng import study_stream


def quantile(prior: Prior, u: np.ndarray) -> np.ndarray:
    """Map uniforms ``u`` in [0, 1) to the prior's values (its quantile function)."""
    lo, hi = prior.low, prior.high
    if hi == lo:
        return np.full_like(u, lo, dtype=float)
    if prior.dist == "uniform":
        return lo + u * (hi - lo)
    if prior.dist == "loguniform":
        return np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    if prior.dist == "triangular":
        mode = (lo + hi) / 2 if prior.mode is None else prior.mode
        c = (mode - lo) / (hi - lo)
        return np.where(
            u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)), hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
        )
    return np.asarray(stats.beta.ppf(u, prior.a, prior.b, loc=lo, scale=hi - lo), dtype=float)


def _pinned(study: StudyConfig, prior: Prior) -> bool:
    """True when the study's scenario or command line set the prior's field (the prior is off)."""
    return is_pinned(prior, study.uncertainty, study.baseline_model or study.model)


SOBOL_BLOCK = 1024  # points computed at once and cached per process


@lru_cache(maxsize=8)
def _sobol_block(n_inputs: int, root_seed: int, block: int) -> np.ndarray:
    engine = qmc.Sobol(n_inputs, scramble=True, rng=study_stream(root_seed, "parameters"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warnings: points are used one by one
        if block:
            engine.fast_forward(block * SOBOL_BLOCK)
        return np.asarray(engine.random(SOBOL_BLOCK))


def draw_point(uncertainty: UncertaintyConfig, root_seed: int, draw: int) -> np.ndarray:
    """Point ``draw`` of the study's scrambled Sobol sequence: one uniform per prior."""
    return _sobol_block(len(uncertainty.priors), root_seed, draw // SOBOL_BLOCK)[draw % SOBOL_BLOCK]


def draw_values(study: StudyConfig, draws: np.ndarray) -> np.ndarray:
    """The drawn quantity of every prior (columns, in file order) for each draw in ``draws``.

    The quantity is the field's value, or for a ratio prior (``per``) the ratio: the inputs
    drawn are independent (what a sensitivity analysis needs); :func:`field_values` turns a
    row into the fields' values. A pinned input (set by the scenario or the user) keeps its
    configured value (a pinned ratio prior: the configured ratio).
    """
    priors = study.uncertainty.priors
    baseline = study.baseline_model or study.model
    draws = np.asarray(draws, dtype=int)
    if study.uncertainty.sample:
        columns, table = read_sample(study.uncertainty.sample)
        rows = sample_rows(study.uncertainty, study.run.seed, draws, len(table))
        free = table[rows]
        column = {c: j for j, c in enumerate(columns)}
    else:
        blocks = {int(b): _sobol_block(len(priors), study.run.seed, int(b)) for b in np.unique(draws // SOBOL_BLOCK)}
        u = np.array([blocks[int(d) // SOBOL_BLOCK][int(d) % SOBOL_BLOCK] for d in draws])
        u = u.reshape(len(draws), len(priors))
    out = np.empty((len(draws), len(priors)))
    for i, prior in enumerate(priors):
        configured = get_field(baseline, prior.path)
        if prior.per:
            per = float(get_field(baseline, prior.per))
            configured = configured / per if per else 0.0
        if _pinned(study, prior):
            out[:, i] = configured
        elif study.uncertainty.sample:
            out[:, i] = free[:, column[prior.key]]
        else:
            out[:, i] = quantile(prior, u[:, i])
        if isinstance(configured, int):
            out[:, i] = np.round(out[:, i])
    return out


@lru_cache(maxsize=64)
def _permutation(root_seed: int, n_rows: int, block: int) -> np.ndarray:
    return study_stream(root_seed, "history_sample", block).permutation(n_rows)


def sample_rows(uncertainty: UncertaintyConfig, root_seed: int, draws: np.ndarray, n_rows: int) -> np.ndarray:
    """The sample row of each draw: prefix-stable, like the Sobol points.

    ``in_order``: row ``k mod n``. ``shuffled``: draws ``b*n .. (b+1)*n - 1`` visit every row
    once, in the ``b``-th permutation of the study stream ``history_sample`` (the root seed
    only): draw ``k``'s row never depends on how many draws a run makes.
    """
    draws = np.asarray(draws, dtype=int)
    if uncertainty.sample_order == "in_order":
        return draws % n_rows
    return np.array([_permutation(root_seed, n_rows, int(d) // n_rows)[int(d) % n_rows] for d in draws], dtype=int)


def field_values(study: StudyConfig, row: np.ndarray) -> dict[str, float]:
    """The baseline's value of every prior's field, given one row of :func:`draw_values`.

    A ratio prior's field is its ratio x the value its ``per`` field has in the same draw
    (drawn, if a free prior draws it; otherwise configured). Integer fields are rounded.
    """
    priors = study.uncertainty.priors
    baseline = study.baseline_model or study.model
    drawn = {p.path: (p, float(v)) for p, v in zip(priors, row, strict=True) if not _pinned(study, p)}
    out: dict[str, float] = {}

    def value(path: str) -> float:
        if path not in out:
            if path not in drawn:
                return float(get_field(baseline, path))
            prior, quantity = drawn[path]
            out[path] = quantity * value(prior.per) if prior.per else quantity
        return out[path]

    for prior in priors:
        v = value(prior.path)  # the configured value when no free prior draws it
        out[prior.path] = float(round(v)) if isinstance(get_field(baseline, prior.path), int) else v
    return out


def parameter_values(study: StudyConfig, replication: int) -> dict[str, float]:
    """Replication ``replication``'s value of every uncertain input's field (the baseline's)."""
    uncertainty = study.uncertainty
    if not uncertainty.priors:
        return {}
    return field_values(study, draw_values(study, np.array([replication // uncertainty.replications_per_draw]))[0])


def with_parameters(study: StudyConfig, replication: int) -> StudyConfig:
    """The study as replication ``replication`` runs it: every free prior at its drawn value.

    The baseline model (before the campaign launch) and the policy model (after it) both
    take the draw; a lever that sets a field keeps its mechanism (module docstring).
    """
    values = parameter_values(study, replication)
    if not values:
        return study
    baseline = study.baseline_model or study.model
    base_values: dict[str, float] = {}
    policy_values: dict[str, float] = {}
    for prior in study.uncertainty.priors:
        if _pinned(study, prior):
            continue
        drawn = values[prior.path]
        base_value, policy_value = get_field(baseline, prior.path), get_field(study.model, prior.path)
        base_values[prior.path] = drawn
        same = policy_value == base_value
        policy_values[prior.path] = drawn if same else lever_value(prior, policy_value, base_value, drawn)
    # A shallow copy, not dataclasses.replace: the boundary checks ran once for the study.
    # The copy's priors are cleared, so it is not drawn again.
    out = copy.copy(study)
    out.uncertainty = replace(study.uncertainty, priors=[], pinned=[], sample="")
    if study.baseline_model is None:
        out.model = set_fields(study.model, base_values)
    else:
        out.model = set_fields(study.model, policy_values)
        out.baseline_model = set_fields(baseline, base_values)
    return out


def parameter_frame(study: StudyConfig, replications: int) -> pd.DataFrame:
    """Long table of the uncertain inputs: replication, draw, parameter, value.

    ``parameter`` is the prior's :attr:`~sim.config.priors.Prior.key` and ``value`` the drawn
    quantity: the status quo's (baseline) value of the field, or for a ratio prior
    (``path/per``) the ratio, so the inputs in the table are independent. The value is the
    same in every scenario x policy cell that leaves the field free.
    """
    priors = study.uncertainty.priors
    if not priors or replications < 1:
        return pd.DataFrame({"replication": [], "draw": [], "parameter": [], "value": []})
    replication = np.arange(replications)
    draw = replication // study.uncertainty.replications_per_draw
    unique = np.unique(draw)
    values = draw_values(study, unique)[np.searchsorted(unique, draw)]
    k = len(priors)
    return pd.DataFrame(
        {
            "replication": np.repeat(replication, k),
            "draw": np.repeat(draw, k),
            "parameter": pd.Categorical(np.tile([p.key for p in priors], replications)),
            "value": values.ravel(),
        }
    )


def pin_overrides(study: StudyConfig, overrides: list[str]) -> StudyConfig:
    """Mark prior fields set on the command line (``model.<path>=...``) as pinned."""
    set_paths = {o.partition("=")[0].lstrip("+~").removeprefix("model.") for o in overrides}
    pinned = [p.path for p in study.uncertainty.priors if p.path in set_paths]
    if not pinned:
        return study
    return replace(study, uncertainty=replace(study.uncertainty, pinned=sorted({*study.uncertainty.pinned, *pinned})))
