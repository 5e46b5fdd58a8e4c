"""The watch list's inputs: what happened to each ledger project in one nowcast replication.

A nowcast simulates every ledger project to the year end in every replication (projects
``0 .. n - 1`` of the run are the ledger's, :func:`sim.nowcast.start.starting_state`).
:func:`ledger_outcomes` reduces one finished replication to those projects' few columns, so
a run keeps ``n`` short rows per replication instead of whole ledgers;
:mod:`analysis.watchlist` turns the rows of every replication into one line per project.
:func:`watch_projects` says what the ledger itself says of each project on ``as_of`` (its
stage, the step it waits in, the days in that stage, the targets it can still move), and
:func:`refused_projects` lists the rows the reader refused, which are not forecast.

Nothing here changes the model: the outcome of a replication is read from the project ledger
the recorder keeps (milestones, waits in each queue, the walk-away cause) and, for a project
still waiting in a queue when the run ends, from the queue it is in.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from cityplan.causes import BLOCKERS, QUEUE_CAUSES, WAIT_CAUSES
from cityplan.counting import KpiWindow
from cityplan.schema import SIZE_TIER_LOWER_YI, PlanConfig
from sim.ledger.tolerant import LedgerRead
from sim.model.system import System

# Milestones that show a project is past its problem (the quota requests come after it).
PAST_PROBLEM: tuple[str, ...] = ("land_granted", "land", "energy_granted", "energy", "review", "permits")
OUTCOME_COLUMNS: tuple[str, ...] = (
    "project",
    "t_started",
    "t_completed",
    "blocker",
    "walk_cause",
    *(f"wait_{c}_days" for c in QUEUE_CAUSES),
    "problem_days",
    "leader",
)
LEADER_LOG = "leaders_tier"  # the monitor's resource name of a tier's free attention, + tier index


def queue_at_end(system: System, projects: np.ndarray) -> np.ndarray:
    """The queue each project still waits in when the run ends ("" if none).

    A wait is recorded in the ledger when it ends, so a project still in a line at the
    horizon shows it only in ``system.pending``; land comes before energy and approvals
    when a project under 拿地即开工 is in two lines at once.
    """
    out = np.full(projects.size, "", dtype=object)
    pools = {id(system.land): "land", id(system.energy): "energy"}
    for i, p in enumerate(projects):
        kinds = {
            pools.get(id(getattr(r, "resource", None)), "approvals")
            for r in system.pending.get(int(p), ())
            if not r.triggered
        }
        out[i] = next((k for k in QUEUE_CAUSES if k in kinds), "")
    return out


def ledger_outcomes(system: System, frame: pd.DataFrame, n_ledger: int, as_of_day: float) -> pd.DataFrame:
    """One finished nowcast replication, reduced to the ledger's ``n_ledger`` projects.

    Parameters
    ----------
    system
        The finished replication (run to the horizon, 1 January after the target year).
    frame
        Its project ledger (:func:`sim.run.replication.ledger_frame`).
    n_ledger
        Number of ledger projects (projects ``0 .. n_ledger - 1``).
    as_of_day
        First model day after the ledger's date (``StartState.as_of_day``).

    Returns
    -------
    DataFrame
        ``project``, ``t_started``, ``t_completed`` (model days; NaN: not by the horizon),
        ``blocker`` (index of :data:`BLOCKERS`), ``walk_cause`` (index of
        :data:`sim.model.recorder.WAIT_CAUSES`; 0 if the investor stayed), the days waited
        in each queue after ``as_of`` (``wait_<cause>_days``), the ordinary route's days of the
        problem still ahead of it on ``as_of`` (``problem_days``; 0: none, or past it) and
        whether a leader is on it (``leader``: a leader is assigned and the tier's attention was
        never all taken, :func:`leaders_ever_full`), one row per ledger project.
    """
    rows = frame[frame["project"] < n_ledger].sort_values("project")
    project = rows["project"].to_numpy(dtype=np.int64)
    if not np.array_equal(project, np.arange(n_ledger)):
        raise ValueError(f"the replication's ledger lacks ledger projects ({project.size} of {n_ledger})")
    t = {c: rows[c].to_numpy(dtype=float) for c in rows.columns if str(c).startswith("t_")}
    walked = np.isfinite(t["t_walked"])
    queue = queue_at_end(system, project)
    past_problem = np.zeros(n_ledger, dtype=bool)
    for m in PAST_PROBLEM:
        past_problem |= np.isfinite(t[f"t_{m}"])
    # the first condition that holds names the blocker (np.select: first match wins)
    blocker = np.select(
        [
            np.isfinite(t["t_started"]),
            walked & (t["t_walked"] < as_of_day),
            walked,
            queue != "",
            ~np.isfinite(t["t_procedures"]),
            ~past_problem,
        ],
        [
            BLOCKERS.index("started"),
            BLOCKERS.index("dropped"),
            BLOCKERS.index("walked"),
            np.asarray([BLOCKERS.index(q) if q else 0 for q in queue]),
            BLOCKERS.index("prework"),
            BLOCKERS.index("problem"),
        ],
        BLOCKERS.index("procedures"),
    ).astype(np.int8)
    cause = rows["walk_cause"].to_numpy(dtype=object)
    out: dict[str, np.ndarray] = {
        "project": project,
        "t_started": t["t_started"],
        "t_completed": t["t_completed"],
        "blocker": blocker,
        "walk_cause": np.asarray([WAIT_CAUSES.index(str(c)) for c in cause], dtype=np.int8),
    }
    for c in QUEUE_CAUSES:
        out[f"wait_{c}_days"] = rows[f"wait_{c}_days"].to_numpy(dtype=float)
    out["problem_days"] = np.asarray(system.p.problem_days[:n_ledger], dtype=float)
    tier = np.asarray(system.p.leader_tier[:n_ledger])
    out["leader"] = (tier >= 0) & ~leaders_ever_full(system)[np.maximum(tier, 0)]
    return pd.DataFrame(out)


def leaders_ever_full(system: System) -> np.ndarray:
    """Per leaders' tier: whether its attention was all taken at a month start after ``as_of`` or at the end.

    Read from the monitor's log (``leaders_tier<k>`` free at each month start) and the free
    attention at the horizon: a tier never full at those moments is taken to have had a leader
    free for every problem (between month starts it is not observed).
    """
    free: list[list[float]] = [[float(value)] for value in system.leaders_free]
    for _day, resource, _metric, value in system.log.rows:
        if resource.startswith(LEADER_LOG):
            free[int(resource[len(LEADER_LOG) :])].append(value)
    return np.asarray([min(values) <= 0 for values in free], dtype=bool)


# Milestone a stage is entered by (the date its days-in-stage count from).
STAGE_ENTRY: dict[str, tuple[str, ...]] = {
    "signed": ("signed",),
    "procedures": ("procedures", "land_granted", "energy_granted", "energy", "review", "permits", "signed"),
    "land": ("land",),
    "building": ("started",),
    "completed": ("completed",),
    "registered": ("registered",),
    "dropped": ("walked",),
}
# The step a project not yet started waits in on as_of, by the next milestone its dates lack.
NEXT_STEP: tuple[tuple[str, str], ...] = (
    ("procedures", "prework"),
    ("land_granted", "problem_or_land"),
    ("land", "land_transfer"),
    ("energy", "energy"),
    ("permits", "approvals"),
    ("started", "site_preparation"),
)


def size_tier_label(investment_yi: np.ndarray) -> np.ndarray:
    """The plan's size tier of each agreed investment (亿元), as text: ≥50亿, 10–50亿, 1–10亿, 0.1–1亿, <0.1亿.

    The tiers of :data:`cityplan.schema.SIZE_TIER_LOWER_YI`, which are also the leaders' (≥1亿
    county and park heads, ≥10亿 city leaders, ≥50亿 the top leaders).
    """
    lower = np.asarray(SIZE_TIER_LOWER_YI)
    names = [f"<{lower[0]:g}亿"]
    names += [f"{lo:g}–{hi:g}亿" for lo, hi in itertools.pairwise(lower)]
    names += [f"≥{lower[-1]:g}亿"]
    tier = np.searchsorted(lower, np.asarray(investment_yi, dtype=float), side="right")
    return np.asarray(names, dtype=object)[tier]


def _stage_entry_day(ledger: pd.DataFrame) -> np.ndarray:
    """Model day each project entered its ledger stage (the earliest date that shows it)."""
    out = np.full(len(ledger), np.nan)
    stages = ledger["stage"].to_numpy(dtype=object)
    for stage, milestones in STAGE_ENTRY.items():
        rows = stages == stage
        if not rows.any():
            continue
        days = np.vstack([ledger[f"t_{m}"].to_numpy(dtype=float) for m in milestones])[:, rows]
        first = np.min(np.where(np.isfinite(days), days, np.inf), axis=0)
        first = np.where(np.isfinite(first), first, np.nan)
        if stage == "procedures":  # procedures known only from the stage: counted from the signing
            first = np.where(np.isfinite(first), first, ledger["t_signed"].to_numpy(dtype=float)[rows])
        out[rows] = first
    return out


def _next_step(ledger: pd.DataFrame) -> np.ndarray:
    """The step each project waits in on ``as_of`` ("" once started or dropped).

    The step of the first milestone of :data:`NEXT_STEP` that its dates and stage do not show.
    """
    stage = ledger["stage"].to_numpy(dtype=object)
    shown = {m: np.isfinite(ledger[f"t_{m}"].to_numpy(dtype=float)) for m, _ in NEXT_STEP}
    shown["procedures"] = shown["procedures"] | (stage != "signed")
    shown["land_granted"] = shown["land_granted"] | shown["land"]
    out = np.full(len(ledger), "", dtype=object)
    for i in range(len(ledger)):
        if stage[i] in ("building", "completed", "registered", "dropped"):
            continue
        out[i] = next((step for m, step in NEXT_STEP if not shown[m][i]), "site_preparation")
    return out


def counts_for(ledger: pd.DataFrame, plan: PlanConfig, window: KpiWindow, as_of_day: float) -> list[str]:
    """The plan's targets each ledger project can still move, as ``;``-joined keys.

    A project counts for a target when it passes the target's filters (sector, size, flags,
    unit, signed in the year: the measure's own selection, counted by
    :mod:`cityplan.counting`) and the target's milestone is still ahead of it on ``as_of``
    (money is spent until completion). Shares count the numerator's selection. Targets on
    signings are behind every ledger project (signed by ``as_of``), retrofits are not in a
    ledger.
    """
    from cityplan.counting import _Counter  # the one place a selection's filters are applied

    counter = _Counter(ledger, pd.DataFrame(), window)
    keys: list[list[str]] = [[] for _ in range(len(ledger))]
    for key, spec in plan.targets.items():
        sel = spec.measure.numerator()
        if sel.stream != "projects" or sel.milestone == "signed":
            continue
        milestone = "completed" if sel.milestone == "spent" else sel.milestone
        done = ledger[f"t_{milestone}"].to_numpy(dtype=float) < as_of_day
        gone = ledger["t_walked"].to_numpy(dtype=float) < as_of_day
        for i in np.flatnonzero(counter.mask(sel) & ~done & ~gone):
            keys[i].append(key)
    return [";".join(k) for k in keys]


def watch_projects(
    ledger: pd.DataFrame, plan: PlanConfig, window: KpiWindow, as_of_day: float, source_rows: np.ndarray
) -> pd.DataFrame:
    """What the ledger says of each project on ``as_of``, in the nowcast's project order.

    ``ledger`` is :func:`sim.nowcast.read.load_model_ledger` (row ``i`` is project ``i`` of
    every replication) and ``source_rows`` the file's row of each
    (:func:`sim.nowcast.read.source_rows`); columns: ``project``, ``source_row``, ``name``,
    ``unit``, ``sector``, ``investment_yi``, ``size_tier``, ``stage``, ``waiting_in`` (the step
    the dates leave it in), ``days_in_stage`` (from the date that shows the stage to
    ``as_of``) and ``counts_for``.
    """
    n = len(ledger)
    return pd.DataFrame(
        {
            "project": np.arange(n),
            "source_row": np.asarray(source_rows),
            "name": ledger["name"].astype(str).to_numpy(),
            "unit": ledger["unit"].fillna("").astype(str).to_numpy() if "unit" in ledger else np.full(n, ""),
            "sector": ledger["sector"].astype(str).to_numpy(),
            "investment_yi": ledger["investment_yi"].to_numpy(dtype=float),
            "size_tier": size_tier_label(ledger["investment_yi"].to_numpy(dtype=float)),
            "stage": ledger["stage"].astype(str).to_numpy(),
            "waiting_in": _next_step(ledger),
            "days_in_stage": np.maximum(as_of_day - _stage_entry_day(ledger), 0.0),
            "counts_for": counts_for(ledger, plan, window, as_of_day),
        }
    )


def refused_projects(got: LedgerRead) -> pd.DataFrame:
    """Rows the reader refused, which are not forecast.

    Columns ``source_row``, ``name``, ``unit``, ``sector``, ``investment_text`` and
    ``stage_text`` (as written) and ``reason``.
    """
    columns = ["source_row", "name", "unit", "sector", "investment_text", "stage_text", "reason"]
    refused = got.refused
    if refused.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(
        {
            "source_row": refused["source_row"].to_numpy(),
            "name": refused["name"].astype(str).to_numpy(),
            "unit": refused["unit"].astype(str).to_numpy(),
            "sector": refused["sector"].astype(str).to_numpy(),
            "investment_text": refused["investment_yi"].astype(str).to_numpy(),
            "stage_text": refused["stage"].astype(str).to_numpy(),
            "reason": refused["reason"].astype(str).to_numpy(),
        }
    )
