"""Cells for the screening and selection designs: lever packages or named scenarios, run on CRN.

A *cell* is either a scenario file name (``scenarios/<name>.yaml``, e.g. ``plan_as_written``) or
a lever package written ``a+b+c`` (levers = the files of ``conf/policy/`` other than ``plan``
and ``status_quo``; ``status_quo`` is the empty package). :func:`cell_overrides` turns it into
the Hydra overrides ``python -m sim`` would take, and :func:`year_end_values` runs replications
``first .. first + n - 1`` of each cell. The seed of replication ``r`` depends on the root seed
and ``r`` only, so every cell sees the same leads and latent draws (common random numbers),
whichever process runs it.

**Many cells, one way (issue 26).** The cells are composed here, once: a package from the status
quo and its levers' single-lever studies (:func:`cell_study`: 16 compositions for a 15-lever
screen, not one per cell), any other cell as ``python -m sim`` composes it. The work goes to the
run backends of a forecast (:mod:`sim.run.backends`: serial, worker processes, Dask) as tasks of
(block of cells, replications), replication-major: a task runs, for each of its replications,
every cell of its block through :func:`sim.run.fork.run_cells`. Values are keyed by (cell,
replication), so they do not depend on the backend, the workers or the task sizes.

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

import dataclasses
import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cityplan.schema import PlanConfig
from sim.compose import HydraException, compose_study
from sim.config.run import RunConfig
from sim.config.study import StudyConfig
from sim.run.backends import Backend, open_backend
from sim.run.fork import run_cells
from sim.run.study import chunks_of

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
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


# --- Compose each lever once (issue 26) ------------------------------------------------------
Path_ = tuple[str, ...]  # a field of the study, e.g. ("model", "uptake", "parallel_with_land", "plan_level")
NOT_SET_BY_LEVERS = frozenset({"policy_name"})  # the cell's name, set from its package


def _leaves(obj: Any, prefix: Path_ = ()) -> dict[Path_, Any]:
    """Every leaf field of a nested dataclass by path (a non-dataclass value is one leaf)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[Path_, Any] = {}
        for f in dataclasses.fields(obj):
            out |= _leaves(getattr(obj, f.name), (*prefix, f.name))
        return out
    return {prefix: obj}


def lever_settings(base: StudyConfig, lever: StudyConfig) -> dict[Path_, Any]:
    """The fields a single-lever study sets to other values than the status quo's, by path."""
    before = _leaves(base)
    return {
        path: value
        for path, value in _leaves(lever).items()
        if path[0] not in NOT_SET_BY_LEVERS and (path not in before or not _same(before[path], value))
    }


