"""The validation table: the model's predictive interval of each published figure, and coverage.

Input is the record (:class:`cityplan.observations.ObservationSet`) and the tidy frame of the
model's values per replication (``replication, observation, value``, from
:func:`sim.run.observe.observe_study`). For each observation the table gives the 5%, 50% and
95% quantiles over the replications (the model's 90% predictive interval, luck and the
uncertain inputs as configured) and whether the observed value lies in it: ``inside`` when
the observed value is in ``[p05, p95]``, or for an observed range when the range overlaps the
interval (the record says "somewhere in 10–99%"; any of it is compatible).
``inside_with_error`` widens the observed value by its error first (± 1.645 sd, a 90% band, or
its stated range), so a figure that misses by less than its own rounding is not read as a
miss; history matching will use the error the same way. A replication where an observation
is undefined (NaN: nothing to divide by) is left out of that observation's quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cityplan.observations import ObservationSet

Z90 = 1.6448536269514722  # two-sided 90%: the predictive interval is 5%..95%
COLUMNS: tuple[str, ...] = (
    "observation",
    "source",
    "observed",
    "p05",
    "p50",
    "p95",
    "inside",
    "held_out",
    "label_zh",
    "label_en",
    "theme",
    "other_city",
    "unit",
    "error",
    "observed_low",
    "observed_high",
    "error_low",
    "error_high",
    "inside_with_error",
    "n_replications",
)


def overlaps(low: float, high: float, p05: float, p95: float) -> bool:
    """Whether ``[low, high]`` meets ``[p05, p95]`` (False when the interval is undefined)."""
    if not (np.isfinite(p05) and np.isfinite(p95)):
        return False
    return bool(low <= p95 and high >= p05)


def error_text(kind: str, sd: float | None, rng: list[float]) -> str:
    """The error in a few words: its kind and its size."""
    size = f"sd {sd:g}" if sd is not None else f"range {rng[0]:g}–{rng[1]:g}"
    return f"{kind}: {size}"


def validation_table(record: ObservationSet, values: pd.DataFrame) -> pd.DataFrame:
    """One row per observation, in file order (see the module docstring for the columns).

    Parameters
    ----------
    record
        The observations.
    values
        The model's value of each observation in each replication (``observation``, ``value``).
    """
    rows = []
    by_key = {k: g["value"].to_numpy(dtype=float) for k, g in values.groupby("observation", sort=False)}
    for key, obs in record.observations.items():
        v = by_key.get(key, np.empty(0))
        v = v[np.isfinite(v)]
        p05, p50, p95 = (float(np.quantile(v, q)) if v.size else float("nan") for q in (0.05, 0.5, 0.95))
        err = obs.error
        if err.sd is not None:
            e_low, e_high = obs.low - Z90 * err.sd, obs.high + Z90 * err.sd
        else:
            e_low, e_high = min(obs.low, err.range[0]), max(obs.high, err.range[1])
        observed = f"{obs.low:g}" if obs.observed is not None else f"{obs.low:g}–{obs.high:g}"
        assert obs.source is not None
        rows.append(
            {
                "observation": key,
                "source": f"{obs.source.section}: {obs.source.phrase}",
                "observed": observed,
                "p05": p05,
                "p50": p50,
                "p95": p95,
                "inside": overlaps(obs.low, obs.high, p05, p95),
                "held_out": obs.held_out,
                "label_zh": obs.label_zh,
                "label_en": obs.label_en,
                "theme": obs.theme,
                "other_city": obs.other_city,
                "unit": obs.unit,
                "error": error_text(err.kind, err.sd, err.range),
                "observed_low": obs.low,
                "observed_high": obs.high,
                "error_low": e_low,
                "error_high": e_high,
                "inside_with_error": overlaps(e_low, e_high, p05, p95),
                "n_replications": int(v.size),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Share of observations inside their interval, for fit and held-out observations apart.

    Rows ``fit``, ``held_out``, ``all``; columns ``n``, ``inside``, ``coverage``,
    ``inside_with_error``, ``coverage_with_error``. A calibrated model covers about 90% of
    observations whose errors are small beside its interval.
    """
    out = []
    for name, part in (("fit", table[~table["held_out"]]), ("held_out", table[table["held_out"]]), ("all", table)):
        n = len(part)
        inside, with_error = int(part["inside"].sum()), int(part["inside_with_error"].sum())
        out.append(
            {
                "set": name,
                "n": n,
                "inside": inside,
                "coverage": inside / n if n else float("nan"),
                "inside_with_error": with_error,
                "coverage_with_error": with_error / n if n else float("nan"),
            }
        )
    return pd.DataFrame(out).set_index("set")


def miss_score(table: pd.DataFrame) -> pd.Series:
    """How far each observation lies outside its interval, as a share of the observed value (0 inside).

    The gap between the observed value (or the nearer end of its range) and the nearer end of
    ``[p05, p95]``, divided by that observed value: 0.8 means the interval stops 80% short
    of the record. Used to list the worst misses first; an undefined interval scores inf.
    """
    p05, p95 = table["p05"].to_numpy(float), table["p95"].to_numpy(float)
    low, high = table["observed_low"].to_numpy(float), table["observed_high"].to_numpy(float)
    above, below = low - p95, p05 - high  # the record above the interval, or below it
    gap = np.maximum(np.maximum(above, below), 0.0)
    nearest = np.where(above > 0, low, high)
    score = np.where(gap > 0, gap / np.maximum(np.abs(nearest), 1e-12), 0.0)
    return pd.Series(np.where(np.isfinite(p05) & np.isfinite(p95), score, np.inf), index=table["observation"])


def format_line(row: pd.Series) -> str:
    """One terminal line: key, observed, interval, inside or not."""
    mark = "inside " if row["inside"] else "OUTSIDE"
    held = "held-out" if row["held_out"] else "fit     "
    return (
        f"  {mark} {held} {row['observation']:<38} observed {row['observed']:>10}"
        f"  model 90% [{row['p05']:.4g}, {row['p95']:.4g}] (median {row['p50']:.4g}) {row['unit']}"
    )
