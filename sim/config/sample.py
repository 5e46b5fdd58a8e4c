"""A table of input vectors to draw the uncertain inputs from (``uncertainty.sample``).

``uncertainty=history`` draws each replication's inputs from the history-matched sample
(``data/history/<observations>.csv``, written by ``python -m sim.history_match``) instead of
the priors: one row per input vector, one column per prior key (the drawn quantity, as in
``params.parquet``: a ratio prior's column is the ratio), and the lines starting with ``#``
say which command, commit and date made it. :func:`read_sample` reads it once per process;
:func:`check_sample` checks it against the priors at the boundary: a free prior without a
column, a column no prior names, or a value outside its prior's range is a ConfigError (the
sample was made for other priors: run the history match again).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from cityplan.errors import ConfigError
from sim.config.model import ModelConfig
from sim.config.priors import UncertaintyConfig, is_pinned

ROOT = Path(__file__).resolve().parents[2]
# Columns of a sample file that are not inputs (written by sim.history_match for the reader).
META_COLUMNS: tuple[str, ...] = ("row", "wave", "max_implausibility")


def sample_path(name: str) -> Path:
    """The sample file: ``name`` itself when absolute, else relative to the project root."""
    path = Path(name)
    return path if path.is_absolute() else ROOT / path


@lru_cache(maxsize=8)
def _read(path: str, _mtime_ns: int) -> tuple[tuple[str, ...], np.ndarray]:
    import pandas as pd

    frame = pd.read_csv(path, comment="#")
    columns = tuple(c for c in frame.columns if c not in META_COLUMNS)
    return columns, frame[list(columns)].to_numpy(dtype=float)


def read_sample(name: str) -> tuple[tuple[str, ...], np.ndarray]:
    """The sample's input columns and its values (rows x columns); cached per file version."""
    path = sample_path(name)
    if not path.exists():
        raise ConfigError(
            f"config field 'uncertainty.sample' = {name!r} is not allowed: no such file"
            " (make it with python -m sim.history_match, or choose uncertainty=evidence)"
        )
    return _read(str(path), path.stat().st_mtime_ns)


def sample_header(name: str) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a sample file (command, commit, date, ...)."""
    out: dict[str, str] = {}
    for line in sample_path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(":")
        if value:
            out[key.strip()] = value.strip()
    return out


def check_sample(uncertainty: UncertaintyConfig, baseline: ModelConfig) -> None:
    """Raise ConfigError unless the sample has one in-range column per free prior, and rows."""
    name = uncertainty.sample
    columns, values = read_sample(name)
    where = f"config field 'uncertainty.sample' = {name!r}"
    if not len(values):
        raise ConfigError(f"{where}: the sample has no rows (the history match found no non-implausible input)")
    keys = {p.key for p in uncertainty.priors}
    unknown = [c for c in columns if c not in keys]
    if unknown:
        raise ConfigError(
            f"{where}: columns {', '.join(unknown)} name no prior of uncertainty.priors"
            " (the sample was made for other priors: run python -m sim.history_match again)"
        )
    for prior in uncertainty.priors:
        if is_pinned(prior, uncertainty, baseline):
            continue
        if prior.key not in columns:
            raise ConfigError(
                f"{where}: no column for the prior {prior.key!r}"
                " (the sample was made for other priors: run python -m sim.history_match again)"
            )
        col = values[:, columns.index(prior.key)]
        tol = 1e-9 * max(1.0, abs(prior.high))
        if not (np.all(np.isfinite(col)) and col.min() >= prior.low - tol and col.max() <= prior.high + tol):
            raise ConfigError(
                f"{where}: column {prior.key!r} holds values {col.min():g}..{col.max():g} outside the"
                f" prior's range [{prior.low:g}, {prior.high:g}] (run python -m sim.history_match again)"
            )
