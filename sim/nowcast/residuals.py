"""Residual distributions given the time already spent: ``u ~ U(F(elapsed), 1)``, ``d = F^-1(u)``.

Lognormal and Weibull residuals, a pre-work project's quality given how long its pre-work
has lasted, and the service left of a file under review (by rejection on fresh draws).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from sim.config.model import ModelConfig
from sim.config.steps import PreworkConfig
from sim.model.leads import DECISION_LATENTS, DURATION_LATENTS, Leads
from sim.model.project_plan import plan_projects

TINY = 1e-300  # floor of survival probabilities before inverting (avoids inf)


def residual_lognormal(
    median_days: np.ndarray | float, sigma_log: float, elapsed: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Remaining days of a lognormal duration that has lasted ``elapsed`` days.

    Draws ``d`` from the lognormal (median, sigma) conditioned on ``d > elapsed`` by inverting
    ``u`` on ``(F(elapsed), 1)``; returns ``d - elapsed`` (days, >= 0).
    """
    median = np.broadcast_to(np.asarray(median_days, dtype=float), elapsed.shape)
    e = np.maximum(elapsed, 0.0)
    if sigma_log == 0:
        return np.maximum(median - e, 0.0)
    with np.errstate(divide="ignore"):
        x = (np.log(e) - np.log(median)) / sigma_log
    survive = np.maximum((1.0 - u) * norm.sf(x), TINY)
    return np.maximum(median * np.exp(sigma_log * norm.isf(survive)) - e, 0.0)


def residual_weibull(scale_days: float, shape: float, elapsed: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Remaining days of a Weibull(shape, scale) time that has lasted ``elapsed`` days (closed form)."""
    e = np.maximum(elapsed, 0.0)
    return scale_days * ((e / scale_days) ** shape - np.log1p(-u)) ** (1.0 / shape) - e


QUALITY_GRID_POINTS = 201  # posterior of a project's quality on this many points of [min_quality, 1]


def quality_given_prework(
    elapsed: np.ndarray,
    pw: PreworkConfig,
    min_quality: float,
    u: np.ndarray,
    base_median_days: np.ndarray | None = None,
) -> np.ndarray:
    """A signed project's quality given its pre-work has lasted ``elapsed`` days (inverse CDF of ``u``).

    Quality (uniform on [min_quality, 1] among appraised projects) sets the pre-work median,
    ``median_days * exp(-quality_effect * (q - 0.5))``: a project still in pre-work after
    many days is more likely a slow, low-quality one. The posterior density is proportional
    to the chance the pre-work outlasts ``elapsed`` at that quality; drawing the quality from
    the prior instead made long-waiting projects too quick (too many second-half starts).
    ``base_median_days``: each project's median at quality 0.5 (ready projects and 全程代办
    have their own, issue 23); default ``pw.median_days`` for all.
    """
    grid = np.linspace(min_quality, 1.0, QUALITY_GRID_POINTS)
    base = np.full(np.shape(elapsed), pw.median_days) if base_median_days is None else base_median_days
    medians = base[:, None] * np.exp(-pw.quality_effect * (grid[None, :] - 0.5))
    e = np.where(np.isfinite(elapsed), np.maximum(elapsed, 0.0), 0.0)
    with np.errstate(divide="ignore"):
        x = (np.log(e)[:, None] - np.log(medians)) / max(pw.sigma_log, TINY)
    weight = norm.sf(x) + TINY  # (projects, grid)
    cdf = np.cumsum(weight, axis=1)
    cdf /= cdf[:, -1:]
    index = (cdf < u[:, None]).sum(axis=1)
    return grid[np.minimum(index, QUALITY_GRID_POINTS - 1)]


SERVICE_CANDIDATES = 32  # fresh service draws per file under review, to condition on its elapsed time


def residual_service(
    rows: Leads, elapsed: np.ndarray, model: ModelConfig, rng: np.random.Generator, k: int = SERVICE_CANDIDATES
) -> np.ndarray:
    """Remaining approval service (review, any rework, permits) of files under review for ``elapsed`` days.

    The service is a sum (and a mixture), so it is conditioned by rejection: ``k`` fresh plans
    of each project, the first service longer than ``elapsed``; if none is, the lognormal of
    the summed medians is conditioned instead (far in the tail).
    """
    n = len(rows)
    tiled = Leads(
        np.tile(rows.arrival_day, k),
        np.tile(rows.sector, k),
        np.tile(rows.investment_yi, k),
        np.zeros(k * n, bool),
        np.zeros(k * n, bool),
        rng.standard_normal((len(DURATION_LATENTS), k * n)),
        rng.random((len(DECISION_LATENTS), k * n)),
        rng.random(k * n),
    )
    plan = plan_projects(tiled, model)
    service = (plan.review_days + plan.permit_days).reshape(k, n)
    longer = service > elapsed
    first = service[np.argmax(longer, axis=0), np.arange(n)] - elapsed
    ap = model.approvals
    tail = residual_lognormal(ap.review_median_days + ap.permit_median_days, ap.sigma_log, elapsed, rng.random(n))
    return np.where(longer.any(axis=0), first, tail)
