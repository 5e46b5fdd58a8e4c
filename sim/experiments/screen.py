"""``python -m sim.screen``: a two-level fractional factorial screen of the levers (resolution >= V).

Every cell of the design (a lever package) runs the same replications (common random numbers).
Per target it fits a linear model of the value and a logistic model of attainment with every main
effect and two-lever interaction (:mod:`analysis.effects`) and writes into ``--out``:

- ``cells.csv``: cell, package, one 0/1 column per lever;
- ``values.parquet``: long: scenario, policy (= package), replication, seed, target, value;
- ``effects.csv``: target, term (``lever`` or ``a:b``), effect, ci_low, ci_high, model
  (``value``: in the target's unit; ``attain``: log-odds), kind (main / interaction);
- ``emulator.json``: the fitted models of the panel targets, for ``report.html``'s what-if panel
  and ``report.xlsx``'s what-if sheet (``python -m analysis report <run> --emulator <file>``);
- ``charts/effects_<target>.png``: the largest effects and interactions of each panel target.

Example::

    python -m sim.screen --replications 8 --jobs auto --out screen/
    python -m sim.screen --replications 8 --backend dask --dask-address tcp://head:8786 --out screen/
    python -m sim.screen --levers ready_to_build,five_permits,joint_review --replications 4 --out s/
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cityplan.errors import ConfigError
from cityplan.schema import PlanConfig
from cityplan.targets import goal_of, targets_frame
from sim.config.run import DEFAULT_SEED, RunConfig  # the run's root seed: the screen shares its CRN
from sim.experiments.cells import (
    cell_overrides,
    lever_label,
    list_levers,
    list_scenarios,
    own_draws,
    package_name,
    plan_of,
    replications_per_draw,
    target_index,
    year_end_values,
)
from sim.experiments.design import resolution_v_design
from sim.run.options import add_backend_options, backend_of

log = logging.getLogger("gongjian.screen")

DEFAULT_SCENARIO = "huaian_2023"
PANEL_TARGETS: tuple[str, ...] = (
    "start_rate_same_year",
    "started_same_year",
    "agreed_investment",
    "industrial_investment",
)  # the planner's headline questions (report.HEADLINE)


def parse_list(text: str, allowed: list[str], what: str) -> list[str]:
    """``all`` or a comma list checked against ``allowed`` (ValueError names the unknown ones)."""
    if text == "all":
        return list(allowed)
    items = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in items if t not in allowed]
    if unknown or not items:
        raise ValueError(f"--{what}: {unknown or text!r} not known; allowed: all or a comma list of {allowed}")
    return items


def design_cells(levers: list[str]) -> tuple[np.ndarray, list[str]]:
    """The resolution V design over ``levers`` (-1/+1) and each run's package name."""
    design = resolution_v_design(len(levers))
    names = [package_name([lv for lv, v in zip(levers, row, strict=True) if v > 0]) for row in design.matrix]
    log.info("design: %d levers, %d cells, resolution %d", len(levers), design.runs, min(design.resolution, 99))
    return design.matrix.astype(float), names


def common_overrides(scenario: str, seed: int, extra: list[str] | None) -> list[str]:
    """Overrides every cell shares: scenario, root seed, the user's, one replication per draw by default."""
    return own_draws([f"scenario={scenario}", f"run.seed={seed}", *(extra or [])])


