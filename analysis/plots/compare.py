"""Policy comparison charts from ``comparison.csv`` (paired differences against a baseline).

Targets have different units, so the forest plot puts each paired mean difference (policy -
baseline) and its 95% interval on one scale, as a share of the target's goal, and writes the
difference in the target's own unit beside it. The second chart shows the change in the
probability of attainment, in percentage points, with its interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from analysis.compare import COMPARISON_COLUMNS
from analysis.plots.style import bilingual, new_axes, policy_colours, records, target_titles, unit_text

# With more policies than this, value labels would overlap: the axis and legend carry them.
MAX_LABELLED_POLICIES = 4


def check_comparison(comparison: pd.DataFrame) -> None:
    """Raise ValueError naming the missing columns if ``comparison`` is not issue 4's table."""
    missing = [c for c in COMPARISON_COLUMNS if c not in comparison.columns]
    if missing:
        raise ValueError(f"comparison table lacks columns {missing}; expected {list(COMPARISON_COLUMNS)}")


def _rows(comparison: pd.DataFrame, targets: list[str] | None) -> tuple[list[str], list[str], pd.DataFrame]:
    """Targets (plan order) and policies (table order) to draw, and the matching rows."""
    check_comparison(comparison)
    keys = list(dict.fromkeys(comparison["target"]))
    if targets is not None:
        unknown = sorted(set(targets) - set(keys))
        if unknown:
            raise ValueError(f"targets {unknown} are not in the comparison table")
        keys = [k for k in keys if k in targets]
    policies = list(dict.fromkeys(comparison["policy"]))
    return keys, policies, comparison[comparison["target"].isin(keys)]


def _group_offsets(n: int) -> np.ndarray:
    """Vertical offsets of ``n`` policies within one target row."""
    return np.linspace(0.3, -0.3, n) if n > 1 else np.zeros(1)  # first policy on top, as in the legend


