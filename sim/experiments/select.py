r"""``python -m sim.select``: the best cell with a guaranteed probability of correct selection (KN).

Cells are scenario names (``scenarios/*.yaml``) or lever packages ``a+b+c``. Replication ``r`` of
every cell runs on the same random numbers, so :func:`sim.experiments.kn.kn_select` uses the variance of paired
differences; replications are added in batches only to cells still in contention. Writes into
``--out``:

- ``selection.csv``: cell, replications, mean, ci_low, ci_high (t interval at level ``pcs``),
  status (``best``, ``tied`` = still in contention at ``--max-replications``, ``eliminated``);
- ``claim.txt``: the result in words with its guarantee and the replications spent, against a
  fixed design with the same guarantee;
- with ``--p-star``: ``feasibility.csv``, the cheapest cell whose P(value reaches the goal) >= p* with the
  same confidence (cells ordered by cost: number of levers, or ``--costs lever=cost,...``);
- ``select.json``: the settings and counts.

Example::

    python -m sim.select --cells status_quo,only_ready_to_build,only_five_permits,plan_as_written \
        --target start_rate_same_year --pcs 0.95 --delta 0.01 --out sel/
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityplan.errors import ConfigError
from cityplan.files import refuse_overwrite
from cityplan.schema import PlanConfig
from cityplan.targets import Goal, goal_of
from sim.config.run import DEFAULT_SEED, RunConfig
from sim.experiments.cells import (
    CellRunner,
    cell_overrides,
    list_levers,
    list_scenarios,
    open_cells,
    own_draws,
    plan_of,
    replications_per_draw,
    scenario_levers,
    target_index,
    year_end_values,
)
from sim.experiments.kn import claim, feasibility_check, in_replications, kn_select
from sim.run.options import add_backend_options, backend_of

OUTPUTS = ("selection.csv", "feasibility.csv", "claim.txt", "select.json")  # what a selection writes into --out
log = logging.getLogger("gongjian.select")


class CellSampler:
    """Year-end values of one target for cells and draws, each replication simulated once (cached).

    The observation is the draw of the uncertain inputs: ``per_draw`` consecutive replications
    share one (:mod:`sim.experiments.cells`), so they are not independent and KN's normal, independent
    observations are their means. ``calls(cells, first, n)`` returns (len(cells) x n), the means
    of draws ``first .. first + n - 1``; :meth:`first_of_draws` the value of each draw's first
    replication (independent Bernoulli trials for the feasibility check). ``simulated`` counts
    distinct (cell, replication) pairs run, the replications spent.

    The cells are scored against ``plan`` (the plan they are composed with, issue 24): the
    target's row, its goal and direction. KN picks the largest mean, so for an ``at_most``
    goal :meth:`__call__` returns the means negated (``sign`` -1: lowest is best);
    :meth:`first_of_draws` and :meth:`replications` return the values as they are.
    """

    def __init__(
        self,
        overrides: list[list[str]],
        target: str,
        runner: CellRunner | None,
        per_draw: int = 1,
        plan: PlanConfig | None = None,
    ) -> None:
        self.plan = plan if plan is not None else plan_of(overrides[0])
        self.overrides, self.index, self.runner, self.per_draw = (
            overrides,
            target_index(self.plan, target),
            runner,
            per_draw,
        )
        self.goal = Goal(*goal_of(target, self.plan))
        self.sign = -1.0 if self.goal.direction == "at_most" else 1.0
        self.cache: dict[tuple[int, int], float] = {}

    @property
    def simulated(self) -> int:
        """Distinct (cell, replication) pairs simulated so far."""
        return len(self.cache)

    def replications(self, cells: list[int], first: int, n: int) -> np.ndarray:
        """Values (len(cells) x n) of replications first..first+n-1 (simulating the missing ones)."""
        todo = [c for c in cells if any((c, r) not in self.cache for r in range(first, first + n))]
        if todo:
            values = year_end_values([self.overrides[c] for c in todo], first, n, runner=self.runner, plan=self.plan)
            for row, c in enumerate(todo):
                for j in range(n):
                    self.cache[c, first + j] = float(values[row, self.index, j])
        return np.array([[self.cache[c, r] for r in range(first, first + n)] for c in cells])

    def __call__(self, cells: list[int], first: int, n: int) -> np.ndarray:
        """Means (len(cells) x n) of draws first..first+n-1 over their replications (x ``sign``)."""
        d = self.per_draw
        values = self.replications(cells, first * d, n * d)
        return np.asarray(self.sign * values.reshape(len(cells), n, d).mean(axis=2))

    def first_of_draws(self, cells: list[int], first: int, n: int) -> np.ndarray:
        """Values (len(cells) x n) of the first replication of draws first..first+n-1."""
        d = self.per_draw
        return np.asarray(self.replications(cells, first * d, n * d)[:, ::d])


def cell_costs(cells: list[str], levers: list[str], scenarios: list[str], costs: dict[str, float]) -> list[float]:
    """Cost of each cell: the sum of its levers' costs (1 each unless ``costs`` says otherwise)."""
    out = []
    for cell in cells:
        on = (
            scenario_levers(
                cell,
                levers,
            )
            if cell in scenarios
            else ([] if cell == "status_quo" else cell.split("+"))
        )
        out.append(float(sum(costs.get(lv, 1.0) for lv in on)))
    return out


