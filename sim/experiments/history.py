"""History matching in waves: rule out the inputs whose outputs the record makes implausible.

The method of Craig et al. (1997), Vernon, Goldstein & Bower (2010) and, for a stochastic
model, Andrianakis et al. (2015). An input vector ``x`` (the uniforms of the priors, in
``[0, 1]^d``) is ruled out when for some fitted observation ``j``

    I_j(x) = d_j(x) / sqrt(Var_obs_j + Var_disc_j + Var_em_j(x) + Var_luck_j) > cutoff (3),

where ``d_j`` is the distance from the model's mean ``E[f_j(x)]`` to the observed value (or to
the observed range: any value of the range is compatible), ``Var_obs`` the observation's
error, ``Var_disc`` the model discrepancy (a stated share of the observed value), ``Var_em``
the emulator's uncertainty about ``E[f_j(x)]`` and ``Var_luck`` the spread of one replication
about its mean (the record is one realisation of 2019-2022, the model's luck is the
ensemble variance of Andrianakis et al.). The maximum over ``j`` is the cut.

Waves: wave 1 runs a design over the whole prior; each wave fits one :class:`Emulator` per
observation to its runs (a regression on the inputs that matter plus a Gaussian process on
what is left, as in Vernon et al. and the R package ``hmer``), keeps the candidates that no
emulator of this or an earlier wave rules out, and the next wave's design is drawn from
them. The final wave's runs are checked with the simulator itself (no emulator): its
non-implausible points are the sample. This module is arrays only; ``sim.history_match``
runs the model.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import qmc

log = logging.getLogger("gongjian.history")

CUTOFF = 3.0  # Pukelsheim's three-sigma rule: >= 95% of any unimodal distribution within 3 sd
MAX_ACTIVE = 8  # inputs an emulator's regression and GP use (the rest goes to its nugget)
POOL_SIZE = 16_384  # uniform candidates screened per wave
MIN_FIT_POINTS = 5  # fewer defined means than this: the emulator is their mean and spread
LOCAL_ROUNDS = 20  # rounds of the search for a first non-implausible point at most
CHAINS = 256  # random-walk chains that spread the candidates over the region
EXPLORE_ROUNDS = 30  # their steps (the first third is burn-in)
CLOSEST_STARTS = 64  # when a pool keeps nothing, the local search starts from its closest points
MIN_CANDIDATES_FACTOR = 2  # local search until the accepted candidates are this x the design


@dataclass(frozen=True)
class Target:
    """One fitted observation as the implausibility sees it.

    ``low``/``high``: the observed value (equal) or range; ``obs_var``: the observation error's
    variance (sd^2; 0 for a range, whose width is its error); ``disc_var``: the model
    discrepancy's variance.
    """

    key: str
    low: float
    high: float
    obs_var: float
    disc_var: float

    @property
    def base_var(self) -> float:
        """The variance that does not depend on the input: observation error + discrepancy."""
        return self.obs_var + self.disc_var


def distance(mean: np.ndarray, target: Target) -> np.ndarray:
    """Distance from ``mean`` to the observed value or range (0 inside a range)."""
    return np.maximum(np.maximum(target.low - mean, mean - target.high), 0.0)


def implausibility(mean: np.ndarray, var: np.ndarray, targets: list[Target]) -> np.ndarray:
    """``I[i, j]`` of points ``i`` and targets ``j``; ``var`` is the model's (emulator + luck).

    A NaN mean (the observation is undefined at that point: nothing to divide by) gives 0:
    the point is not evidence against the input.
    """
    mean, var = np.atleast_2d(mean), np.atleast_2d(var)
    out = np.empty(mean.shape)
    for j, t in enumerate(targets):
        d = distance(mean[:, j], t)
        denom = np.sqrt(t.base_var + np.maximum(var[:, j], 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(d > 0, d / denom, 0.0)
    return np.where(np.isfinite(out), out, np.where(np.isnan(mean), 0.0, np.inf))


def max_implausibility(implaus: np.ndarray) -> np.ndarray:
    """The cut's measure per point: the largest implausibility over the targets."""
    return implaus.max(axis=1) if implaus.shape[1] else np.zeros(len(implaus))


