"""The recorder: one flat row per project, one column per milestone (model days).

The same columns make up the monthly project ledger that planners keep (一月一通报), so a
simulated ledger can be exported and a real one read back (issue 7). Processes call
:meth:`ProjectLedger.record`; nothing is rounded or summarised here, and statistics live in
:mod:`analysis`. A second, long table (:class:`ResourceLog`) logs quota and queue levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cityplan.causes import QUEUE_CAUSES, WAIT_CAUSES

# Milestones in lifecycle order. Append only.
MILESTONES: tuple[str, ...] = (
    "rejected",  # screened out at appraisal
    "signed",  # 签约
    "procedures",  # procedures (手续) begin
    "land_granted",  # land quota allocated
    "land",  # land delivered (供地)
    "energy",  # energy quota and assessment done (能评)
    "permits",  # permits issued
    "started",  # 开工
    "completed",  # 竣工
    "registered",  # 列统
    "output",  # 达效
    "walked",  # investor walked away
    "energy_granted",  # energy quota allocated (before the assessment)
    "review",  # an approval office takes the file (review and permits begin)
    "resigned",  # signed again at a later ceremony (the project was signed before; not counted)
    "land_returned",  # land quota given back: the investor left before the plot was delivered
    "land_idle",  # delivered plot left idle (闲置土地): the investor left before starting
    "land_recovered",  # idle plot recovered into the land quota
    "energy_returned",  # energy quota given back: the investor left before starting
)

# Where an investor was when it walked away (walk_cause codes): a queue, or for the last
# three no queue: in pre-work, in a procedure step, or a signing that never proceeded.
# Quota drawn from the city's pools, by resource (ledger column <resource>_quota).
QUOTA_RESOURCES: tuple[str, ...] = ("land", "energy")


@dataclass
class ProjectLedger:
    """Milestone times and waits of ``n`` projects (NaN until it happens)."""

    n: int
    times: dict[str, np.ndarray] = field(init=False)
    waits: dict[str, np.ndarray] = field(init=False)
    walk_cause: np.ndarray = field(init=False)
    quota: dict[str, np.ndarray] = field(init=False)
    # True for candidate leads that came (kept by thinning, sim.model.attraction) or ledger projects.
    entered: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.times = {m: np.full(self.n, np.nan) for m in MILESTONES}
        self.waits = {c: np.zeros(self.n) for c in QUEUE_CAUSES}
        self.walk_cause = np.zeros(self.n, dtype=np.int8)
        self.quota = {r: np.zeros(self.n) for r in QUOTA_RESOURCES}
        self.entered = np.zeros(self.n, dtype=bool)

    def enter(self, project: int) -> None:
        """Record that candidate ``project`` came (the others were thinned out)."""
        self.entered[project] = True

    def record(self, milestone: str, project: int, day: float) -> None:
        """Record that ``project`` reached ``milestone`` on model ``day``."""
        self.times[milestone][project] = day

    def add_wait(self, cause: str, project: int, days: float) -> None:
        """Add ``days`` spent waiting in the queue for ``cause``."""
        self.waits[cause][project] += days

    def walk_away(self, cause: str, project: int, day: float) -> None:
        """Record that ``project``'s investor left while waiting for ``cause``."""
        self.times["walked"][project] = day
        self.walk_cause[project] = WAIT_CAUSES.index(cause)

    def columns(self) -> dict[str, np.ndarray]:
        """Flat columns ``t_<milestone>``, ``wait_<cause>_days``, ``<resource>_quota`` and ``walk_cause``.

        ``land_quota`` (亩) and ``energy_quota`` (吨标煤) are the amounts granted from the city's
        pools (0 if none): energy from the national reserve or deducted as feedstock is not.
        """
        out = {f"t_{m}": v for m, v in self.times.items()}
        out |= {f"wait_{c}_days": v for c, v in self.waits.items()}
        out |= {f"{r}_quota": v for r, v in self.quota.items()}
        out["walk_cause"] = np.asarray(WAIT_CAUSES, dtype=object)[self.walk_cause]
        return out


@dataclass
class ResourceLog:
    """Long state log: one row per (day, resource, metric, value)."""

    rows: list[tuple[float, str, str, float]] = field(default_factory=list)

    def log(self, day: float, resource: str, metric: str, value: float) -> None:
        """Append one observation."""
        self.rows.append((day, resource, metric, float(value)))

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame with columns day, resource, metric, value."""
        return pd.DataFrame(self.rows, columns=["day", "resource", "metric", "value"])
