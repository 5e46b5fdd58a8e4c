"""House style of the planner's charts: slide size, fonts (Chinese when possible), colours.

Charts go on 16:9 slides shown to city leaders, so text is large and every title carries the
Chinese label with the English one beside it. Chinese needs a CJK font: we look one up in
matplotlib's font manager (Debian's ``fonts-noto-cjk`` provides Noto Sans CJK SC; ``make
fonts`` installs it). Without one, labels fall back to English and ONE warning is logged,
so a chart never shows boxes (tofu) in place of characters.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure, FigureBase
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

mpl.use("Agg")  # files only; never a window (CI and servers have no display)


log = logging.getLogger(__name__)

# Preferred CJK families, best first (Simplified Chinese glyphs first).
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
)

SLIDE_INCHES: tuple[float, float] = (13.333, 7.5)  # 16:9 PowerPoint slide
# PNG resolution for slides: a chart cropped from a 13.3-inch slide is ~12 x 7 inches, so 150
# dpi gives ~1,800 x 1,100 pixels: a full-HD (1,920 x 1,080) projector shows it at 1:1 within
# 6%, and text of 13 pt is ~27 pixels high. 200 dpi (the earlier figure) drew 1.8x the pixels
# for no visible gain at that size and made PNG encoding ~15% of a report's time (issue 13).
DPI = 150
PAGE_DPI = 110  # PNG resolution of page-sized figures (the all-target grid), read on screen
FONT_PT = 15  # base font size at slide size
TITLE_PT = 19

# Risk classes of a target by its probability of attainment (thresholds: the plan's reading of
# "likely" >= 90% and "unlikely" < 50%; between them the target is at risk).
LIKELY_FROM = 0.9
AT_RISK_FROM = 0.5
RISK_COLOURS: dict[str, str] = {"likely": "#2e7d32", "at_risk": "#f9a825", "unlikely": "#c62828"}
RISK_LABELS: dict[str, tuple[str, str]] = {
    "likely": ("有望完成", "likely"),
    "at_risk": ("存在风险", "at risk"),
    "unlikely": ("难以完成", "unlikely"),
}
CAUSE_COLOURS: dict[str, str] = {
    "land": "#8d6e63",
    "energy": "#ef6c00",
    "approvals": "#1565c0",
    "leaders": "#6a1b9a",
}
BAND_COLOUR = "#1f77b4"
GOAL_COLOUR = "#c62828"
PACE_COLOUR = "#555555"
ACTUAL_COLOUR = "#000000"
# Fourteen distinct colours: a sweep of every lever alone plus the plan needs 13.
POLICY_COLOURS: tuple[str, ...] = (
    "#1565c0",
    "#ef6c00",
    "#2e7d32",
    "#6a1b9a",
    "#00838f",
    "#ad1457",
    "#5d4037",
    "#c62828",
    "#9e9d24",
    "#283593",
    "#00bfa5",
    "#f9a825",
    "#78909c",
    "#ec407a",
)


def policy_colours(policies: list[str], given: dict[str, str] | None = None) -> dict[str, str]:
    """Colour of each policy: ``given`` where it names one, else the palette in order.

    The report passes one mapping to every chart so a policy keeps its colour across slides.
    """
    given = given or {}
    free = iter(c for c in POLICY_COLOURS * (1 + len(policies) // len(POLICY_COLOURS)) if c not in given.values())
    return {p: given[p] if p in given else next(free) for p in policies}


@functools.cache
def cjk_font() -> str | None:
    """Name of an installed font family that renders Chinese, or None (logs one warning)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    log.warning(
        "no CJK font found (tried %s); charts use English labels only. "
        "Install one with `make fonts` (Debian: apt-get install fonts-noto-cjk).",
        ", ".join(CJK_FAMILIES[:3]),
    )
    return None


def has_cjk() -> bool:
    """True when charts can show Chinese."""
    return cjk_font() is not None


def bilingual(zh: str, en: str, *, sep: str = "  ") -> str:
    """A label in Chinese with English beside it, or English only without a CJK font."""
    return f"{zh}{sep}{en}" if has_cjk() else english(en)


# rcParams a text's extent depends on besides its string, font properties and dpi: the families
# a generic name ("sans-serif") resolves to, and the hinting of glyph outlines.
_EXTENT_RC: tuple[str, ...] = (
    "font.family",
    "font.sans-serif",
    "font.serif",
    "font.monospace",
    "font.cursive",
    "font.fantasy",
    "text.hinting",
    "text.hinting_factor",
    "text.kerning_factor",
)
_Extent = tuple[float, float, float]
_Measure = Callable[[Any, str, FontProperties, Any], _Extent]
_EXTENTS: dict[tuple[Any, ...], _Extent] = {}


