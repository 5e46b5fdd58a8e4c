"""Resumable results: each finished chunk of replications is a parquet part on disk.

A run directory holds ``parts/`` with one ``manifest.json`` (the configuration's hash and
the configuration itself) and one file per finished chunk, ``chunk_<first>_<stop>.parquet``
holding the chunk's KPI matrix in long form (replication, target, month, value). Kept
replications' ledgers and resource logs go to ``ledger_<r>.parquet`` and
``resources_<r>.parquet``, and a nowcast's ledger-project outcomes to
``watch_<first>_<stop>.parquet``, *before* their chunk's part, so a part on disk means the whole
chunk is there. Every file is written to a temporary name and renamed, so a run killed
mid-write leaves no half file under a real name.

Resuming reads every part, keeps replications below the requested count and computes only
the missing ones. A part belongs to one configuration: :func:`open_parts` refuses a
directory whose manifest hash differs (:class:`ResumeError`), so runs never mix.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityplan.errors import ConfigError
from cityplan.schema import plan_rows
from sim.config.checks import MONTHS_PER_YEAR
from sim.config.study import StudyConfig

MANIFEST = "manifest.json"
# RunConfig fields that change how a run is executed, not what it computes.
EXECUTION_FIELDS: tuple[str, ...] = (
    "replications",
    "jobs",
    "chunk_size",
    "progress",
    "backend",
    "dask_address",
    "resume",
    "target_halfwidth",
    "max_replications",
)


class ResumeError(ConfigError):
    """Parts on disk cannot be used for this run (other configuration, or resume off)."""


def config_hash(cfg: StudyConfig) -> str:
    """SHA-256 of the configuration minus execution settings (``EXECUTION_FIELDS``).

    Replications of equal hash and index are identical, whatever the run that made them.
    """
    return hashlib.sha256(_hashed_json(cfg).encode("utf-8")).hexdigest()


def _hashed_json(cfg: StudyConfig) -> str:
    d = asdict(cfg)
    for name in EXECUTION_FIELDS:
        d["run"].pop(name)
    return json.dumps(d, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class ChunkResult:
    """What a worker returns for one chunk of replications.

    Attributes
    ----------
    replications
        Replication indices of the chunk, ascending.
    kpis
        Cumulative KPI values at month ends, shape (len(replications), n_targets, 12).
    ledgers, resources
        Ledger and resource log of each kept replication (``replication < run.keep_ledgers``).
    watch
        A nowcast's ledger projects in every replication (:func:`sim.nowcast.watch.ledger_outcomes`).
    """

    replications: list[int]
    kpis: np.ndarray
    ledgers: dict[int, pd.DataFrame]
    resources: dict[int, pd.DataFrame]
    watch: dict[int, pd.DataFrame] = field(default_factory=dict)


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _chunk_frame(chunk: ChunkResult) -> pd.DataFrame:
    n, k, m = chunk.kpis.shape
    return pd.DataFrame(
        {
            "replication": np.repeat(np.asarray(chunk.replications, dtype=np.int64), k * m),
            "target": np.tile(np.repeat(np.arange(k, dtype=np.int16), m), n),
            "month": np.tile(np.arange(1, m + 1, dtype=np.int8), n * k),
            "value": chunk.kpis.ravel(),
        }
    )


def _read_part(path: Path) -> pd.DataFrame:
    """A part file, or a ResumeError naming it when it cannot be read (e.g. truncated by a kill).

    The file is not deleted: the message says to delete it, and its replications are then
    computed again on the rerun.
    """
    try:
        return pd.read_parquet(path)
    except Exception as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ResumeError(
            f"{path} cannot be read ({first}); delete that file and rerun: its replications are computed again"
        ) from None


class PartStore:
    """The ``parts/`` folder of one run: write finished chunks, read them back."""

    def __init__(self, folder: Path, n_rows: int) -> None:
        self.folder = folder
        self.n_rows = n_rows  # KPI rows per replication (the plan's rows)

    def write(self, chunk: ChunkResult) -> None:
        """Write a finished chunk (ledgers first, the chunk part last)."""
        for r, ledger in chunk.ledgers.items():
            _write_atomic(ledger, self.folder / f"ledger_{r:06d}.parquet")
            _write_atomic(chunk.resources[r], self.folder / f"resources_{r:06d}.parquet")
        first, stop = chunk.replications[0], chunk.replications[-1] + 1
        if chunk.watch:
            watch = pd.concat([w.assign(replication=r) for r, w in sorted(chunk.watch.items())], ignore_index=True)
            _write_atomic(watch, self.folder / f"watch_{first:06d}_{stop:06d}.parquet")
        _write_atomic(_chunk_frame(chunk), self.folder / f"chunk_{first:06d}_{stop:06d}.parquet")

    def read(self, below: int, keep_ledgers: int) -> ChunkResult | None:
        """Every finished replication ``< below`` as one ChunkResult (None if there is none)."""
        frames = [_read_part(p) for p in sorted(self.folder.glob("chunk_*.parquet"))]
        frames = [f[f["replication"] < below] for f in frames]
        frames = [f for f in frames if len(f)]
        if not frames:
            return None
        long = pd.concat(frames, ignore_index=True)
        # Two runs of the same command in one directory may both finish a replication; the
        # copies are identical (same configuration hash, same streams), so keep one.
        long = long.drop_duplicates(["replication", "target", "month"])
        long = long.sort_values(["replication", "target", "month"], kind="stable")
        reps = np.unique(long["replication"].to_numpy())
        if len(long) != len(reps) * self.n_rows * MONTHS_PER_YEAR:
            raise ResumeError(f"parts in {self.folder} hold incomplete replications; delete the folder")
        kpis = long["value"].to_numpy().reshape(len(reps), self.n_rows, MONTHS_PER_YEAR)
        kept = [int(r) for r in reps if r < keep_ledgers]
        watch: dict[int, pd.DataFrame] = {}
        for path in sorted(self.folder.glob("watch_*.parquet")):
            table = _read_part(path)
            for r in np.unique(table["replication"].to_numpy(dtype=np.int64)).tolist():
                if r < below:
                    rows = table[table["replication"] == r]
                    watch[r] = rows.drop(columns="replication").reset_index(drop=True)
        return ChunkResult(
            replications=[int(r) for r in reps],
            kpis=kpis,
            ledgers={r: _read_part(self.folder / f"ledger_{r:06d}.parquet") for r in kept},
            resources={r: _read_part(self.folder / f"resources_{r:06d}.parquet") for r in kept},
            watch={r: w for r, w in watch.items() if r in set(reps.tolist())},
        )


def open_parts(folder: Path, cfg: StudyConfig) -> PartStore:
    """Open (or create) the parts folder for ``cfg``; refuse one made by another configuration.

    Raises
    ------
    ResumeError
        When the folder holds parts of a different configuration, or holds parts and
        ``run.resume`` is false. Nothing is deleted or overwritten in either case.
    """
    manifest = folder / MANIFEST
    digest = config_hash(cfg)
    if not manifest.exists() and any(folder.glob("chunk_*.parquet")):
        raise ResumeError(f"{folder} holds chunks but no {MANIFEST}: their configuration is unknown; delete {folder}")
    if manifest.exists():
        stored: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        if stored.get("config_hash") != digest:
            raise ResumeError(
                f"{folder} holds results of a different configuration (hash {stored.get('config_hash', '?')[:12]}, "
                f"this run {digest[:12]}); resuming would mix them. Use another hydra.run.dir, or delete {folder}"
            )
        if not cfg.run.resume and any(folder.glob("chunk_*.parquet")):
            raise ResumeError(
                f"config field 'run.resume' = False but {folder} already holds finished chunks; "
                "set run.resume=true to reuse them, or use another hydra.run.dir"
            )
        return PartStore(folder, len(plan_rows(cfg.plan)))
    folder.mkdir(parents=True, exist_ok=True)
    body = {"config_hash": digest, "config": json.loads(_hashed_json(cfg))}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, manifest)
    return PartStore(folder, len(plan_rows(cfg.plan)))
