"""Fan chart of one target's monthly cumulative path, and the year-end distribution.

A fan chart shows where the year is heading month by month: the median across replications,
the central 50% and 90% bands, the goal, and the pace line a planner checks progress against
(goal x elapsed share of the year, or the plan's quarterly milestones when given). When the
actual path to date is known (issue 7's nowcast), it is drawn as a solid line up to ``as_of``.
"""

from __future__ import annotations

import calendar
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.plots.style import (
    ACTUAL_COLOUR,
    BAND_COLOUR,
    GOAL_COLOUR,
    PACE_COLOUR,
    bilingual,
    format_value,
    has_cjk,
    new_axes,
    policy_colours,
    records,
    unit_label,
    unit_text,
)
from cityplan.targets import attained

MONTHS = 12
MIN_BINS, MAX_BINS = 8, 40  # histogram bins per policy (display rule)
MAX_TOTAL_BINS = 150  # at most this many bins across all policies together
BAND_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


LEGEND_RIGHT_OF_AXES = 1.01  # legend's left edge, in axes widths


def fan_bands(monthly: pd.DataFrame, target: str) -> pd.DataFrame:
    """Quantiles across replications of one target at each month end.

    Parameters
    ----------
    monthly
        Long monthly table (``target``, ``replication``, ``month``, ``value``) of one
        scenario x policy.
    target
        Target key.

    Returns
    -------
    DataFrame
        Index ``month`` (1..12), columns ``q05, q25, q50, q75, q95`` in the target's unit.
    """
    rows = monthly[monthly["target"] == target]
    if rows.empty:
        raise ValueError(f"monthly has no rows for target={target!r}")
    q = rows.groupby("month")["value"].quantile(np.asarray(BAND_QUANTILES)).unstack()
    q.columns = [f"q{round(p * 100):02d}" for p in BAND_QUANTILES]
    return q.sort_index()


def pace_line(goal: float, unit: str, milestones: dict[int, float] | None = None) -> pd.Series:
    """The pace a planner checks against: cumulative share of the goal due by each month end.

    Parameters
    ----------
    goal
        Year-end goal in the target's unit.
    unit
        Target unit; a rate (``%``) has no cumulative pace, so its pace is the goal itself.
    milestones
        Optional plan milestones ``{month: share of goal due by that month end}`` (e.g.
        ``{3: 0.2, 6: 0.5, 9: 0.75, 12: 1.0}``); linear in elapsed months when None.

    Returns
    -------
    Series
        Value due by month end, indexed by month 0..12 (0 = 1 January).
    """
    months = np.arange(MONTHS + 1)
    if unit == "%":
        return pd.Series(goal, index=months, name="pace")
    if milestones:
        bad = {m: s for m, s in milestones.items() if not (1 <= m <= MONTHS and s >= 0)}
        if bad:
            raise ValueError(f"milestones={bad} invalid: months must be 1..12 and shares >= 0")
        known = {0: 0.0, **milestones}
        share = np.interp(months, sorted(known), [known[m] for m in sorted(known)])
    else:
        share = months / MONTHS
    return pd.Series(goal * share, index=months, name="pace")


def month_ticks(ax: Axes) -> None:
    """Month labels 1..12 on the x axis ("3月" with a CJK font, "Mar" without)."""
    ax.set_xticks(range(1, MONTHS + 1))
    ax.set_xticklabels([f"{m}月" if has_cjk() else calendar.month_abbr[m] for m in range(1, MONTHS + 1)])
    ax.set_xlim(0.6, MONTHS + 0.4)
    ax.set_xlabel(bilingual("月末", "month end"))


def as_of_month(table: pd.DataFrame) -> int | None:
    """The month (1..12) of the latest ``as_of`` in a table (issue 7's nowcasts), or None.

    ``as_of`` may hold a month number or a date; a table without the column gives None.
    """
    if "as_of" not in table.columns or table["as_of"].isna().all():
        return None
    value = table["as_of"].dropna().max()
    if isinstance(value, int | np.integer | float | np.floating):
        month = int(value)
    else:
        month = int(pd.Timestamp(value).month)
    if not 1 <= month <= MONTHS:
        raise ValueError(f"as_of={value!r} is not a month 1..12 or a date")
    return month


