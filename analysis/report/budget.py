"""The uncertainty budget of a run or sweep, and what feeds scenario discovery (a library).

The commands are :mod:`analysis.commands.uncertainty`:
``python -m analysis sensitivity <run or sweep>`` and ``python -m analysis discover <run>``.

sensitivity  the uncertainty budget of every target (luck and each uncertain input, with
             bootstrap intervals) -> sensitivity.csv, value_of_information.csv and charts in
             each run; with ``--baseline`` in a sweep also the budget of each paired policy
             effect -> sensitivity_effects.csv and effect_payoff.csv in the sweep directory.
discover     PRIM boxes (and a CART leaf) of the inputs where a target is missed, with the
             sentence in Chinese and English -> boxes.csv and charts/discover_<target>.png.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.plots.style import records
from analysis.report.input_labels import Unit, english_label, sentence_zh, unit_of
from analysis.sensitivity import (
    LUCK,
    MIN_DRAWS,
    SENSITIVITY_COLUMNS,
    UNCERTAINTY_CHARTS,
    VOI_COLUMNS,
    effect_budgets,
    ranking,
    target_budgets,
    too_few_draws,
    value_of_information,
)
from cityplan.targets import TARGET_COLUMNS, Goal, plan_goals, targets_frame

log = logging.getLogger(__name__)

HEADLINE_TARGETS: tuple[str, ...] = ("start_rate_same_year", "signed_industrial_1e8", "industrial_investment")


def run_targets(run: Path | None = None) -> pd.DataFrame:
    """The targets a run was scored against (its attainment.csv: the run's plan), else the default plan's."""
    path = run / "attainment.csv" if run is not None else None
    if path is not None and path.exists():
        att = pd.read_csv(path, encoding="utf-8-sig")
        if set(TARGET_COLUMNS) <= set(att.columns):
            return att[list(TARGET_COLUMNS)].drop_duplicates("target").reset_index(drop=True)
    return targets_frame()


def goals(run: Path | None = None) -> dict[str, Goal]:
    """Goal and direction of every target key of the run's plan (:func:`run_targets`), in plan order."""
    if run is None:
        return plan_goals()
    return {str(r.target): Goal(float(r.goal), str(r.direction)) for r in records(run_targets(run))}


def prior_labels(run_dir: Path) -> dict[str, tuple[str, str]]:
    """Input key -> (zh, en) labels from the run's ``.hydra/config.yaml`` priors.

    The key is the prior's path, or ``path/per`` for a ratio prior. Chinese: the prior's ``zh``
    (a trailing unit in brackets dropped: the numbers carry it); English: the prior's ``en`` or
    :data:`analysis.report.input_labels.ENGLISH`, never the config path.
    """
    path = run_dir / ".hydra" / "config.yaml"
    priors: list[dict[str, Any]] = []
    if path.exists():
        cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        priors = (cfg.get("uncertainty") or {}).get("priors") or []
    labels: dict[str, tuple[str, str]] = {}
    for p in priors:
        field, per = str(p["path"]), str(p.get("per") or "")
        key = f"{field}/{per}" if per else field
        en = english_label(key, str(p.get("en") or ""))
        labels[key] = (sentence_zh(str(p.get("zh") or "")) or en, en)
    return labels


def input_units(run_dir: Path) -> dict[str, Unit]:
    """Input key -> the unit its numbers are written in (:func:`analysis.report.input_labels.unit_of`)."""
    return {key: unit_of(key) for key in prior_labels(run_dir)}


def run_dirs(root: Path) -> list[Path]:
    """Every run directory (holding kpis.parquet) at or below ``root``."""
    return sorted(p.parent for p in root.rglob("kpis.parquet"))


def _cell(run: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    kpis = pd.read_parquet(run / "kpis.parquet")
    params_path = run / "params.parquet"
    params = pd.read_parquet(params_path) if params_path.exists() else pd.DataFrame()
    return kpis, params


def _front(kpis: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The table with the cell's scenario and policy in front (also a header-only table)."""
    table = table.copy()
    table.insert(0, "scenario", str(kpis["scenario"].iloc[0]) if len(table) else pd.Series(dtype=str))
    table.insert(1, "policy", str(kpis["policy"].iloc[0]) if len(table) else pd.Series(dtype=str))
    return table


def budget_run(run: Path, *, n_boot: int, charts: bool = True, png: bool = True) -> pd.DataFrame | None:
    """Write sensitivity.csv, value_of_information.csv and the budget charts (SVG; PNG with ``png``) of one run."""
    kpis, params = _cell(run)
    if params.empty:
        log.warning("%s: no uncertain inputs (uncertainty=none?): all of the spread is luck; skipped", run)
        return None
    if params["draw"].nunique() < MIN_DRAWS:
        log.warning("%s: %s", run, too_few_draws(params) or f"fewer than {MIN_DRAWS} draws")
    sens = _front(kpis, target_budgets(kpis, params, goals(run), n_boot=n_boot))
    sens.to_csv(run / "sensitivity.csv", index=False, encoding="utf-8-sig")
    voi = _front(kpis, value_of_information(kpis, params, goals(run)))
    voi.to_csv(run / "value_of_information.csv", index=False, encoding="utf-8-sig")
    if charts and len(sens):
        write_budget_charts(run, sens, kpis, png=png)
    _log_headline(run, sens, prior_labels(run))
    return sens


def shown_targets(kpis: pd.DataFrame, sens: pd.DataFrame, run: Path | None = None) -> list[str]:
    """Targets for the budget chart: the headline ones, then those whose P(attain) is not 0 or 1."""
    g = goals(run)
    p = pd.Series({t: g[str(t)].hits(v["value"].to_numpy()).mean() for t, v in kpis.groupby("target", observed=True)})
    uncertain = [str(t) for t, v in p.items() if 0 < v < 1 and str(t) not in HEADLINE_TARGETS]
    have = set(sens["target"])
    return [t for t in (*HEADLINE_TARGETS, *uncertain) if t in have]


def write_budget_charts(run: Path, sens: pd.DataFrame, kpis: pd.DataFrame, *, png: bool = True) -> list[Path]:
    """uncertainty_charts/sensitivity_value.svg and sensitivity_attain.svg (and .png with ``png``)."""
    from matplotlib.figure import Figure

    from analysis.plots.sensitivity import plot_budget
    from analysis.plots.style import save_figure, target_titles

    titles_all = target_titles(run_targets(run))
    labels = prior_labels(run)
    paths: list[Path] = []
    for measure, stem in (("variance_share", "sensitivity_value"), ("attain_variance_share", "sensitivity_attain")):
        keys = [
            t for t in shown_targets(kpis, sens, run) if (sens.loc[sens["target"] == t, "measure"] == measure).any()
        ]
        if not keys:
            continue
        ax = plot_budget(sens, {k: titles_all[k] for k in keys}, labels, measure=measure)
        fig = ax.get_figure()
        assert isinstance(fig, Figure)
        fig.set_size_inches(13.333, max(7.5, 0.55 * len(keys) + 2))
        paths += save_figure(fig, run / UNCERTAINTY_CHARTS / stem, png=png)
    return paths


def _log_headline(run: Path, sens: pd.DataFrame, labels: dict[str, tuple[str, str]]) -> None:
    ranked = ranking(sens)
    lines = [f"Uncertainty budget of {run} (share of the year-end spread; 95% bootstrap CI; inputs above chance):"]
    if ranked.empty:
        lines.append("  no budget: too few parameter draws for the uncertain inputs")
    for target in HEADLINE_TARGETS if len(ranked) else ():
        mine = ranked[ranked["target"] == target]
        rows = mine[(mine["parameter"] == LUCK) | mine["driver"].astype(bool)].head(4)
        parts = [
            f"{labels.get(r.parameter, (r.parameter, r.parameter))[1] if r.parameter != LUCK else 'luck'} "
            f"{r.value:.0%} [{r.ci_low:.0%}, {r.ci_high:.0%}]"
            for r in records(rows)
        ]
        lines.append(f"  {target}: " + "; ".join(parts))
    sys.stdout.write("\n".join(lines) + "\n")


def effects(sweep: Path, baseline: str, *, n_boot: int) -> pd.DataFrame:
    """Budget of every cell's paired effect against the baseline cell (policy or scenario name)."""
    cells = {d: _cell(d) for d in run_dirs(sweep)}
    base = [d for d, (k, _) in cells.items() if baseline in (str(k["policy"].iloc[0]), str(k["scenario"].iloc[0]))]
    if len(base) != 1:
        raise ValueError(f"{sweep}: expected one baseline cell named {baseline!r}, found {len(base)}")
    base_kpis, base_params = cells[base[0]]
    frames, payoff = [], []
    for d, (kpis, params) in cells.items():
        if d == base[0] or params.empty:
            continue
        _check_paired(params, base_params, d)
        frames.append(_front(kpis, effect_budgets(kpis, base_kpis, params, n_boot=n_boot)))
        delta = _effect_kpis(kpis, base_kpis)
        helps = value_of_information(delta, params, dict.fromkeys(delta["target"].unique(), 1e-12))
        if len(helps):
            payoff.append(_front(kpis, helps.rename(columns={"p_attain": "p_pays_off"})))
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["scenario", "policy", *SENSITIVITY_COLUMNS])
    )
    out.to_csv(sweep / "sensitivity_effects.csv", index=False, encoding="utf-8-sig")
    payoff_columns = ["scenario", "policy", *(c if c != "p_attain" else "p_pays_off" for c in VOI_COLUMNS)]
    (pd.concat(payoff, ignore_index=True) if payoff else pd.DataFrame(columns=payoff_columns)).to_csv(
        sweep / "effect_payoff.csv", index=False, encoding="utf-8-sig"
    )
    return out


def _effect_kpis(kpis: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    pol = kpis.pivot_table(index="replication", columns="target", values="value", observed=True)
    ref = base.pivot_table(index="replication", columns="target", values="value", observed=True)
    common = pol.index.intersection(ref.index)
    stacked = (pol.loc[common] - ref.loc[common]).stack()
    delta = pd.DataFrame({"value": stacked}).reset_index()
    delta["target"] = delta["target"].astype(str)
    return delta


def _check_paired(params: pd.DataFrame, base: pd.DataFrame, cell: Path) -> None:
    a = params.set_index(["replication", "parameter"])["value"]
    b = base.set_index(["replication", "parameter"])["value"]
    common = a.index.intersection(b.index)
    if not np.allclose(a.loc[common].to_numpy(), b.loc[common].to_numpy()):
        log.warning("%s: inputs differ from the baseline's in some replications (a scenario pins them)", cell)
