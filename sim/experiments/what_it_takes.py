r"""``python -m sim.what_it_takes``: from every lever package to an answer with its guarantee.

1. **Screen** (``python -m sim.screen``, or an existing screen with ``--screen DIR``): a
   resolution V fractional factorial over the levers, every cell on the same replications.
2. **Shortlist**: the two-lever model predicts every one of the 2^k packages; the
   ``--shortlist`` packages with the highest predicted value go to the selection; for the
   constrained question, the package with the highest predicted P(attain) at each number of
   levers, cheapest first, goes to the feasibility check.
3. **Select** (:func:`sim.experiments.select.select`): KN on the shortlist with fresh replications (indices
   from ``--first-replication``, never those the screen used, so the shortlist's luck does not
   bias the selection), and the cheapest package with P(attain) >= ``--p-star``.

Writes ``shortlist.csv``, ``selection.csv``, ``feasibility.csv``, ``what_it_takes.json`` and
``what_it_takes.txt`` (the answer in words, with the replications spent by each step against
a fixed design with the same guarantee over all 2^k packages) into ``--out``.

Example::

    python -m sim.what_it_takes --target start_rate_same_year --delta 0.01 --p-star 0.3 \
        --screen-replications 6 --jobs auto --out wit/
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.effects import fit_target, rank_packages
from cityplan.errors import ConfigError
from cityplan.files import refuse_overwrite
from cityplan.targets import goal_of
from sim.config.run import DEFAULT_SEED
from sim.experiments.cells import open_cells, plan_of, target_index
from sim.experiments.kn import stein_fixed_size
from sim.experiments.screen import DEFAULT_SCENARIO, common_overrides
from sim.experiments.screen import main as screen_main
from sim.experiments.select import cell_sampler, cheapest_feasible, feasibility_claim, select
from sim.run.options import add_backend_options, backend_argv, backend_of

OUTPUTS = (
    "all_packages.csv",
    "shortlist.csv",
    "selection.csv",
    "feasibility.csv",
    "what_it_takes.txt",
    "what_it_takes.json",
)  # what a run writes into --out
log = logging.getLogger("gongjian.what_it_takes")

FRESH_REPLICATIONS_FROM = 10_000  # selection replications start here: disjoint from any screen's


def read_screen(screen: Path, target: str) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, Any]]:
    """Levers, design (-1/+1), values (cells x R) of ``target`` and the meta of a screen directory."""
    cells = pd.read_csv(screen / "cells.csv")
    levers = [c for c in cells.columns if c not in ("cell", "package")]
    values = pd.read_parquet(screen / "values.parquet")
    values = values[values["target"] == target]
    wide = values.pivot_table(index="policy", columns="replication", values="value", observed=True)
    matrix = wide.loc[cells["package"]].to_numpy()
    meta = json.loads((screen / "screen.json").read_text(encoding="utf-8"))
    return levers, cells[levers].to_numpy() * 2.0 - 1.0, matrix, meta


def shortlists(ranked: pd.DataFrame, size: int, p_star: float | None) -> tuple[list[str], list[str]]:
    """Packages for the selection (highest predicted value) and for the feasibility check.

    The feasibility candidates: at each number of levers, the package with the highest predicted
    P(attain); kept from the first whose prediction reaches ``p_star / 2`` (a loose screen: the
    check itself decides), at most ``size``.
    """
    best_value = ranked["package"].head(size).tolist()
    if p_star is None:
        return best_value, []
    by_size = ranked.sort_values("p_attain", ascending=False).groupby("levers", sort=True).head(1)
    by_size = by_size.sort_values("levers")
    hopeful = by_size[by_size["p_attain"] >= p_star / 2]
    return best_value, hopeful["package"].head(size).tolist()


def main(argv: list[str] | None = None) -> int:
    """Screen, shortlist, select; write and print the answer. 0 on success, 2 on bad input."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    p = argparse.ArgumentParser(
        prog="python -m sim.what_it_takes", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--target", default="start_rate_same_year")
    p.add_argument("--pcs", type=float, default=0.95)
    p.add_argument("--delta", type=float, required=True, help="indifference zone in the target's unit")
    p.add_argument("--p-star", type=float, default=None, help="also the cheapest package with P(attain) >= p*")
    p.add_argument("--shortlist", type=int, default=5, help="packages taken from the screen to each check")
    p.add_argument("--screen", default=None, help="reuse this screen directory instead of running one")
    p.add_argument("--screen-replications", type=int, default=6)
    p.add_argument("--max-replications", type=int, default=300)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    add_backend_options(p)
    p.add_argument("--out", required=True, help="output directory (its outputs must not exist)")
    p.add_argument("--force", action="store_true", help="replace the outputs of an earlier run in --out")
    p.add_argument(
        "overrides",
        nargs="*",
        help="Hydra overrides for every cell of the screen and the selection (e.g. uncertainty=none); "
        "with --screen, the screen's own are used and these must match them",
    )
    args = p.parse_args(argv)
    overrides = list(args.overrides)
    if args.screen:
        screen_overrides = json.loads((Path(args.screen) / "screen.json").read_text(encoding="utf-8"))["overrides"]
        if overrides and overrides != screen_overrides:
            log.error(
                "overrides %s differ from the screen's %s: the selection runs under the screen's",
                overrides,
                screen_overrides,
            )
            return 2
        overrides = list(screen_overrides)
    out = Path(args.out)
    try:
        run = backend_of(args)
        refuse_overwrite([out / name for name in OUTPUTS], force=args.force)
        scenario = (
            json.loads((Path(args.screen) / "screen.json").read_text(encoding="utf-8"))["scenario"]
            if args.screen
            else DEFAULT_SCENARIO
        )
        plan = plan_of(common_overrides(scenario, args.seed, overrides))  # what every cell is scored against
        target_index(plan, args.target)
    except (FileExistsError, ValueError, ConfigError) as err:
        log.error("%s", err)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    screen = Path(args.screen) if args.screen else out / "screen"
    if not args.screen:
        code = screen_main(
            [
                "--replications",
                str(args.screen_replications),
                *backend_argv(args),
                "--seed",
                str(args.seed),
                "--out",
                str(screen),
                *overrides,
            ]
        )
        if code:
            return code
    levers, design, values, screen_meta = read_screen(screen, args.target)
    goal, direction = goal_of(args.target, plan)
    per_draw = int(screen_meta.get("replications_per_draw", 1))
    fit = fit_target(args.target, goal, design, values, seed=0, per_draw=per_draw, direction=direction)
    ranked = rank_packages(fit, levers)
    ranked.to_csv(out / "all_packages.csv", index=False)
    best_value, feasible_candidates = shortlists(ranked, args.shortlist, args.p_star)
    ranked[ranked["package"].isin(best_value + feasible_candidates)].to_csv(out / "shortlist.csv", index=False)
    result = select(
        best_value,
        args.target,
        pcs=args.pcs,
        delta=args.delta,
        n0=10,
        batch=5,
        max_replications=args.max_replications,
        seed=args.seed,
        scenario=screen_meta["scenario"],
        run=run,
        first_replication=FRESH_REPLICATIONS_FROM,
        extra=overrides,
    )
    sel = result["selection"]
    table = sel.table.assign(cell=[best_value[i] for i in sel.table["cell"]])
    table.to_csv(out / "selection.csv", index=False)
    spent = {"screen": int(screen_meta["replications_total"]), "selection": int(result["replications"])}
    lines = []
    if feasible_candidates:
        with open_cells(run) as runner:
            sampler = cell_sampler(
                feasible_candidates,
                args.target,
                seed=args.seed,
                scenario=screen_meta["scenario"],
                runner=runner,
                extra=overrides,
            )
            cost = [float(len(c.split("+"))) if c != "status_quo" else 0.0 for c in feasible_candidates]
            feas = cheapest_feasible(
                sampler,
                feasible_candidates,
                list(range(len(feasible_candidates))),
                args.target,
                p_star=args.p_star,
                pcs=args.pcs,
                batch=10,
                max_replications=args.max_replications // sampler.per_draw,
                first_replication=2 * FRESH_REPLICATIONS_FROM // sampler.per_draw,
                cost=cost,
            )
        feas.to_csv(out / "feasibility.csv", index=False)
        spent["feasibility"] = int(feas["replications"].sum())
        lines.append(feasibility_claim(feas, args.target, args.p_star, args.pcs))
    elif args.p_star is not None:
        lines.append(
            f"No package is predicted to reach P({args.target} attains) >= {args.p_star / 2:g} "
            f"(half of p* = {args.p_star:g}); none was checked."
        )
    n_packages = 2 ** len(levers)
    per_draw = result["replications_per_draw"]  # the first stage holds draw means
    fixed = n_packages * per_draw * stein_fixed_size(sel.first_stage, args.pcs, args.delta, cells=n_packages)
    best = best_value[sel.best]
    tied = table.loc[table["status"] == "tied", "cell"].tolist()
    lines.insert(
        0,
        (
            f"What it takes for {args.target}: of all {n_packages} packages of {len(levers)} levers, "
            f"the best is {best} "
            f"(mean {float(sel.table['mean'].iloc[sel.best]):.4g})"
            + (f", not separable within delta = {args.delta:g} from {', '.join(tied)}" if tied else "")
            + f". Guarantee: among the {len(best_value)} shortlisted packages it is the best with probability >= "
            f"{args.pcs:g} when the best leads by >= delta = {args.delta:g} (KN, paired differences); the shortlist "
            "rests on the screen's two-lever model (interactions of three or more levers assumed negligible)."
        ),
    )
    total = sum(spent.values())
    lines.append(
        "Replications spent: " + ", ".join(f"{k} {v:,}" for k, v in spent.items()) + f"; total {total:,}. "
        f"A fixed design with the same guarantee over all {n_packages} packages (Stein two-stage, Bonferroni, "
        f"paired variances of the shortlist's first stage): {fixed:,} ({fixed / total:.0f}x)."
    )
    text = "\n".join(lines)
    (out / "what_it_takes.txt").write_text(text + "\n", encoding="utf-8")
    (out / "what_it_takes.json").write_text(
        json.dumps(
            {
                "target": args.target,
                "best": best,
                "tied": tied,
                "spent": spent,
                "total": total,
                "fixed_design_all_packages": fixed,
                "pcs": args.pcs,
                "delta": args.delta,
                "p_star": args.p_star,
                "screen": str(screen),
                "overrides": overrides,
                "replications_per_draw": per_draw,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    sys.stdout.write(table.to_string(index=False) + "\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
