"""Entry point: ``python -m sim`` (or ``gongjian``), a Hydra app; ``--list`` lists every command.

With :mod:`sim.compose` (which registers the schema and composes ``conf/`` with the chosen
scenario, ``scenarios/``, and policy levers, validating once with ``OmegaConf.to_object``)
the only module that imports Hydra. It runs the replications and writes tidy tables into the Hydra run
directory: ``kpis.parquet``, ``monthly.parquet``, ``attainment.csv`` (UTF-8 with BOM so
Excel shows the Chinese labels), ``ledgers.parquet``, ``resources.parquet`` and
``meta.json``, and with unit goals in the plan ``attainment_units.csv`` and
``unit_kpis.parquet``; a nowcast (``nowcast.ledger``, ``nowcast.as_of``) marks them with ``as_of``
and adds ``actual_monthly.parquet``; ``nowcast.export_at`` writes ``ledger_<date>.csv``; a nowcast writes the watch list
(``watchlist.csv``, ``watchlist.parquet``, ``watch_outcomes.parquet``) and, with ``nowcast.help=true``,
where the leaders' help pays most (``help.csv``, ``help.parquet``).
Heavy imports wait until a run starts so ``--help`` stays quick, and ``--help`` itself is
printed from a cache while the config files and code are unchanged (:mod:`sim.help_cache`),
before Hydra is imported.
"""

from __future__ import annotations

import sys

from sim.commands import listing
from sim.help_cache import help_recorded, print_cached_help

if __name__ == "__main__" and sys.argv[1:] == ["--list"]:
    sys.stdout.write(listing())
    sys.exit(0)
if __name__ == "__main__" and print_cached_help(sys.argv[1:]):
    sys.exit(0)

import json
import logging
import time
import traceback
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from cityplan.errors import ConfigError
from sim.compose import finish_study, group_choices, to_study
from sim.config.study import StudyConfig

log = logging.getLogger("gongjian")


def write_outputs(out: Path, study: StudyConfig, result: Any, attainment: Any, wall_s: float) -> None:
    """Write every table of a finished run into ``out``."""
    attainment.insert(0, "scenario", study.scenario_name)
    attainment.insert(1, "policy", study.policy_name)
    if study.nowcast.as_of:  # a nowcast: mark every table with its ledger date
        for table in (result.kpis, result.monthly, attainment, result.ledgers, result.resources):
            if len(table):
                table.insert(2, "as_of", study.nowcast.as_of)
    result.kpis.to_parquet(out / "kpis.parquet", index=False)
    result.monthly.to_parquet(out / "monthly.parquet", index=False)
    attainment.to_csv(out / "attainment.csv", index=False, encoding="utf-8-sig")
    result.params.to_parquet(out / "params.parquet", index=False)
    if len(result.ledgers):
        result.ledgers.to_parquet(out / "ledgers.parquet", index=False)
        result.resources.to_parquet(out / "resources.parquet", index=False)
    from importlib.metadata import version

    meta: dict[str, Any] = {
        "scenario": study.scenario_name,
        "policy": study.policy_name,
        "plan": study.plan.name,
        "target_year": study.run.target_year,
        "root_seed": study.run.seed,
        "replications": study.run.replications,
        "jobs": study.run.jobs,
        "wall_time_s": round(wall_s, 3),
        "replications_per_s": round(study.run.replications / wall_s, 3),
        "package_version": version("gongjian"),
    }
    # Replications actually used (precision on demand may run more), computed vs resumed.
    meta |= result.meta
    meta["backend"] = study.run.backend
    computed = int(result.meta.get("replications_computed", study.run.replications))
    meta["replications_per_s"] = round(computed / wall_s, 3)
    if study.nowcast.ledger:
        meta |= {"as_of": study.nowcast.as_of, "ledger": study.nowcast.ledger}
    from sim.model.attraction import lever_costs

    meta["attraction_costs"] = lever_costs(study.model.attraction)
    meta["uncertainty"] = study.uncertainty.name
    if source := input_source(study):
        meta["input_sample"] = source
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")


def interval_note(study: StudyConfig) -> str:
    """What the P(attain) intervals cover: luck only, or luck and the uncertain inputs."""
    from analysis.attainment import interval_words

    clauses = interval_words(len(study.uncertainty.priors) - len(study.uncertainty.pinned), input_source(study))
    zh, en = "；".join(c[0] for c in clauses), "; ".join(c[1] for c in clauses)
    return f"{en}, uncertainty={study.uncertainty.name} / {zh}"


def input_source(study: StudyConfig) -> dict[str, Any]:
    """The history-matched sample a study draws from (``meta.json``'s ``input_sample``); {} without one."""
    if not study.uncertainty.sample:
        return {}
    from sim.config.sample import read_sample, sample_header

    header = sample_header(study.uncertainty.sample)
    return {
        "sample": study.uncertainty.sample,
        "sample_rows": len(read_sample(study.uncertainty.sample)[1]),
        "sample_date": header.get("date", ""),
        "sample_commit": header.get("commit", ""),
    }


def free_name(path: Path) -> Path:
    """``path``, or ``<stem>_2<suffix>``, ``_3``, ... : the first name no file has (a rerun keeps the last export)."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
    return candidate


def export_ledger(out: Path, study: StudyConfig, ledgers: Any) -> Path:
    """Write ``ledger_<date>.csv``: replication 0's planner ledger on ``nowcast.export_at``."""
    from sim.nowcast.export import planner_ledger

    if not len(ledgers):
        sys.exit("gongjian: nowcast.export_at needs run.keep_ledgers >= 1")
    at = study.nowcast.export_at
    path = planner_ledger(ledgers[ledgers["replication"] == 0], study, at, free_name(out / f"ledger_{at}.csv"))
    log.info("planner ledger of replication 0 on %s: %s", study.nowcast.export_at, path)
    return path


