"""Attainment overview: the chance of reaching every target, and how far short a miss falls.

The left panel is the slide a leader sees first: one bar per target of ``p_attain`` with its
95% interval, coloured likely / at risk / unlikely, with lines at 50% and 90% (where the
colours change; both in the legend). The right panel answers "and if we miss, by how
much?": the expected shortfall over the replications that miss, as a share of the goal (bars)
and in the target's own unit (text), with P(miss) in brackets. Probabilities print at whole
per cent but never round to a certainty ("<1%", ">99%"); a miss that rare has a pale bar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.plots.style import (
    AT_RISK_FROM,
    LIKELY_FROM,
    RISK_COLOURS,
    RISK_LABELS,
    SHARE_SHOWN_FROM,
    SLIDE_INCHES,
    apply_style,
    bilingual,
    format_share,
    format_value,
    new_axes,
    records,
    risk_class,
    target_titles,
    unit_text,
)
from cityplan.targets import attained

INSIDE_LABEL_FROM = 0.15  # bars at least this long hold their label inside
SHORTFALL_COLOUR, RARE_MISS_COLOUR = "#9e9e9e", "#e0e0e0"  # a miss rarer than "<1%": pale bar
SHORTFALL_COLUMNS: tuple[str, ...] = ("target", "goal", "unit", "p_miss", "shortfall", "shortfall_share")


def expected_shortfall(kpis: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """How far short of the goal the year ends, averaged over the replications that miss.

    Parameters
    ----------
    kpis
        Long year-end table (``target``, ``replication``, ``value``) of one scenario x policy.
    targets
        ``target``, ``goal``, ``unit`` per target (e.g. the attainment table); with
        ``direction``, an ``at_most`` target misses above its goal.

    Returns
    -------
    DataFrame
        One row per target: ``p_miss`` (share of replications missing the goal),
        ``shortfall`` (mean distance to the goal over those replications, in the target's
        unit; 0 when none misses) and ``shortfall_share`` (shortfall / goal).
    """
    rows = []
    frame = targets if "direction" in targets.columns else targets.assign(direction="at_least")
    for t in records(frame[["target", "goal", "unit", "direction"]]):
        values = kpis.loc[kpis["target"] == t.target, "value"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        sign = -1.0 if t.direction == "at_most" else 1.0
        gap = sign * (float(t.goal) - values[~attained(values, float(t.goal), str(t.direction))])
        shortfall = float(gap.mean()) if gap.size else 0.0
        rows.append(
            {
                "target": t.target,
                "goal": float(t.goal),
                "unit": t.unit,
                "p_miss": gap.size / values.size if values.size else np.nan,
                "shortfall": shortfall,
                "shortfall_share": shortfall / float(t.goal) if t.goal else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(SHORTFALL_COLUMNS))


def plot_attainment(att: pd.DataFrame, *, ax: Axes | None = None, note: str = "") -> Axes:
    """Horizontal bars of ``p_attain`` per target with 95% intervals and the 50%/90% lines.

    Parameters
    ----------
    att
        Attainment table of one scenario x policy (``analysis.attainment`` columns), in the
        plan's order; the first row is drawn at the top.
    ax
        Axes to draw on; a new slide-sized figure when None.
    note
        What the intervals cover (:func:`analysis.report.run_dir.interval_note`), under
        the axis label.
    """
    ax = ax if ax is not None else new_axes()
    titles = target_titles(att, with_parent=False)
    y = np.arange(len(att))[::-1]
    p = att["p_attain"].to_numpy(dtype=float)
    colours = [RISK_COLOURS[risk_class(v)] for v in p]
    err = np.vstack([p - att["p_attain_low"].to_numpy(float), att["p_attain_high"].to_numpy(float) - p])
    err = np.clip(err, 0.0, None)  # a target attained in every replication: the bound equals p up to rounding
    ax.barh(y, p, color=colours, height=0.7, xerr=err, ecolor="#333333", capsize=3)
    high = att["p_attain_high"].to_numpy(float)
    for yy, v, hi in zip(y, p, high, strict=True):
        inside = v >= INSIDE_LABEL_FROM  # long bars carry their number inside, in white
        ax.text(
            v - 0.015 if inside else hi + 0.015,  # short bars: beyond the interval's whisker
            yy,
            format_share(v),
            va="center",
            ha="right" if inside else "left",
            color="white" if inside else "black",
            fontsize="small",
            fontweight="bold",
        )
    ax.set_yticks(y, [titles[k] for k in att["target"]])
    lines = []
    for level, style, risk in ((AT_RISK_FROM, "--", "at_risk"), (LIKELY_FROM, "-", "likely")):
        ax.axvline(level, color="#333333", ls=style, lw=1.2)
        zh, en = RISK_LABELS[risk]
        label = bilingual(f"{level:.0%}：{zh}线", f"{level:.0%}: {en} line", sep=" ")
        lines.append(Line2D([], [], color="#333333", ls=style, lw=1.2, label=label))
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
    label = bilingual("达标概率（95%区间）", "P(reaching the goal), 95% interval", sep="\n")
    ax.set_xlabel(f"{label}\n{note}" if note else label)
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=RISK_COLOURS[k], label=bilingual(*RISK_LABELS[k], sep=" ")) for k in RISK_COLOURS]
    ax.legend(handles=[*handles, *lines], loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False)
    return ax


def plot_shortfall(
    short: pd.DataFrame, *, ax: Axes | None = None, labels: bool = True, max_share: float | None = None
) -> Axes:
    """Expected shortfall when a target is missed: bars in % of goal, text in the unit.

    Parameters
    ----------
    short
        Output of :func:`expected_shortfall` (with ``label_zh``, ``label_en`` when ``labels``).
    ax
        Axes to draw on; a new slide-sized figure when None.
    labels
        Label the y axis with target names (False when it sits beside :func:`plot_attainment`).
    max_share
        Largest shortfall share the axis must hold (so slides of one report share a scale);
        the largest in ``short`` when None.
    """
    ax = ax if ax is not None else new_axes()
    y = np.arange(len(short))[::-1]
    share = short["shortfall_share"].to_numpy(dtype=float)
    rare = short["p_miss"].to_numpy(dtype=float) < SHARE_SHOWN_FROM
    ax.barh(y, share, color=np.where(rare, RARE_MISS_COLOUR, SHORTFALL_COLOUR), height=0.7)
    largest = max_share if max_share is not None else (float(np.nanmax(share)) if share.size else 0.0)
    top = max(largest, 0.05)
    for yy, s, row in zip(y, share, records(short), strict=True):
        if row.p_miss > 0:
            amount = f"{row.shortfall:.1%}" if row.unit == "%" else format_value(row.shortfall, row.unit)
            text = f"−{amount}{unit_text(row.unit)}"
            ax.text(s + top * 0.02, yy, f"{text}  ({format_share(row.p_miss)})", va="center", fontsize="small")
    ax.set_xlim(0, top * 1.6)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
    if labels:
        titles = target_titles(short, with_parent=False)
        ax.set_yticks(y, [titles[k] for k in short["target"]])
    else:
        ax.tick_params(axis="y", labelleft=False, length=0)
    ax.set_xlabel(bilingual("未完成时平均缺口（占目标%）", "shortfall if missed, % of goal", sep="\n"))
    ax.set_title(bilingual("括号内：未完成概率", "in brackets: P(miss)"), fontsize="small", loc="left")
    ax.grid(axis="y", visible=False)
    return ax


SLIDE_ROWS = 14  # targets per attainment slide: 28 targets make two 16:9 slides


def attainment_overview(att: pd.DataFrame, short: pd.DataFrame, *, subtitle: str = "", note: str = "") -> Figure:
    """The two panels side by side on one 16:9 slide: attainment | shortfall.

    Meant for up to :data:`SLIDE_ROWS` targets (see :func:`slide_chunks`); ``subtitle`` is
    appended to the title (e.g. "(1/2)" or the policy of a multirun job); ``note`` goes under
    the slide (what the intervals cover).
    """
    apply_style()
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(SLIDE_INCHES[0] * 1.2, max(SLIDE_INCHES[1] * 1.2, 0.5 * len(att) + 2.0)),
        sharey=True,
        gridspec_kw={"width_ratios": [3, 2]},
        layout="constrained",
    )
    plot_attainment(att, ax=left, note=note)
    legend = left.get_legend()
    handles, texts = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    legend.remove()
    fig.legend(handles, texts, loc="outside lower center", ncols=len(texts), frameon=False)
    merged = att[["target", "label_zh", "label_en"]].merge(short, on="target", how="left")  # att's rows, order
    plot_shortfall(merged, ax=right, labels=False, max_share=float(short["shortfall_share"].max()))
    fig.suptitle(f"{bilingual('2023年目标达标概率', 'Probability of reaching each 2023 target')}  {subtitle}".rstrip())
    return fig


def slide_chunks(att: pd.DataFrame, rows: int = SLIDE_ROWS) -> list[pd.DataFrame]:
    """``att`` cut into consecutive pieces of at most ``rows`` targets, one per slide.

    A cut never separates an "of which" row from the target above it.
    """
    chunks, start = [], 0
    labels = att["label_en"].astype(str).tolist()
    while start < len(att):
        end = min(start + rows, len(att))
        while start + 1 < end < len(att) and labels[end].startswith("of which"):
            end -= 1
        chunks.append(att.iloc[start:end].reset_index(drop=True))
        start = end
    return chunks
