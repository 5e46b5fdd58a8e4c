"""Scenario discovery on a finished run: boxes.csv, sentences and charts (issue 11).

The sentences read a box in a planner's words (issue 24): the inputs' Chinese and English labels,
numbers in the input's unit, and for a box that did not pass the hold-out check "not
distinguishable from chance with N draws".
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.discover import BOX_COLUMNS, Box, boxes_frame, discover, miss_by_draw
from analysis.sensitivity import UNCERTAINTY_CHARTS
from cityplan.targets import Goal, targets_frame

log = logging.getLogger(__name__)

# Targets worth a discovery: some replications attain, and the target is not safe (style.py:
# "likely" from 90%). Below 2% attained there is hardly a region where it is reached.
DISCOVER_FROM, DISCOVER_BELOW = 0.02, 0.9
DISCOVERY_COLUMNS = ("target", *BOX_COLUMNS, "sentence_zh", "sentence_en")


THOUSANDS_FROM = 1e4  # numbers from here are written whole with separators
SIGNIFICANT_DIGITS = 3  # below THOUSANDS_FROM


def _number(v: float) -> str:
    """A box limit as a planner reads it: 0.22, 15.2, 1,390, 22,712 (never 1.39e+03)."""
    if abs(v) >= THOUSANDS_FROM:
        return f"{v:,.0f}"
    if abs(v) >= 10 ** (SIGNIFICANT_DIGITS - 1):  # 100-9,999: round to 3 digits, no exponent
        return f"{round(v, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(v)))):,.0f}"
    return f"{v:.{SIGNIFICANT_DIGITS}g}"


def _restrictions(
    box: Box,
    x: pd.DataFrame,
    labels: Mapping[str, tuple[str, str]],
    units: Mapping[str, tuple[str, str, float]],
) -> tuple[list[str], list[str]]:
    """Each restriction in Chinese and English, numbers in the input's unit."""
    zh_parts, en_parts = [], []
    for name, (low, high) in box.limits.items():
        zh, en = labels.get(name, (name, name))
        unit_zh, unit_en, scale = units.get(name, ("", "", 1.0))

        def num(v: float, unit: str, scale: float = scale) -> str:
            return f"{_number(v * scale)}{unit}"

        at_min, at_max = low <= x[name].min(), high >= x[name].max()
        if at_min:
            zh_parts.append(f"{zh}低于 {num(high, unit_zh)}")
            en_parts.append(f"{en} is below {num(high, unit_en)}")
        elif at_max:
            zh_parts.append(f"{zh}高于 {num(low, unit_zh)}")
            en_parts.append(f"{en} is above {num(low, unit_en)}")
        else:
            zh_parts.append(f"{zh}在 {num(low, unit_zh)}–{num(high, unit_zh)} 之间")
            en_parts.append(f"{en} is between {num(low, unit_en)} and {num(high, unit_en)}")
    return zh_parts, en_parts


def box_sentence(
    box: Box,
    x: pd.DataFrame,
    target_zh: str,
    target_en: str,
    labels: Mapping[str, tuple[str, str]],
    units: Mapping[str, tuple[str, str, float]] | None = None,
) -> tuple[str, str]:
    """The box as one sentence in Chinese and one in English.

    ``labels`` maps an input to (zh, en), ``units`` to (unit zh, unit en, scale: 100 for a
    share written as %); each restriction is read against the input's range in ``x``
    ("below", "above" or "between"). A box that did not pass :func:`validate` reads "not
    distinguishable from chance with N draws" instead of a probability.
    """
    zh_parts, en_parts = _restrictions(box, x, labels, units or {})
    if box.n_draws and not box.passed:
        return (
            f"{'且'.join(zh_parts)}：{box.n_draws} 次参数抽样下与偶然无法区分（{target_zh}）",
            f"{' and '.join(en_parts)}: not distinguishable from chance with {box.n_draws} draws ('{target_en}')",
        )
    held = "（留出样本）" if box.n_draws else ""
    zh_text = (
        f"若{'且'.join(zh_parts)}，{target_zh}目标落空的概率为 {box.density:.0%}"
        f"（覆盖 {box.coverage:.0%} 的落空情形）{held}"
    )
    en_text = (
        f"If {' and '.join(en_parts)}, the target '{target_en}' is missed with probability {box.density:.0%} "
        f"(covering {box.coverage:.0%} of the misses{', in held-out draws' if box.n_draws else ''})"
    )
    return zh_text, en_text


def at_risk_targets(kpis: pd.DataFrame, goals: Mapping[str, Goal]) -> list[str]:
    """Targets with DISCOVER_FROM <= P(attain) < DISCOVER_BELOW, in the plan's order (that of ``goals``)."""
    p = pd.Series(
        {t: goals[str(t)].hits(g["value"].to_numpy()).mean() for t, g in kpis.groupby("target", observed=True)}
    )
    return [str(t) for t in goals if t in p.index and DISCOVER_FROM <= p[t] < DISCOVER_BELOW]


