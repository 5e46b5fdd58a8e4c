"""Validation chart: each published figure over the model's 90% predictive interval, by theme.

Figures come in different units (projects, 亿元, shares, days), so every row is drawn on its
own scale: the model's interval ``[p05, p95]`` spans the same grey band on each row, the
median is a tick in it, and the observed value (a dot) or range (a bar) sits where it falls
on that row's scale; the numbers are written beside the row. Green: inside the interval; red:
outside; an open mark is held out of any fit; ``*`` marks another city's figure. A mark
beyond the drawn area is pinned to its edge with an arrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.plots.style import SLIDE_INCHES, apply_style, bilingual, english, has_cjk
from cityplan.observations import THEME_LABELS, THEMES

INSIDE_COLOUR = "#2e7d32"
OUTSIDE_COLOUR = "#c62828"
BAND_GREY = "#cfd8dc"
SHOWN = (-2.0, 3.0)  # drawn area in interval widths: the band is 0..1
TEXT_AT = 3.2  # the numbers column, right of the drawn area
RIGHT_EDGE = 5.6
ROW_INCHES = 0.3


def _number(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "–"
    if unit == "%":
        return f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"  # noqa: PLR2004 (display rule)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"  # noqa: PLR2004 (display rule)


def _position(value: np.ndarray, p05: np.ndarray, p95: np.ndarray) -> np.ndarray:
    """Where ``value`` falls in interval widths from p05 (a zero-width interval: ±1 beside it)."""
    width = p95 - p05
    pos = np.where(width > 0, (value - p05) / np.where(width > 0, width, 1.0), np.sign(value - p05) * 1.5 + 0.5)
    return np.where(np.isfinite(pos), pos, np.nan)


def plot_validation(table: pd.DataFrame, *, subtitle: str = "") -> Figure:
    """Draw the validation table (:func:`analysis.validation.validation_table`) as one figure.

    Parameters
    ----------
    table
        One row per observation with ``label_zh, label_en, theme, unit, observed_low,
        observed_high, p05, p50, p95, inside, held_out, other_city``.
    subtitle
        Appended to the title (e.g. the policy and the number of replications).
    """
    apply_style()
    order = {t: i for i, t in enumerate(THEMES)}
    rows = table.assign(_t=table["theme"].map(order)).sort_values("_t", kind="stable").reset_index(drop=True)
    themes = list(dict.fromkeys(rows["theme"]))
    n_lines = len(rows) + len(themes)
    fig = Figure(figsize=(SLIDE_INCHES[0], max(SLIDE_INCHES[1], ROW_INCHES * n_lines + 1.8)))
    ax = fig.add_subplot()
    p05, p50, p95 = (rows[c].to_numpy(float) for c in ("p05", "p50", "p95"))
    low = _position(rows["observed_low"].to_numpy(float), p05, p95)
    high = _position(rows["observed_high"].to_numpy(float), p05, p95)
    mid = _position(p50, p05, p95)
    y_of, labels, ticks, y = [], [], [], n_lines
    for theme in themes:
        y -= 1
        zh, en = THEME_LABELS[theme]
        ax.text(SHOWN[0], y, bilingual(zh, en, sep=" "), fontweight="bold", va="center", fontsize="small")
        for i in np.flatnonzero(rows["theme"].to_numpy() == theme):
            y -= 1
            y_of.append((i, y))
            r = rows.iloc[i]
            star = " *" if r["other_city"] else ""
            label = (
                bilingual(str(r["label_zh"]), str(r["label_en"]), sep=" ") if has_cjk() else english(str(r["label_en"]))
            )
            labels.append(label + star)
            ticks.append(y)
    lo_edge, hi_edge = SHOWN
    for i, yy in y_of:
        r = rows.iloc[i]
        colour = INSIDE_COLOUR if r["inside"] else OUTSIDE_COLOUR
        ax.barh(yy, 1.0, left=0.0, height=0.6, color=BAND_GREY, zorder=1)
        if np.isfinite(mid[i]):
            ax.plot([mid[i], mid[i]], [yy - 0.3, yy + 0.3], color="#455a64", lw=1.5, zorder=2)
        a, b = np.clip(low[i], lo_edge, hi_edge), np.clip(high[i], lo_edge, hi_edge)
        face = "white" if r["held_out"] else colour
        if r["observed_low"] != r["observed_high"]:
            ax.plot([a, b], [yy, yy], color=colour, lw=5, solid_capstyle="butt", zorder=3, alpha=0.8)
        else:
            ax.plot([a], [yy], marker="o", ms=9, mfc=face, mec=colour, mew=2, zorder=4, ls="none")
        for edge, hit in ((lo_edge, min(low[i], high[i]) < lo_edge), (hi_edge, max(low[i], high[i]) > hi_edge)):
            if hit:
                ax.annotate(
                    "",
                    (edge, yy),
                    xytext=(edge - np.sign(edge) * 0.35, yy),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 2},
                    zorder=5,
                )
        observed = str(r["observed"]) if r["unit"] != "%" else _range_pct(r)
        text = f"{observed}  |  {_number(r['p05'], r['unit'])}–{_number(r['p95'], r['unit'])}"
        ax.text(TEXT_AT, yy, text, va="center", fontsize="x-small", color=colour)
    ax.set_yticks(ticks, labels, fontsize="x-small")
    ax.set_ylim(-0.5, n_lines - 0.5)
    ax.set_xlim(lo_edge, RIGHT_EDGE)
    ax.axvline(hi_edge, color="#b0bec5", lw=0.8)
    ax.text(
        TEXT_AT,
        n_lines - 1,
        bilingual("公开值 | 模型90%区间", "observed | model 90%", sep=" "),
        fontsize="x-small",
        fontweight="bold",
        va="center",
    )
    ax.set_xticks([0, 1], ["p05", "p95"])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        bilingual(
            "每行按模型90%预测区间标准化（灰带，竖线为中位数）",
            "each row on its own scale: the grey band is the model's 90% predictive interval, the tick its median",
            sep="\n",
        ),
        fontsize="small",
    )
    inside = int(rows["inside"].sum())
    title = bilingual("模型与历史公开数据对照", "The model against the published record (2019–2022)")
    inside_text = bilingual(f"{inside}/{len(rows)} 项在区间内", f"{inside} of {len(rows)} inside", sep=", ")
    ax.set_title(f"{title}\n{inside_text}  {subtitle}".rstrip(), loc="left")
    handles = [
        Patch(color=BAND_GREY, label=bilingual("模型90%区间", "model 90% interval", sep=" ")),
        Line2D([], [], marker="o", ls="none", color=INSIDE_COLOUR, label=bilingual("区间内", "inside", sep=" ")),
        Line2D([], [], marker="o", ls="none", color=OUTSIDE_COLOUR, label=bilingual("区间外", "outside", sep=" ")),
        Line2D(
            [], [], marker="o", ls="none", mfc="white", mec="#555555", label=bilingual("留出检验", "held out", sep=" ")
        ),
        Line2D([], [], ls="none", label=bilingual("* 同类城市", "* another city", sep=" ")),
    ]
    fig.set_layout_engine("constrained")
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize="x-small", frameon=False)
    return fig


def _range_pct(r: pd.Series) -> str:
    lo, hi = float(r["observed_low"]), float(r["observed_high"])
    return _number(lo, "%") if lo == hi else f"{_number(lo, '%')}–{_number(hi, '%')}"
