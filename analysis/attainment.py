"""Monte Carlo attainment: for every target, the share of replications that reach it.

``p_attain`` is the share of replications whose year-end value reaches the goal (``>=``, or
``<=`` for an ``at_most`` target); its
interval is Wilson's score interval for a binomial proportion (:func:`wilson_bounds`, the one
closed form the run's precision on demand uses too), which keeps sensible bounds at 0% and
100% where the normal approximation fails.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from cityplan.targets import TARGET_COLUMNS, attained

LABEL_COLUMNS = 66  # terminal columns for the bilingual label (a longer one takes two lines)
LABEL_INDENT = "  "  # the English label under a Chinese label that took its own line
ONE_DECIMAL_BELOW = 10  # show one decimal for small values

ATTAINMENT_COLUMNS: tuple[str, ...] = (
    "target",
    "label_zh",
    "label_en",
    "unit",
    "goal",
    "direction",
    "mean",
    "p10",
    "p50",
    "p90",
    "p_attain",
    "p_attain_low",
    "p_attain_high",
    "n_replications",
)


Z95 = float(norm.ppf(0.975))  # standard normal quantile of 0.975 (95% two-sided), 1.95996...


def _z(level: float) -> float:
    return Z95 if level == 0.95 else float(norm.ppf(0.5 + level / 2))  # noqa: PLR2004 - the default level


def wilson_halfwidth(hits: np.ndarray, n: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Half-width of Wilson's score interval for ``hits`` successes in ``n`` trials (arrays).

    ``z / (1 + z^2/n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))`` with ``p = hits / n``; NaN
    where ``n == 0``.
    """
    z = _z(level)
    hits, n = np.asarray(hits, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        return z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))