def run_screen(
    levers: list[str],
    replications: int,
    *,
    scenario: str,
    seed: int,
    run: RunConfig | None = None,
    first_replication: int = 0,
    extra: list[str] | None = None,
    plan: PlanConfig | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Simulate every design cell; return the design, package names and values (cells x plan rows x R).

    ``run``: the backend (``backend``, ``jobs``, ``dask_address``; None: serially here).
    ``plan``: the plan every cell must be composed with (default: that of the common overrides).
    """
    design, names = design_cells(levers)
    scenarios = list_scenarios()
    common = common_overrides(scenario, seed, extra)
    overrides = [[*common, *cell_overrides(name, levers, scenarios)] for name in names]
    plan = plan if plan is not None else plan_of(common)
    values = year_end_values(overrides, first_replication, replications, run=run, plan=plan)
    return design, names, values


def values_frame(
    names: list[str], values: np.ndarray, scenario: str, seed: int, first: int, plan: PlanConfig
) -> pd.DataFrame:
    """Tidy long table of the screen: scenario, policy, replication, seed, target, value (the plan's targets)."""
    keys = list(plan.keys)
    values = values[:, : len(keys), :]  # the city's targets (unit rows follow them)
    n_cells, n_targets, n_rep = values.shape
    return pd.DataFrame(
        {
            "scenario": scenario,
            "policy": np.repeat(names, n_targets * n_rep),
            "replication": np.tile(np.arange(first, first + n_rep), n_cells * n_targets),
            "seed": seed,
            "target": np.tile(np.repeat(keys, n_rep), n_cells),
            "value": values.reshape(-1),
        }
    )


def analyse(
    out: Path,
    levers: list[str],
    design: np.ndarray,
    values: np.ndarray,
    targets: list[str],
    panel: list[str],
    meta: dict[str, object],
    per_draw: int = 1,
    plan: PlanConfig | None = None,
) -> pd.DataFrame:
    """Fit both models per target, write effects.csv, emulator.json and the charts; return the effects.

    ``per_draw`` consecutive replications share a draw of the uncertain inputs (one block).
    ``plan``: the plan the cells ran under (its rows, goals and directions; None: the default).
    """
    from analysis.effects import effects_table, emulator, fit_target
    from analysis.plots.effects import plot_effects
    from analysis.plots.style import save_figure, target_titles

    titles = target_titles(targets_frame(plan))
    fits, tables = {}, []
    for target in targets:
        goal, direction = goal_of(target, plan)
        rows = values[:, target_index(plan, target) if plan is not None else _default_index(target), :]
        fit = fit_target(target, goal, design, rows, seed=0, per_draw=per_draw, direction=direction)
        fits[target] = fit
        tables.append(effects_table(target, levers, fit.value_coef, fit.attain_full, fit.attain_boot))
    effects = pd.concat(tables, ignore_index=True)
    effects.to_csv(out / "effects.csv", index=False, encoding="utf-8-sig")
    labels = {lv: lever_label(lv) for lv in levers}
    emu = emulator(levers, labels, design, [fits[t] for t in panel if t in fits], titles, meta)
    (out / "emulator.json").write_text(json.dumps(emu, ensure_ascii=False), encoding="utf-8")
    (out / "charts").mkdir(exist_ok=True)
    for target in panel:
        if target in fits:
            ax = plot_effects(effects, target, titles.get(target, target), labels)
            save_figure(ax.get_figure(), out / "charts" / f"effects_{target}")  # type: ignore[arg-type]
    return effects


def _default_index(target: str) -> int:
    from cityplan.targets import plan_goals

    return list(plan_goals()).index(target)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m sim.screen``."""
    p = argparse.ArgumentParser(
        prog="python -m sim.screen", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--levers", default="all", help="all (default) or a comma list of conf/policy levers")
    p.add_argument("--replications", type=int, default=8, help="replications per cell (same seeds in every cell)")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario file the packages run on")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="root seed (run.seed)")
    add_backend_options(p)
    p.add_argument("--targets", default="all", help="targets to fit (all, or a comma list)")
    p.add_argument("--panel-targets", default=",".join(PANEL_TARGETS), help="targets for emulator.json and charts")
    p.add_argument("--out", required=True, help="output directory (created; existing files are an error)")
    p.add_argument(
        "overrides",
        nargs="*",
        help="extra Hydra overrides for every cell (e.g. uncertainty=none, model.land.quota_mu_per_year=20000); "
        "default adds uncertainty.replications_per_draw=1 (each replication its own draw)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the screen; 0 on success, 2 on bad input."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        run = backend_of(args)
        levers = parse_list(args.levers, list_levers(), "levers")
        plan = plan_of(common_overrides(args.scenario, args.seed, args.overrides))
        keys = list(plan.keys)
        targets = parse_list(args.targets, keys, "targets")
        default_panel = args.panel_targets == ",".join(PANEL_TARGETS)  # the plan may lack some: kept if there
        panel = [t for t in PANEL_TARGETS if t in keys] if default_panel else []
        panel = panel or parse_list(args.panel_targets if not default_panel else keys[0], keys, "panel-targets")
        if args.replications < 2:  # noqa: PLR2004 - intervals need two replications
            raise ValueError(f"--replications: {args.replications}; at least 2 (intervals over replications)")
        if args.scenario not in list_scenarios():
            raise ValueError(f"--scenario: {args.scenario!r}; one of {list_scenarios()}")
        per_draw = replications_per_draw(common_overrides(args.scenario, args.seed, args.overrides))
        if args.replications % per_draw or args.replications // per_draw < 2:  # noqa: PLR2004
            raise ValueError(
                f"--replications: {args.replications}; {per_draw} replications share a draw of the uncertain "
                f"inputs (the block of the paired analysis): a multiple of {per_draw} giving >= 2 draws"
            )
    except (ValueError, ConfigError) as err:
        log.error("%s", err)
        return 2
    out = Path(args.out)
    if (out / "effects.csv").exists():
        log.error("%s already holds a screen (effects.csv); choose another --out", out)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    design, names, values = run_screen(
        levers,
        args.replications,
        scenario=args.scenario,
        seed=args.seed,
        run=run,
        extra=args.overrides,
        plan=plan,
    )
    wall = time.perf_counter() - start
    cells = pd.DataFrame((design > 0).astype(int), columns=levers).assign(package=names)
    cells.insert(0, "cell", range(len(names)))
    cells.to_csv(out / "cells.csv", index=False)
    values_frame(names, values, args.scenario, args.seed, 0, plan).to_parquet(out / "values.parquet", index=False)
    meta = {
        "scenario": args.scenario,
        "root_seed": args.seed,
        "replications": args.replications,
        "cells": len(names),
        "replications_total": len(names) * args.replications,
        "wall_time_s": round(wall, 1),
        "backend": run.backend,
        "jobs": run.jobs,
        "overrides": args.overrides,  # the user's; every cell ran with common_overrides
        "common_overrides": common_overrides(args.scenario, args.seed, args.overrides),
        "replications_per_draw": per_draw,
        "blocks": args.replications // per_draw,
        "plan": plan.name,
    }
    effects = analyse(out, levers, design, values, targets, panel, meta, per_draw, plan)
    (out / "screen.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    sys.stdout.write(summary(effects, panel[0]) + "\n")
    log.info("screen: %d cells x %d replications in %.0f s -> %s", len(names), args.replications, wall, out)
    return 0


def summary(effects: pd.DataFrame, target: str, top: int = 8) -> str:
    """The largest value effects of one target (main effects and interactions) as text."""
    rows = effects[(effects["target"] == target) & (effects["model"] == "value")]
    rows = rows.reindex(rows["effect"].abs().sort_values(ascending=False).index).head(top)
    lines = [f"largest effects on {target} (value model, 95% CI over blocks = draws):"]
    lines += [f"  {r.term:45s} {r.effect:+.4g} ({r.ci_low:+.4g} .. {r.ci_high:+.4g})" for r in rows.itertuples()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