def parse_costs(text: str, levers: list[str]) -> dict[str, float]:
    """``lever=cost,...`` (ValueError naming an unknown lever or a negative cost)."""
    out: dict[str, float] = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, _, value = item.partition("=")
        if key not in levers or not value or float(value) < 0:
            raise ValueError(f"--costs: {item!r}; expected lever=cost with a lever of {levers} and cost >= 0")
        out[key] = float(value)
    return out


def cell_sampler(
    cells: list[str],
    target: str,
    *,
    seed: int,
    scenario: str,
    runner: CellRunner | None,
    extra: list[str] | None = None,
) -> CellSampler:
    """A cached CRN sampler of ``target`` for scenario or package cells."""
    levers, scenarios = list_levers(), list_scenarios()
    common = own_draws([f"run.seed={seed}", *(extra or [])])
    overrides = [
        [*common, *([] if c in scenarios else [f"scenario={scenario}"]), *cell_overrides(c, levers, scenarios)]
        for c in cells
    ]
    per_draw = {replications_per_draw(o) for o in overrides}
    if len(per_draw) != 1:
        raise ValueError(f"cells {cells} draw the uncertain inputs differently ({sorted(per_draw)} per draw)")
    plans = [plan_of(o) for o in overrides]
    if any(p != plans[0] for p in plans):
        other = [c for c, p in zip(cells, plans, strict=True) if p != plans[0]]
        raise ValueError(f"cells {other} are composed with another plan than {cells[0]}'s ({plans[0].name!r})")
    return CellSampler(overrides, target, runner, per_draw.pop(), plan=plans[0])


def checked_sampler(
    cells: list[str],
    target: str,
    *,
    seed: int,
    scenario: str,
    n0: int,
    max_replications: int,
    first_replication: int = 0,
    extra: list[str] | None = None,
) -> CellSampler:
    """:func:`cell_sampler` (no backend yet) once its replication counts fit whole draws.

    Composes every cell (a bad override raises ValueError) and checks, before anything is
    simulated, that ``first_replication`` is a multiple of the replications per draw and
    ``max_replications`` holds ``n0`` draws.
    """
    sampler = cell_sampler(cells, target, seed=seed, scenario=scenario, runner=None, extra=extra)
    d = sampler.per_draw
    if first_replication % d or max_replications < n0 * d:
        raise ValueError(
            f"{d} replications share a draw: the first replication ({first_replication}) must be a multiple "
            f"of {d} and the max replications ({max_replications}) at least n0 x {d} = {n0 * d}"
        )
    return sampler


def cheapest_feasible(
    sampler: CellSampler,
    cells: list[str],
    order: list[int],
    target: str,
    *,
    p_star: float,
    pcs: float,
    batch: int,
    max_replications: int,
    first_replication: int,
    cost: list[float],
    goal: Goal | None = None,
) -> pd.DataFrame:
    """:func:`sim.experiments.kn.feasibility_check` on the cells in ``order`` (cheapest first); cells named.

    ``max_replications`` and ``first_replication`` count draws (= replications with one
    replication per draw, the default). ``goal``: the target's goal and direction (None: the
    cells' plan's, :attr:`CellSampler.goal`); an ``at_most`` goal is attained at or below it.
    """
    wanted = goal if goal is not None else sampler.goal

    def hits(idx: list[int], first: int, n: int) -> np.ndarray:
        return wanted.hits(sampler.first_of_draws([order[i] for i in idx], first, n)).astype(float)

    feas = feasibility_check(
        hits,
        len(order),
        p_star=p_star,
        pcs=pcs,
        batch=batch,
        max_replications=max_replications,
        first_replication=first_replication,
    )
    feas.insert(1, "cost", [cost[order[i]] for i in feas["cell"]])
    feas["cell"] = [cells[order[i]] for i in feas["cell"]]
    feas.insert(2, "draws", feas["replications"])  # Bernoulli trials: the first replication of each draw
    feas["replications"] *= sampler.per_draw  # simulated (every replication of those draws)
    return feas