def discover_target(
    kpis: pd.DataFrame,
    params: pd.DataFrame,
    target: str,
    goal: Goal,
    labels: Mapping[str, tuple[str, str]],
    units: Mapping[str, tuple[str, str, float]] | None = None,
    targets: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, list[tuple[str, Box]]]:
    """PRIM boxes and the CART leaf of one target, checked on held-out draws, as ``boxes.csv`` rows.

    Raises ValueError (with the sentence to print) when the target is missed or attained in
    every replication: there is no region to discover.
    """
    x, missed, draws = miss_by_draw(kpis, params, target, goal)
    targets = targets if targets is not None else targets_frame()
    row = targets.set_index("target").loc[target]
    if missed.all() or not missed.any():
        raise ValueError(always_sentence(target, bool(missed.all()), len(missed), targets)[1])
    found = discover(x, missed, draws)
    frame = boxes_frame(found)
    sentences = {
        i: box_sentence(box, x, str(row["label_zh"]), str(row["label_en"]), labels, units)
        for i, (_, box) in enumerate(found, start=1)
    }
    frame["sentence_zh"] = frame["box"].map(lambda i: sentences[i][0])
    frame["sentence_en"] = frame["box"].map(lambda i: sentences[i][1])
    frame.insert(0, "target", target)
    return frame[list(DISCOVERY_COLUMNS)], x, missed, found


def always_sentence(target: str, missed: bool, n: int, targets: pd.DataFrame | None = None) -> tuple[str, str]:
    """(zh, en) for a target missed, or attained, in every one of ``n`` replications."""
    row = (targets if targets is not None else targets_frame()).set_index("target").loc[target]
    if missed:
        return (
            f"{row['label_zh']}：{n} 次模拟全部落空，无可发现的达标情形",
            f"{target}: '{row['label_en']}' is missed in all {n} replications; no region where it is reached",
        )
    return (
        f"{row['label_zh']}：{n} 次模拟全部达标，无可发现的落空情形",
        f"{target}: '{row['label_en']}' is attained in all {n} replications; no region where it is missed",
    )


def discover_run(
    run: Path,
    targets: list[str],
    goals: Mapping[str, Goal],
    labels: Mapping[str, tuple[str, str]],
    *,
    charts: bool = True,
    units: Mapping[str, tuple[str, str, float]] | None = None,
    png: bool = True,
) -> pd.DataFrame:
    """Write ``boxes.csv`` (and charts of the boxes that pass) for ``targets`` (default: the at-risk ones).

    ``boxes.csv`` always has its header; a box that did not pass on the hold-out has
    ``passed`` False and a sentence saying it is not distinguishable from chance.
    """
    kpis = pd.read_parquet(run / "kpis.parquet")
    params_path = run / "params.parquet"
    params = pd.read_parquet(params_path) if params_path.exists() else pd.DataFrame()
    if params.empty:
        raise ValueError(f"{run}: no uncertain inputs (run with uncertainty=evidence)")
    unknown = [t for t in targets if t not in goals]
    if unknown:
        raise ValueError(f"unknown target key(s) {unknown}; keys are in cityplan/targets.py")
    from analysis.report.budget import run_targets

    plan_targets = run_targets(run)
    targets = targets or at_risk_targets(kpis, goals)
    frames, lines = [], []
    for target in targets:
        try:
            frame, x, missed, found = discover_target(kpis, params, target, goals[target], labels, units, plan_targets)
        except ValueError as err:
            lines.append(str(err))
            continue
        frames.append(frame)
        passed = frame[frame["passed"].astype(bool)]
        top = passed.iloc[0] if len(passed) else None
        if top is not None:
            lines += [f"{target}: {top['sentence_zh']}", f"{' ' * len(target)}  {top['sentence_en']}"]
        else:
            n_draws = int(pd.Series(params["draw"]).nunique())
            lines.append(f"{target}: no box distinguishable from chance with {n_draws} draws")
        if charts and top is not None:
            box = found[int(top["box"]) - 1][1]
            _chart(run, target, x, missed, box, labels, top, png=png)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(DISCOVERY_COLUMNS))
    out.to_csv(run / "boxes.csv", index=False, encoding="utf-8-sig")
    sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
    return out


def _chart(
    run: Path,
    target: str,
    x: pd.DataFrame,
    missed: np.ndarray,
    box: Box,
    labels: Mapping[str, tuple[str, str]],
    top: pd.Series,
    *,
    png: bool = True,
) -> None:
    from matplotlib.figure import Figure

    from analysis.plots.sensitivity import plot_box
    from analysis.plots.style import bilingual, save_figure

    title = bilingual(str(top["sentence_zh"]), str(top["sentence_en"]), sep="\n")
    ax = plot_box(x, missed, box.limits, dict(labels), title=title)
    ax.title.set_fontsize("small")
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    save_figure(fig, run / UNCERTAINTY_CHARTS / f"discover_{target}", png=png)
