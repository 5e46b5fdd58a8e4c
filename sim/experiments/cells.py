"""Cells for the screening and selection designs: lever packages or named scenarios, run on CRN.

A *cell* is either a scenario file name (``scenarios/<name>.yaml``, e.g. ``plan_as_written``) or
a lever package written ``a+b+c`` (levers = the files of ``conf/policy/`` other than ``plan``
and ``status_quo``; ``status_quo`` is the empty package). :func:`cell_overrides` turns it into
the Hydra overrides ``python -m sim`` would take, and :func:`year_end_values` runs replications
``first .. first + n - 1`` of each cell through the entry point's
:func:`sim.compose.compose_study` and :func:`sim.run.replication.run_chunk`. The seed of replication
``r`` depends on the root seed and ``r`` only, so every cell sees the same leads and latent
draws (common random numbers), whichever process runs it.

Under ``uncertainty=evidence`` replications ``k * d .. k * d + d - 1`` share draw ``k`` of the
uncertain inputs (``d = uncertainty.replications_per_draw``), so they are not independent: the
unit of independence, the *block* of the screen's paired analysis and the observation of the
selection, is the draw. :func:`own_draws` makes ``d = 1`` the default of these designs (each
replication its own draw: the pairs exist to measure luck's share, which a screen does not need,
and independent draws give more blocks per simulated replication); a user's own
``uncertainty.replications_per_draw=`` is kept, and :func:`replications_per_draw` reads ``d``.

**The plan in use (issue 24).** A cell is scored against the plan its own composition holds
(``plan=`` and a scenario's plan included): its keys and their order (the rows of the values),
goals, directions and counting switches (the KPIs are counted by the run itself). :func:`plan_of`
reads it from the composed study, :func:`target_index` places a target in it, and
:func:`year_end_values` with ``plan=`` refuses cells composed with another plan.
"""

from __future__ import annotations

import functools
import logging
import re
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np

from cityplan.schema import PlanConfig
from sim.compose import HydraException, compose_study
from sim.config.study import StudyConfig

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
PROGRESS_EVERY = 16  # log a line every this many finished cells
OWN_DRAW = "uncertainty.replications_per_draw=1"  # default of screen and selection (see above)
NOT_LEVERS = frozenset({"plan", "status_quo"})  # conf/policy files that are packages, not levers
_LEADING_ZH = re.compile(r"^#\s*([^A-Za-z(]+)")


def list_levers(policy_dir: Path = ROOT / "conf" / "policy") -> list[str]:
    """The levers: every ``conf/policy/*.yaml`` except ``plan`` and ``status_quo``, sorted."""
    return sorted(p.stem for p in policy_dir.glob("*.yaml") if p.stem not in NOT_LEVERS)


def lever_label(lever: str, policy_dir: Path = ROOT / "conf" / "policy") -> str:
    """The Chinese name at the start of the lever file's comment (e.g. 拿地即开工), or the key."""
    lines = (policy_dir / f"{lever}.yaml").read_text(encoding="utf-8").splitlines()
    for line in lines[1:3]:
        match = _LEADING_ZH.match(line)
        if match and match.group(1).strip():
            return match.group(1).strip().rstrip("/ ").strip()
    return lever


def scenario_levers(name: str, levers: list[str], scenario_dir: Path = ROOT / "scenarios") -> list[str]:
    """Levers a scenario file switches on, read from its ``override /policy:`` line.

    ``plan`` is every lever, ``status_quo`` none, a lever itself; a scenario without the line
    keeps the default policy, the plan. Raises ValueError for a policy list it cannot read.
    """
    text = (scenario_dir / f"{name}.yaml").read_text(encoding="utf-8")
    match = re.search(r"override /policy:\s*([\w,\[\] ]+)", text)
    chosen = match.group(1).strip() if match else "plan"
    names = [c.strip() for c in chosen.strip("[]").split(",") if c.strip()]
    out: list[str] = []
    for c in names:
        if c == "plan":
            out += levers
        elif c in levers:
            out.append(c)
        elif c != "status_quo":
            raise ValueError(f"scenario {name!r}: cannot tell the levers of policy {c!r}")
    return sorted(set(out))


def list_scenarios(scenario_dir: Path = ROOT / "scenarios") -> list[str]:
    """Names of the scenario overlay files."""
    return sorted(p.stem for p in scenario_dir.glob("*.yaml"))


def package_name(package: list[str] | tuple[str, ...]) -> str:
    """``a+b+c`` in the given order, or ``status_quo`` for no lever."""
    return "+".join(package) or "status_quo"


