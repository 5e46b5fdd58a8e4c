"""Charts of the uncertainty budget and of scenario discovery (issue 11).

``plot_budget``: one horizontal bar per target, split into luck (grey), the inputs that
matter most (colours), the other inputs together, and interactions: "what the forecast of
each target depends on". ``plot_box``: the draws on the two inputs of a discovered box,
misses in red, the box drawn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from analysis.plots.style import bilingual, new_axes
from analysis.sensitivity import LUCK, REST

LUCK_COLOUR = "#9e9e9e"
OTHER_COLOUR = "#cfd8dc"
REST_COLOUR = "#eceff1"
INPUT_COLOURS: tuple[str, ...] = (
    "#1565c0",
    "#ef6c00",
    "#2e7d32",
    "#6a1b9a",
    "#c62828",
    "#00838f",
    "#8d6e63",
    "#f9a825",
    "#ad1457",
    "#64dd17",
    "#3949ab",
    "#00bfa5",
)


def budget_bars(
    sensitivity: pd.DataFrame, targets: list[str], measure: str, n_inputs: int
) -> tuple[pd.DataFrame, list[str]]:
    """Shares per target (rows) for the chart: luck, the top inputs, other inputs, interactions.

    Negative estimates (noise around zero) count as zero; a bar whose parts sum past 1 is
    scaled to 1. Returns the table and the inputs shown by name (largest overall first).
    """
    rows = sensitivity[(sensitivity["measure"] == measure) & sensitivity["target"].isin(targets)]
    wide = rows.pivot_table(index="target", columns="parameter", values="value").reindex(targets).fillna(0.0)
    inputs = [c for c in wide.columns if c not in (LUCK, REST)]
    positive = wide[inputs].clip(lower=0)
    # Each target's two largest inputs are candidates; the most important overall are named.
    leaders = positive.where(positive.rank(axis=1, ascending=False, method="first") <= 2, 0.0)  # noqa: PLR2004
    top = [c for c in leaders.sum().sort_values(ascending=False).index[:n_inputs] if leaders[c].sum() > 0]
    out = pd.DataFrame(index=wide.index)
    out[LUCK] = wide[LUCK].clip(lower=0) if LUCK in wide else 0.0
    for name in top:
        out[name] = positive[name]
    out["other inputs"] = positive.drop(columns=top).sum(axis=1)
    total = out.sum(axis=1)
    out[REST] = (1 - total).clip(lower=0)
    return out.div(out.sum(axis=1).where(lambda s: s > 0, 1.0), axis=0), top


def plot_budget(
    sensitivity: pd.DataFrame,
    titles: dict[str, str],
    labels: dict[str, tuple[str, str]],
    *,
    measure: str = "variance_share",
    n_inputs: int = 12,
    subtitle: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Stacked bars: the share of each target's uncertainty that luck and each input explain.

    Parameters
    ----------
    sensitivity
        ``sensitivity.csv`` rows (target, parameter, measure, value, ...).
    titles
        Target key -> bilingual label; the targets shown, in this order (top first).
    labels
        Input path -> (zh, en) labels.
    measure
        ``variance_share`` (the year-end value) or ``attain_variance_share`` (P(attain)).
    n_inputs
        Inputs shown by name; the rest are summed into "other inputs".
    """
    ax = ax if ax is not None else new_axes()
    targets = list(titles)
    shares, top = budget_bars(sensitivity, targets, measure, n_inputs)
    y = np.arange(len(targets))[::-1]
    left = np.zeros(len(targets))
    colours = {LUCK: LUCK_COLOUR, "other inputs": OTHER_COLOUR, REST: REST_COLOUR}
    colours |= dict(zip(top, INPUT_COLOURS, strict=False))
    names = {
        LUCK: bilingual("运气（随机性）", "luck", sep=" "),
        "other inputs": bilingual("其他参数", "other inputs", sep=" "),
        REST: bilingual("参数交互", "interactions", sep=" "),
    }
    names |= {t: bilingual(*labels.get(t, (t, t)), sep=" ") for t in top}
    for column in shares.columns:
        width = shares[column].to_numpy()
        ax.barh(y, width, left=left, color=colours[column], height=0.7, label=names[column], edgecolor="white")
        for yy, x0, w in zip(y, left, width, strict=True):
            if w >= 0.08:  # noqa: PLR2004 (label only segments wide enough to read)
                ax.text(x0 + w / 2, yy, f"{w:.0%}", ha="center", va="center", fontsize="x-small", color="black")
        left += width
    ax.set_yticks(y, [titles[t] for t in targets])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    what = ("达成概率", "P(attain)") if measure.startswith("attain") else ("年末值", "year-end value")
    ax.set_xlabel(bilingual(f"{what[0]}不确定性的来源占比", f"share of the spread of the {what[1]}"))
    ax.set_title(
        bilingual("各目标的预测取决于什么", "What the forecast of each target depends on")
        + (f" — {subtitle}" if subtitle else "")
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", visible=False)
    return ax


def plot_box(
    x: pd.DataFrame,
    missed: np.ndarray,
    limits: dict[str, tuple[float, float]],
    labels: dict[str, tuple[str, str]],
    *,
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """The replications on the box's first two inputs: misses red, attained grey, box drawn."""
    ax = ax if ax is not None else new_axes()
    names = list(limits)[:2] or list(x.columns[:2])
    if len(names) == 1:
        others = [c for c in x.columns if c != names[0]]
        names.append(others[0])
    a, b = names
    missed = np.asarray(missed, dtype=bool)
    ax.scatter(x[a][~missed], x[b][~missed], s=18, color="#9e9e9e", label=bilingual("达成", "attained", sep=" "))
    ax.scatter(x[a][missed], x[b][missed], s=18, color="#c62828", label=bilingual("落空", "missed", sep=" "))
    lo_a, hi_a = limits.get(a, (x[a].min(), x[a].max()))
    lo_b, hi_b = limits.get(b, (x[b].min(), x[b].max()))
    ax.add_patch(Rectangle((lo_a, lo_b), hi_a - lo_a, hi_b - lo_b, fill=False, lw=2.5, edgecolor="black"))
    ax.set_xlabel(bilingual(*labels.get(a, (a, a)), sep=" "))
    ax.set_ylabel(bilingual(*labels.get(b, (b, b)), sep=" "))
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
