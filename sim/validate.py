"""``python -m sim.validate [overrides] --out DIR``: the model against the published record.

Runs the study ``python -m sim [overrides]`` would run (the same scenario, policy and
uncertain inputs; ``--replications``, default 200) over the warm-up years only — each run stops
after the last observed date, before the campaign launch — computes every observation of
``conf/observations/<--observations>.yaml`` in each replication, and writes into ``DIR``:

- ``validation.csv``: one row per observation: ``observation, source, observed, p05, p50,
  p95, inside, held_out`` and its labels, theme, unit and error (UTF-8 with BOM for Excel);
- ``validation.png`` / ``.svg``: observed marks over the predictive intervals, by theme;
- ``validation_values.parquet``: the value of each observation in each replication;
- ``validation.json``: the command, the coverage, seed, commit and date.

It prints one line per observation and the coverage of fit and held-out observations apart.
``DIR`` must be new or empty, or hold an earlier validation and ``--force``: a directory this
command did not create is never written into. Example::

    python -m sim.validate --out val/ policy=status_quo run.jobs=2
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from sim.run.options import add_backend_options, backend_argv, backend_overrides

log = logging.getLogger("gongjian.validate")

DEFAULT_REPLICATIONS = 200  # 90% intervals from 200 draws: each quantile within ~2 points of rank
MARKER = "validation.json"  # written last; names a directory this command made
FILES: tuple[str, ...] = ("validation.csv", "validation.png", "validation.svg", "validation_values.parquet", MARKER)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (no heavy import: ``--help`` stays quick)."""
    p = argparse.ArgumentParser(
        prog="python -m sim.validate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--out", required=True, help="output directory (new or empty; or an earlier validation with --force)"
    )
    p.add_argument("--replications", type=int, default=None, help=f"replications (default {DEFAULT_REPLICATIONS})")
    p.add_argument("--observations", default="huaian_pre2023", help="conf/observations/<name>.yaml or a YAML path")
    p.add_argument("--force", action="store_true", help="replace the files of an earlier validation in --out")
    p.add_argument(
        "overrides", nargs="*", help="Hydra overrides, as for python -m sim (e.g. policy=status_quo run.jobs=2)"
    )
    add_backend_options(p, jobs_default=None)
    return p.parse_args(argv)


def check_out(out: Path, *, force: bool) -> None:
    """Refuse a directory this command did not create, and an earlier validation without ``--force``."""
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"--out {out} is a file, not a directory")
    if not any(out.iterdir()):
        return
    if not (out / MARKER).exists():
        raise FileExistsError(f"--out {out} is not empty and was not written by python -m sim.validate; choose another")
    if not force:
        raise FileExistsError(f"--out {out} already holds a validation ({MARKER}); pass --force to replace it")


def commit() -> str:
    """The git commit of the code (with '+dirty' for uncommitted changes), or 'unknown'."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip()[:12] + ("+dirty" if dirty.stdout.strip() else "")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Compose, observe every replication, write the files; return the meta written."""
    import datetime
    import json
    import math
    import time

    from analysis.plots.style import save_figure
    from analysis.plots.validation import plot_validation
    from analysis.validation import coverage, format_line, miss_score, validation_table
    from cityplan.observations import load_observations
    from sim.compose import compose_study
    from sim.config.study import calendar_of
    from sim.run.observe import observe_study, stop_day

    out = Path(args.out)
    check_out(out, force=args.force)
    overrides = [*args.overrides, *backend_overrides(args)]
    if args.replications is not None:
        overrides.append(f"run.replications={args.replications}")
    elif not any(o.startswith("run.replications=") for o in overrides):
        overrides.append(f"run.replications={DEFAULT_REPLICATIONS}")
    study = compose_study(overrides)
    if study.nowcast.ledger:
        raise ValueError("nowcast.ledger is set: the record is checked against the model's own warm-up years")
    record = load_observations(args.observations, first_year=study.run.first_year, launch=study.launch_date())
    t0 = time.perf_counter()
    values = observe_study(study, record)
    wall = time.perf_counter() - t0
    table = validation_table(record, values)
    cov = coverage(table)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False, encoding="utf-8-sig")
    values.to_parquet(out / "validation_values.parquet", index=False)
    n = study.run.replications
    subtitle = f"{study.policy_name} · {n} rep."
    save_figure(plot_validation(table, subtitle=subtitle), out / "validation")
    stop = calendar_of(study).year_start(study.run.first_year) + stop_day(study, record)
    worst = miss_score(table).sort_values(ascending=False)
    meta: dict[str, Any] = {
        "command": "python -m sim.validate " + " ".join([*args.overrides, *backend_argv(args), "--out", str(out)]),
        "overrides": overrides,
        "observations": args.observations,
        "scenario": study.scenario_name,
        "policy": study.policy_name,
        "uncertainty": "priors" if study.uncertainty.priors else "none",
        "replications": n,
        "root_seed": study.run.seed,
        "first_year": study.run.first_year,
        "runs_stop_at_model_day": stop,
        "launch": study.launch_date(),
        "commit": commit(),
        "date": datetime.date.today().isoformat(),
        "wall_time_s": round(wall, 2),
        "coverage": {
            k: {c: (None if math.isnan(v) else v) for c, v in row.items()} for k, row in cov.to_dict("index").items()
        },
        "worst_misses": [k for k, v in worst.items() if v > 0][:5],
        "not_modelled": list(record.not_modelled),
    }
    (out / MARKER).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [f"validation of {study.scenario_name} x {study.policy_name}: {n} replications, {len(table)} observations"]
    lines += [format_line(r) for _i, r in table.iterrows()]
    for name, c in cov.to_dict("index").items():
        if name == "all":
            continue
        lines.append(
            f"coverage {name:<8}: {c['inside']}/{c['n']} inside the 90% interval"
            f" ({c['coverage']:.0%}); with the observation error {c['inside_with_error']}/{c['n']}"
        )
    lines.append(f"not modelled (kept in the file with the reason): {len(record.not_modelled)}")
    lines.append(f"wrote {out}/validation.csv, validation.png, validation.svg ({wall:.0f} s of runs)")
    sys.stdout.write("\n".join(lines) + "\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    """Run the validation; 0 on success, 2 on bad input or a directory it may not write."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    if args.replications is not None and args.replications < 1:
        log.error("--replications = %d is not allowed: expected an integer >= 1", args.replications)
        return 2
    from cityplan.errors import ConfigError

    try:
        run(args)
    except (ConfigError, FileExistsError, ValueError) as err:
        log.error("%s", err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