def point_summary(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point and observation: mean over replications, and the pooled luck variance.

    ``y`` is ``(points, replications, observations)``. Returns the means ``(points, obs)``,
    the luck variance per observation (the within-point variance pooled over the points; NaN
    with one replication a point) and the number of replications behind each mean.
    """
    n_ok = np.isfinite(y).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(y, axis=1)
        if y.shape[1] > 1:
            within = np.nanvar(y, axis=1, ddof=1)
            luck = np.nanmean(within, axis=0)
        else:
            luck = np.full(y.shape[2], np.nan)
    return mean, luck, n_ok


class Emulator:
    """Emulator of one observation's mean: regression on the active inputs + a GP on the rest.

    Active inputs are those with the largest L1-regularised linear effects (at most
    :data:`MAX_ACTIVE`); the mean is a least-squares fit of 1, u and u^2 of the active
    inputs; a Gaussian process (ARD squared-exponential on the active inputs, with a white
    nugget) is fitted to its residuals. The emulator's variance at a point is the GP's
    posterior variance plus the part of the nugget that is not luck (the inactive inputs'
    effect); the luck of the means it was fitted to is given by the caller.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.active: np.ndarray = np.empty(0, dtype=int)
        self.beta: np.ndarray = np.empty(0)
        self.gp: object | None = None
        self.extra_var = 0.0
        self.max_var = 0.0
        self.constant: float | None = None

    def _basis(self, u: np.ndarray) -> np.ndarray:
        a = u[:, self.active]
        return np.hstack([np.ones((len(u), 1)), a, a**2])

    def fit(self, u: np.ndarray, y: np.ndarray, mean_luck_var: float) -> Emulator:
        """Fit to means ``y`` at points ``u`` (NaN dropped); ``mean_luck_var`` = luck / replications."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
        from sklearn.linear_model import LassoCV

        ok = np.isfinite(y)
        u, y = u[ok], y[ok]
        if len(y) < MIN_FIT_POINTS or np.ptp(y) == 0:  # too few points, or the same value everywhere
            self.constant = float(np.mean(y)) if len(y) else float("nan")
            self.extra_var = float(np.var(y)) if len(y) > 1 else 0.0
            self.max_var = self.extra_var
            return self
        scale = float(np.std(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lasso = LassoCV(cv=5, random_state=self.seed, alphas=30).fit(u, (y - y.mean()) / scale)
        order = np.argsort(-np.abs(lasso.coef_))
        active = [i for i in order[:MAX_ACTIVE] if lasso.coef_[i] != 0]
        if len(active) < 2:  # noqa: PLR2004 - keep two inputs so the GP has a shape to fit
            active = list(order[:2])
        self.active = np.sort(np.asarray(active, dtype=int))
        h = self._basis(u)
        self.beta, *_ = np.linalg.lstsq(h, y, rcond=None)
        resid = y - h @ self.beta
        var = float(np.var(resid)) or 1e-12
        kernel = ConstantKernel(var, (var * 1e-3, var * 1e2)) * RBF(
            np.full(len(self.active), 0.5), (0.05, 20.0)
        ) + WhiteKernel(var * 0.5, (var * 1e-4, var * 10))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp = GaussianProcessRegressor(kernel, normalize_y=False, n_restarts_optimizer=0, random_state=self.seed)
            gp.fit(u[:, self.active], resid)
        self.gp = gp
        params = gp.kernel_.get_params()
        noise = float(params["k2__noise_level"])
        self.extra_var = max(noise - (mean_luck_var if math.isfinite(mean_luck_var) else 0.0), 0.0)
        self.max_var = float(params["k1__k1__constant_value"]) + self.extra_var
        return self

    def predict(self, u: np.ndarray, *, with_var: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the observation's mean at points ``u``."""
        if self.constant is not None:
            return np.full(len(u), self.constant), np.full(len(u), self.extra_var)
        mean = self._basis(u) @ self.beta
        assert self.gp is not None
        if not with_var:
            return mean + self.gp.predict(u[:, self.active]), np.full(len(u), self.max_var)  # type: ignore[attr-defined]
        gp_mean, gp_sd = self.gp.predict(u[:, self.active], return_std=True)  # type: ignore[attr-defined]
        # return_std includes the white nugget: take it out, add back the part that is not luck.
        noise = float(self.gp.kernel_.get_params()["k2__noise_level"])  # type: ignore[attr-defined]
        return mean + gp_mean, np.maximum(gp_sd**2 - noise, 0.0) + self.extra_var


@dataclass
class WaveCut:
    """One wave's emulators and the luck beside them: what rules a candidate out."""

    targets: list[Target]
    emulators: list[Emulator]
    luck_var: np.ndarray

    def implausible(self, u: np.ndarray, cutoff: float = CUTOFF) -> np.ndarray:
        """True where some target's emulated implausibility exceeds the cutoff (sequential)."""
        out = np.zeros(len(u), dtype=bool)
        for j, (t, em) in enumerate(zip(self.targets, self.emulators, strict=True)):
            live = np.flatnonzero(~out)
            if not len(live):
                break
            luck = self.luck_var[j] if math.isfinite(self.luck_var[j]) else 0.0
            mean, var = em.predict(u[live], with_var=False)  # the largest variance first: cheap
            sure = distance(mean, t) / np.sqrt(t.base_var + var + luck) > cutoff
            maybe = live[~sure]
            out[live[sure]] = True
            if len(maybe):
                mean, var = em.predict(u[maybe])
                out[maybe] |= distance(mean, t) / np.sqrt(t.base_var + var + luck) > cutoff
        return out

    def emulated(self, u: np.ndarray) -> np.ndarray:
        """Emulated implausibility ``I[i, j]`` of every point and target (full variance)."""
        out = np.empty((len(u), len(self.targets)))
        for j, (t, em) in enumerate(zip(self.targets, self.emulators, strict=True)):
            luck = self.luck_var[j] if math.isfinite(self.luck_var[j]) else 0.0
            mean, var = em.predict(u)
            out[:, j] = distance(mean, t) / np.sqrt(t.base_var + var + luck)
        return out

    def min_implausibility(self, u: np.ndarray) -> np.ndarray:
        """Per target, the smallest emulated implausibility over the points ``u``."""
        return self.emulated(u).min(axis=0)


@dataclass
class Wave:
    """What one wave ran and found."""

    number: int
    design: np.ndarray  # (points, inputs) uniforms
    values: np.ndarray  # (points, replications, targets)
    implausibility: np.ndarray  # (points, targets), from the runs themselves
    luck_var: np.ndarray
    cut: WaveCut | None = None
    pool_share: float = float("nan")  # share of uniform candidates no emulator so far rules out
    emulator_check: dict[str, float] = field(default_factory=dict)  # held-back points' standardised errors
    # Share of a uniform pool of the prior each target's emulator rules out on its own, and the
    # emulated implausibilities at the pool point whose largest one is smallest (the closest
    # input to the record): which observations conflict when nothing is left.
    ruled_out_alone: dict[str, float] = field(default_factory=dict)
    closest: dict[str, float] = field(default_factory=dict)
    smallest: dict[str, float] = field(default_factory=dict)  # per target, over runs and the pool

    @property
    def non_implausible(self) -> np.ndarray:
        """Points whose runs have max implausibility <= the cutoff."""
        return max_implausibility(self.implausibility) <= CUTOFF


Simulate = Callable[[np.ndarray, int], np.ndarray]


def simulated_implausibility(y: np.ndarray, targets: list[Target]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Implausibility of each point from its own runs: (I, means, luck variance).

    The mean of ``R`` replications is off the model's mean by luck / R, and the record is one
    realisation: the model variance is luck x (1 + 1/R).
    """
    mean, luck, n_ok = point_summary(y)
    luck_used = np.where(np.isfinite(luck), luck, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = luck_used[None, :] * (1.0 + 1.0 / np.maximum(n_ok, 1))
    return implausibility(mean, var, targets), mean, luck


def check_emulators(
    u: np.ndarray, mean: np.ndarray, luck: np.ndarray, n_reps: np.ndarray, targets: list[Target], seed: int
) -> dict[str, float]:
    """Fit on 80% of the points, predict the other 20%: share of standardised errors within 3.

    The standardised error is (run mean - emulated mean) / sqrt(emulator var + luck / R);
    an honest emulator has about 99% within 3 (Bastos & O'Hagan's diagnostic, as in hmer).
    """
    rng = np.random.default_rng(seed)
    n = len(u)
    test = rng.permutation(n)[: max(n // 5, 1)]
    train = np.setdiff1d(np.arange(n), test)
    out = {}
    for j, t in enumerate(targets):
        lv = luck[j] if math.isfinite(luck[j]) else 0.0
        em = Emulator(seed).fit(u[train], mean[train, j], lv / max(float(np.mean(n_reps[train, j])), 1.0))
        m, v = em.predict(u[test])
        err = (mean[test, j] - m) / np.sqrt(v + lv / np.maximum(n_reps[test, j], 1) + 1e-300)
        ok = np.isfinite(err)
        out[t.key] = float(np.mean(np.abs(err[ok]) <= CUTOFF)) if ok.any() else float("nan")
    return out


def fit_cut(u: np.ndarray, y: np.ndarray, targets: list[Target], seed: int) -> WaveCut:
    """One emulator per target from a wave's runs (``y``: points x replications x targets)."""
    mean, luck, n_ok = point_summary(y)
    emulators = []
    for j in range(len(targets)):
        lv = luck[j] if math.isfinite(luck[j]) else 0.0
        reps = max(float(np.mean(n_ok[:, j])), 1.0)
        emulators.append(Emulator(seed + j).fit(u, mean[:, j], lv / reps))
    return WaveCut(targets, emulators, luck)


def worst_implausibility(cuts: list[WaveCut], u: np.ndarray) -> np.ndarray:
    """Per point, the largest emulated implausibility over every cut's targets."""
    return np.max([cut.emulated(u).max(axis=1) for cut in cuts], axis=0)


def screen(cuts: list[WaveCut], u: np.ndarray) -> np.ndarray:
    """Candidates no cut rules out."""
    keep = np.ones(len(u), dtype=bool)
    for cut in cuts:
        idx = np.flatnonzero(keep)
        keep[idx[cut.implausible(u[idx])]] = False
    return keep


def candidates(
    cuts: list[WaveCut], n_inputs: int, needed: int, rng: np.random.Generator, seeds: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Non-implausible candidates: a uniform pool screened by every cut, then a local search.

    Returns the candidates and the share of the uniform pool kept (an estimate of the
    non-implausible volume, a share of the prior). When the pool keeps fewer than
    ``MIN_CANDIDATES_FACTOR x needed``, :func:`explore` walks from the kept points (and
    ``seeds``, the last wave's non-implausible runs, when no cut rules them out) to spread
    candidates over the region. When nothing at all is kept, a search starts from the pool's
    points closest to the record (smallest largest implausibility) and keeps the closest of
    each round until a proposal passes: a small region is found, an empty one is not
    invented (every candidate passed every cut).
    """
    pool = qmc.Sobol(n_inputs, scramble=True, rng=rng).random(POOL_SIZE)
    keep = screen(cuts, pool)
    share = float(keep.mean())
    found = pool[keep]
    inside = found if seeds is None or not len(seeds) else np.vstack([found, seeds[screen(cuts, seeds)]])
    rounds = 0
    if not len(inside):  # nothing kept: a population search from the inputs closest to the record
        worst = worst_implausibility(cuts, pool)
        starts = pool[np.argsort(worst)[:CLOSEST_STARTS]]
        log.info("candidates: none kept; searching from the %d closest (max I from %.2f)", len(starts), worst.min())
        while not len(inside) and rounds < LOCAL_ROUNDS:
            rounds += 1
            step = 0.5 * np.maximum(starts.std(axis=0), 0.01)
            prop = _reflect(
                starts[rng.integers(len(starts), size=POOL_SIZE // 4)]
                + rng.normal(size=(POOL_SIZE // 4, n_inputs)) * step
            )
            inside = prop[screen(cuts, prop)]
            both = np.vstack([starts, prop])
            starts = both[np.argsort(worst_implausibility(cuts, both))[:CLOSEST_STARTS]]
    if len(inside) and len(found) < MIN_CANDIDATES_FACTOR * needed:
        found = np.vstack([found, explore(cuts, inside, rng)])
    log.info(
        "candidates: %d of %d uniform kept (%.3g of the prior), %d after %d local rounds",
        int(keep.sum()),
        POOL_SIZE,
        share,
        len(found),
        rounds,
    )
    return found, share


def _reflect(u: np.ndarray) -> np.ndarray:
    """Fold points back into the unit cube (a symmetric proposal stays symmetric)."""
    u = np.abs(u)
    return np.where(u > 1, 2 - u, u).clip(0.0, 1.0 - 1e-12)


def explore(cuts: list[WaveCut], inside: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spread over the non-implausible region from points in it: random-walk chains.

    Each of up to :data:`CHAINS` chains proposes a Gaussian step (reflected into the cube) and
    moves when no cut rules the proposal out: a Metropolis walk whose target is uniform on
    the region, so the chains fill it instead of staying where the search first found it.
    The step adapts to an acceptance of 15-35%. Returns the states after the burn-in.
    """
    chains = inside[rng.integers(len(inside), size=CHAINS)].copy()
    scale, kept, rate = 1.0, [], 0.0
    for r in range(EXPLORE_ROUNDS):
        # Steps follow the chains' own spread per input (adaptive Metropolis): wide where the
        # region is wide, narrow where the record pins an input.
        step = scale * np.maximum(chains.std(axis=0), 0.01)
        prop = _reflect(chains + rng.normal(size=chains.shape) * step)
        ok = screen(cuts, prop)
        chains[ok] = prop[ok]
        rate = float(ok.mean())
        scale *= 1.3 if rate > 0.35 else (0.7 if rate < 0.15 else 1.0)  # noqa: PLR2004 - the target band
        if r >= EXPLORE_ROUNDS // 3:
            kept.append(chains.copy())
    log.info(
        "explore: %d chains x %d rounds, last acceptance %.0f%%, step %.3g",
        CHAINS,
        EXPLORE_ROUNDS,
        100 * rate,
        float(step.mean()),
    )
    return np.vstack(kept)


def choose(found: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` design points from the candidates (without replacement when there are enough)."""
    if not len(found):
        return found
    return found[rng.choice(len(found), size=n, replace=len(found) < n)]


def smallest_implausibility(wave: Wave, cut: WaveCut, pool: np.ndarray) -> dict[str, float]:
    """Per target, the smallest implausibility over the wave's own runs and an emulated pool.

    Above the cutoff for a target means no input region of the prior fits that observation
    on its own (a model defect). Also fills the wave's conflict diagnostics.
    """
    emulated = cut.emulated(pool)
    n = len(cut.targets)
    from_runs = np.min(wave.implausibility, axis=0) if len(wave.implausibility) else np.full(n, np.inf)
    best = np.minimum(from_runs, emulated.min(axis=0))
    wave.ruled_out_alone = {t.key: float(np.mean(emulated[:, j] > CUTOFF)) for j, t in enumerate(cut.targets)}
    closest = emulated[int(np.argmin(emulated.max(axis=1)))]
    wave.closest = {t.key: float(v) for t, v in zip(cut.targets, closest, strict=True)}
    return {t.key: float(b) for t, b in zip(cut.targets, best, strict=True)}


def run_waves(
    simulate: Simulate,
    targets: list[Target],
    first_design: np.ndarray,
    n_waves: int,
    points_per_wave: int,
    *,
    seed: int = 0,
    on_wave: Callable[[Wave], None] | None = None,
) -> tuple[list[Wave], dict[str, float]]:
    """History-match in ``n_waves`` waves; returns the waves and the unfittable targets.

    Parameters
    ----------
    simulate
        ``simulate(design, wave_number) -> values`` of shape (points, replications, targets):
        the model's value of each target in each replication at each design point.
    targets
        The fitted observations.
    first_design
        Wave 1's points (uniforms of the priors; e.g. the first Sobol points of the study).
    n_waves, points_per_wave
        How many waves, and design points in each later wave.
    seed
        Seeds the candidate pools and the emulators' fits.
    on_wave
        Called after each wave (progress).

    Targets no input fits alone after wave 1 (:func:`unfittable`) are taken out of the cut
    of the later waves and returned: they are reported, not tolerated.
    """
    rng = np.random.default_rng(seed)
    waves: list[Wave] = []
    cuts: list[WaveCut] = []
    design = first_design
    live = list(range(len(targets)))
    defects: dict[str, float] = {}
    for number in range(1, n_waves + 1):
        values = simulate(design, number)
        implaus, mean, luck = simulated_implausibility(values, targets)
        wave = Wave(number, design, values, implaus[:, live] if live else implaus[:, :0], luck)
        last = number == n_waves
        if not last and len(design):
            live_targets = [targets[j] for j in live]
            cut = fit_cut(design, values[:, :, live], live_targets, seed + number)
            # Wave 1: a uniform pool of the prior; later: the wave's own design (in the region).
            pool = qmc.Sobol(design.shape[1], scramble=True, rng=rng).random(POOL_SIZE // 4) if number == 1 else design
            wave.smallest = smallest_implausibility(wave, cut, pool)
            if number == 1:
                defects = {k: v for k, v in wave.smallest.items() if v > CUTOFF}
                if defects:
                    log.warning("no input fits %s: reported, out of the cut", ", ".join(sorted(defects)))
                    keep = [i for i, t in enumerate(live_targets) if t.key not in defects]
                    live = [live[i] for i in keep]
                    cut = WaveCut([cut.targets[i] for i in keep], [cut.emulators[i] for i in keep], cut.luck_var[keep])
                    wave.implausibility = implaus[:, live]
            n_reps = np.isfinite(values[:, :, live]).sum(axis=1)
            wave.emulator_check = check_emulators(design, mean[:, live], luck[live], n_reps, cut.targets, seed)
            wave.cut = cut
            cuts.append(cut)
            seeds = design[wave.non_implausible]
            found, wave.pool_share = candidates(cuts, design.shape[1], points_per_wave, rng, seeds)
            design = choose(found, points_per_wave, rng)
        waves.append(wave)
        if on_wave is not None:
            on_wave(wave)
        if not len(design):
            log.warning("wave %d: no non-implausible candidate left: the record rules out every input", number)
            break
    return waves, defects
