"""Bottleneck charts: queueing days by month, leaders' load, walk-aways, and starts at stake.

Each takes a table from :mod:`analysis.bottlenecks`; :func:`bottleneck_overview` puts the four
on one slide.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.bottlenecks import CAUSE_LABELS, QUEUE_CAUSES
from analysis.plots.fan import month_ticks
from analysis.plots.style import (
    CAUSE_COLOURS,
    SLIDE_INCHES,
    apply_style,
    bilingual,
    format_value,
    new_axes,
    records,
    unit_text,
)

TIER_LABELS: tuple[tuple[str, str], ...] = (
    ("县区/园区主要负责人", "county/park head"),
    ("市领导", "city deputy"),
    ("市主要领导", "city top"),
)


def cause_label(cause: str) -> str:
    """Bilingual name of a bottleneck cause."""
    return bilingual(*CAUSE_LABELS[cause], sep=" ")


def plot_waits(waits: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked bars: mean days queued per project, by cause, by month of entering procedures.

    Parameters
    ----------
    waits
        Output of :func:`analysis.bottlenecks.waits_by_month`.
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    wide = waits.pivot(index="month", columns="cause", values="mean_wait_days").reindex(range(1, 13)).fillna(0.0)
    bottom = np.zeros(len(wide))
    for cause in QUEUE_CAUSES:
        v = wide[cause].to_numpy() if cause in wide else np.zeros(len(wide))
        ax.bar(wide.index, v, bottom=bottom, color=CAUSE_COLOURS[cause], label=cause_label(cause), width=0.75)
        bottom += v
    month_ticks(ax)
    ax.set_xlabel(bilingual("进入手续办理的月份", "month the project entered procedures"))
    ax.set_ylabel(bilingual("平均排队天数", "mean days queued"))
    ax.set_title(bilingual("项目在哪里等待", "Where projects wait"), loc="left")
    if not bottom.any():
        ax.text(
            0.5, 0.5, bilingual("无排队", "no queueing recorded"), transform=ax.transAxes, ha="center", color="#777777"
        )
    ax.set_ylim(bottom=0, top=max(float(bottom.max()) * 1.15, 1.0))
    ax.legend(loc="upper right", framealpha=0.9)
    note = bilingual("注：年末仍在排队的等待未计入", "waits still open on 31 Dec are not counted", sep="\n")
    ax.text(0.01, 0.97, note, transform=ax.transAxes, fontsize="x-small", color="#555555", va="top")
    return ax


def plot_leaders(busy: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lines: share of leaders' attention in use at each month start, per tier.

    Parameters
    ----------
    busy
        Output of :func:`analysis.bottlenecks.leaders_busy`.
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    if busy.empty or busy["busy_share"].isna().all():
        ax.text(
            0.5,
            0.5,
            bilingual("本政策无领导帮办", "no leader help in this policy"),
            transform=ax.transAxes,
            ha="center",
            color="#777777",
        )
    for key, group in busy.dropna(subset=["busy_share"]).groupby("tier"):
        tier = int(str(key))
        label = bilingual(*TIER_LABELS[tier], sep=" ") if tier < len(TIER_LABELS) else f"tier {tier}"
        ax.plot(
            group["month"],
            group["busy_share"],
            marker="o",
            lw=2.5,
            label=label,
            color=plt.cm.Purples(0.45 + 0.2 * tier),
        )
    month_ticks(ax)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_ylabel(bilingual("占用比例", "share in use"))
    ax.set_title(bilingual("领导帮办精力占用", "Leaders' attention in use"), loc="left")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", framealpha=0.9)
    return ax


def plot_walkaways(walk: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars: investors who walked away in the year, by the queue they were in.

    Parameters
    ----------
    walk
        Output of :func:`analysis.bottlenecks.walkaways`.
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    x = np.arange(len(walk))
    ax.bar(x, walk["walked"], color=[CAUSE_COLOURS[c] for c in walk["cause"]], width=0.6)
    for xx, r in zip(x, records(walk), strict=True):
        text = f"{r.walked:.1f}\n({format_value(r.investment_yi, '亿元')}{unit_text('亿元')})"
        ax.annotate(text, (xx, r.walked), xytext=(0, 4), textcoords="offset points", ha="center", fontsize="small")
    ax.set_xticks(x, [cause_label(c) for c in walk["cause"]])
    ax.set_ylabel(bilingual("流失项目数（每次模拟）", "projects lost per replication"))
    ax.set_ylim(0, max(float(walk["walked"].max()) * 1.35, 1.0))
    if not walk["walked"].any():
        ax.text(
            0.5,
            0.5,
            bilingual("无项目流失", "no walk-aways recorded"),
            transform=ax.transAxes,
            ha="center",
            color="#777777",
        )
    ax.set_title(bilingual("项目流失原因", "Why projects were lost (walk-aways)"), loc="left")
    ax.grid(axis="x", visible=False)
    return ax


def plot_starts_at_stake(stake: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked bars per resource: starts lost to walk-aways plus projects stuck on 31 December.

    Parameters
    ----------
    stake
        Output of :func:`analysis.bottlenecks.starts_at_stake` (largest first).
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    x = np.arange(len(stake))
    colours = [CAUSE_COLOURS[c] for c in stake["cause"]]
    ax.bar(x, stake["lost"], color=colours, width=0.6, label=bilingual("已流失", "lost (walked away)", sep=" "))
    ax.bar(
        x,
        stake["queueing"],
        bottom=stake["lost"],
        color=colours,
        alpha=0.45,
        width=0.6,
        hatch="//",
        label=bilingual("12月初仍在排队", "still queueing on 1 Dec", sep=" "),
    )
    for xx, total in zip(x, stake["at_stake"], strict=True):
        ax.annotate(f"{total:.1f}", (xx, total), xytext=(0, 4), textcoords="offset points", ha="center")
    ax.set_xticks(x, [cause_label(c) for c in stake["cause"]])
    ax.set_ylabel(bilingual("可增加开工数上限", "extra starts, upper bound"))
    ax.set_ylim(0, max(float(stake["at_stake"].max()) * 1.25, 1.0))
    if not stake["at_stake"].any():
        text = bilingual("无流失，12月初无排队", "no walk-aways, no queue on 1 Dec")
        ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", color="#777777")
    ax.set_title(bilingual("缓解哪项资源最能增加开工", "Which resource, relieved, adds most starts"), loc="left")
    ax.legend(loc="upper right", framealpha=0.9)
    ax.grid(axis="x", visible=False)
    return ax


def bottleneck_overview(
    waits: pd.DataFrame,
    busy: pd.DataFrame,
    walk: pd.DataFrame,
    stake: pd.DataFrame,
    *,
    n_replications: int,
    subtitle: str = "",
) -> Figure:
    """The four bottleneck charts on one 16:9 slide (2 x 2); ``subtitle`` names the job."""
    apply_style()
    fig, axes = plt.subplots(2, 2, figsize=(SLIDE_INCHES[0] * 1.5, SLIDE_INCHES[1] * 1.5), layout="constrained")
    plot_waits(waits, ax=axes[0, 0])
    plot_leaders(busy, ax=axes[0, 1])
    plot_walkaways(walk, ax=axes[1, 0])
    plot_starts_at_stake(stake, ax=axes[1, 1])
    fig.suptitle(
        bilingual("瓶颈分析", "Bottlenecks")
        + f"  ({n_replications} "
        + bilingual("次模拟的项目台账", "replication ledgers", sep=" ")
        + ")"
        + (f"  {subtitle}" if subtitle else "")
    )
    return fig