def plot_fan(
    monthly: pd.DataFrame,
    target: str,
    *,
    goal: float,
    unit: str,
    title: str | None = None,
    milestones: dict[int, float] | None = None,
    actual: pd.DataFrame | None = None,
    as_of: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Fan chart of ``target``: median, 50% and 90% bands, goal, pace and the actual path.

    Parameters
    ----------
    monthly
        Long monthly table of one scenario x policy.
    target
        Target key.
    goal, unit
        The target's goal and unit (from the attainment table).
    title
        Chart title (bilingual label); the target key when None.
    milestones
        Optional ``{month: share of goal}`` plan milestones for the pace line.
    actual
        Optional actual path (``target``, ``month``, ``value``), drawn solid up to ``as_of``.
    as_of
        Last month of actual data to draw (1..12); the last month in ``actual`` when None.
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    bands = fan_bands(monthly, target)
    m = bands.index.to_numpy()
    ax.fill_between(
        m, bands["q05"], bands["q95"], color=BAND_COLOUR, alpha=0.18, lw=0, label=bilingual("90%区间", "90% band")
    )
    ax.fill_between(
        m, bands["q25"], bands["q75"], color=BAND_COLOUR, alpha=0.35, lw=0, label=bilingual("50%区间", "50% band")
    )
    ax.plot(m, bands["q50"], color=BAND_COLOUR, lw=2.5, label=bilingual("中位数", "median"))
    pace = pace_line(goal, unit, milestones)
    if unit != "%":
        pace_name = bilingual("进度线", "pace", sep=" ") + (" (plan milestones)" if milestones else "")
        ax.plot(pace.index, pace.to_numpy(), color=PACE_COLOUR, ls=":", lw=2, label=pace_name)
    goal_text = f"{format_value(goal, unit)}{unit_text(unit)}"
    ax.axhline(goal, color=GOAL_COLOUR, ls="--", lw=2, label=bilingual("目标", "goal", sep=" ") + f" {goal_text}")
    if actual is not None:
        path = actual[actual["target"] == target].sort_values("month")
        last = int(path["month"].max()) if as_of is None and len(path) else as_of
        path = path[path["month"] <= (last or 0)]
        if len(path):
            ax.plot(
                path["month"], path["value"], color=ACTUAL_COLOUR, lw=3, marker="o", label=bilingual("实际", "actual")
            )
            ax.axvline(float(path["month"].max()), color=ACTUAL_COLOUR, lw=0.8, alpha=0.5)
    month_ticks(ax)
    ax.set_ylabel(unit_label(unit))
    if unit == "%":
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    else:
        ax.set_ylim(bottom=0)
    ax.set_title(title or target, loc="left")
    # right of the axes, not inside (the box covered the goal line of a goal near the top of
    # the scale, the start rate's 50%) nor below (it met the interval note under the figure)
    ax.legend(loc="upper left", bbox_to_anchor=(LEGEND_RIGHT_OF_AXES, 1.0), frameon=False)
    return ax


def shared_bins(rows: pd.DataFrame, goal: float) -> list[float]:
    """Histogram edges shared by every policy, as fine as the narrowest policy needs.

    Each policy gets about 8 replications a bin over its own range (between
    :data:`MIN_BINS` and :data:`MAX_BINS` bins); the common width is the smallest of these, so a
    tight distribution far from a wide one is not squeezed into one or two bars.
    """
    values = rows["value"].to_numpy(dtype=float)
    lo, hi = float(min(values.min(), goal)), float(max(values.max(), goal))
    widths = []
    for _, group in rows.groupby("policy", sort=False) if "policy" in rows else [("", rows)]:
        v = group["value"].to_numpy(dtype=float)
        n_bins = int(np.clip(v.size // 8, MIN_BINS, MAX_BINS))
        if np.ptp(v) > 0:
            widths.append(float(np.ptp(v)) / n_bins)
    if not widths or hi <= lo:
        return np.histogram_bin_edges(values, bins=MIN_BINS).tolist()
    width = max(min(widths), (hi - lo) / MAX_TOTAL_BINS)
    return np.arange(lo, hi + width, width).tolist()


def plot_distribution(
    kpis: pd.DataFrame,
    target: str,
    *,
    goal: float,
    unit: str,
    direction: str = "at_least",
    title: str | None = None,
    colours: dict[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of the year-end value of ``target`` across replications, one per policy.

    Parameters
    ----------
    kpis
        Long year-end table (``policy``, ``target``, ``value``); several policies are drawn as
        overlaid outlines with their ``P(attain)`` in the legend.
    target
        Target key.
    goal, unit
        The target's goal and unit.
    direction
        ``at_least`` (the legend gives P(≥goal)) or ``at_most`` (P(≤goal)), as the plan says.
    title
        Chart title; the target key when None.
    colours
        Optional colour per policy (see :func:`analysis.plots.style.policy_colours`).
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    rows = kpis[(kpis["target"] == target) & np.isfinite(kpis["value"])]
    if rows.empty:
        raise ValueError(f"kpis has no finite values for target={target!r}")
    bins = shared_bins(rows, goal)
    groups = list(rows.groupby("policy", sort=False)) if "policy" in rows else [("", rows)]
    palette = policy_colours([str(p) for p, _g in groups], colours)
    for policy, group in groups:
        v = group["value"].to_numpy(dtype=float)
        share = float(attained(v, goal, direction).mean())
        sign = "≤" if direction == "at_most" else "≥"
        label = f"{policy}  P({sign}goal) = {share:.0%}" if policy else f"P({sign}goal) = {share:.0%}"
        colour = palette.get(str(policy), "#1565c0")
        one = len(groups) == 1
        ax.hist(
            v,
            bins=bins,
            color=colour,
            alpha=0.6 if one else 1.0,
            histtype="stepfilled" if one else "step",
            lw=2,
            label=label,
        )
    ax.axvline(
        goal,
        color=GOAL_COLOUR,
        ls="--",
        lw=2.5,
        label=bilingual("目标", "goal", sep=" ") + f" {format_value(goal, unit)}{unit_text(unit)}",
    )
    ax.set_xlabel(bilingual("年末值", "year-end value") + f", {unit_label(unit)}")
    ax.set_ylabel(bilingual("模拟次数", "replications"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if unit == "%":
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_title(title or target, loc="left")
    # right of the axes, not inside (the box covered the goal line of a goal near the top of
    # the scale, the start rate's 50%) nor below (it met the interval note under the figure)
    ax.legend(loc="upper left", bbox_to_anchor=(LEGEND_RIGHT_OF_AXES, 1.0), frameon=False)
    return ax


GRID_COLUMNS = 4  # fan-chart grid: panels per row


def fan_grid(
    monthly: pd.DataFrame,
    att: pd.DataFrame,
    *,
    actual: pd.DataFrame | None = None,
    as_of: int | None = None,
    subtitle: str = "",
) -> Figure:
    """Small fan charts of every target on one page (the plan's order, 4 per row).

    Parameters
    ----------
    monthly
        Long monthly table of one scenario x policy.
    att
        Attainment table of the same job (``target``, labels, ``unit``, ``goal``).
    actual, as_of
        Optional actual path to date, as in :func:`plot_fan`.
    subtitle
        Appended to the page title (e.g. the policy of a multirun job).
    """
    import matplotlib.pyplot as plt

    from analysis.plots.style import apply_style, target_titles

    apply_style()
    rows = -(-len(att) // GRID_COLUMNS)
    # A fixed layout: constrained layout costs seconds on 28 panels and gains nothing here.
    height = 3.4 * rows + 2.4  # inches: 3.4 a row, 1.6 for the page title, 0.8 for the legend
    fig, axes = plt.subplots(rows, GRID_COLUMNS, figsize=(20, height), squeeze=False)
    fig.subplots_adjust(
        left=0.05,
        right=0.99,
        top=1 - 1.6 / height,
        bottom=0.8 / height,
        hspace=0.55,
        wspace=0.25,
    )
    titles = target_titles(att)
    for ax, r in zip(axes.flat, records(att), strict=False):
        plot_fan(monthly, r.target, goal=float(r.goal), unit=str(r.unit), actual=actual, as_of=as_of, ax=ax)
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        ax.set_title(titles[r.target].replace("  ", "\n", 1), loc="left", fontsize="small")
        ax.set_xlabel("")
        ax.set_xticks([3, 6, 9, 12])
        ax.tick_params(labelsize="x-small")
        ax.yaxis.label.set_size("x-small")
    for ax in list(axes.flat)[len(att) :]:
        ax.set_visible(False)
    goal_label = bilingual("目标", "goal", sep=" ")
    legend_items: dict[str, Any] = {}
    for ax in axes.flat[: len(att)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend_items.setdefault(goal_label if label.startswith(goal_label) else label, handle)
    fig.legend(list(legend_items.values()), list(legend_items), loc="lower center", ncols=len(legend_items))
    fig.suptitle(f"{bilingual('各指标月度累计进度', 'Monthly cumulative path of every target')}  {subtitle}".rstrip())
    return fig
