"""Paired comparison of policies run on common random numbers.

Every scenario x policy cell of a sweep runs replications 0..n-1 from the same root seed, so
replication ``r`` of a policy and replication ``r`` of the baseline see the same leads and
latent draws. Differences are therefore taken pair by pair: the paired mean difference with a
t interval, the change in the probability of attainment with Newcombe's interval for paired
proportions (method 10, hybrid score; Newcombe 1998, Stat Med 17:2635), and the share of
pairs in which the policy does strictly better.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from analysis.attainment import wilson_interval
from cityplan.targets import TARGET_COLUMNS, attained

COMPARISON_COLUMNS: tuple[str, ...] = (
    "scenario",
    "policy",
    "baseline",
    "target",
    "label_zh",
    "label_en",
    "unit",
    "goal",
    "mean_baseline",
    "mean_policy",
    "mean_diff",
    "diff_low",
    "diff_high",
    "p_attain_baseline",
    "p_attain_policy",
    "p_attain_diff",
    "p_attain_diff_low",
    "p_attain_diff_high",
    "p_better",
    "n_pairs",
    "effect",
)


def paired_mean_interval(diff: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences and its t interval (low, high)."""
    n = diff.size
    mean = float(diff.mean())
    if n < 2:  # noqa: PLR2004 - a spread needs two pairs
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * diff.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def newcombe_paired_interval(
    policy_hit: np.ndarray, base_hit: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Difference of two paired proportions (policy - baseline) and Newcombe's interval.

    Parameters
    ----------
    policy_hit, base_hit
        Boolean arrays, one element per pair: did the replication reach the goal?
    level
        Confidence level.
    """
    n = policy_hit.size
    n11 = int(np.sum(policy_hit & base_hit))
    n10 = int(np.sum(policy_hit & ~base_hit))
    n01 = int(np.sum(~policy_hit & base_hit))
    n00 = n - n11 - n10 - n01
    p1, p2 = (n11 + n10) / n, (n11 + n01) / n
    l1, u1 = wilson_interval(n11 + n10, n, level)
    l2, u2 = wilson_interval(n11 + n01, n, level)
    a = n11 * n00 - n10 * n01
    product = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    if product == 0 or a == 0:
        phi = 0.0
    elif a > 0:
        phi = max(a - n / 2, 0.0) / math.sqrt(product)
    else:
        phi = a / math.sqrt(product)
    theta = p1 - p2
    delta = math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    eps = math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return theta, max(theta - delta, -1.0), min(theta + eps, 1.0)


def _paired_values(kpis: pd.DataFrame, target: str) -> pd.Series:
    rows = kpis[kpis["target"] == target]
    return rows.set_index("replication")["value"].astype(float).sort_index()


def paired_comparison(
    policy_kpis: pd.DataFrame, base_kpis: pd.DataFrame, targets: pd.DataFrame, *, level: float = 0.95
) -> pd.DataFrame:
    """Compare one policy cell with its baseline, target by target, on paired replications.

    Parameters
    ----------
    policy_kpis, base_kpis
        ``kpis.parquet`` tables of the two cells (scenario, policy, replication, seed, target,
        value). They must share the root seed; replications present in both are paired.
    targets
        The policy cell's plan (:func:`cityplan.targets.targets_frame`, or the target columns
        of its ``attainment.csv``): labels, unit, goal and direction, in plan order.
    level
        Confidence level of the intervals.
    """
    seeds = set(policy_kpis["seed"].unique()) | set(base_kpis["seed"].unique())
    if len(seeds) != 1:
        raise ValueError(f"cannot pair runs with different root seeds {sorted(seeds)}: rerun with one run.seed")
    rows = []
    for t in targets[list(TARGET_COLUMNS)].to_dict("records"):
        key, goal, direction = str(t["target"]), float(t["goal"]), str(t["direction"])
        pol, base = _paired_values(policy_kpis, key), _paired_values(base_kpis, key)
        both = pol.index.intersection(base.index)
        pv, bv = pol.loc[both].to_numpy(), base.loc[both].to_numpy()
        ok = np.isfinite(pv) & np.isfinite(bv)
        pv, bv = pv[ok], bv[ok]
        if pv.size == 0:
            continue
        mean_diff, low, high = paired_mean_interval(pv - bv, level)
        p_hit, b_hit = attained(pv, goal, direction), attained(bv, goal, direction)
        p_diff, p_low, p_high = newcombe_paired_interval(p_hit, b_hit, level)
        effect = "up" if low > 0 else "down" if high < 0 else "none"
        rows.append(
            {
                "scenario": policy_kpis["scenario"].iloc[0],
                "policy": policy_kpis["policy"].iloc[0],
                "baseline": base_kpis["policy"].iloc[0],
                "target": key,
                "label_zh": t["label_zh"],
                "label_en": t["label_en"],
                "unit": t["unit"],
                "goal": goal,
                "mean_baseline": bv.mean(),
                "mean_policy": pv.mean(),
                "mean_diff": mean_diff,
                "diff_low": low,
                "diff_high": high,
                "p_attain_baseline": float(np.mean(b_hit)),
                "p_attain_policy": float(np.mean(p_hit)),
                "p_attain_diff": p_diff,
                "p_attain_diff_low": p_low,
                "p_attain_diff_high": p_high,
                "p_better": float(np.mean(pv > bv)),
                "n_pairs": int(pv.size),
                "effect": effect,
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def compare_cells(
    cells: dict[tuple[str, str], pd.DataFrame],
    baseline: str,
    targets: dict[tuple[str, str], pd.DataFrame],
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Compare every cell of a sweep with the baseline cell of its scenario.

    Parameters
    ----------
    cells
        ``kpis`` tables keyed by (scenario, policy).
    targets
        Each cell's plan (target, labels, unit, goal, direction), keyed like ``cells``; a
        cell is judged against its own goals (a goal what-if is its own cell).
    baseline
        Name of the baseline policy (e.g. ``status_quo``). Within a scenario the cell with
        this policy is the baseline; when a scenario has none, a unique cell anywhere whose
        policy or scenario is named ``baseline`` is used (e.g. sweeping ``scenario=only_*``
        against ``scenario=status_quo``).
    level
        Confidence level.
    """
    by_policy = [k for k in cells if k[1] == baseline]
    by_scenario = [k for k in cells if k[0] == baseline]
    fallback = by_policy if len(by_policy) == 1 else by_scenario if len(by_scenario) == 1 else []
    if not by_policy and not by_scenario:
        names = sorted({p for _, p in cells} | {s for s, _ in cells})
        raise ValueError(f"baseline '{baseline}' is not a policy or scenario of this sweep; found: {names}")
    frames = []
    for (scenario, policy), kpis in sorted(cells.items()):
        base_key = (scenario, baseline) if (scenario, baseline) in cells else (fallback[0] if fallback else None)
        if base_key is None:
            raise ValueError(f"no unique baseline '{baseline}' for scenario '{scenario}'")
        if base_key == (scenario, policy):
            continue
        frames.append(paired_comparison(kpis, cells[base_key], targets[(scenario, policy)], level=level))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COMPARISON_COLUMNS))


def levers_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """Which targets each policy moves (interval excludes 0), one row per policy x moved target."""
    moved = comparison[comparison["effect"] != "none"]
    return moved[["scenario", "policy", "target", "label_en", "effect", "mean_diff", "diff_low", "diff_high"]]