def plot_forest(
    comparison: pd.DataFrame,
    *,
    targets: list[str] | None = None,
    colours: dict[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Forest plot: paired mean difference (policy - baseline) per target and policy, % of goal.

    Parameters
    ----------
    comparison
        Table with :data:`COMPARISON_COLUMNS` (one row per policy x target).
    targets
        Target keys to show (plan order kept); all when None.
    colours
        Optional colour per policy (see :func:`analysis.plots.style.policy_colours`).
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    keys, policies, rows = _rows(comparison, targets)
    ax = ax if ax is not None else new_axes()
    y_of = {k: len(keys) - 1 - i for i, k in enumerate(keys)}
    offsets = _group_offsets(len(policies))
    palette = policy_colours(policies, colours)
    for i, policy in enumerate(policies):
        sub = rows[rows["policy"] == policy]
        goal = sub["goal"].to_numpy(dtype=float)
        y = np.array([y_of[k] for k in sub["target"]]) + offsets[i]
        x = sub["mean_diff"].to_numpy(dtype=float) / goal
        lo = sub["diff_low"].to_numpy(dtype=float) / goal
        hi = sub["diff_high"].to_numpy(dtype=float) / goal
        colour = palette[policy]
        ax.errorbar(
            x, y, xerr=np.clip([x - lo, hi - x], 0.0, None), fmt="o", color=colour, ms=8, capsize=4, lw=2, label=policy
        )
        for xx, yy, r in zip(hi, y, records(sub), strict=True) if len(policies) <= MAX_LABELLED_POLICIES else ():
            amount = f"{r.mean_diff:+.1%}" if r.unit == "%" else f"{r.mean_diff:+,.1f}{unit_text(r.unit)}"
            ax.annotate(amount, (xx, yy), xytext=(6, 0), textcoords="offset points", va="center", fontsize="small")
    _target_rows_frame(ax, rows, y_of)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.0%}")
    baseline = ", ".join(dict.fromkeys(rows["baseline"].astype(str)))
    ax.set_xlabel(
        bilingual(
            f"与基准（{baseline}）的配对差值，占目标%（95%区间）",
            f"paired difference vs baseline ({baseline}), % of goal (95% interval)",
            sep="\n",
        )
    )
    ax.grid(axis="y", visible=False)
    _legend_outside(ax)
    ax.set_title(bilingual("政策效果：年末值变化", "Policy effect on the year-end value"), loc="left")
    return ax


def plot_p_attain_change(
    comparison: pd.DataFrame,
    *,
    targets: list[str] | None = None,
    colours: dict[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Change in the probability of attainment (policy - baseline), percentage points, with 95% CI.

    Parameters
    ----------
    comparison
        Table with :data:`COMPARISON_COLUMNS`.
    targets
        Target keys to show (plan order kept); all when None.
    colours
        Optional colour per policy (see :func:`analysis.plots.style.policy_colours`).
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    keys, policies, rows = _rows(comparison, targets)
    ax = ax if ax is not None else new_axes()
    y_of = {k: len(keys) - 1 - i for i, k in enumerate(keys)}
    offsets = _group_offsets(len(policies))
    palette = policy_colours(policies, colours)
    height = 0.6 / max(len(policies), 1)
    for i, policy in enumerate(policies):
        sub = rows[rows["policy"] == policy]
        y = np.array([y_of[k] for k in sub["target"]]) + offsets[i]
        d = sub["p_attain_diff"].to_numpy(dtype=float)
        err = np.vstack([d - sub["p_attain_diff_low"].to_numpy(float), sub["p_attain_diff_high"].to_numpy(float) - d])
        err = np.clip(err, 0.0, None)  # a bound equal to the estimate up to rounding (all or none attain)
        colour = palette[policy]
        ax.barh(y, d, height=height, color=colour, xerr=err, ecolor="#333333", capsize=3, label=policy)
        for yy, top, r in (
            zip(y, d + err[1], records(sub), strict=True) if len(policies) <= MAX_LABELLED_POLICIES else ()
        ):
            text = f"{r.p_attain_diff * 100:+.0f} pp  ({r.p_attain_baseline:.0%}→{r.p_attain_policy:.0%})"
            ax.annotate(
                text, (max(top, 0), yy), xytext=(6, 0), textcoords="offset points", va="center", fontsize="small"
            )
    _target_rows_frame(ax, rows, y_of)
    lo = float(np.nanmin(np.append(rows["p_attain_diff_low"].to_numpy(float), 0.0)))
    hi = float(np.nanmax(np.append(rows["p_attain_diff_high"].to_numpy(float), 0.0)))
    ax.set_xlim(lo - 0.05, hi + max(0.25, 0.4 * (hi - lo)))  # room for the text on the right
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v * 100:+.0f}")
    ax.set_xlabel(
        bilingual("达标概率变化（百分点，95%区间）", "change in P(attain), percentage points (95% interval)", sep="\n")
    )
    ax.grid(axis="y", visible=False)
    _legend_outside(ax)
    ax.set_title(bilingual("政策效果：达标概率", "Policy effect on the chance of reaching the goal"), loc="left")
    return ax


def _target_rows_frame(ax: Axes, rows: pd.DataFrame, y_of: dict[str, int]) -> None:
    """Zero line, a rule between target rows, and the bilingual target names on the y axis."""
    titles = target_titles(rows.drop_duplicates("target"))
    ax.axvline(0, color="#333333", lw=1.2)
    for boundary in np.arange(len(y_of) - 1) + 0.5:
        ax.axhline(boundary, color="#dddddd", lw=0.8)
    ax.set_yticks(list(y_of.values()), [titles[k] for k in y_of])
    ax.set_ylim(-0.7, len(y_of) - 0.3)


def _legend_outside(ax: Axes) -> None:
    """Policy legend to the right of the plot, where it cannot cover a marker."""
    ax.legend(title=bilingual("政策", "policy", sep=" "), loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)


def best_policy_per_target(comparison: pd.DataFrame) -> pd.DataFrame:
    """For each target some lever improves, the lever with the largest gain in ``p_attain``.

    Targets where no lever raises ``p_attain`` are left out (naming a "best" lever with a
    gain of zero would mislead). ``clear`` is True when the gain's 95% interval excludes 0.

    Returns
    -------
    DataFrame
        ``target, label_zh, label_en, policy, p_attain_baseline, p_attain_policy,
        p_attain_diff, p_attain_diff_low, p_attain_diff_high, clear`` in plan order.
    """
    check_comparison(comparison)
    frame = comparison.reset_index(drop=True)
    best = frame.loc[frame.groupby("target", sort=False)["p_attain_diff"].idxmax()]
    best = best[best["p_attain_diff"] > 0]
    cols = ["target", "label_zh", "label_en", "policy", "p_attain_baseline", "p_attain_policy"]
    cols += ["p_attain_diff", "p_attain_diff_low", "p_attain_diff_high"]
    return best[cols].assign(clear=best["p_attain_diff_low"] > 0).reset_index(drop=True)
