"""Effects of levers from a two-level factorial screen, and the emulator the what-if panel uses.

The screen (``python -m sim.screen``) runs every cell of a resolution V design on the same
replications (common random numbers). Per target, two models with every main effect and every
two-lever interaction (columns coded -1 = lever off, +1 = on):

- **value**: ordinary least squares, fitted replication by replication. The design's columns are
  orthogonal, so replication ``r``'s coefficients are ``M' y_r / N``. The *block* is the draw of
  the uncertain inputs: replications that share a draw (``per_draw`` consecutive ones, see
  :mod:`sim.experiments.cells`) are averaged into one row, and the estimate is the mean of the ``B`` block
  rows with a t interval over blocks (``B - 1`` degrees of freedom). This is the paired analysis
  with fixed block effects: what every cell shares in a block (its leads, its inputs) cancels, and
  the error term is how much an effect varies from block to block (the effect x block
  interaction). A pooled residual would be narrower but assumes every lever's effect is the same
  in every block, which is false where an effect depends on whether a quota binds.
- **attainment** (value reaches the goal: >= for ``at_least``, <= for ``at_most``):
  a logistic regression with a weak ridge penalty (a normal prior
  of sd ``PRIOR_SD_LOGIT`` on each coefficient, intercept free; assumption: it only keeps
  coefficients finite when some cells never or always attain). Intervals by resampling
  blocks (whole rows of cells, keeping the pairing), percentile method.

An *effect* is the change in the value (or in the log-odds of attaining) from a lever off to on,
averaged over the other levers (twice the coefficient, Box, Hunter and Hunter's convention). An
interaction ``a:b`` is half the difference between ``a``'s effect with ``b`` on and with ``b`` off.

:func:`emulator` packs the per-block and bootstrap coefficients so that a prediction for
any package (and its interval) is a few sums; :func:`predict` is the reference implementation the
report's panel and the what-if sheet are tested against.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from cityplan.targets import attained

PRIOR_SD_LOGIT = 2.5  # assumption: weakly informative prior on logistic coefficients (Gelman et al. 2008), 1-5
BOOTSTRAPS = 60  # resamples of blocks for the logistic intervals (assumption; 40-200)
CONFIDENCE = 0.95
EFFECT_COLUMNS: tuple[str, ...] = ("target", "term", "effect", "ci_low", "ci_high", "model", "kind")


def model_matrix(x: np.ndarray) -> np.ndarray:
    """Columns 1, each lever, each pair product, for rows of -1/+1 lever settings."""
    x = np.asarray(x, dtype=float)
    k = x.shape[1]
    pairs = list(itertools.combinations(range(k), 2))
    return np.column_stack([np.ones(len(x)), x, *(x[:, i] * x[:, j] for i, j in pairs)])


def term_names(levers: list[str]) -> list[str]:
    """Names of the model's columns after the intercept: ``lever`` and ``a:b``."""
    return list(levers) + [f"{a}:{b}" for a, b in itertools.combinations(levers, 2)]


def value_coefficients(design: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares coefficients per replication, (R x p).

    Parameters
    ----------
    design
        (cells x levers) of -1/+1.
    values
        (cells x R) values of one target, replication ``r`` in column ``r`` for every cell.
    """
    m = model_matrix(design)
    coef, *_ = np.linalg.lstsq(m, values, rcond=None)
    # Round off floating-point dust (~1e-13) so a lever that cannot move a target has effect 0, not
    # a spuriously "significant" 1e-13 with an interval of 1e-14.
    scale = max(float(np.abs(values).max()), 1.0)
    return np.asarray(np.round(coef.T / scale, 10) * scale)


def block_means(coef: np.ndarray, per_draw: int) -> np.ndarray:
    """Mean of each block of ``per_draw`` consecutive rows of ``coef`` (R x p) -> (R / per_draw x p).

    Raises ValueError unless ``R`` is a multiple of ``per_draw`` with at least two blocks.
    """
    n_rep = coef.shape[0]
    if per_draw < 1 or n_rep % per_draw or n_rep // per_draw < 2:  # noqa: PLR2004 - a t interval needs 2 blocks
        raise ValueError(
            f"{n_rep} replications with {per_draw} per draw: need a multiple of {per_draw} giving >= 2 draws"
        )
    return np.asarray(coef.reshape(n_rep // per_draw, per_draw, -1).mean(axis=1))


def fit_logistic(m: np.ndarray, y: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Ridge-penalised logistic regression (intercept unpenalised), by L-BFGS."""
    penalty = np.full(m.shape[1], 1.0 / PRIOR_SD_LOGIT**2)
    penalty[0] = 0.0

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = m @ beta
        nll = float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(penalty * beta**2))
        grad = m.T @ (special.expit(eta) - y) + penalty * beta
        return nll, grad

    x0 = np.zeros(m.shape[1]) if start is None else start
    res = optimize.minimize(loss, x0, jac=True, method="L-BFGS-B")
    return np.asarray(res.x)


