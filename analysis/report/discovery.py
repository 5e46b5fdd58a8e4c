"""Scenario discovery on a finished run: boxes.csv, sentences and charts (issue 11)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.discover import Box, box_sentence, boxes_frame, cart_box, miss_by_draw, prim_boxes
from analysis.sensitivity import UNCERTAINTY_CHARTS
from cityplan.targets import Goal, targets_frame

log = logging.getLogger(__name__)

# Targets worth a discovery: some replications attain, and the target is not safe (style.py:
# "likely" from 90%). Below 2% attained there is hardly a region where it is reached.
DISCOVER_FROM, DISCOVER_BELOW = 0.02, 0.9


def at_risk_targets(kpis: pd.DataFrame, goals: Mapping[str, Goal]) -> list[str]:
    """Targets with DISCOVER_FROM <= P(attain) < DISCOVER_BELOW, in the plan's order."""
    p = pd.Series(
        {t: goals[str(t)].hits(g["value"].to_numpy()).mean() for t, g in kpis.groupby("target", observed=True)}
    )
    return [t for t in targets_frame()["target"] if t in p.index and DISCOVER_FROM <= p[t] < DISCOVER_BELOW]


def discover_target(
    kpis: pd.DataFrame, params: pd.DataFrame, target: str, goal: Goal, labels: dict[str, tuple[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, list[tuple[str, Box]]]:
    """PRIM boxes and the CART leaf of one target, as ``boxes.csv`` rows with sentences."""
    x, missed = miss_by_draw(kpis, params, target, goal)
    if missed.all() or not missed.any():
        raise ValueError(f"{target}: missed in {missed.mean():.0%} of replications; nothing to discover")
    found: list[tuple[str, Box]] = [("prim", b) for b in prim_boxes(x, missed)]
    found.append(("cart", cart_box(x, missed)))
    row = targets_frame().set_index("target").loc[target]
    frame = boxes_frame(found)
    sentences = {
        i: box_sentence(box, x, str(row["label_zh"]), str(row["label_en"]), labels)
        for i, (_, box) in enumerate(found, start=1)
    }
    frame["sentence_zh"] = frame["box"].map(lambda i: sentences[i][0])
    frame["sentence_en"] = frame["box"].map(lambda i: sentences[i][1])
    frame.insert(0, "target", target)
    return frame, x, missed, found


def discover_run(
    run: Path, targets: list[str], goals: Mapping[str, Goal], labels: dict[str, tuple[str, str]], *, charts: bool = True
) -> pd.DataFrame:
    """Write ``boxes.csv`` (and charts) for ``targets`` (default: every at-risk target)."""
    kpis = pd.read_parquet(run / "kpis.parquet")
    params_path = run / "params.parquet"
    params = pd.read_parquet(params_path) if params_path.exists() else pd.DataFrame()
    if params.empty:
        raise ValueError(f"{run}: no uncertain inputs (run with uncertainty=evidence)")
    unknown = [t for t in targets if t not in goals]
    if unknown:
        raise ValueError(f"unknown target key(s) {unknown}; keys are in cityplan/targets.py")
    targets = targets or at_risk_targets(kpis, goals)
    frames, lines = [], []
    for target in targets:
        try:
            frame, x, missed, found = discover_target(kpis, params, target, goals[target], labels)
        except ValueError as err:
            log.warning("%s", err)
            continue
        frames.append(frame)
        top = frame[frame["box"] == 1].iloc[0] if len(frame) else None
        if top is not None:
            lines += [f"{target}: {top['sentence_zh']}", f"{' ' * len(target)}  {top['sentence_en']}"]
        if charts and found:
            _chart(run, target, x, missed, found[0][1], labels, frame)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out.to_csv(run / "boxes.csv", index=False, encoding="utf-8-sig")
    sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
    return out


def _chart(
    run: Path,
    target: str,
    x: pd.DataFrame,
    missed: np.ndarray,
    box: Box,
    labels: dict[str, tuple[str, str]],
    frame: pd.DataFrame,
) -> None:
    from matplotlib.figure import Figure

    from analysis.plots.sensitivity import plot_box
    from analysis.plots.style import bilingual, save_figure

    top = frame[frame["box"] == 1].iloc[0]
    title = bilingual(str(top["sentence_zh"]), str(top["sentence_en"]), sep="\n")
    ax = plot_box(x, missed, box.limits, labels, title=title)
    ax.title.set_fontsize("small")
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    save_figure(fig, run / UNCERTAINTY_CHARTS / f"discover_{target}")