def _measured_once(measure: _Measure, kind: str) -> _Measure:
    """``measure`` (a renderer's ``get_text_width_height_descent``) remembered for the process.

    matplotlib caches a text's extent per renderer, and every figure, format and saving pass
    makes a new renderer, so a report measured the same tick labels and legend entries hundreds
    of times (with a CJK font, ~1-2 ms each: ~20% of a report's drawing, issue 13). The extent
    is a function of the string, the font properties, the dpi and the rcParams in
    ``_EXTENT_RC``, so it is remembered under that key.
    """

    @functools.wraps(measure)
    def wrapper(renderer: Any, s: str, prop: FontProperties, ismath: Any) -> _Extent:
        rc: Any = mpl.rcParams  # keys typed as literals; these are all valid
        # a copy in the key: FontProperties is mutable and hashes by its current state
        frozen = prop.copy()
        key = (kind, getattr(renderer, "dpi", None), s, frozen, ismath, *(str(rc[k]) for k in _EXTENT_RC))
        if key not in _EXTENTS:
            _EXTENTS[key] = measure(renderer, s, frozen, ismath)
        return _EXTENTS[key]

    wrapper.__wrapped__ = measure  # type: ignore[attr-defined]
    return wrapper


def measure_text_once(enabled: bool = True) -> None:
    """Remember text extents across figures in this process (Agg and SVG), or stop (idempotent).

    Installed by :func:`apply_style`. The extents are the ones matplotlib computes (a chart's
    pixels are unchanged: ``tests/test_plots.py`` compares them); only repeats are skipped.
    """
    for cls, kind in ((RendererAgg, "agg"), (TextToPath, "path")):
        method = cls.get_text_width_height_descent
        original = getattr(method, "__wrapped__", method)
        cls.get_text_width_height_descent = _measured_once(original, kind) if enabled else original  # type: ignore[method-assign]
    _EXTENTS.clear()


def apply_style() -> None:
    """Set matplotlib's fonts and sizes for slide charts (idempotent)."""
    if not hasattr(RendererAgg.get_text_width_height_descent, "__wrapped__"):
        measure_text_once()
    family = cjk_font()
    plt.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [*([family] if family else []), "DejaVu Sans"],
            "axes.unicode_minus": False,  # CJK fonts often lack the Unicode minus glyph
            "font.size": FONT_PT,
            "axes.titlesize": TITLE_PT,
            "axes.labelsize": FONT_PT,
            "xtick.labelsize": FONT_PT - 2,
            "ytick.labelsize": FONT_PT - 2,
            "legend.fontsize": FONT_PT - 2,
            "figure.titlesize": TITLE_PT + 2,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "svg.fonttype": "none",  # keep text as text in SVG (editable, searchable)
        }
    )


def new_axes(size: tuple[float, float] = SLIDE_INCHES) -> plt.Axes:
    """A fresh styled figure with one Axes (for plot functions called without ``ax``)."""
    apply_style()
    fig = plt.figure(figsize=size)
    return fig.add_subplot()


