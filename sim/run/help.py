"""Where the leaders' help pays most, by paired nowcasts (issue 25 item 2; :mod:`analysis.help`).

``nowcast.help=true`` after a nowcast: a base run of ``nowcast.help_replications``
replications; the screen on its replications (:func:`analysis.help.help_screen`); for each of
the top ``nowcast.help_candidates`` a paired run with that project helped (the help is an input
of the model, ``nowcast.helped_rows``, and the run uses the base run's seeds, so replication
``k`` of both is the same city but for the help: common random numbers); the greedy
allocation of the candidates within each tier's capacity (``nowcast.help_capacity``, else
``model.problems.leader_capacity``); and a paired run of the allocation, all helped together,
for its joint gain and interval. ``1 + candidates + 1`` nowcasts of ``help_replications`` each.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis.help import (
    TIER_KEYS,
    allocate,
    goal_weights,
    help_screen,
    help_table,
    paired_goal_gain,
    paired_start_gain,
    start_weights,
    targets_text,
    tier_capacity,
)
from cityplan.targets import targets_frame
from sim.config.study import StudyConfig, calendar_of
from sim.model.project_plan import leader_tiers
from sim.run.study import run_study
from sim.run.tables import StudyResult
from sim.run.watch import ledger_projects

log = logging.getLogger(__name__)
MAX_ROWS_IN_NAME = 4  # a paired run's parts folder names up to this many ledger rows


def paired_config(cfg: StudyConfig, rows: list[int]) -> StudyConfig:
    """The nowcast ``cfg`` with the ledger ``rows`` helped from ``as_of``, at the help's replications.

    Same seed and everything else: the pair of any two such configs shares its random numbers.
    """
    now = replace(cfg.nowcast, helped_rows=[int(r) for r in rows], help=False)
    run = replace(cfg.run, replications=cfg.nowcast.help_replications, keep_ledgers=0, target_halfwidth=0.0)
    return replace(cfg, nowcast=now, run=run)


def paired_run(cfg: StudyConfig, rows: list[int], parts_dir: Path | None) -> StudyResult:
    """One run of the pair: ``cfg`` with ``rows`` helped; its finished chunks kept in ``parts_dir/<rows>`` (resume)."""
    if parts_dir is None:
        return run_study(paired_config(cfg, rows))
    name = "_".join(str(r) for r in sorted(rows))
    if len(rows) > MAX_ROWS_IN_NAME:  # an allocation: a short, stable name for its rows
        name = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:12]
    return run_study(paired_config(cfg, rows), parts_dir=parts_dir / (f"rows_{name}" if rows else "base"))


def estimate_help(cfg: StudyConfig, *, parts_dir: Path | None = None) -> pd.DataFrame:
    """``help.csv`` of the nowcast ``cfg``: screen, paired estimates, the allocation and its joint gain.

    ``parts_dir``: folder for each paired run's finished chunks (``<run dir>/help_parts``), so an
    interrupted estimate resumes; None keeps everything in memory.
    """
    now = cfg.nowcast
    capacity = tier_capacity(now.help_capacity, cfg.model.problems.leader_capacity)
    year_end = calendar_of(cfg).year_start(cfg.run.target_year + 1)
    targets = targets_frame(cfg.plan)
    weights = goal_weights(targets)
    labels = {t: f"{zh} {en}" for t, zh, en in targets[["target", "label_zh", "label_en"]].itertuples(index=False)}
    projects = ledger_projects(cfg)
    tier = leader_tiers(projects["investment_yi"].to_numpy(dtype=float), cfg.model)
    base = paired_run(cfg, [], parts_dir)
    screen = help_screen(projects, base.watch, year_end_day=year_end, tier=tier, weights=start_weights(targets))
    rows = dict(zip(projects["project"].tolist(), projects["source_row"].astype(int).tolist(), strict=True))
    top = screen[screen["help_reach"] > 0].head(now.help_candidates)
    log.info(
        "help: %d projects screened, %d a leader's help can reach; estimating the top %d",
        len(screen),
        int((screen["help_reach"] > 0).sum()),
        len(top),
    )
    estimates = []
    for k, project in enumerate(top["project"].astype(int).tolist(), start=1):
        helped = paired_run(cfg, [rows[project]], parts_dir)
        estimates.append(_estimate(base, helped, [project], weights, labels, year_end) | {"project": project})
        log.info("help: candidate %d of %d (ledger row %d) estimated", k, len(top), rows[project])
    table = pd.DataFrame(estimates).set_index("project") if estimates else pd.DataFrame()
    allocation: dict[str, float | str] = {
        "note": "无候选 no candidate: in no run does a screened project meet a problem that no leader is on"
    }
    if len(table):
        table["tier"] = top.set_index("project")["tier"]
        table["allocated"] = allocate(table, capacity)
        chosen = [int(p) for p in table.index[table["allocated"]]]
        allocation = _allocation(cfg, base, chosen, rows, capacity, table, (weights, labels, year_end), parts_dir)
    return help_table(screen, projects, table, allocation, replications=now.help_replications)


def _estimate(
    base: StudyResult,
    helped: StudyResult,
    projects: list[int],
    weights: pd.Series,
    labels: dict[str, str],
    year_end: float,
) -> dict[str, float | str]:
    """The paired gains of one helped run over the base run."""
    p_helped, gain, low, high = paired_start_gain(base.watch, helped.watch, projects, year_end_day=year_end)
    (goal, goal_low, goal_high), per_target = paired_goal_gain(base.kpis, helped.kpis, weights)
    return {
        "p_started_helped": p_helped,
        "start_gain": gain,
        "start_gain_low": low,
        "start_gain_high": high,
        "goal_gain_pp": goal,
        "goal_gain_low": goal_low,
        "goal_gain_high": goal_high,
        "targets_moved": targets_text(per_target, labels),
    }


def _allocation(
    cfg: StudyConfig,
    base: StudyResult,
    chosen: list[int],
    rows: dict[int, int],
    capacity: list[int],
    table: pd.DataFrame,
    reading: tuple[pd.Series, dict[str, str], float],
    parts_dir: Path | None,
) -> dict[str, float | str]:
    """The joint paired run of the proposed allocation: its gain and what it uses of each tier."""
    used = [int((table.loc[table["allocated"], "tier"] == t).sum()) for t in range(len(capacity))]
    use = "; ".join(f"{key} {u}/{c}" for key, u, c in zip(TIER_KEYS, used, capacity, strict=True))
    if not chosen:
        return {"note": f"no candidate's estimated gain is positive: nothing proposed (capacity used {use})"}
    helped = paired_run(cfg, [rows[p] for p in chosen], parts_dir)
    out = _estimate(base, helped, chosen, *reading)
    sum_single = float(table.loc[table["allocated"], "goal_gain_pp"].sum())
    out["p_started"] = float("nan")
    out["p_started_helped"] = float("nan")  # several projects: start_gain is the expected extra starts among them
    out["note"] = (
        f"{len(chosen)} projects helped together (greedy on the single estimates, capacity used {use}); "
        f"start_gain: expected extra starts among them; the single estimates sum to {sum_single:.3g} points"
    )
    log.info("help: allocation of %d projects, joint gain %.3g points of goal", len(chosen), out["goal_gain_pp"])
    return out
