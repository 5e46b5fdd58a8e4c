"""Pipeline funnel chart: projects reaching each stage in the target year.

Bars are stacked by same-year signings and the carried-over pipeline (table from
:func:`analysis.funnel.funnel`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from analysis.plots.style import BAND_COLOUR, bilingual, new_axes

CARRY_COLOUR = "#90a4ae"


def plot_funnel(table: pd.DataFrame, *, subtitle: str = "", ax: Axes | None = None) -> Axes:
    """Horizontal stacked bars, first stage on top: same-year (dark) + carry-over (grey).

    Parameters
    ----------
    table
        Output of :func:`analysis.funnel.funnel` (``label_zh, label_en, same_year,
        carry_over, total``), in lifecycle order.
    subtitle
        Appended to the title (e.g. the policy of a multirun job).
    ax
        Axes to draw on; a new slide-sized figure when None.
    """
    ax = ax if ax is not None else new_axes()
    y = np.arange(len(table))[::-1]
    same = table["same_year"].to_numpy(dtype=float)
    carry = table["carry_over"].to_numpy(dtype=float)
    ax.barh(y, same, color=BAND_COLOUR, height=0.65, label=bilingual("当年签约", "signed this year", sep=" "))
    ax.barh(y, carry, left=same, color=CARRY_COLOUR, height=0.65, label=bilingual("往年结转", "carried over", sep=" "))
    top = float((same + carry).max()) if len(table) else 1.0
    for yy, s, c in zip(y, same, carry, strict=True):
        ax.annotate(
            f"{s + c:,.0f}  ({s:,.0f} + {c:,.0f})",
            (s + c, yy),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)
    ax.set_yticks(y, [bilingual(z, e, sep=" ") for z, e in zip(table["label_zh"], table["label_en"], strict=True)])
    ax.set_xlabel(
        bilingual(
            "当年到达该环节的项目数（每次模拟平均）",
            "projects reaching the stage in the year (mean per replication)",
            sep="\n",
        )
    )
    title = bilingual("项目全生命周期漏斗", "Project pipeline funnel (all sectors and sizes)")
    ax.set_title(f"{title}  {subtitle}".rstrip(), loc="left")
    ax.legend(loc="lower right", framealpha=0.9)
    ax.grid(axis="y", visible=False)
    return ax