def wilson_bounds(hits: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval ``(low, high)`` for ``hits`` successes in ``n`` trials (arrays, in [0, 1])."""
    z = _z(level)
    hits, n = np.asarray(hits, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (hits / n + z**2 / (2 * n)) / (1 + z**2 / n)
    half = wilson_halfwidth(hits, n, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
    # the interval always holds the observed share (rounding must not put 100% above its bound)
    return np.clip(np.fmin(centre - half, p), 0.0, 1.0), np.clip(np.fmax(centre + half, p), 0.0, 1.0)


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (one pair of numbers)."""
    low, high = wilson_bounds(np.array(successes), np.array(trials), level)
    return float(low), float(high)


def interval_words(n_uncertain: int, sample: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """What the P(attain) intervals and the bands cover: ``(zh, en)`` clauses, the one wording.

    ``n_uncertain`` inputs drawn from their priors (0: every input fixed, luck only). ``sample``:
    the history-matched sample they were drawn from under ``uncertainty=history`` (``meta.json``'s
    ``input_sample``: ``sample_rows`` input vectors made on ``sample_date``), a second clause when
    inputs vary. The terminal joins the clauses on one line, a chart's note puts each on its own.
    """
    if n_uncertain <= 0:
        return [("区间仅含随机性（输入取定值）", "Intervals cover luck only (inputs fixed)")]
    clauses = [
        (
            f"区间含随机性与参数不确定性（{n_uncertain}项不确定输入）",
            f"Intervals cover luck and parameter uncertainty ({n_uncertain} uncertain inputs)",
        )
    ]
    if sample:
        rows, date = int(sample.get("sample_rows", 0)), str(sample.get("sample_date", ""))
        zh_made, en_made = (f"，{date}", f", {date}") if date else ("", "")
        clauses.append(
            (
                f"输入取自与2019—2022年公开数据拟合的历史样本（{rows}组输入{zh_made}）",
                f"inputs drawn from the sample the 2019-2022 record leaves ({rows} input vectors{en_made})",
            )
        )
    return clauses


def attainment(kpis: pd.DataFrame, targets: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """One row per target: distribution of the year-end value and probability of attainment.

    Parameters
    ----------
    kpis
        Long table with columns ``target``, ``replication``, ``value`` (one cell); with a
        ``unit`` column (county, district or park key; ``city``) when ``targets`` has one.
    targets
        The plan's rows: :func:`cityplan.targets.targets_frame` (target, labels, unit,
        goal, direction), or :func:`cityplan.targets.unit_targets_frame` for per-unit
        tables, where ``unit`` names the county or park and ``target_unit`` the measurement
        unit. Goals come from here, so a goal override in the plan flows into the table.
    level
        Confidence level of the interval on ``p_attain``.

    Returns
    -------
    DataFrame
        The columns of ``targets``, then mean, p10, p50, p90, p_attain (+ interval) and
        n_replications.
    """
    keys = ["unit", "target"] if "target_unit" in targets.columns else ["target"]
    groups = {
        (k if isinstance(k, tuple) else (k,)): g["value"].to_numpy(dtype=float)
        for k, g in kpis.groupby(keys, observed=True, sort=False)
    }
    rows = []
    for t in targets.to_dict("records"):
        values = groups.get(tuple(t[k] for k in keys), np.empty(0))
        values = values[np.isfinite(values)]
        n = int(values.size)
        hits = int(attained(values, t["goal"], t["direction"]).sum())
        low, high = wilson_interval(hits, n, level) if n else (np.nan, np.nan)
        q = np.quantile(values, [0.1, 0.5, 0.9]) if n else [np.nan] * 3
        rows.append(
            t
            | {
                "mean": values.mean() if n else np.nan,
                "p10": q[0],
                "p50": q[1],
                "p90": q[2],
                "p_attain": hits / n if n else np.nan,
                "p_attain_low": low,
                "p_attain_high": high,
                "n_replications": n,
            }
        )
    stats = [c for c in ATTAINMENT_COLUMNS if c not in TARGET_COLUMNS]
    return pd.DataFrame(rows, columns=[*targets.columns, *stats])


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` followed by spaces up to ``columns`` terminal columns (unchanged if wider)."""
    return text + " " * max(columns - display_width(text), 0)


def format_attainment(table: pd.DataFrame) -> str:
    """A plain-text rendering of the attainment table for the terminal (zh + en labels).

    Columns align in terminal cells (a Chinese character takes two). A bilingual label wider
    than :data:`LABEL_COLUMNS` puts the Chinese label on a line of its own and the English
    label, indented, on the row with the numbers.
    """

    def fmt(value: Any, unit: Any) -> str:
        if not np.isfinite(value):
            return "-"
        if unit == "%":
            return f"{value:.0%}"
        return f"{value:,.0f}" if abs(value) >= ONE_DECIMAL_BELOW else f"{value:,.1f}"

    numbers = f"{'goal':>8} {'p10':>8} {'p50':>8} {'p90':>8}  {'P(attain) [95% CI]':>22}"
    header = f"{pad('target / 指标', LABEL_COLUMNS)} {numbers}"
    lines = [header, "-" * display_width(header)]
    for r in table.to_dict("records"):
        label = f"{r['label_zh']} {r['label_en']}"
        if display_width(label) > LABEL_COLUMNS:
            lines.append(str(r["label_zh"]))
            label = f"{LABEL_INDENT}{r['label_en']}"
        prob = f"{r['p_attain']:.0%} [{r['p_attain_low']:.0%}-{r['p_attain_high']:.0%}]"
        lines.append(
            f"{pad(label, LABEL_COLUMNS)} {fmt(r['goal'], r['unit']):>8} {fmt(r['p10'], r['unit']):>8} "
            f"{fmt(r['p50'], r['unit']):>8} {fmt(r['p90'], r['unit']):>8}  {prob:>22}"
        )
    n = int(table["n_replications"].max()) if len(table) else 0
    lines.append(f"({n} replications; P(attain) = share of replications reaching the goal, Wilson 95% CI)")
    return "\n".join(lines)
