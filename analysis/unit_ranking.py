"""Counties and parks ranked the way the monthly bulletin (一月一通报) ranks them.

The bulletin puts the units (县区、园区, :mod:`cityplan.units`) side by side on signings, starts
and investment: what each has done so far against its goal, and its place among the others.
:func:`rank_units` adds what the model can say: each unit's year-end forecast (mean, p10,
p90) and, where the unit has a goal, the probability of reaching it (share of replications,
Wilson 95% interval).

The per-unit values come from any long table with a ``unit`` column (:func:`unit_monthly`
computes one from the kept project ledgers, ``run.keep_ledgers`` replications of them: keep
enough replications for a probability to mean something).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.attainment import wilson_interval
from cityplan.calendar import Calendar
from cityplan.counting import KpiWindow, kpi_matrix, kpi_window_of
from cityplan.schema import Measure, measures_from_config
from cityplan.units import HUAIAN_UNITS

# 一月一通报 ranks the units on signings, starts and investment (issue 12; domain.md
# "Supervision"): the plan's targets for these three.
RANKED_TARGETS: tuple[str, ...] = ("signed_industrial_1e8", "started_industrial_1e8", "industrial_investment")
KEYS: tuple[str, ...] = ("scenario", "policy")
_NO_RETROFITS = pd.DataFrame({"t_started": [], "investment_yi": [], "t_benchmark": []}, dtype=float)


def unit_monthly(
    ledgers: pd.DataFrame,
    window: KpiWindow,
    measures: Mapping[str, Measure],
    targets: tuple[str, ...] = RANKED_TARGETS,
) -> pd.DataFrame:
    """Each unit's target values at every month end, from kept project ledgers.

    Parameters
    ----------
    ledgers
        ``ledgers.parquet`` rows with a ``unit`` column (projects with a blank unit are left out).
    window
        The counting window of the run (:class:`cityplan.counting.KpiWindow`).
    measures
        The run's plan: how each target is counted, by key (targets it lacks are left out).
    targets
        Target keys to compute.

    Returns
    -------
    DataFrame
        Long: scenario, policy, replication, unit, target, month (1-12), value. A unit with no
        project in a replication counts 0 there.
    """
    targets = tuple(t for t in targets if t in measures)
    chosen = [measures[t] for t in targets]
    with_unit = ledgers[ledgers["unit"].fillna("") != ""]
    units = sorted(set(with_unit["unit"]))
    out = []
    for (scenario, policy, replication), rep in ledgers.groupby([*KEYS, "replication"], sort=True):
        by_unit = dict(tuple(rep.groupby("unit")))
        for unit in units:
            part = by_unit.get(unit, rep.iloc[:0])
            values = kpi_matrix(part, _NO_RETROFITS, window, chosen)
            months = values.shape[1]
            out.append(
                pd.DataFrame(
                    {
                        "scenario": scenario,
                        "policy": policy,
                        "replication": replication,
                        "unit": unit,
                        "target": np.repeat(targets, months),
                        "month": np.tile(np.arange(1, months + 1), len(targets)),
                        "value": values.ravel(),
                    }
                )
            )
    columns = [*KEYS, "replication", "unit", "target", "month", "value"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=columns)


def rank_units(
    monthly: pd.DataFrame, *, as_of_month: int | None = None, goals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per (scenario, policy, unit, target): progress to date, year-end forecast, rank.

    Parameters
    ----------
    monthly
        Long per-unit values: scenario, policy, replication, unit, target, month, value
        (:func:`unit_monthly`, or per-unit KPIs from elsewhere).
    as_of_month
        The month of the ledger (a nowcast's ``as_of``): "to date" is the mean over
        replications at its end. None: no progress to date (a forecast from the start).
    goals
        Optional unit goals: columns unit, target, goal.

    Returns
    -------
    DataFrame
        scenario, policy, unit, name_zh, name_en, target, to_date, goal, progress (to_date /
        goal, the bulletin's 完成率), year_end_mean, year_end_p10, year_end_p90, p_attain
        (share of replications with year end >= goal), p_low, p_high (Wilson 95%),
        replications, rank (1 = first among the units on this target: by progress where
        goals are given, else by to_date, else by year_end_mean) and overall_rank (units
        ordered by their mean rank over the targets).
    """
    names = {u.key: (u.name_zh, u.name_en) for u in HUAIAN_UNITS}
    last = int(monthly["month"].max()) if len(monthly) else 12
    year_end = monthly[monthly["month"] == last]
    groups = [*KEYS, "unit", "target"]
    stats = year_end.groupby(groups)["value"].agg(
        year_end_mean="mean",
        year_end_p10=lambda v: v.quantile(0.1),
        year_end_p90=lambda v: v.quantile(0.9),
        replications="count",
    )
    table = stats.reset_index()
    if as_of_month is not None:
        now = monthly[monthly["month"] == as_of_month].groupby(groups)["value"].mean().rename("to_date")
        table = table.merge(now.reset_index(), on=groups, how="left")
    else:
        table["to_date"] = np.nan
    if goals is not None:
        table = table.merge(goals[["unit", "target", "goal"]], on=["unit", "target"], how="left")
    else:
        table["goal"] = np.nan
    table["progress"] = table["to_date"] / table["goal"].where(table["goal"] > 0)
    paired = year_end.merge(table[[*groups, "goal"]], on=groups)
    hits = paired.assign(hits=paired["value"] >= paired["goal"]).groupby(groups)["hits"].sum()
    table = table.merge(hits.reset_index(), on=groups, how="left")
    has_goal = table["goal"].notna()
    table["p_attain"] = np.where(has_goal, table["hits"] / table["replications"], np.nan)
    bounds = [
        wilson_interval(int(h), int(n)) if g else (np.nan, np.nan)
        for h, n, g in zip(table["hits"].fillna(0), table["replications"], has_goal, strict=True)
    ]
    table["p_low"], table["p_high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    score = table["progress"].fillna(table["to_date"]).fillna(table["year_end_mean"])
    table["rank"] = score.groupby([table[k] for k in (*KEYS, "target")]).rank(ascending=False, method="min")
    mean_rank = table.groupby([*KEYS, "unit"])["rank"].transform("mean")
    table["overall_rank"] = mean_rank.groupby([table[k] for k in KEYS]).rank(method="dense")
    table["name_zh"] = [names.get(u, (u, u))[0] for u in table["unit"]]
    table["name_en"] = [names.get(u, (u, u))[1] for u in table["unit"]]
    columns = [
        *KEYS, "overall_rank", "unit", "name_zh", "name_en", "target", "rank", "to_date", "goal", "progress",
        "year_end_mean", "year_end_p10", "year_end_p90", "p_attain", "p_low", "p_high", "replications",
    ]  # fmt: skip
    order = {t: i for i, t in enumerate(dict.fromkeys(table["target"]))}
    table = table.assign(_t=table["target"].map(order)).sort_values([*KEYS, "overall_rank", "unit", "_t"])
    return table[columns].reset_index(drop=True)


def _setting(config: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of a run's config, or None where the config lacks it."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def run_window(config: Mapping[str, Any]) -> KpiWindow:
    """The counting window of a run from its ``.hydra/config.yaml`` (as :func:`sim.config.study.kpi_window`).

    Every counting switch of :data:`cityplan.counting.COUNTING_SETTINGS` is read, so a re-count
    here counts as the run did (``definitions.parks_share_scope`` and the retrofit switches too).
    """
    first, year = int(config["run"]["first_year"]), int(config["run"]["target_year"])
    return kpi_window_of(Calendar(first, year), year, lambda path: _setting(config, path))


def months_done(as_of: str, target_year: int) -> int | None:
    """Months of the target year complete on ``as_of`` (a nowcast's date), None before the year."""
    day = pd.Timestamp(as_of)
    if day.year < target_year:
        return None
    if day.year > target_year:
        return 12
    return day.month if (day + pd.Timedelta(days=1)).month != day.month else day.month - 1 or None


def unit_goals(config: dict[str, Any]) -> pd.DataFrame | None:
    """Unit goals a run's config gives (``plan.units``: {unit: {target: goal}}), or None."""
    units = (config.get("plan") or {}).get("units") or {}
    rows = [(u, t, float(g)) for u, goals in units.items() for t, g in (goals or {}).items()]
    return pd.DataFrame(rows, columns=["unit", "target", "goal"]) if rows else None


def report_ranking(ledgers: pd.DataFrame, config: dict[str, Any], meta: dict[str, Any]) -> pd.DataFrame | None:
    """The ranking of a run's units for the report, or None when its ledgers carry no unit.

    Progress to date needs a nowcast (``meta['as_of']``); probabilities need unit goals in
    the config (``plan.units``); the forecast uses the kept ledgers' replications.
    """
    if ledgers.empty or "unit" not in ledgers or not (ledgers["unit"].fillna("") != "").any():
        return None
    window = run_window(config)
    as_of = meta.get("as_of")
    month = months_done(as_of, int(config["run"]["target_year"])) if as_of else None
    measures = measures_from_config(config.get("plan") or {})
    return rank_units(unit_monthly(ledgers, window, measures), as_of_month=month, goals=unit_goals(config))


def ranking_sheet(ranking: pd.DataFrame, attainment: pd.DataFrame) -> pd.DataFrame:
    """The ranking with the targets' labels and the report's column names (report.xlsx, html)."""
    labels = attainment.drop_duplicates("target").set_index("target")["label_zh"]
    out = ranking.assign(label_zh=ranking["target"].map(labels)).rename(
        columns={"p_low": "p_attain_low", "p_high": "p_attain_high", "replications": "n_replications"}
    )
    columns = [
        *KEYS, "overall_rank", "name_zh", "name_en", "target", "label_zh", "rank", "to_date", "goal", "progress",
        "year_end_mean", "year_end_p10", "year_end_p90", "p_attain", "p_attain_low", "p_attain_high",
        "n_replications",
    ]  # fmt: skip
    return out[columns]
