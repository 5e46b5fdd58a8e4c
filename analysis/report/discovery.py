"""Scenario discovery on a finished run: boxes.csv, sentences and charts (issue 11)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.discover import BOX_COLUMNS, Box, box_sentence, boxes_frame, discover, miss_by_draw
from analysis.sensitivity import UNCERTAINTY_CHARTS
from cityplan.targets import Goal, targets_frame

log = logging.getLogger(__name__)

# Targets worth a discovery: some replications attain, and the target is not safe (style.py:
# "likely" from 90%). Below 2% attained there is hardly a region where it is reached.
DISCOVER_FROM, DISCOVER_BELOW = 0.02, 0.9
DISCOVERY_COLUMNS = ("target", *BOX_COLUMNS, "sentence_zh", "sentence_en")


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
            _chart(run, target, x, missed, box, labels, top)
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
) -> None:
    from matplotlib.figure import Figure

    from analysis.plots.sensitivity import plot_box
    from analysis.plots.style import bilingual, save_figure

    title = bilingual(str(top["sentence_zh"]), str(top["sentence_en"]), sep="\n")
    ax = plot_box(x, missed, box.limits, dict(labels), title=title)
    ax.title.set_fontsize("small")
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    save_figure(fig, run / UNCERTAINTY_CHARTS / f"discover_{target}")
