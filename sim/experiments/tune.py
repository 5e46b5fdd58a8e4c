r"""``python -m sim.tune``: an Optuna study of continuous lever intensities on a fixed seed block (optional).

The factorial screen asks "on or off" at the plan's intensity. Some levers are amounts: how many
亩 a month to reclaim (``model.land.reclamation_mu_per_month``), how many 吨标煤 a month to free by
retiring capacity (``model.energy.swap_tce_per_month``). This command lets Optuna's TPE sampler
search such intensities within ranges the user gives, every trial on the same replications
``0 .. R-1`` (common random numbers, so trials differ by the intensities, not by luck), and
maximises the mean year-end value of ``--target`` minus an optional ``--cost-per-unit`` of each
intensity (default 0: then a lever that always helps ends at the top of its range).

Where it beats the factorial: when the value responds to an intensity non-linearly (a quota that
stops binding, a queue that saturates), the best amount may lie between or beyond the two levels a
factorial simulates; the factorial cannot see it. What it does not give: a guarantee. The best
trial is chosen on one seed block and may be flattered by it; confirm it against the plan's
intensity with ``python -m sim.select`` on fresh replications.

Writes ``trials.csv`` (trial, each parameter, value) and ``best.json`` into ``--out``. Optuna is an
optional dependency: ``pip install 'gongjian[tune]'``.

Example::

    python -m sim.tune --param model.land.reclamation_mu_per_month=0:1500 \
        --param model.energy.swap_tce_per_month=0:30000 --trials 30 --replications 8 --out tune/
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from cityplan.errors import ConfigError
from cityplan.files import refuse_overwrite
from sim.config.run import DEFAULT_SEED, RunConfig
from sim.experiments.cells import CellRunner, open_cells, plan_of, target_index, year_end_values
from sim.run.options import add_backend_options, backend_of

log = logging.getLogger("gongjian.tune")


def parse_param(text: str) -> tuple[str, float, float]:
    """``key=low:high`` -> (key, low, high); ValueError if malformed or low >= high."""
    key, _, span = text.partition("=")
    low_text, _, high_text = span.partition(":")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ValueError(f"--param {text!r}: expected key=low:high with numbers") from None
    if not key.startswith("model.") or low >= high:
        raise ValueError(f"--param {text!r}: expected model.<field>=low:high with low < high")
    return key, low, high


def mean_value(overrides: list[str], target: str, replications: int, runner: CellRunner | None = None) -> float:
    """Mean year-end value of ``target`` over replications 0..R-1 of the composed cell (its plan's row).

    ``runner``: the open backend the replications run on (None: serially here).
    """
    values = year_end_values([overrides], 0, replications, runner=runner)[0]
    return float(np.mean(values[target_index(plan_of(overrides), target)]))


def run_study(
    params: list[tuple[str, float, float]],
    target: str,
    *,
    trials: int,
    replications: int,
    seed: int,
    policy: str,
    cost_per_unit: float,
    run: RunConfig | None = None,
) -> Any:
    """The Optuna study (TPE sampler seeded with ``seed``); returns it finished.

    Trials run one after the other (each sampler step reads the ones before); a trial's
    replications run on ``run``'s backend (None: serially here), open for the whole study.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    with open_cells(run) as runner:

        def objective(trial: Any) -> float:
            values = {key: trial.suggest_float(key, low, high) for key, low, high in params}
            overrides = [f"run.seed={seed}", f"policy={policy}", *(f"{k}={v}" for k, v in values.items())]
            value = mean_value(overrides, target, replications, runner)
            trial.set_user_attr("value", value)
            return value - cost_per_unit * sum(values.values())

        study.optimize(objective, n_trials=trials)
    return study


def main(argv: list[str] | None = None) -> int:
    """Run the study; 0 on success, 2 on bad input (or Optuna missing)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    p = argparse.ArgumentParser(
        prog="python -m sim.tune", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--param", action="append", required=True, help="model.<field>=low:high (repeat)")
    p.add_argument("--target", default="start_rate_same_year")
    p.add_argument("--trials", type=int, default=30)
    p.add_argument("--replications", type=int, default=8, help="the fixed seed block: replications 0..R-1")
    p.add_argument("--policy", default="plan", help="policy the intensities are tuned within")
    p.add_argument("--cost-per-unit", type=float, default=0.0, help="objective = mean - cost x sum of intensities")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output directory (trials.csv and best.json must not exist)")
    p.add_argument("--force", action="store_true", help="replace trials.csv and best.json of an earlier study")
    add_backend_options(p)
    args = p.parse_args(argv)
    try:
        run = backend_of(args)
        params = [parse_param(t) for t in args.param]
        target_index(plan_of([f"run.seed={args.seed}", f"policy={args.policy}"]), args.target)
        refuse_overwrite([Path(args.out) / "trials.csv", Path(args.out) / "best.json"], force=args.force)
        import optuna  # noqa: F401
    except ImportError:
        log.error("sim.experiments.tune needs Optuna: pip install 'gongjian[tune]'")
        return 2
    except (ValueError, FileExistsError, ConfigError) as err:
        log.error("%s", err)
        return 2
    study = run_study(
        params,
        args.target,
        trials=args.trials,
        replications=args.replications,
        seed=args.seed,
        policy=args.policy,
        cost_per_unit=args.cost_per_unit,
        run=run,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = study.trials_dataframe(attrs=("number", "params", "value", "user_attrs"))
    frame.to_csv(out / "trials.csv", index=False)
    best = {
        "params": study.best_params,
        "objective": study.best_value,
        "mean_value": study.best_trial.user_attrs["value"],
        "target": args.target,
        "replications": args.replications,
        "trials": args.trials,
        "policy": args.policy,
    }
    (out / "best.json").write_text(json.dumps(best, indent=2), encoding="utf-8")
    sys.stdout.write(json.dumps(best, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