def select(
    cells: list[str],
    target: str,
    *,
    pcs: float,
    delta: float,
    n0: int,
    batch: int,
    max_replications: int,
    seed: int,
    scenario: str,
    run: RunConfig | None = None,
    first_replication: int = 0,
    p_star: float | None = None,
    costs: dict[str, float] | None = None,
    extra: list[str] | None = None,
    sampler: CellSampler | None = None,
) -> dict[str, Any]:
    """Run KN on ``cells`` (and the feasibility check with ``p_star``); return tables and counts.

    ``n0`` and ``batch`` count draws of the uncertain inputs (KN's independent observations);
    ``max_replications`` and ``first_replication`` count replications (a multiple of the
    replications per draw, 1 by default, for the first). Tables report replications.
    ``sampler``: the cells' :func:`checked_sampler` when the caller already made it.
    ``run``: the backend the replications run on (``backend``, ``jobs``, ``dask_address``;
    None: serially here), open for the whole selection.
    """
    if sampler is None:
        sampler = checked_sampler(
            cells,
            target,
            seed=seed,
            scenario=scenario,
            n0=n0,
            max_replications=max_replications,
            first_replication=first_replication,
            extra=extra,
        )
    with open_cells(run) as runner:
        sampler.runner = runner
        d = sampler.per_draw
        first_draw, max_draws = first_replication // d, max(max_replications // d, n0)
        sel = kn_select(
            sampler,
            len(cells),
            pcs=pcs,
            delta=delta,
            n0=n0,
            batch=batch,
            max_replications=max_draws,
            first_replication=first_draw,
        )
        sel = in_replications(sel, d)
        if sampler.sign < 0:  # KN ranked the negated means: report the values as they are
            t = sel.table
            sel = replace(sel, table=t.assign(mean=-t["mean"], ci_low=-t["ci_high"], ci_high=-t["ci_low"]))
        out: dict[str, Any] = {"selection": sel, "kn_replications": sampler.simulated, "replications_per_draw": d}
        if p_star is not None:
            cost = cell_costs(cells, list_levers(), list_scenarios(), costs or {})
            means = sel.table["mean"].to_numpy()
            order = sorted(range(len(cells)), key=lambda i: (cost[i], -float(means[i])))
            out["feasibility"] = cheapest_feasible(
                sampler,
                cells,
                order,
                target,
                p_star=p_star,
                pcs=pcs,
                batch=max(batch, 10),
                max_replications=max_draws,
                first_replication=first_draw,
                cost=cost,
            )
        out["replications"] = sampler.simulated
    return out


def feasibility_claim(feas: pd.DataFrame, target: str, p_star: float, pcs: float) -> str:
    """The constrained answer in words."""
    found = feas[feas["status"] == "feasible"]
    undecided = feas.loc[feas["status"] == "undecided", "cell"].tolist()
    if found.empty:
        text = f"No candidate was shown to reach P({target} attains) >= {p_star:g} with confidence {pcs:g}"
        text += f" (undecided at the cap: {', '.join(undecided)})." if undecided else " (all fall short)."
    else:
        r = found.iloc[0]
        text = (
            f"Cheapest package with P({target} attains) >= {p_star:g}: {r.cell} (cost {r.cost:g}; "
            f"P = {r.p_attain:.2f}, lower bound {r.ci_low:.2f}); every cheaper candidate falls short"
        )
        text += f" except the undecided {', '.join(undecided)}." if undecided else "."
        text += f" All decisions hold together with probability >= {pcs:g} (Clopper-Pearson, Bonferroni)."
    return text


