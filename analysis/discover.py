"""Scenario discovery (issue 11): the regions of the uncertain inputs where a target is missed.

PRIM (Friedman & Fisher 1999, "patient rule induction"): start from the box holding every
draw and repeatedly peel off the ``peel_share`` of points at one side of one input that
raises the share of misses in the box most, until the box holds fewer than ``min_mass`` of
the points. Along that trajectory, coverage (share of all misses inside the box) falls and
density (share of misses among the points inside) rises; we keep the box with the best
balance (largest F1 = harmonic mean of coverage and density), then drop each restriction
whose quasi-p-value is above 5% (it does not raise the density significantly: fewer
inputs, a readable sentence). A second box is found the
same way on the points outside the first (covering). CART (scikit-learn's decision tree) is
the second view: the leaf with the densest misses, and its path as a box.

**How sure a box is (issue 24).** The quasi-p-values above are EMA Workbench's
(``ema_workbench/analysis/prim_util.py::calculate_qp``: per restricted limit, a one-sided
binomial test of the box's cases against the density of the box with that limit removed,
Bryant & Lempert 2010). They are computed on the points the search itself chose the box from,
so with 15-50 draws and 42 inputs they pass boxes that chance made: the search tried every
input. Here the draws (a draw and the replications sharing it stay together) are split at
random into a search half and a hold-out half (:func:`discover`). The boxes are found on the
search half; on the hold-out each restriction gets a permutation quasi-p-value (the misses of
the hold-out draws inside the box with that restriction removed are shuffled among those draws;
how often do the shuffled misses fill the box as well as the real ones?), restrictions above
``alpha / k`` (Bonferroni over the box's ``k`` restrictions) are dropped, and the box as a whole
must fill with misses better than ``alpha`` of shuffles of all hold-out draws. Only a box that
passes becomes a sentence, with its hold-out coverage and density; the others are listed as
"not distinguishable from chance with N draws". Permutations, not a binomial test, because
replications sharing a draw are not independent. The false-finding rate is measured in
``tests/test_discovery_limits.py`` on a model with known drivers and inert inputs.

A small implementation instead of ema-workbench: PRIM is ~60 lines on numpy, the tests
below plant a box and recover it, and ema-workbench would pull in its own model-running
framework (and its dependencies) that this project does not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cityplan.targets import Goal, as_goal

MIN_POINTS = 2  # a box needs at least two points to peel
BOX_COLUMNS = (
    "box",
    "method",
    "parameter",
    "low",
    "high",
    "coverage",
    "density",
    "mass",
    "qp",
    "p_value",
    "passed",
    "n_draws",
)
ALPHA = 0.05  # a box and each of its restrictions must pass at this level on the hold-out
HOLDOUT_SHARE = 0.5  # share of the draws kept out of the search
N_PERMUTATIONS = 999
# Measured (tests/test_discovery_limits.py, 100 trials): at 15 draws (a hold-out of 8) the check
# passed 11 boxes, one on an inert input alone (9% of the inputs reported; 0 of 89 at 50 draws):
# below this many draws no box is claimed.
MIN_DISCOVERY_DRAWS = 20


@dataclass(frozen=True)
class Box:
    """A box of input ranges with its quality."""

    limits: dict[str, tuple[float, float]]  # restricted inputs only: (low, high), inclusive
    coverage: float
    density: float
    mass: float
    # Set by :func:`validate` (the hold-out): quasi-p-value per restriction, the box's p-value
    # against chance, whether it passed, and the draws the whole run had. Coverage, density and
    # mass are then the hold-out's.
    qp: dict[str, float] = field(default_factory=dict)
    p_value: float = float("nan")
    passed: bool = False
    n_draws: int = 0


def _inside(x: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for name, (low, high) in limits.items():
        v = x[name].to_numpy()
        mask &= (v >= low) & (v <= high)
    return mask


def _quality(inside: np.ndarray, y: np.ndarray, n_cases: int) -> tuple[float, float, float]:
    hits = float(y[inside].sum())
    n_in = int(inside.sum())
    coverage = hits / n_cases if n_cases else 0.0
    density = hits / n_in if n_in else 0.0
    return coverage, density, n_in / len(y)


def _f1(coverage: float, density: float) -> float:
    return 0.0 if coverage + density == 0 else 2 * coverage * density / (coverage + density)


def prim_box(
    x: pd.DataFrame, y: np.ndarray, *, peel_share: float = 0.05, min_mass: float = 0.05, n_cases: int | None = None
) -> Box:
    """One PRIM box: the region of ``x`` where ``y`` (True = case of interest) is densest.

    Parameters
    ----------
    x
        Inputs, one row per point (draw), one column per input.
    y
        Boolean per point: the outcome to explain (e.g. the target is missed).
    peel_share
        Share of the box's points removed by each peel.
    min_mass
        Stop peeling when the box holds less than this share of all points.
    n_cases
        Cases counted for coverage (default: all of ``y``; covering passes the total).
    """
    y = np.asarray(y, dtype=bool)
    n_cases = int(y.sum()) if n_cases is None else n_cases
    values = {c: x[c].to_numpy(dtype=float) for c in x.columns}
    full = {c: (float(v.min()), float(v.max())) for c, v in values.items()}
    limits = dict(full)
    inside = np.ones(len(y), dtype=bool)
    trajectory = [(dict(limits), *_quality(inside, y, n_cases))]
    while inside.mean() >= min_mass and inside.sum() > 1:
        best: tuple[float, str, tuple[float, float], np.ndarray] | None = None
        for c, v in values.items():
            vin = v[inside]
            for side in ("low", "high"):
                cut = np.quantile(vin, peel_share if side == "low" else 1 - peel_share)
                keep = inside & ((v > cut) if side == "low" else (v < cut))
                if keep.sum() == 0 or keep.sum() == inside.sum():
                    continue
                density = float(y[keep].mean())
                lim = (float(cut), limits[c][1]) if side == "low" else (limits[c][0], float(cut))
                if best is None or density > best[0]:
                    best = (density, c, lim, keep)
        if best is None:
            break
        _, c, lim, inside = best
        limits[c] = lim
        trajectory.append((dict(limits), *_quality(inside, y, n_cases)))
    chosen = max(trajectory, key=lambda t: _f1(t[1], t[2]))
    restricted = {c: lim for c, lim in chosen[0].items() if lim != full[c]}
    restricted = _prune(x, y, restricted, n_cases)
    return Box(restricted, *_quality(_inside(x, restricted), y, n_cases))


def _prune(
    x: pd.DataFrame, y: np.ndarray, limits: dict[str, tuple[float, float]], n_cases: int, *, alpha: float = 0.05
) -> dict[str, tuple[float, float]]:
    """Drop restrictions that do not raise the density significantly (quasi-p-values).

    For each restriction, a one-sided binomial test asks whether the box's misses exceed what
    the box without that restriction would give (Bryant & Lempert 2010's qp-values); the
    restriction with the largest p-value above ``alpha`` is dropped, and so on.
    """
    from scipy.stats import binomtest

    limits = dict(limits)
    while limits:
        inside = _inside(x, limits)
        hits, n_in = int(y[inside].sum()), int(inside.sum())
        pvalues = {}
        for c in limits:
            wider = _inside(x, {k: v for k, v in limits.items() if k != c})
            p0 = float(y[wider].mean())
            pvalues[c] = 1.0 if p0 >= 1.0 else float(binomtest(hits, n_in, p0, alternative="greater").pvalue)
        name, worst = max(pvalues.items(), key=lambda kv: kv[1])
        if worst <= alpha:
            break
        del limits[name]
    return limits


def prim_boxes(x: pd.DataFrame, y: np.ndarray, *, n_boxes: int = 2, **kwargs: float) -> list[Box]:
    """Up to ``n_boxes`` PRIM boxes by covering: each next box on the points outside the last."""
    y = np.asarray(y, dtype=bool)
    n_cases = int(y.sum())
    boxes: list[Box] = []
    rest = np.ones(len(y), dtype=bool)
    for _ in range(n_boxes):
        if y[rest].sum() == 0 or rest.sum() < MIN_POINTS:
            break
        box = prim_box(x[rest], y[rest], n_cases=n_cases, **kwargs)
        if not box.limits:
            break
        inside = _inside(x, box.limits) & rest
        boxes.append(Box(box.limits, *_quality(inside, y, n_cases)))
        rest &= ~inside
    return boxes


def cart_box(x: pd.DataFrame, y: np.ndarray, *, max_depth: int = 3, min_mass: float = 0.05, seed: int = 0) -> Box:
    """CART view: the leaf of a depth-limited classification tree with the densest cases."""
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(y, dtype=bool)
    min_leaf = max(1, int(np.ceil(min_mass * len(y))))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(x.to_numpy(dtype=float), y)
    t = tree.tree_
    leaves = tree.apply(x.to_numpy(dtype=float))
    best_leaf = max(np.unique(leaves), key=lambda leaf: (y[leaves == leaf].mean(), (leaves == leaf).sum()))
    limits = _leaf_path(t, int(best_leaf), list(x.columns), x)
    return Box(limits, *_quality(_inside(x, limits), y, int(y.sum())))


def _leaf_path(t: object, leaf: int, names: list[str], x: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Input ranges on the path from the root to ``leaf`` of a fitted sklearn tree."""
    left, right = t.children_left, t.children_right  # type: ignore[attr-defined]
    feature, threshold = t.feature, t.threshold  # type: ignore[attr-defined]
    parent = {int(c): (i, True) for i, c in enumerate(left) if c >= 0}
    parent |= {int(c): (i, False) for i, c in enumerate(right) if c >= 0}
    limits = {n: (float(x[n].min()), float(x[n].max())) for n in names}
    node = leaf
    while node in parent:
        p, is_left = parent[node]
        name = names[feature[p]]
        low, high = limits[name]
        limits[name] = (low, min(high, float(threshold[p]))) if is_left else (max(low, float(threshold[p])), high)
        node = p
    full = {n: (float(x[n].min()), float(x[n].max())) for n in names}
    return {n: lim for n, lim in limits.items() if lim != full[n]}


def _permutation_p(hits: np.ndarray, member: np.ndarray, rng: np.random.Generator, n_perm: int) -> float:
    """How often misses shuffled among the draws fill ``member`` as well as the real ones do.

    ``hits``: misses per draw; ``member``: the draws inside the box. One-sided, with the
    observed arrangement counted among the shuffles (never 0).
    """
    observed = hits[member].sum()
    if not member.any() or observed == 0:
        return 1.0
    shuffled = rng.permuted(np.tile(hits, (n_perm, 1)), axis=1)
    return float((1 + (shuffled[:, member].sum(axis=1) >= observed).sum()) / (n_perm + 1))


def _per_draw(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One row per draw: its inputs (shared by its replications), misses and replications."""
    codes, first = np.unique(groups, return_inverse=True)[1], np.unique(groups, return_index=True)[1]
    hits = np.bincount(codes, weights=y.astype(float))
    n = np.bincount(codes).astype(float)
    return x.iloc[first].reset_index(drop=True), hits, n


def validate(
    box: Box,
    x: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    n_draws: int,
    alpha: float = ALPHA,
    n_perm: int = N_PERMUTATIONS,
    seed: int = 0,
) -> Box:
    """The box checked on hold-out points ``x, y`` (``groups``: their draw): restrictions and box.

    Each restriction's quasi-p-value is a permutation test within the box without it;
    the restriction with the largest value above ``alpha / k`` is dropped and the rest
    tested again. The box passes when restrictions remain and its misses beat ``alpha`` of
    shuffles of all hold-out draws. Coverage, density and mass are the hold-out's.
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=bool)
    xd, hits, n = _per_draw(x, y, groups)
    limits = dict(box.limits)
    qp: dict[str, float] = {}
    while limits:
        qp = {}
        for c in limits:
            wider = _inside(xd, {k: v for k, v in limits.items() if k != c})
            inner = _inside(xd, limits)[wider]
            qp[c] = _permutation_p(hits[wider], inner, rng, n_perm)
        worst = max(qp, key=lambda c: qp[c])
        if qp[worst] <= alpha / len(limits):
            break
        del limits[worst]
        qp = {}
    if not limits:
        return replace(box, qp={}, p_value=1.0, passed=False, n_draws=n_draws)
    member = _inside(xd, limits)
    p_box = _permutation_p(hits, member, rng, n_perm)
    n_cases, n_in = hits.sum(), n[member].sum()
    return Box(
        limits,
        coverage=float(hits[member].sum() / n_cases) if n_cases else 0.0,
        density=float(hits[member].sum() / n_in) if n_in else 0.0,
        mass=float(n_in / n.sum()),
        qp=qp,
        p_value=p_box,
        passed=p_box <= alpha,
        n_draws=n_draws,
    )


def discover(
    x: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    seed: int = 0,
    alpha: float = ALPHA,
    holdout: float = HOLDOUT_SHARE,
    n_perm: int = N_PERMUTATIONS,
) -> list[tuple[str, Box]]:
    """PRIM boxes and the CART leaf found on a search half of the draws, checked on the other.

    Parameters
    ----------
    x, y
        Inputs and the outcome per point (replication).
    groups
        Draw of each point: a draw's replications share its inputs and stay on one side.
    seed
        Seed of the split and the permutations (analysis only).

    Returns
    -------
    list
        ``(method, box)`` with :func:`validate`'s fields; a box that failed keeps the
        search half's limits (what the search would have said).
    """
    y = np.asarray(y, dtype=bool)
    groups = np.asarray(groups)
    draws = np.unique(groups)
    rng = np.random.default_rng(seed)
    test_draws = rng.choice(draws, size=round(holdout * len(draws)), replace=False)
    test = np.isin(groups, test_draws)
    train = ~test
    found: list[tuple[str, Box]] = []
    if y[train].any() and not y[train].all() and train.sum() >= MIN_POINTS:
        xs, ys = x[train].reset_index(drop=True), y[train]
        found = [("prim", b) for b in prim_boxes(xs, ys)]
        cart = cart_box(xs, ys)
        if cart.limits:
            found.append(("cart", cart))
    xt, yt, gt = x[test].reset_index(drop=True), y[test], groups[test]
    # A limit at the edge of the search half's range is no limit: open it to the whole range, so
    # hold-out draws beyond the search half's extremes are inside, and the sentence reads "below".
    found = [(method, _open_edges(box, x[train], x)) for method, box in found]
    out = []
    if len(draws) < MIN_DISCOVERY_DRAWS:  # too few to confirm anything: every box is listed, none claimed
        return [(method, replace(box, n_draws=len(draws), p_value=float("nan"))) for method, box in found]
    for i, (method, box) in enumerate(found):  # Bonferroni over the boxes of the target, too
        level = alpha / len(found)
        checked = validate(box, xt, yt, gt, n_draws=len(draws), alpha=level, n_perm=n_perm, seed=seed + 1 + i)
        out.append((method, checked if checked.passed else replace(box, n_draws=len(draws), p_value=checked.p_value)))
    return out


def _open_edges(box: Box, searched: pd.DataFrame, x: pd.DataFrame) -> Box:
    """``box`` with each limit at the edge of ``searched``'s range moved to the edge of ``x``'s."""
    limits = {
        name: (
            float(x[name].min()) if low <= searched[name].min() else low,
            float(x[name].max()) if high >= searched[name].max() else high,
        )
        for name, (low, high) in box.limits.items()
    }
    return replace(box, limits=limits)


def boxes_frame(boxes: list[tuple[str, Box]]) -> pd.DataFrame:
    """``boxes.csv``: one row per box and restricted input (box numbered from 1); a header when empty."""
    rows = [
        {
            "box": i,
            "method": method,
            "parameter": name,
            "low": low,
            "high": high,
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
            "qp": box.qp.get(name, float("nan")),
            "p_value": box.p_value,
            "passed": box.passed,
            "n_draws": box.n_draws,
        }
        for i, (method, box) in enumerate(boxes, start=1)
        for name, (low, high) in box.limits.items()
    ]
    return pd.DataFrame(rows, columns=list(BOX_COLUMNS))


def miss_by_draw(
    kpis: pd.DataFrame, params: pd.DataFrame, target: str, goal: float | Goal
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Inputs per replication, whether the target is missed there and its draw (the PRIM data)."""
    from analysis.sensitivity import design_of

    values = kpis[kpis["target"] == target].set_index("replication")["value"].sort_index()
    design = design_of(params, values.index.to_numpy())
    x = design.inputs.loc[design.draw].reset_index(drop=True)
    return x, ~as_goal(goal).hits(values.to_numpy()), design.draw