def attain_coefficients(
    design: np.ndarray, attained: np.ndarray, seed: int, per_draw: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic coefficients (p,) on all data and (BOOTSTRAPS x p) on resampled blocks.

    Parameters
    ----------
    design
        (cells x levers) of -1/+1.
    attained
        (cells x R) of 0/1.
    seed
        Seed of the resampling (a numpy Generator of its own; no global state).
    per_draw
        Consecutive replications sharing a draw: a block, resampled whole.
    """
    m = model_matrix(design)
    _n_cells, n_rep = attained.shape

    def fit(columns: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        y = attained[:, columns].T.reshape(-1)  # replication-major, matching np.tile(m)
        return fit_logistic(np.tile(m, (len(columns), 1)), y.astype(float), start)

    full = fit(np.arange(n_rep))
    rng = np.random.default_rng(seed)
    blocks = np.arange(n_rep).reshape(-1, per_draw)
    n_blocks = len(blocks)
    boot = np.array(
        [fit(blocks[rng.integers(0, n_blocks, size=n_blocks)].reshape(-1), full) for _ in range(BOOTSTRAPS)]
    )
    return full, boot


def effects_table(
    target: str, levers: list[str], value_coef: np.ndarray, attain_full: np.ndarray, attain_boot: np.ndarray
) -> pd.DataFrame:
    """Rows ``target, term, effect, ci_low, ci_high, model, kind`` for both models.

    ``model`` is ``value`` (effect in the target's unit) or ``attain`` (effect on the log-odds of
    attaining); ``kind`` is ``main`` or ``interaction``.
    """
    names = term_names(levers)
    kinds = ["main"] * len(levers) + ["interaction"] * (len(names) - len(levers))
    n_blocks = value_coef.shape[0]  # rows: blocks (draws)
    mean = value_coef.mean(axis=0)[1:]
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n_blocks - 1) * value_coef.std(axis=0, ddof=1)[1:] / np.sqrt(n_blocks)
    value = pd.DataFrame(
        {"term": names, "effect": 2 * mean, "ci_low": 2 * (mean - half), "ci_high": 2 * (mean + half)}
    ).assign(model="value", kind=kinds)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(2 * attain_boot[:, 1:], [tail, 100 - tail], axis=0)
    attain = pd.DataFrame({"term": names, "effect": 2 * attain_full[1:], "ci_low": low, "ci_high": high}).assign(
        model="attain", kind=kinds
    )
    return pd.concat([value, attain], ignore_index=True).assign(target=target)[list(EFFECT_COLUMNS)]


@dataclass(frozen=True)
class TargetFit:
    """Both models of one target: what the emulator needs."""

    target: str
    goal: float
    direction: str  # at_least or at_most (cityplan.targets.attained)
    value_coef: np.ndarray  # (B x p): one row per block (draw of the uncertain inputs)
    attain_full: np.ndarray  # (p,)
    attain_boot: np.ndarray  # (B x p)


def fit_target(
    target: str,
    goal: float,
    design: np.ndarray,
    values: np.ndarray,
    seed: int,
    per_draw: int = 1,
    *,
    direction: str,
) -> TargetFit:
    """Fit the value and attainment models of one target from its (cells x R) values.

    ``per_draw`` consecutive replications share a draw of the uncertain inputs and form one block.
    A replication attains when its value reaches ``goal`` in ``direction`` (``at_least``: >=,
    ``at_most``: <=; :func:`cityplan.targets.attained`).
    """
    coef = block_means(value_coefficients(design, values), per_draw)
    full, boot = attain_coefficients(design, attained(values, goal, direction).astype(float), seed, per_draw)
    return TargetFit(target, goal, direction, coef, full, boot)


def _round(a: np.ndarray) -> list[Any]:
    return np.asarray(np.round(a, 6)).tolist()


def emulator(
    levers: list[str],
    labels: dict[str, str],
    design: np.ndarray,
    fits: list[TargetFit],
    titles: dict[str, str],
    meta: dict[str, Any],
) -> dict[str, Any]:
    """The JSON-able emulator: levers, simulated packages, per target the coefficient draws.

    ``design`` rows are the simulated packages (-1/+1). Numbers are rounded to 6 decimals; the
    panel and the sheet compute with these rounded numbers, and so does :func:`predict`.
    """
    n_blocks = fits[0].value_coef.shape[0]
    return {
        "levers": levers,
        "labels": labels,
        "terms": term_names(levers),
        "simulated": [[int(v > 0) for v in row] for row in design],
        "confidence": CONFIDENCE,
        "t_quantile": float(stats.t.ppf(0.5 + CONFIDENCE / 2, n_blocks - 1)),
        "meta": meta,
        "targets": {
            f.target: {
                "title": titles.get(f.target, f.target),
                "goal": f.goal,
                "direction": f.direction,
                "value_coef": _round(f.value_coef),
                "attain_coef": _round(f.attain_full),
                "attain_boot": _round(f.attain_boot),
            }
            for f in fits
        },
    }


def package_row(levers: list[str], package: set[str] | frozenset[str]) -> np.ndarray:
    """The model row (1, x, pairs) of a package (the set of levers switched on)."""
    unknown = sorted(set(package) - set(levers))
    if unknown:
        raise ValueError(f"package has levers {unknown} that were not screened; screened: {levers}")
    x = np.array([[1.0 if lv in package else -1.0 for lv in levers]])
    return model_matrix(x)[0]


def predict(emu: dict[str, Any], target: str, package: set[str] | frozenset[str]) -> dict[str, Any]:
    """Predicted value and P(attain) of a package with intervals, and whether it was simulated.

    Value: mean over blocks of each block's prediction, +- t sd / sqrt(B).
    P(attain): logistic of the full fit; interval = percentiles of the bootstrap predictions
    (linear interpolation, as numpy's default and Excel's PERCENTILE.INC).
    """
    row = package_row(emu["levers"], package)
    t = emu["targets"][target]
    per_rep = np.asarray(t["value_coef"]) @ row
    half = emu["t_quantile"] * per_rep.std(ddof=1) / np.sqrt(len(per_rep))
    boot = special.expit(np.asarray(t["attain_boot"]) @ row)
    tail = 100 * (1 - emu["confidence"]) / 2
    bits = [int(lv in package) for lv in emu["levers"]]
    return {
        "value": float(per_rep.mean()),
        "value_low": float(per_rep.mean() - half),
        "value_high": float(per_rep.mean() + half),
        "p_attain": float(special.expit(np.asarray(t["attain_coef"]) @ row)),
        "p_low": float(np.percentile(boot, tail)),
        "p_high": float(np.percentile(boot, 100 - tail)),
        "simulated": bits in emu["simulated"],
    }


def all_packages(levers: list[str]) -> np.ndarray:
    """Every package (2^k rows of -1/+1), for ranking by the emulator."""
    return np.array(list(itertools.product((-1.0, 1.0), repeat=len(levers))))


def rank_packages(fit: TargetFit, levers: list[str]) -> pd.DataFrame:
    """Every package with its predicted value and P(attain) (point estimates), best value first.

    Best is the highest value for an ``at_least`` goal, the lowest for an ``at_most`` one.
    """
    x = all_packages(levers)
    m = model_matrix(x)
    value = m @ fit.value_coef.mean(axis=0)
    p = special.expit(m @ fit.attain_full)
    packages = ["+".join(lv for lv, v in zip(levers, row, strict=True) if v > 0) or "status_quo" for row in x]
    frame = pd.DataFrame({"package": packages, "levers": (x > 0).sum(axis=1), "value": value, "p_attain": p})
    return frame.sort_values("value", ascending=fit.direction == "at_most", ignore_index=True)
