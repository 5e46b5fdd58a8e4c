"""Read a run or sweep directory for the report: its tables, configs and what its intervals cover.

Raises ``ValueError`` naming the file and the missing columns when a table is not as
``python -m sim`` writes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.attainment import interval_words
from analysis.bottlenecks import (
    YearWindow,
)
from analysis.plots.compare import check_comparison
from analysis.plots.style import bilingual

# libyaml's safe loader when PyYAML has it (the same documents, parsed in C: a job's config
# took ~0.25 s in pure Python); else PyYAML's own.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REQUIRED: dict[str, tuple[str, ...]] = {
    "attainment.csv": ("scenario", "policy", "target", "goal", "p_attain", "p_attain_low", "p_attain_high"),
    "kpis.parquet": ("scenario", "policy", "replication", "target", "value"),
    "monthly.parquet": ("scenario", "policy", "replication", "target", "month", "value"),
}


@dataclass
class RunTables:
    """Everything a report needs from one run or multirun directory (tables concatenated)."""

    root: Path
    cells: list[Path]
    attainment: pd.DataFrame
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    ledgers: pd.DataFrame
    resources: pd.DataFrame
    window: YearWindow
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    actual: pd.DataFrame | None = None
    interval_notes: dict[tuple[str, str], str] = field(default_factory=dict)  # per job: what its intervals cover
    watch: pd.DataFrame | None = None  # a nowcast's watch list (watchlist.parquet), every job's
    help: pd.DataFrame | None = None  # where leaders' help pays most (help.parquet, nowcast.help=true), every job's

    @property
    def cell_names(self) -> list[tuple[str, str]]:
        """(scenario, policy) of every job, in directory order."""
        return list(dict.fromkeys(zip(self.attainment["scenario"], self.attainment["policy"], strict=True)))


def _read_checked(path: Path) -> pd.DataFrame:
    """Read a table and check it has the columns the report needs."""
    frame = pd.read_csv(path, encoding="utf-8-sig") if path.suffix == ".csv" else pd.read_parquet(path)
    missing = [c for c in REQUIRED.get(path.name, ()) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected a table written by `python -m sim`")
    return frame


def _read_optional(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _job_order(path: Path) -> tuple[int, str]:
    """Hydra names multirun jobs ``<num>_<overrides>``: sort by the job number, then name."""
    num = path.name.split("_", 1)[0]
    return (int(num) if num.isdigit() else 1 << 30, path.name)


def find_cells(root: Path) -> list[Path]:
    """Run directories under ``root``: itself if it holds ``attainment.csv``, else its job dirs."""
    if not root.is_dir():
        raise ValueError(f"run directory {str(root)!r} does not exist or is not a directory")
    if (root / "attainment.csv").exists():
        return [root]
    cells = sorted((p.parent for p in root.glob("*/attainment.csv")), key=_job_order)
    if not cells:
        raise ValueError(
            f"no attainment.csv in {str(root)!r} or its subdirectories: pass a run or multirun directory "
            "written by `python -m sim`"
        )
    return cells


def load_run(root: Path) -> RunTables:
    """Read a run or multirun directory written by ``python -m sim``.

    Parameters
    ----------
    root
        A run directory (holds ``attainment.csv``) or a multirun directory (its job
        subdirectories hold them; ``comparison.csv`` may sit at the top).
    """
    root = Path(root)
    cells = find_cells(root)
    configs, meta = {}, {}
    for cell in cells:
        cfg_path = cell / ".hydra" / "config.yaml"
        text = cfg_path.read_text(encoding="utf-8") if cfg_path.exists() else "{}"
        configs[cell.name] = yaml.load(text, Loader=SAFE_LOADER)
        meta_path = cell / "meta.json"
        meta[cell.name] = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    run_cfg = next(iter(configs.values())).get("run", {})
    window = YearWindow(int(run_cfg.get("first_year", 2021)), int(run_cfg.get("target_year", 2023)))
    comparison = None
    if (root / "comparison.csv").exists():
        comparison = pd.read_csv(root / "comparison.csv", encoding="utf-8-sig")
        check_comparison(comparison)
    actual_path = next(
        (p for p in (root / "actual_monthly.parquet", cells[0] / "actual_monthly.parquet") if p.exists()), None
    )
    attainment = [_read_checked(c / "attainment.csv") for c in cells]
    notes = {
        (str(att["scenario"].iloc[0]), str(att["policy"].iloc[0])): interval_note(
            _read_optional(c / "params.parquet"), meta[c.name]
        )
        for c, att in zip(cells, attainment, strict=True)
        if len(att)
    }
    return RunTables(
        root=root,
        cells=cells,
        attainment=pd.concat(attainment, ignore_index=True),
        kpis=pd.concat([_read_checked(c / "kpis.parquet") for c in cells], ignore_index=True),
        monthly=pd.concat([_read_checked(c / "monthly.parquet") for c in cells], ignore_index=True),
        ledgers=pd.concat([_read_optional(c / "ledgers.parquet") for c in cells], ignore_index=True),
        resources=pd.concat([_read_optional(c / "resources.parquet") for c in cells], ignore_index=True),
        window=window,
        configs=configs,
        meta=meta,
        comparison=comparison,
        actual=pd.read_parquet(actual_path) if actual_path else None,
        interval_notes=notes,
        watch=_watch_lists(cells),
        help=_job_tables(cells, "help.parquet"),
    )


def _watch_lists(cells: list[Path]) -> pd.DataFrame | None:
    """Every job's ``watchlist.parquet`` (a nowcast's watch list), or None when no job has one."""
    return _job_tables(cells, "watchlist.parquet")


def _job_tables(cells: list[Path], name: str) -> pd.DataFrame | None:
    """Every job's table ``name`` (a parquet file some jobs write), or None when no job has one."""
    frames = [pd.read_parquet(c / name) for c in cells if (c / name).exists()]
    return pd.concat(frames, ignore_index=True) if frames else None


def cell_rows(frame: pd.DataFrame, scenario: str, policy: str) -> pd.DataFrame:
    """The rows of one scenario x policy cell of a long table."""
    return frame[(frame["scenario"] == scenario) & (frame["policy"] == policy)]


def interval_note(params: pd.DataFrame, meta: dict[str, Any] | None = None) -> str:
    """What a job's intervals and bands cover, from its ``params.parquet`` (for chart notes).

    Parameter uncertainty is in them when the inputs vary across the run's draws
    (``uncertainty=evidence`` or ``history``); with ``uncertainty=none`` (an empty table), every
    input pinned or a single draw, the inputs are fixed and the intervals cover luck only. A
    job whose ``meta.json`` names an ``input_sample`` (``uncertainty=history``) says so, on a second line.
    """
    varying = 0
    if len(params) and params["draw"].nunique() > 1:
        varying = int((params.groupby("parameter", observed=True)["value"].nunique() > 1).sum())
    return "\n".join(bilingual(zh, en) for zh, en in interval_words(varying, (meta or {}).get("input_sample")))
