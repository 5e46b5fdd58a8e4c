"""Chart of a factorial screen: the largest main effects and two-lever interactions of one target."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from analysis.plots.style import bilingual, has_cjk, new_axes

TOP_TERMS = 15  # bars on one slide (readable at slide size)
MAIN_COLOUR, INTERACTION_COLOUR = "#1565c0", "#ef6c00"


def _term_label(term: str, labels: dict[str, str]) -> str:
    """``拿地即开工 × 五证联发`` with a CJK font, the lever keys otherwise."""
    parts = term.split(":")
    return " × ".join(labels.get(p, p) if has_cjk() else p for p in parts)


def plot_effects(
    effects: pd.DataFrame, target: str, title: str, labels: dict[str, str], ax: Axes | None = None, top: int = TOP_TERMS
) -> Axes:
    """Horizontal bars of the ``top`` largest value effects (|effect|) with their 95% intervals.

    Parameters
    ----------
    effects
        ``effects.csv`` rows (target, term, effect, ci_low, ci_high, model, kind).
    target
        Target key; only its ``value`` model rows are drawn (effects in the target's unit).
    title
        Chart title (the target's name).
    labels
        Lever key -> Chinese name.
    """
    rows = effects[(effects["target"] == target) & (effects["model"] == "value")]
    if rows.empty:
        raise ValueError(f"no value effects for target {target!r}")
    rows = rows.reindex(rows["effect"].abs().sort_values(ascending=False).index).head(top).iloc[::-1]
    ax = ax or new_axes()
    y = np.arange(len(rows))
    colours = [MAIN_COLOUR if k == "main" else INTERACTION_COLOUR for k in rows["kind"]]
    ax.barh(y, rows["effect"], color=colours, alpha=0.85)
    err = np.vstack([rows["effect"] - rows["ci_low"], rows["ci_high"] - rows["effect"]])
    ax.errorbar(rows["effect"], y, xerr=err, fmt="none", ecolor="#333", capsize=3)
    ax.set_yticks(y, [_term_label(t, labels) for t in rows["term"]])
    ax.axvline(0, color="#555", lw=1)
    ax.set_xlabel(bilingual("效应（开启 − 关闭，其他政策平均）", "effect (on − off, averaged over the other levers)"))
    ax.set_title(bilingual(f"{title}：最大主效应与交互作用", f"{target}: largest effects and interactions"))
    handles = [
        Patch(color=c, label=bilingual(zh, en))
        for c, zh, en in (
            (MAIN_COLOUR, "主效应", "main effect"),
            (INTERACTION_COLOUR, "两两交互", "two-lever interaction"),
        )
    ]
    ax.legend(handles=handles, loc="lower right")
    return ax