def write_selection(out: Path, cells: list[str], result: dict[str, Any], target: str, meta: dict[str, Any]) -> str:
    """Write selection.csv, claim.txt (and feasibility.csv), select.json; return the claim."""
    sel = result["selection"]
    table = sel.table.assign(cell=[cells[i] for i in sel.table["cell"]])
    table.to_csv(out / "selection.csv", index=False)
    text = claim(cells, sel, target)
    if "feasibility" in result:
        result["feasibility"].to_csv(out / "feasibility.csv", index=False)
        text += "\n" + feasibility_claim(result["feasibility"], target, meta["p_star"], sel.pcs)
    (out / "claim.txt").write_text(text + "\n", encoding="utf-8")
    meta |= {
        "replications_spent": result["replications"],
        "kn_replications": result["kn_replications"],
        "fixed_design_replications": sel.fixed_design_replications,
        "h2": sel.h2,
    }
    (out / "select.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m sim.select``."""
    p = argparse.ArgumentParser(
        prog="python -m sim.select", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--cells", required=True, help="comma list of scenario names or lever packages a+b+c")
    p.add_argument("--target", default="start_rate_same_year", help="target key (cityplan/targets.py)")
    p.add_argument("--pcs", type=float, default=0.95, help="probability of correct selection (0.5-1)")
    p.add_argument("--delta", type=float, required=True, help="indifference zone in the target's unit")
    p.add_argument(
        "--n0", type=int, default=10, help="first-stage draws per cell (a draw = one replication by default)"
    )
    p.add_argument("--batch", type=int, default=5, help="draws added at a time to cells in contention")
    p.add_argument("--max-replications", type=int, default=300, help="cap per cell (survivors then 'tied')")
    p.add_argument("--p-star", type=float, default=None, help="also: cheapest cell with P(attain) >= p*")
    p.add_argument("--costs", default="", help="lever=cost,... for --p-star (default 1 per lever)")
    p.add_argument("--scenario", default="huaian_2023", help="scenario for package cells")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="root seed (run.seed)")
    p.add_argument("--first-replication", type=int, default=0, help="first replication index to use")
    add_backend_options(p)
    p.add_argument("--out", required=True, help="output directory (its outputs must not exist)")
    p.add_argument("--force", action="store_true", help="replace the outputs of an earlier selection in --out")
    p.add_argument("overrides", nargs="*", help="extra Hydra overrides for every cell")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the selection; 0 on success, 2 on bad input."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    try:
        run = backend_of(args)
        levers, scenarios = list_levers(), list_scenarios()
        for c in cells:
            cell_overrides(c, levers, scenarios)
        if len(cells) < 2:  # noqa: PLR2004
            raise ValueError(f"--cells: {cells}; at least two cells")
        if not 0.5 < args.pcs < 1 or args.delta <= 0 or args.n0 < 2 or args.max_replications < args.n0:  # noqa: PLR2004
            raise ValueError("need 0.5 < --pcs < 1, --delta > 0, --n0 >= 2 and --max-replications >= --n0")
        if args.p_star is not None and not 0 < args.p_star < 1:
            raise ValueError(f"--p-star: {args.p_star}; between 0 and 1")
        costs = parse_costs(args.costs, levers)
        refuse_overwrite([Path(args.out) / name for name in OUTPUTS], force=args.force)
        sampler = checked_sampler(
            cells,
            args.target,
            seed=args.seed,
            scenario=args.scenario,
            n0=args.n0,
            max_replications=args.max_replications,
            first_replication=args.first_replication,
            extra=args.overrides,
        )
    except (ValueError, FileExistsError, ConfigError) as err:
        log.error("%s", err)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = select(
        cells,
        args.target,
        pcs=args.pcs,
        delta=args.delta,
        n0=args.n0,
        batch=args.batch,
        max_replications=args.max_replications,
        seed=args.seed,
        scenario=args.scenario,
        run=run,
        first_replication=args.first_replication,
        p_star=args.p_star,
        costs=costs,
        extra=args.overrides,
        sampler=sampler,
    )
    per_draw = sampler.per_draw
    meta = {k: v for k, v in vars(args).items() if k not in ("func", "jobs_default")} | {
        "cells": cells,
        "replications_per_draw": per_draw,
    }
    text = write_selection(out, cells, result, args.target, meta)
    sys.stdout.write(result["selection"].table.assign(cell=cells).to_string(index=False) + "\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