def write_watch(out: Path, study: StudyConfig, outcomes: Any) -> Path:
    """Write ``watchlist.csv`` (planners), ``watchlist.parquet`` (the report) and ``watch_outcomes.parquet``."""
    from analysis.watchlist import write_watchlist
    from sim.run.watch import watch_list

    table = watch_list(study, outcomes)
    table.insert(0, "scenario", study.scenario_name)
    table.insert(1, "policy", study.policy_name)
    table.insert(2, "as_of", study.nowcast.as_of)
    write_watchlist(table, str(out / "watchlist.csv"))
    table.to_parquet(out / "watchlist.parquet", index=False)
    outcomes.to_parquet(out / "watch_outcomes.parquet", index=False)
    refused = int((table["status"] == "not_forecast").sum())
    log.info(
        "watch list: %d ledger projects forecast, %d rows not forecast (refused): %s",
        len(table) - refused,
        refused,
        out / "watchlist.csv",
    )
    return out / "watchlist.csv"


def write_help(out: Path, study: StudyConfig) -> Path:
    """Write ``help.csv`` (planners) and ``help.parquet`` (the report): where the leaders' help pays most."""
    from analysis.help import write_help as write_help_csv
    from sim.run.help import estimate_help

    table = estimate_help(study, parts_dir=out / "help_parts")
    table.insert(0, "scenario", study.scenario_name)
    table.insert(1, "policy", study.policy_name)
    table.insert(2, "as_of", study.nowcast.as_of)
    write_help_csv(table, str(out / "help.csv"))
    table.to_parquet(out / "help.parquet", index=False)
    log.info("where leaders' help pays most: %s", out / "help.csv")
    return out / "help.csv"


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    """Run one scenario x policy cell and write its tables into the Hydra run directory."""
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    try:
        study = to_study(cfg, group_choices(hc))
        study = finish_study(study, list(hc.overrides.task))
    except ConfigError as err:
        sys.exit(f"gongjian: invalid configuration: {err}")
    from analysis.attainment import attainment, format_attainment
    from cityplan.targets import targets_frame, unit_targets_frame
    from sim.run.study import run_study

    if study.nowcast.ledger:  # the ledger is checked before anything runs
        from sim.ledger.check import summarise_account
        from sim.ledger.io import LedgerError
        from sim.nowcast.actual import actual_monthly
        from sim.nowcast.read import load_model_ledger, read_ledger_file
        from sim.nowcast.start import helped_projects

        now = study.nowcast
        try:
            got = read_ledger_file(now.ledger, now.as_of, now.strict)
            ledger = load_model_ledger(now.ledger, now.as_of, study.run.first_year, now.strict)
        except LedgerError as err:
            sys.exit(f"gongjian: invalid ledger: {err}")
        try:  # rows a leader takes up must be forecast rows of the ledger in a leaders' tier
            helped_projects(study, ledger["investment_yi"].to_numpy(dtype=float))
        except ConfigError as err:
            sys.exit(f"gongjian: invalid configuration: {err}")
        got.account.to_csv(out / "ledger_read.csv", index=False, encoding="utf-8-sig")
        log.info("ledger %s read (ledger_read.csv):\n%s", now.ledger, summarise_account(got.account, limit=5))
        actual_monthly(ledger, study).to_parquet(out / "actual_monthly.parquet", index=False)

    log.info(
        "scenario=%s policy=%s replications=%d seed=%d jobs=%s -> %s",
        study.scenario_name,
        study.policy_name,
        study.run.replications,
        study.run.seed,
        study.run.jobs,
        out,
    )
    start = time.perf_counter()
    try:
        result = run_study(study, parts_dir=out / "parts")
    except ConfigError as err:  # e.g. parts of another configuration in this run directory
        sys.exit(f"gongjian: {err}")
    except Exception:
        (out / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        raise
    wall = time.perf_counter() - start
    table = attainment(result.kpis, targets_frame(study.plan))
    sys.stdout.write(
        f"\n{study.run.target_year} attainment forecast / 年度目标达成概率 — plan {study.plan.name}, "
        f"scenario {study.scenario_name}, policy {study.policy_name}"
        + (f", nowcast from the ledger as of {study.nowcast.as_of}" if study.nowcast.as_of else "")
        + f"\n{format_attainment(table)}\n{interval_note(study)}\n"
    )
    write_outputs(out, study, result, table, wall)
    if len(result.unit_kpis):  # the plan gives units their own goals
        by_unit = attainment(result.unit_kpis, unit_targets_frame(study.plan))
        by_unit.insert(0, "scenario", study.scenario_name)
        by_unit.insert(1, "policy", study.policy_name)
        by_unit.to_csv(out / "attainment_units.csv", index=False, encoding="utf-8-sig")
        result.unit_kpis.to_parquet(out / "unit_kpis.parquet", index=False)
    if study.nowcast.ledger and len(result.watch):
        write_watch(out, study, result.watch)
    if study.nowcast.help:
        write_help(out, study)
    if study.nowcast.export_at:
        export_ledger(out, study, result.ledgers)
    log.info(
        "%d replications (%d computed now) in %.1f s; tables in %s",
        result.meta["replications"],
        result.meta["replications_computed"],
        wall,
        out,
    )


if __name__ == "__main__":
    with help_recorded(sys.argv[1:]):
        main()
