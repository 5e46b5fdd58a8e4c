"""Where the leaders' help pays most (领导帮办, issue 25 item 2): screen, paired gains, allocation.

In the model a leader who takes a project up (``nowcast.helped_rows``) settles its problem (堵点)
by the leader's route (``model.problems.leader_median_days``, ~15 days) even when the leaders
of its size tier have no attention free; nothing else. Help cannot unblock the land or energy
quota, the approval offices' queue, pre-work, the investor's patience or a project past its
problem. So :func:`help_screen` ranks the ledger's projects that a leader's tier covers (from
1亿) and that still have a problem ahead of them on ``as_of`` (in pre-work, or in procedures
with no quota yet) by what a problem still holds at the year end, weighted by the goals a
start moves, in the replications where no leader is on that problem. The top
candidates are then estimated by paired nowcasts under common random
numbers (:mod:`sim.run.help`): :func:`paired_goal_gain` and :func:`paired_start_gain` read the
paired differences over replications. :func:`allocate` proposes who gets the help within each
tier's capacity, greedily on the estimated gains, and :func:`help_table` is ``help.csv``.

Pure functions on tables; nothing here runs the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.compare import newcombe_paired_interval, paired_mean_interval
from analysis.watchlist import STEP_LABELS, UNIT_NAMES, WATCH_HEADERS, write_bilingual_csv
from cityplan.schema import LEADER_TIERS, SHARE_UNIT

# Steps on as_of from which a problem is still ahead (the problem comes at the start of the
# procedures, before any quota is asked for): pre-work, or procedures with no quota yet.
PROBLEM_AHEAD: tuple[str, ...] = ("prework", "problem_or_land")
TIER_KEYS: tuple[str, ...] = tuple(key for key, _zh, _en in LEADER_TIERS)
TIER_LABELS: tuple[str, ...] = tuple(f"{zh} {en}" for _key, zh, en in LEADER_TIERS)
HELP_COLUMNS: tuple[str, ...] = (
    "row",
    "rank",
    "source_row",
    "name",
    "unit_zh",
    "investment_yi",
    "size_tier",
    "leader_tier",
    "waiting_in",
    "p_started",
    "help_reach",
    "stake_pp",
    "screen_pp",
    "p_started_helped",
    "start_gain",
    "start_gain_low",
    "start_gain_high",
    "goal_gain_pp",
    "goal_gain_low",
    "goal_gain_high",
    "targets_moved",
    "allocated",
    "replications",
    "note",
)
# Columns help.csv shares with watchlist.csv take the watch list's headers (one wording).
SHARED_WITH_WATCH: tuple[str, ...] = (
    "scenario", "policy", "as_of", "source_row", "name", "unit_zh", "investment_yi", "size_tier", "waiting_in",
    "p_started",
)  # fmt: skip
HELP_HEADERS: dict[str, tuple[str, str]] = {k: WATCH_HEADERS[k] for k in SHARED_WITH_WATCH} | {
    "row": ("行类型", "row"),
    "rank": ("排序", "rank"),
    "leader_tier": ("帮办领导层级", "helping leader"),
    "help_reach": ("帮办可改变的占比", "share of runs help can change (a problem no leader is on, not started)"),
    "stake_pp": ("开工可推动目标（百分点）", "goals a start moves (points of goal)"),
    "screen_pp": ("初筛收益（百分点）", "screen: gain ceiling (points of goal)"),
    "p_started_helped": ("帮办后年内开工概率", "P(started) if helped"),
    "start_gain": ("开工概率增量", "gain in P(started)"),
    "start_gain_low": ("开工概率增量下限", "gain in P(started) 95% low"),
    "start_gain_high": ("开工概率增量上限", "gain in P(started) 95% high"),
    "goal_gain_pp": ("目标收益（百分点）", "gain in the plan's goals (points)"),
    "goal_gain_low": ("目标收益下限", "gain in goals 95% low"),
    "goal_gain_high": ("目标收益上限", "gain in goals 95% high"),
    "targets_moved": ("各指标收益", "gain per target (mean)"),
    "allocated": ("建议帮办", "proposed for help"),
    "replications": ("配对模拟次数", "paired replications"),
    "note": ("说明", "note"),
}
HELP_PERCENT: frozenset[str] = frozenset(
    {"p_started", "help_reach", "p_started_helped", "start_gain", "start_gain_low", "start_gain_high"}
)
MONEY_UNIT = "亿元"  # targets counted in money (agreed, spent)
ROW_CANDIDATE = "候选 candidate"
ROW_ALLOCATION = "建议方案合计 proposed allocation"


def goal_weights(targets: pd.DataFrame) -> pd.Series:
    """Points of goal per unit of each target's year-end value (100 / goal; negative for ``at_most``).

    ``targets`` is :func:`cityplan.targets.targets_frame`. A gain in a target is its change as a
    share of the goal, in percentage points, so gains in targets of different units add up; a
    start counts once for every target it counts for (nested targets included, as the plan
    lists them). A goal of 0 weighs nothing.
    """
    goal = targets["goal"].to_numpy(dtype=float)
    sign = np.where(targets["direction"].to_numpy() == "at_most", -1.0, 1.0)
    weight = np.divide(100.0 * sign, goal, out=np.zeros_like(goal), where=goal != 0)
    return pd.Series(weight, index=targets["target"].to_numpy())


def start_weights(targets: pd.DataFrame) -> pd.Series:
    """Points of goal one more project moves in each count target (:func:`goal_weights`; 0 for shares and money).

    The screen's weight of a start: a count target moves by one, while what one start moves a
    share (its denominator) or an amount (the money spent in the year) depends on the run;
    the paired runs count those too.
    """
    weight = goal_weights(targets)
    counted = ~targets["unit"].isin([SHARE_UNIT, MONEY_UNIT]).to_numpy()
    return weight.where(counted, 0.0)


def help_screen(
    projects: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    year_end_day: float,
    tier: np.ndarray,
    weights: pd.Series,
) -> pd.DataFrame:
    """Rank the ledger projects a leader could help, on the nowcast's own replications.

    Parameters
    ----------
    projects
        What the ledger says of each project (:func:`sim.nowcast.watch.watch_projects`).
    outcomes
        Every replication's ledger-project rows of the nowcast (``StudyResult.watch``).
    year_end_day
        Model day of 1 January after the target year.
    tier
        Leaders' tier of each project by size (0 county and park heads, 1 city, 2 top; -1 none).
    weights
        :func:`start_weights`.

    Returns
    -------
    DataFrame
        One row per eligible project (a leaders' tier, a problem still ahead on ``as_of``, some
        target still to move), best first: ``project``, ``tier``, ``p_started``,
        ``help_reach`` (replications in which it does not start by 31 December and meets a
        problem after ``as_of`` that no leader is on: the gain's ceiling in P(started)),
        ``stake_pp`` (points of goal its start moves in the count
        targets it counts for: the sum of :func:`start_weights`) and ``screen_pp`` (their product). Ties in
        ``screen_pp`` go to the larger ``(1 - p_started) * stake_pp`` (more at stake), then the
        larger investment. A screen, not an estimate: the paired runs say what help gains.
    """
    o = outcomes.sort_values(["replication", "project"], kind="stable")
    n = len(projects)
    r = int(o["replication"].nunique())
    start = o["t_started"].to_numpy(dtype=float).reshape(r, n)
    started = np.isfinite(start) & (start < year_end_day)
    p_started = started.mean(axis=0)
    # help acts only on a problem still ahead that no leader is on (none assigned, or the
    # tier's attention was all taken at some month start: ``leader`` of the outcomes)
    unled = (o["problem_days"].to_numpy(dtype=float) > 0) & ~o["leader"].to_numpy(dtype=bool)
    reach = (unled.reshape(r, n) & ~started).mean(axis=0)
    stake = np.asarray(
        [sum(float(weights.get(k, 0.0)) for k in str(keys).split(";") if k) for keys in projects["counts_for"]]
    )
    ahead = np.isin(projects["waiting_in"].to_numpy(dtype=object), PROBLEM_AHEAD)
    eligible = ahead & (np.asarray(tier) >= 0) & (stake > 0)
    out = pd.DataFrame(
        {
            "project": projects["project"].to_numpy(),
            "tier": np.asarray(tier, dtype=int),
            "p_started": p_started,
            "help_reach": reach,
            "stake_pp": stake,
            "screen_pp": reach * stake,
            "at_stake": (1.0 - p_started) * stake,
            "investment_yi": projects["investment_yi"].to_numpy(dtype=float),
        }
    )[eligible]
    out = out.sort_values(["screen_pp", "at_stake", "investment_yi"], ascending=False, kind="stable")
    return out.drop(columns=["at_stake", "investment_yi"]).reset_index(drop=True)


def _by_replication(kpis: pd.DataFrame) -> pd.DataFrame:
    """Year-end KPIs as a replication x target matrix."""
    return kpis.pivot_table(index="replication", columns="target", values="value", aggfunc="first")


def paired_goal_gain(
    base_kpis: pd.DataFrame, helped_kpis: pd.DataFrame, weights: pd.Series
) -> tuple[tuple[float, float, float], pd.Series]:
    """Gain in the plan's goals of a helped run over its pair: (mean, low, high) points, per-target means.

    ``base_kpis``, ``helped_kpis``: ``StudyResult.kpis`` of the two runs (same seeds, so
    replication ``k`` of each is the same city but for the help). The gain of replication
    ``k`` is the sum over targets of ``weights`` x (helped - base), over the whole city: a
    leader's attention taken from another project shows as that project's loss. The interval
    is the t interval of the paired differences (95%).
    """
    base, helped = _by_replication(base_kpis), _by_replication(helped_kpis)
    if not base.index.equals(helped.index) or not base.columns.equals(helped.columns):
        raise ValueError("paired runs differ in their replications or targets: not a pair")
    diff = helped - base
    total = diff.to_numpy(dtype=float) @ weights.reindex(diff.columns).fillna(0.0).to_numpy()
    return paired_mean_interval(total), diff.mean(axis=0)


def paired_start_gain(
    base: pd.DataFrame, helped: pd.DataFrame, projects: Sequence[int], *, year_end_day: float
) -> tuple[float, float, float, float]:
    """Gain in P(started by 31 December) of ``projects`` taken together: (p helped, mean, low, high).

    ``base``, ``helped``: the paired runs' ledger-project rows (``StudyResult.watch``). For one
    project it is the paired difference of two proportions with Newcombe's interval; for several,
    the mean of the paired differences of their number started, with a t interval.
    """

    def started(frame: pd.DataFrame) -> np.ndarray:
        rows = frame[frame["project"].isin(list(projects))].sort_values(["replication", "project"])
        t = rows["t_started"].to_numpy(dtype=float)
        return (np.isfinite(t) & (t < year_end_day)).reshape(-1, len(projects))

    b, h = started(base), started(helped)
    if b.shape != h.shape:
        raise ValueError("paired runs differ in their replications: not a pair")
    if len(projects) == 1:
        mean, low, high = newcombe_paired_interval(h[:, 0], b[:, 0])
        return float(h.mean()), mean, low, high
    mean, low, high = paired_mean_interval(h.sum(axis=1).astype(float) - b.sum(axis=1))
    return float(h.sum(axis=1).mean()), mean, low, high


def tier_capacity(capacity: Sequence[int], default: Sequence[int]) -> list[int]:
    """Projects each tier can take up: ``capacity`` (one per tier of LEADER_TIERS), or ``default`` if empty."""
    out = [int(c) for c in (capacity or default)]
    if len(out) != len(TIER_KEYS) or min(out) < 0:
        raise ValueError(f"leaders' capacity {out} is not allowed: expected {len(TIER_KEYS)} whole numbers >= 0")
    return out


def allocate(gains: pd.DataFrame, capacity: Sequence[int]) -> pd.Series:
    """Greedy allocation: the largest estimated gains first, while their tier has capacity left.

    ``gains`` has ``tier`` (0..2) and ``goal_gain_pp`` (the paired estimate, points of goal);
    only projects with a positive estimate are proposed. Returns a boolean Series on
    ``gains.index``. Greedy on single-project estimates: it ignores that two helped projects may
    compete for the same quota or leader (the joint paired run of the allocation measures that).
    """
    left = [int(c) for c in capacity]
    chosen = pd.Series(False, index=gains.index)
    ranked = gains.sort_values("goal_gain_pp", ascending=False, kind="stable")
    tiers = ranked["tier"].to_numpy(dtype=int)
    gain = ranked["goal_gain_pp"].to_numpy(dtype=float)
    for i, tier, g in zip(ranked.index, tiers, gain, strict=True):
        if g > 0 and 0 <= tier < len(left) and left[tier] > 0:
            chosen.at[i] = True
            left[tier] -= 1
    return chosen


def targets_text(means: pd.Series, labels: Mapping[str, str], *, tolerance: float = 1e-9) -> str:
    """``label +0.12; label -0.03`` for the targets a helped run moved on average, largest first."""
    moved = means[means.abs() > tolerance].sort_values(key=np.abs, ascending=False)
    return "; ".join(f"{labels.get(str(k), str(k))} {v:+.3g}" for k, v in moved.items())


def help_table(
    screen: pd.DataFrame,
    projects: pd.DataFrame,
    estimates: pd.DataFrame,
    allocation: Mapping[str, float | str],
    *,
    replications: int,
) -> pd.DataFrame:
    """``help.csv``: every screened project, best first, the estimated ones with their gains, then the allocation.

    ``estimates`` (index: project) has ``p_started_helped``, ``start_gain(_low, _high)``,
    ``goal_gain_pp(_low, _high)``, ``targets_moved`` and ``allocated`` for the candidates the
    paired runs estimated; ``allocation`` the joint run of the proposed allocation (the same
    fields, and ``note``).
    """
    info = {int(r["project"]): r for r in projects.to_dict("records")}
    rows = []
    for rank, s in enumerate(screen.to_dict("records"), start=1):
        project = int(s["project"])
        p = info[project]
        row: dict[str, object] = {
            "row": ROW_CANDIDATE,
            "rank": rank,
            "source_row": p["source_row"],
            "name": p["name"],
            "unit_zh": UNIT_NAMES.get(str(p["unit"]), str(p["unit"])),
            "investment_yi": float(p["investment_yi"]),
            "size_tier": p["size_tier"],
            "leader_tier": TIER_LABELS[int(s["tier"])],
            "waiting_in": STEP_LABELS.get(str(p["waiting_in"]), str(p["waiting_in"])),
            **{c: float(s[c]) for c in ("p_started", "help_reach", "stake_pp", "screen_pp")},
        }
        if project in estimates.index:
            e = estimates.loc[project]
            row |= {c: e[c] for c in estimates.columns if c in HELP_COLUMNS}
            row["allocated"] = "是 yes" if bool(e["allocated"]) else "否 no"
            row["replications"] = replications
        elif s["help_reach"] <= 0:
            row["note"] = (
                "帮办无从改变 help cannot change it here: in every run it starts, meets no problem, or its problem"
                " already has a leader on it (gain 0 without a paired run)"
            )
        else:
            row["note"] = "未估计 not estimated: below the candidates the paired runs estimate (screen only)"
        rows.append(row)
    rows.append({"row": ROW_ALLOCATION, "replications": replications, **allocation})
    table = pd.DataFrame(rows).reindex(columns=list(HELP_COLUMNS))
    return table.astype({"rank": "Int64", "source_row": "Int64", "replications": "Int64"})


def help_shown(table: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """The report's view of ``help.csv``: the estimated candidates, largest gain first, then the allocation row."""
    estimated = table[(table["row"] == ROW_CANDIDATE) & table["goal_gain_pp"].notna()]
    estimated = estimated.sort_values("goal_gain_pp", ascending=False, kind="stable").head(top)
    total = table[table["row"] == ROW_ALLOCATION]
    columns = ["row", "name", "unit_zh", "investment_yi", "leader_tier", "waiting_in", "p_started", "p_started_helped"]
    columns += ["start_gain", "goal_gain_pp", "goal_gain_low", "goal_gain_high", "targets_moved", "allocated"]
    return pd.concat([estimated, total], ignore_index=True)[columns]


def write_help(table: pd.DataFrame, path: str) -> None:
    """Write ``help.csv``: UTF-8 with BOM, Chinese headers in row 1 and English in row 2 (as ``watchlist.csv``)."""
    write_bilingual_csv(table, path, HELP_HEADERS, HELP_PERCENT)
