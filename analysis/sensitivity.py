"""Uncertainty budget (issue 11): how much of a target's spread is luck, how much each input.

A run with ``uncertainty=evidence`` gives every replication one parameter vector (a Sobol
draw, shared by ``replications_per_draw`` replications with different luck) and its own luck
(the replication's random streams). For a target ``Y`` this module splits ``Var(Y)``:

- **luck** = ``E[Var(Y | θ)] / Var(Y)``: the pooled variance between replications that share
  a draw. Model-free and unbiased; it is what would remain if every input were known.
- **first order of input i** = ``Var(E[Y | θ_i]) / Var(Y)``: estimated on the run's own
  sample ("given data"): draws are grouped into equal-count bins of ``θ_i`` and the
  spread of the bin means of the draw means is taken with the noise removed,
  ``(SSB - (M - 1) MSW) / N`` (one-way ANOVA with fixed bins). The subtraction removes the noise that luck and the other
  inputs put into the bin means (a plain binning estimator credits each of 29 inputs with
  ~1/n_bin of the variance by noise alone).
  In a finite sample a bystander input is by chance correlated with a dominant one (0.2 with
  150 draws is common) and the binning would credit it with part of the dominant effect; so
  the main drivers (forward selection, each >= 5% of the variance) are fitted as an additive
  model and each input's share is taken from what the *other* drivers leave.
- **interactions and the rest** = ``1 - luck - Σ first order``: joint effects of inputs.

The same split is made for the attainment indicator ``1{Y attains the goal}`` (its variance is
``p(1 - p)``), i.e. for P(attain), and for a paired policy effect ``Y_policy - Y_baseline``.
Intervals are bootstrap intervals over draws (a draw and its replications are resampled
together), centred on the estimate: resampling with replacement puts tied draws in one bin,
which shifts the ANOVA estimate, so the bootstrap's percentile spread is kept and its mean
shift removed (synthetic check: 95% intervals covered the true shares in 83-100% of 30
trials, 150 draws). Why not Saltelli's design: first and total orders for 29 inputs and
luck would need ``N (d + 2)`` runs (~15,000 at N = 512), against a few hundred replications
here; the given-data estimator uses the forecast run itself.

**Against chance (issue 24).** With few draws every input gets a share by chance. Each budget
therefore carries a **null level** measured the same way: dummy inputs that drive nothing
(random rankings of the draws) are binned and scored exactly like a real input that is not a
main driver (the main drivers' effects removed, the ANOVA noise correction applied). The null
level is the 95th percentile of the *largest* dummy share among as many dummies as the run has
inputs (the level the best of the inert inputs reaches by chance), over :data:`NULL_SETS` sets.
An input is reported as a **driver** only when its share is above that level (``driver``
column); the report names no other input. The false-finding rate is measured in
``tests/test_discovery_limits.py`` (known drivers, inert inputs, 15 to 500 draws).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cityplan.targets import Goal, as_goal

log = logging.getLogger(__name__)

LUCK = "luck"
# Folder (in a run directory) of the budget and discovery charts; apart from the report's
# charts/ so `analysis report` and these commands never refuse or replace each other's files.
UNCERTAINTY_CHARTS = "uncertainty_charts"
REST = "interactions"
MEASURES = ("variance_share", "attain_variance_share", "effect_variance_share")
SENSITIVITY_COLUMNS = ("target", "parameter", "measure", "value", "ci_low", "ci_high", "null_level", "driver")
BUDGET_COLUMNS = ("parameter", "value", "ci_low", "ci_high", "null_level", "driver")
VOI_COLUMNS = ("target", "parameter", "p_attain", "shift_sd", "p_low_group", "p_high_group", "driver", "rank")
NULL_SETS = 200  # sets of dummy inputs for the null level
NULL_CHUNK = 50
NULL_QUANTILE = 0.99
DRIVER_TOLERANCE = 1e-6  # a share must beat the null level by more than rounding (a residual of zeros)
MIN_DRAWS = 10  # fewer draws than this cannot rank inputs
# And at least this many draws per varying input (assumption): with fewer, chance correlation in
# the sample credits bystanders (a 20-replication run of 42 inputs gave an input that cannot act
# on agreed investment 66% of its spread), so no budget is given and a warning says why.
# Measured (tests/test_discovery_limits.py, 2 drivers and 5 inert inputs, 100 trials): at 15
# draws (2.1 per input) 2 of 39 reported drivers were inert (5.1%, above the 5% allowed), at 50
# draws 1 of 162; hence 3 per input.
DRAWS_PER_INPUT = 3
MAX_BINS = 20
CONSTANT_REL_VAR = 1e-12  # a quantity whose variance is below this share of its mean square is constant
MIN_BINS = 4
# Main drivers partialled out of the other inputs' shares: at most this many, each explaining
# at least this share of the variance (beyond the drivers before it).
MAX_DRIVERS = 5
DRIVER_SHARE = 0.05


@dataclass(frozen=True)
class Design:
    """The run's parameter sample at the level of draws.

    Attributes
    ----------
    draw
        Draw index of each replication (replications sharing a draw share θ).
    inputs
        One row per draw, one column per varying input (draws in ascending order).
    """

    draw: np.ndarray
    inputs: pd.DataFrame


def design_of(params: pd.DataFrame, replications: np.ndarray) -> Design:
    """Draw index per replication and the varying inputs per draw from ``params.parquet``.

    Inputs that take one value in every replication (fixed or pinned) are left out.
    """
    wide = params.pivot_table(index="replication", columns="parameter", values="value", aggfunc="first")
    draws = params.drop_duplicates("replication").set_index("replication")["draw"]
    missing = set(replications.tolist()) - set(wide.index.tolist())
    if missing:
        raise ValueError(f"params.parquet has no parameters for replications {sorted(missing)[:5]}...")
    draw = draws.loc[replications].to_numpy()
    per_draw = wide.loc[replications].groupby(draw).first()
    varying = [c for c in per_draw.columns if per_draw[c].nunique() > 1]
    return Design(draw=draw, inputs=per_draw[varying])


def _bins(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-count bins of ``x`` by rank (ties broken by position)."""
    ranks = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    return (ranks * n_bins // len(x)).astype(np.int64)


def n_bins_for(n_draws: int) -> int:
    """Bins per input: about sqrt(draws), between 4 and 20 (bias-variance trade-off)."""
    return int(np.clip(round(np.sqrt(n_draws)), MIN_BINS, MAX_BINS))


def _fit_additive(m: np.ndarray, bins: np.ndarray, chosen: list[int], n_bins: int, iters: int = 20) -> np.ndarray:
    """Backfit ``m ~ Σ f_i(bin_i)`` over the ``chosen`` inputs; rows: f_i per draw (centred)."""
    f = np.zeros((bins.shape[0], len(m)))
    centred = m - m.mean()
    for _ in range(iters if len(chosen) > 1 else 1):
        for i in chosen:
            partial = centred - f[chosen].sum(axis=0) + f[i]
            means = np.bincount(bins[i], weights=partial, minlength=n_bins) / np.maximum(
                np.bincount(bins[i], minlength=n_bins), 1
            )
            f[i] = means[bins[i]] - means[bins[i]].mean()
    return f


def _anova_share(m: np.ndarray, b: np.ndarray, n_bins: int, w: np.ndarray) -> np.ndarray:
    """Variance of the bin means of ``m`` (draws), less the noise, for each weight column of ``w``.

    ``(SSB - (M - 1) MSW) / N``: the between-bin sum of squares overstates the spread of the
    bin means by the within-bin noise, ``(M - 1)`` times its mean square.
    """
    onehot = np.zeros((n_bins, len(m)))
    onehot[b, np.arange(len(m))] = 1.0
    n_draws = w.sum(axis=0)
    grand = (m @ w) / n_draws
    nb = onehot @ w
    sb = onehot @ (m[:, None] * w)
    qb = onehot @ (m[:, None] ** 2 * w)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_b = np.where(nb > 0, sb / nb, 0.0)
        ssb = (nb * (mean_b - grand) ** 2).sum(axis=0)
        msw = (qb - np.where(nb > 0, sb**2 / nb, 0.0)).sum(axis=0) / (n_draws - n_bins)
        # Bins are fixed (not drawn): E[SSB] = Σ n_b (μ_b - μ)^2 + (M - 1) σ_w^2.
        return np.asarray((ssb - (n_bins - 1) * msw) / n_draws)


def drivers(m: np.ndarray, bins: np.ndarray, n_bins: int, var: float) -> list[int]:
    """Forward selection of the inputs that explain at least DRIVER_SHARE of the variance.

    Each step adds the input with the largest first-order share of what the drivers chosen
    so far leave unexplained, if that share is above the null level (:func:`null_level`) on
    the same residual; at most MAX_DRIVERS.
    """
    chosen: list[int] = []
    if var <= 0:
        return chosen
    ones = np.ones((len(m), 1))
    for _ in range(min(MAX_DRIVERS, bins.shape[0])):
        rest = m - _fit_additive(m, bins, chosen, n_bins)[chosen].sum(axis=0)
        scores = [
            (-np.inf if i in chosen else float(_anova_share(rest, bins[i], n_bins, ones)[0])) for i in range(len(bins))
        ]
        best = int(np.argmax(scores))
        # A driver must also beat the best of as many dummy inputs on the same residual: with
        # few draws a bystander otherwise enters by chance and keeps its chance share.
        if scores[best] / var < max(DRIVER_SHARE, null_level(rest, bins, n_bins, var)):
            break
        chosen.append(best)
    return chosen


def _shares(
    y_sum: np.ndarray, y_sq: np.ndarray, n_rep: np.ndarray, bins: np.ndarray, n_bins: int, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Luck, first order per input and the rest for draw weights ``w`` (columns of ``w``).

    ``y_sum``, ``y_sq``, ``n_rep``: per draw; ``bins``: (n_inputs, n_draws); ``w``:
    (n_draws, B) multiplicities (column 0: the sample itself). Returns (2 + n_inputs, B):
    luck, rest, inputs; and each input's null level on the sample (:func:`null_level`). Each
    input's share is taken from the draw means less the additive effects of the main drivers
    other than itself (fitted once, on the sample), so a chance correlation with a dominant
    input in a finite sample is not credited to a bystander.
    """
    n_total = n_rep @ w
    mean = (y_sum @ w) / n_total
    var = np.maximum((y_sq @ w) - n_total * mean**2, 0.0) / (n_total - 1)
    within = (y_sq - y_sum**2 / n_rep) @ w
    dof = (n_rep - 1) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        luck = np.where(dof > 0, within / np.maximum(dof, 1) / var, np.nan)
    m = y_sum / n_rep  # draw means
    chosen = drivers(m, bins, n_bins, float(var[0]))
    f = _fit_additive(m, bins, chosen, n_bins)
    first = np.empty((bins.shape[0], w.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without spread -> nan
        for i, b in enumerate(bins):
            others = [j for j in chosen if j != i]
            adjusted = m - f[others].sum(axis=0) if others else m
            first[i] = _anova_share(adjusted, b, n_bins, w) / var
        rest = 1.0 - np.nan_to_num(luck) - first.sum(axis=0)
    # Null level of each input, scored on what its own share is scored on: the draw means less
    # the other drivers' effects (a driver's own fitted effect stays in, as in its share).
    levels = {}
    for i in [*chosen, -1]:
        others = [j for j in chosen if j != i]
        levels[i] = null_level(m - f[others].sum(axis=0) if others else m, bins, n_bins, float(var[0]))
    null = np.array([levels[i] if i in chosen else levels[-1] for i in range(bins.shape[0])])
    return np.vstack([luck, rest, first]), null


def null_level(adjusted: np.ndarray, bins: np.ndarray, n_bins: int, var: float, *, seed: int = 0) -> float:
    """The share the largest of ``len(bins)`` inert inputs reaches by chance (95th percentile).

    A dummy input is a random ranking of the draws: its bins are a shuffle of a real input's
    (equal-count bins hold the same numbers of draws). Scored on ``adjusted`` (the draw means
    less the main drivers' effects) with the ANOVA noise correction, as a non-driver input is.
    """
    n_inputs, n_draws = bins.shape
    if var <= 0 or n_inputs == 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    grand = adjusted.mean()
    total_ss = ((adjusted - grand) ** 2).sum()
    largest = []
    for _ in range(NULL_SETS // NULL_CHUNK):  # chunks keep the arrays small (sets x inputs x draws)
        dummies = rng.permuted(np.tile(bins[0], (NULL_CHUNK * n_inputs, 1)), axis=1)
        offset = (dummies + n_bins * np.arange(len(dummies))[:, None]).ravel()
        counts = np.bincount(offset, minlength=n_bins * len(dummies)).reshape(len(dummies), n_bins)
        sums = np.bincount(offset, weights=np.tile(adjusted, len(dummies)), minlength=counts.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums.reshape(counts.shape) / np.maximum(counts, 1), 0.0)
            ssb = (counts * (means - grand) ** 2).sum(axis=1)
            msw = (total_ss - ssb) / (n_draws - n_bins)
            shares = (ssb - (n_bins - 1) * msw) / n_draws / var
        largest.append(shares.reshape(NULL_CHUNK, n_inputs).max(axis=1))
    return float(np.quantile(np.concatenate(largest), NULL_QUANTILE))


def budget(y: np.ndarray, design: Design, *, n_boot: int = 200, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Variance shares of ``y`` (one value per replication): luck, each input, the rest.

    Parameters
    ----------
    y
        The quantity per replication, aligned with ``design.draw``.
    design
        The run's draws (:func:`design_of`).
    n_boot
        Bootstrap resamples of draws for the intervals.
    level
        Coverage of the percentile intervals.
    seed
        Seed of the bootstrap (analysis only; the model's streams are not touched).

    Returns
    -------
    DataFrame
        ``parameter, value, ci_low, ci_high, null_level, driver`` (:data:`BUDGET_COLUMNS`);
        header only when ``y`` does not vary or the draws are too few (:func:`enough_draws`).
    """
    y = np.asarray(y, dtype=float)
    draws, codes = np.unique(design.draw, return_inverse=True)
    n_rep = np.bincount(codes).astype(float)
    y_sum = np.bincount(codes, weights=y)
    y_sq = np.bincount(codes, weights=y**2)
    if np.var(y) <= CONSTANT_REL_VAR * np.mean(y**2) or not enough_draws(len(draws), design.inputs.shape[1]):
        return pd.DataFrame(columns=list(BUDGET_COLUMNS))
    inputs = design.inputs.loc[draws]
    n_bins = n_bins_for(len(draws))
    bins = np.array([_bins(inputs[c].to_numpy(), n_bins) for c in inputs.columns]).reshape(-1, len(draws))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(draws), size=(n_boot, len(draws)))
    w = np.ones((len(draws), 1 + n_boot))
    for j, pick in enumerate(picks, start=1):
        w[:, j] = np.bincount(pick, minlength=len(draws))
    shares, null = _shares(y_sum, y_sq, n_rep, bins, n_bins, w)
    alpha = (1 - level) / 2
    if n_boot > 0:  # centred: resampling draws with replacement ties them, which biases
        boot = shares[:, 1:]  # the ANOVA estimate; its spread is kept, its shift removed
        boot = np.where(np.isfinite(boot), boot, np.nan)  # resamples without spread
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row of nan gives nan
            q_low, q_high = np.nanquantile(boot, [alpha, 1 - alpha], axis=1)
            centre = np.nanmean(boot, axis=1)
        low, high = shares[:, 0] + q_low - centre, shares[:, 0] + q_high - centre
    else:
        low = high = np.full(len(shares), np.nan)
    names = [LUCK, REST, *inputs.columns]
    driver = np.zeros(len(names), dtype=bool)
    driver[2:] = shares[2:, 0] > null + DRIVER_TOLERANCE
    levels = np.concatenate([[np.nan, np.nan], null])
    return pd.DataFrame(
        {
            "parameter": names,
            "value": shares[:, 0],
            "ci_low": low,
            "ci_high": high,
            "null_level": levels,
            "driver": driver,
        }
    )


def enough_draws(n_draws: int, n_inputs: int) -> bool:
    """Whether ``n_draws`` parameter draws can rank ``n_inputs`` varying inputs."""
    return n_draws >= draws_needed(n_inputs)


def draws_needed(n_inputs: int) -> int:
    """Parameter draws a budget of ``n_inputs`` varying inputs needs."""
    return max(MIN_DRAWS, DRAWS_PER_INPUT * n_inputs)


def too_few_draws(params: pd.DataFrame) -> str:
    """Why a run's draws cannot carry a budget ("" when they can), in one bilingual line."""
    if params.empty:
        return ""
    design = design_of(params, np.sort(params["replication"].unique()))
    n_draws, n_inputs = len(np.unique(design.draw)), design.inputs.shape[1]
    if enough_draws(n_draws, n_inputs):
        return ""
    need = draws_needed(n_inputs)
    return (
        f"抽样太少：{n_draws} 次参数抽样、{n_inputs} 项不确定输入，不确定性分解至少需要 {need} 次。"
        f" Too few draws: {n_draws} parameter draws for {n_inputs} uncertain inputs; the budget needs at least "
        f"{need} (run.replications >= {need} x uncertainty.replications_per_draw)."
    )


def _warn_if_too_few(design: Design) -> None:
    n_draws, n_inputs = len(np.unique(design.draw)), design.inputs.shape[1]
    if not enough_draws(n_draws, n_inputs):
        need = draws_needed(n_inputs)
        log.warning(
            "uncertainty budget: %d parameter draws for %d varying inputs; ranking them needs at least %d "
            "draws (uncertainty.replications_per_draw replications each): no budget is given",
            n_draws,
            n_inputs,
            need,
        )


def target_budgets(
    kpis: pd.DataFrame, params: pd.DataFrame, goals: Mapping[str, float | Goal], *, n_boot: int = 200, seed: int = 0
) -> pd.DataFrame:
    """``sensitivity.csv`` rows of one run: every target's value and attainment budgets.

    Parameters
    ----------
    kpis
        Long year-end table (target, replication, value) of one cell.
    params
        ``params.parquet`` of the same run.
    goals
        Goal by target key (:class:`cityplan.targets.Goal`, or a number: an ``at_least`` goal).
    """
    wide = kpis.pivot_table(index="replication", columns="target", values="value", observed=True)
    design = design_of(params, wide.index.to_numpy())
    _warn_if_too_few(design)
    frames = []
    for target in wide.columns:
        y = wide[target].to_numpy()
        for measure, values in (("variance_share", y), ("attain_variance_share", as_goal(goals[str(target)]).hits(y))):
            b = budget(values.astype(float), design, n_boot=n_boot, seed=seed)
            frames.append(b.assign(target=str(target), measure=measure))
    return _tidy(frames)


def effect_budgets(
    policy_kpis: pd.DataFrame, baseline_kpis: pd.DataFrame, params: pd.DataFrame, *, n_boot: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Budget of the paired effect ``Y_policy - Y_baseline`` per target (same replications)."""
    pol = policy_kpis.pivot_table(index="replication", columns="target", values="value", observed=True)
    base = baseline_kpis.pivot_table(index="replication", columns="target", values="value", observed=True)
    common = pol.index.intersection(base.index)
    effect = pol.loc[common] - base.loc[common]
    design = design_of(params, common.to_numpy())
    _warn_if_too_few(design)
    frames = [
        budget(effect[t].to_numpy(), design, n_boot=n_boot, seed=seed).assign(
            target=str(t), measure="effect_variance_share"
        )
        for t in effect.columns
    ]
    return _tidy(frames)


def _tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(SENSITIVITY_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(SENSITIVITY_COLUMNS)]


def ranking(sensitivity: pd.DataFrame, measure: str = "variance_share") -> pd.DataFrame:
    """Inputs and luck per target, largest share first (``rank`` 1 = matters most)."""
    rows = sensitivity[(sensitivity["measure"] == measure) & (sensitivity["parameter"] != REST)].copy()
    if "driver" not in rows:  # a sensitivity.csv written before issue 24
        rows["driver"] = True
    rows = rows.sort_values(["target", "value"], ascending=[True, False])
    rows["rank"] = rows.groupby("target").cumcount() + 1
    return rows


def value_of_information(
    kpis: pd.DataFrame, params: pd.DataFrame, goals: Mapping[str, float | Goal], *, n_groups: int = 5
) -> pd.DataFrame:
    """Which input, known exactly, would move P(attain) most (one table).

    For each target with 0 < P(attain) < 1 and each varying input: ``shift_sd`` is the
    standard deviation of P(attain | θ_i) (the between-bin component, noise removed):
    learning θ_i moves the forecast by about this much either way. ``p_low_group`` and
    ``p_high_group`` are P(attain) among the draws in the lowest and highest ``1/n_groups``
    of θ_i (raw shares).
    """
    wide = kpis.pivot_table(index="replication", columns="target", values="value", observed=True)
    design = design_of(params, wide.index.to_numpy())
    rows = []
    for target in wide.columns:
        hit = as_goal(goals[str(target)]).hits(wide[target].to_numpy()).astype(float)
        p = hit.mean()
        if not 0 < p < 1:
            continue
        shares_frame = budget(hit, design, n_boot=0).set_index("parameter")
        if shares_frame.empty:  # too few draws
            continue
        shares, is_driver = shares_frame["value"], shares_frame["driver"]
        draw_codes = np.unique(design.draw, return_inverse=True)[1]
        draw_hit = np.bincount(draw_codes, weights=hit) / np.bincount(draw_codes)
        for name in design.inputs.columns:
            group = _bins(design.inputs[name].to_numpy(), n_groups)
            rows.append(
                {
                    "target": str(target),
                    "parameter": name,
                    "p_attain": p,
                    "shift_sd": float(np.sqrt(max(shares[name], 0.0) * p * (1 - p))),
                    "p_low_group": float(draw_hit[group == 0].mean()),
                    "p_high_group": float(draw_hit[group == n_groups - 1].mean()),
                    "driver": bool(is_driver[name]),
                }
            )
    table = pd.DataFrame(rows, columns=[c for c in VOI_COLUMNS if c != "rank"])
    if table.empty:
        return pd.DataFrame(columns=list(VOI_COLUMNS))
    table = table.sort_values(["target", "shift_sd"], ascending=[True, False])
    table["rank"] = table.groupby("target").cumcount() + 1
    return table.reset_index(drop=True)