def cell_overrides(cell: str, levers: list[str], scenarios: list[str]) -> list[str]:
    """Hydra overrides for a cell: ``scenario=<cell>`` or ``policy=[a,b,...]``.

    Raises
    ------
    ValueError
        When the cell is neither a scenario nor a package of known levers.
    """
    if cell in scenarios:
        return [f"scenario={cell}"]
    if cell == "status_quo":
        return ["policy=status_quo"]
    parts = cell.split("+")
    unknown = [p for p in parts if p not in levers]
    if unknown:
        raise ValueError(
            f"cell {cell!r}: {unknown} are neither scenarios ({', '.join(scenarios)}) nor levers ({', '.join(levers)})"
        )
    return [f"policy=[{','.join(parts)}]"]


def own_draws(overrides: list[str]) -> list[str]:
    """``overrides`` plus :data:`OWN_DRAW` unless they set ``uncertainty`` or its draw size.

    Choosing another ``uncertainty=`` group (e.g. ``none``) keeps that group's own draw size.
    """
    keys = ("uncertainty", "uncertainty.replications_per_draw")
    chosen = any(o.split("=", 1)[0].lstrip("+~") in keys for o in overrides)
    return list(overrides) if chosen else [*overrides, OWN_DRAW]


def replications_per_draw(overrides: list[str]) -> int:
    """Replications sharing a draw of the uncertain inputs under ``overrides`` (composes the study).

    Composing also checks the overrides: a bad one raises ValueError (``ConfigError`` or Hydra's
    message) before anything is simulated.
    """
    try:
        return int(_study(tuple(overrides)).uncertainty.replications_per_draw)
    except HydraException as err:
        raise ValueError(f"overrides {overrides}: {err}") from err


@functools.lru_cache(maxsize=64)
def _study(overrides: tuple[str, ...]) -> StudyConfig:
    """The composed study of a cell, kept per process (composing takes about a second)."""
    return compose_study([*overrides, "run.keep_ledgers=0", "run.progress=false", "run.jobs=1"])


def plan_of(overrides: list[str]) -> PlanConfig:
    """The plan a cell is scored against: its composed study's (ValueError for a bad override)."""
    try:
        return _study(tuple(overrides)).plan
    except HydraException as err:
        raise ValueError(f"overrides {overrides}: {err}") from err


def target_index(plan: PlanConfig, target: str) -> int:
    """Row of ``target`` in the values of a cell run under ``plan`` (ValueError naming the plan's keys)."""
    keys = list(plan.keys)
    if target not in keys:
        raise ValueError(f"--target: {target!r} is not a target of plan {plan.name!r}; one of {keys}")
    return keys.index(target)


def run_cell(overrides: list[str], first: int, n: int) -> np.ndarray:
    """Year-end values (plan rows x n) of replications first..first+n-1 of one cell (a worker task).

    The rows are the cell's plan's (:func:`plan_of`): the city's targets in plan order, then units.
    """
    return _run_cell_with_plan(overrides, first, n)[0]


def _run_cell_with_plan(overrides: list[str], first: int, n: int) -> tuple[np.ndarray, PlanConfig]:
    from sim.run.replication import run_chunk

    study = _study(tuple(overrides))
    chunk = run_chunk(study, list(range(first, first + n)))
    return np.asarray(chunk.kpis[:, :, -1].T), study.plan  # (rows, n): value at the last month end


def year_end_values(
    cells: list[list[str]],
    first: int,
    n: int,
    jobs: int = 1,
    pool: Executor | None = None,
    plan: PlanConfig | None = None,
) -> np.ndarray:
    """Year-end values of every target, (cells x targets x n), for replications first..first+n-1.

    Parameters
    ----------
    cells
        Hydra overrides of each cell (:func:`cell_overrides` plus common ones such as
        ``run.seed``).
    first, n
        Replications to run (the same indices, hence the same random numbers, in every cell).
    jobs
        Worker processes (1: in this process) when no ``pool`` is given.
    pool
        An open executor to use (its workers keep composed cells between calls).
    plan
        The plan the caller scores against: a cell composed with another plan (other keys,
        goals, directions or counting) is a ValueError, raised once the cells have run.
    """
    firsts, sizes = [first] * len(cells), [n] * len(cells)
    if pool is not None:
        done = list(pool.map(_run_cell_with_plan, cells, firsts, sizes))
    elif jobs == 1 or len(cells) == 1:
        done = [_run_cell_with_plan(c, first, n) for c in cells]
    else:
        done = []
        with ProcessPoolExecutor(max_workers=jobs) as new_pool:
            for i, result in enumerate(new_pool.map(_run_cell_with_plan, cells, firsts, sizes), start=1):
                done.append(result)
                if i % PROGRESS_EVERY == 0 or i == len(cells):
                    log.info("cells done: %d of %d", i, len(cells))
    if plan is not None:
        other = [c for c, (_, p) in zip(cells, done, strict=True) if p != plan]
        if other:
            raise ValueError(f"cells {other} are composed with another plan than {plan.name!r}: scored against which?")
    return np.stack([values for values, _ in done])