def save_figure(fig: Figure, stem: Path, *, dpi: int = DPI, png: bool = True) -> list[Path]:
    """Write ``fig`` as ``<stem>.svg`` and, with ``png``, ``<stem>.png`` (at ``dpi``); close it.

    Returns the paths written, the SVG first. The report's page embeds the SVG (text stays
    text); a PNG is for software that takes no SVG, and costs about as much as the SVG to
    encode, so the report draws it only on request (``python -m analysis report --png``).

    A figure with a layout engine is laid out once (one draw without rendering) and its
    layout then frozen; the tight box is found once; so each file costs one draw, where
    ``savefig(bbox_inches="tight")`` draws the figure twice per file. Both files show the same
    area: the tight box padded as ``savefig`` pads it. (Without a layout engine the box is the
    same before a draw as after one: checked on every chart of a report, issue 13.)
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".svg"), *([stem.with_suffix(".png")] if png else [])]
    if fig.get_layout_engine() is not None:
        fig.draw_without_rendering()
        fig.set_layout_engine("none")  # positions stay as laid out above
    box = fig.get_tightbbox().padded(mpl.rcParams["savefig.pad_inches"])
    fig.savefig(paths[0], bbox_inches=box)
    if png:
        # zlib level 1: charts are flat colour, so the file is a few per cent larger than at the
        # default level 6 and encoding takes a fraction of the time.
        fig.savefig(paths[1], dpi=dpi, bbox_inches=box, pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return paths


def risk_class(p_attain: float) -> str:
    """``likely``, ``at_risk`` or ``unlikely`` for a probability of attainment."""
    if p_attain >= LIKELY_FROM:
        return "likely"
    if p_attain >= AT_RISK_FROM:
        return "at_risk"
    return "unlikely"


SHARE_SHOWN_FROM = 0.005  # a share below this prints as 0% at whole per cent: shown as "<1%"


def format_share(p: float) -> str:
    """A probability at whole per cent, never rounded to a certainty: "<1%" and ">99%" stay apart from 0 and 1."""
    if 0 < p < SHARE_SHOWN_FROM:
        return "<1%"
    if 1 - SHARE_SHOWN_FROM <= p < 1:
        return ">99%"
    return f"{p:.0%}"


def add_note(fig: FigureBase, note: str) -> None:
    """Write ``note`` (e.g. what the intervals cover) just below the figure, left-aligned, small.

    For figures saved with ``bbox_inches="tight"`` without constrained layout (whose legends
    outside the axes would meet it); :func:`analysis.plots.attainment.plot_attainment` puts
    its note in the axis label instead.
    """
    if note:
        fig.text(0.01, 0.0, note, ha="left", va="top", fontsize="x-small", color="#555555")


def format_value(value: float, unit: str) -> str:
    """A value in its unit for labels: percentages as %, large numbers with separators."""
    if unit == "%":
        return f"{value:.0%}"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"  # noqa: PLR2004 (display rule)


UNIT_NAMES_EN: dict[str, str] = {"亿元": "100m yuan", "个": "projects", "户": "enterprises", "家": "enterprises"}


def unit_text(unit: str) -> str:
    """Short unit after a number: ' 亿元' (or ' 100m yuan' without CJK); '' for %."""
    if unit == "%":
        return ""
    return f" {unit}" if has_cjk() else f" {UNIT_NAMES_EN.get(unit, english(unit))}"


def unit_label(unit: str) -> str:
    """Axis unit text: the Chinese unit with its English name (亿元 = 100 million yuan)."""
    if unit == "%":
        return "%"
    en = UNIT_NAMES_EN.get(unit, english(unit))
    return f"{unit} ({en})" if has_cjk() else en


_YUAN_UNITS = {"亿": 1e8, "万": 1e4}
_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]+")


def _yuan(match: re.Match[str]) -> str:
    yuan = float(match.group(1)) * _YUAN_UNITS[match.group(2)]
    for scale, suffix in ((1e9, "bn"), (1e6, "m")):
        if yuan >= scale:
            return f"{yuan / scale:g}{suffix} yuan"
    return f"{yuan:,.0f} yuan"


def english(text: str) -> str:
    """``text`` made safe for a font without Chinese: 50亿 -> 5bn yuan, other CJK removed."""
    text = re.sub(r"(\d+(?:\.\d+)?)\s*(亿|万)元?", _yuan, text)
    text = _CJK_CHAR.sub("", text)
    return re.sub(r"\(\s*\)", "", text).strip()


def target_titles(targets: pd.DataFrame, *, with_parent: bool = True) -> dict[str, str]:
    """Chart title of every target, bilingual; an "of which" row names its parent target.

    Parameters
    ----------
    targets
        Rows in the plan's order with ``target``, ``label_zh``, ``label_en``.
    with_parent
        Prefix "of which" rows with their parent's label (standalone charts); when False they
        are indented instead (lists in the plan's order, where the parent is the row above).
    """
    titles: dict[str, str] = {}
    parent_zh, parent_en = "", ""
    for row in records(targets):
        zh, en = str(row.label_zh), str(row.label_en)
        if en.startswith("of which") and parent_en and with_parent:
            zh, en = f"{parent_zh}，{zh}", f"{parent_en}, {en}"
        elif en.startswith("of which"):
            zh, en = f"└ {zh}", en if has_cjk() else f"└ {en}"
        else:
            parent_zh, parent_en = zh, en
        titles[str(row.target)] = bilingual(zh, english(en)) if has_cjk() else english(en)
    return titles


def records(frame: pd.DataFrame) -> Iterator[Any]:
    """Rows of ``frame`` as namedtuples (typed loosely: columns hold mixed types)."""
    return iter(frame.itertuples(index=False))