def _same(a: Any, b: Any) -> bool:
    """``a == b`` for config leaves (NaN equal to NaN, so an unset number is not a setting)."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:  # noqa: PLR0124 - NaN
        return True
    return bool(a == b) and type(a) is type(b)


def union_of_settings(settings: dict[str, dict[Path_, Any]]) -> dict[Path_, Any]:
    """The levers' settings together; ValueError when two levers set the same field.

    Hydra would apply them in the package's order and the later one would win: a package is
    then not the union of its levers, and composing each lever once would not give its study.
    """
    out: dict[Path_, Any] = {}
    owner: dict[Path_, str] = {}
    for lever, fields_ in settings.items():
        for path, value in fields_.items():
            if path in owner:
                raise ValueError(
                    f"levers {owner[path]!r} and {lever!r} both set {'.'.join(path)}: a package of both "
                    "depends on their order; compose it whole"
                )
            out[path], owner[path] = value, lever
    return out


def with_settings(obj: Any, settings: dict[Path_, Any]) -> Any:
    """``obj`` with the leaf fields ``settings`` replaced, each dataclass on the way rebuilt once.

    Rebuilding runs each node's ``__post_init__`` checks (the model's cross-checks included),
    so a package is validated as composing it would validate it.
    """
    if not settings:
        return obj
    if () in settings:
        return settings[()]
    by_field: dict[str, dict[Path_, Any]] = {}
    for path, value in settings.items():
        by_field.setdefault(path[0], {})[path[1:]] = value
    return dataclasses.replace(obj, **{k: with_settings(getattr(obj, k), v) for k, v in by_field.items()})


def _package_of(overrides: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]] | None:
    """(the other overrides, the package's levers) of a package cell; None for any other cell."""
    policy = [o for o in overrides if o.partition("=")[0] == "policy"]
    if len(policy) != 1:
        return None
    value = policy[0].partition("=")[2]
    if value == "status_quo":
        levers: list[str] = []
    elif value.startswith("[") and value.endswith("]"):
        levers = [v.strip() for v in value[1:-1].split(",") if v.strip()]
    else:
        return None
    return tuple(o for o in overrides if o != policy[0]), levers


def cell_study(overrides: list[str]) -> StudyConfig:
    """The study of a cell, as composing its overrides gives it; a package from its levers' studies.

    A package ``policy=[a,b,...]`` is the status quo study of its other overrides with the union
    of the fields each lever sets (each single-lever study composed once per process, 16
    compositions for a 15-lever screen instead of one per cell); any other cell is composed.
    """
    found = _package_of(tuple(overrides))
    if found is None:
        return _study(tuple(overrides))
    common, levers = found
    base = _study((*common, "policy=status_quo"))
    if not levers:
        return base
    settings = union_of_settings({lv: _lever_settings(common, lv) for lv in levers})
    built = with_settings(base, settings)
    return dataclasses.replace(built, policy_name="+".join(levers))


@functools.lru_cache(maxsize=64)
def _lever_settings(common: tuple[str, ...], lever: str) -> dict[Path_, Any]:
    return lever_settings(_study((*common, "policy=status_quo")), _study((*common, f"policy=[{lever}]")))


# --- Run blocks of cells replication-major on a backend ---------------------------------------
TASKS_PER_WORKER = 4  # tasks per worker when the work allows: the last ones balance the load


@dataclass(frozen=True)
class CellBlock:
    """Cells run together in one task: their indices in the experiment and their studies."""

    cells: tuple[int, ...]
    studies: tuple[StudyConfig, ...]


@dataclass(frozen=True)
class BlockValues:
    """What a task returns: year-end values (the cell's plan rows) by (cell, replication)."""

    values: dict[tuple[int, int], np.ndarray]


def run_block(block: CellBlock, replications: list[int]) -> BlockValues:
    """One backend task, replication-major: for each replication every cell of the block.

    The block's cells share everything before the launch under common random numbers, so
    :func:`sim.run.fork.run_cells` may simulate those years once per replication.
    """
    out: dict[tuple[int, int], np.ndarray] = {}
    for r in replications:
        for cell, kpis in zip(block.cells, run_cells(block.studies, r), strict=True):
            out[cell, r] = np.asarray(kpis[:, -1])  # the value at the last month end
    return BlockValues(out)


def task_sizes(n_cells: int, n_replications: int, workers: int) -> tuple[int, int]:
    """(cells per block, replications per task) by default.

    One replication a task, and blocks of cells as large as the work allows while every worker
    still gets :data:`TASKS_PER_WORKER` tasks (a shared warm-up pays most on large blocks).
    """
    blocks = max(1, -(-TASKS_PER_WORKER * workers // max(n_replications, 1)))
    return max(1, -(-n_cells // blocks)), 1


def cell_tasks(
    studies: list[StudyConfig], replications: list[int], block_size: int, chunk_size: int
) -> list[tuple[CellBlock, list[int]]]:
    """Tasks (block of cells, replications): every (cell, replication) pair exactly once."""
    blocks = [
        CellBlock(tuple(range(i, min(i + block_size, len(studies)))), tuple(studies[i : i + block_size]))
        for i in range(0, len(studies), block_size)
    ]
    chunks = chunks_of(sorted(replications), chunk_size)
    return [(block, chunk) for chunk in chunks for block in blocks]  # replication-major


class CellRunner:
    """Runs (cell, replication) pairs on an open backend (serial, worker processes or Dask)."""

    def __init__(self, backend: Backend[BlockValues]) -> None:
        self.backend = backend
        self.workers = backend.workers  # a cluster's size is read once, when the session opens

    def values(
        self,
        studies: list[StudyConfig],
        replications: list[int],
        *,
        block_size: int | None = None,
        chunk_size: int | None = None,
    ) -> dict[tuple[int, int], np.ndarray]:
        """Year-end values by (index in ``studies``, replication); the same whatever the sizes."""
        default_block, default_chunk = task_sizes(len(studies), len(replications), self.workers)
        tasks = cell_tasks(studies, replications, block_size or default_block, chunk_size or default_chunk)
        total, got = len(studies) * len(replications), dict[tuple[int, int], np.ndarray]()
        step = max(total // 10, 1)
        for done in self.backend.map_tasks(list(tasks)):
            before = len(got)
            got |= done.values
            if len(got) // step > before // step or len(got) == total:
                log.info("cell-replications done: %d of %d", len(got), total)
        return got


SERIAL = RunConfig(jobs=1)  # run here, one task after the other


@contextmanager
def open_cells(run: RunConfig | None = None) -> Iterator[CellRunner]:
    """A :class:`CellRunner` on ``run``'s backend (``backend``, ``jobs``, ``dask_address``), open for a session."""
    run = run or SERIAL
    with open_backend(run, run_block) as backend:
        yield CellRunner(backend)


def year_end_values(
    cells: list[list[str]],
    first: int,
    n: int,
    *,
    run: RunConfig | None = None,
    runner: CellRunner | None = None,
    plan: PlanConfig | None = None,
    block_size: int | None = None,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Year-end values of every target, (cells x targets x n), for replications first..first+n-1.

    Parameters
    ----------
    cells
        Hydra overrides of each cell (:func:`cell_overrides` plus common ones such as
        ``run.seed``); composed here (:func:`cell_study`), in this process.
    first, n
        Replications to run (the same indices, hence the same random numbers, in every cell).
    run
        Where to run when no ``runner`` is given: ``backend``, ``jobs`` (``auto``: every core),
        ``dask_address`` (None: serially, in this process).
    runner
        An open :class:`CellRunner` (:func:`open_cells`) to use, e.g. across a selection's rounds.
    plan
        The plan the caller scores against: a cell composed with another plan (other keys,
        goals, directions or counting) is a ValueError, raised before anything runs.
    block_size, chunk_size
        Cells per task and replications per task (default :func:`task_sizes`); the values do
        not depend on them.
    """
    try:
        studies = [cell_study(c) for c in cells]
    except HydraException as err:
        raise ValueError(f"overrides: {err}") from err
    if plan is not None:
        other = [c for c, s in zip(cells, studies, strict=True) if s.plan != plan]
        if other:
            raise ValueError(f"cells {other} are composed with another plan than {plan.name!r}: scored against which?")
    replications = list(range(first, first + n))
    if runner is None:
        with open_cells(run) as own:
            got = own.values(studies, replications, block_size=block_size, chunk_size=chunk_size)
    else:
        got = runner.values(studies, replications, block_size=block_size, chunk_size=chunk_size)
    return np.stack([np.stack([got[c, r] for r in replications], axis=1) for c in range(len(cells))])
