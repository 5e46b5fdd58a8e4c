"""``python -m sim.history_match [overrides] --out DIR``: let the record rule out inputs.

History-matches the study ``python -m sim [overrides]`` would run (its priors,
``uncertainty=evidence`` by default) against the fit observations (``held_out: false``) of
``conf/observations/<--observations>.yaml``, with the settings of
``conf/history/<--observations>.yaml`` (model discrepancy, cutoff, structural misses), in
``--waves`` waves of ``--runs-per-wave`` runs (``--replications-per-point`` a design point).
Wave 1 runs the first Sobol points of the priors (the evidence forecast's own draws); each
later wave runs points its emulators do not rule out (:mod:`sim.experiments.history`). Runs
stop after the last observed date (before the launch) and use the study's backend
(``run.jobs``, ``run.backend=dask``). Writes into ``DIR``:

- ``sample.csv``: the non-implausible input vectors (the final wave's points that its own runs
  do not rule out), one column per prior key; ``# command/commit/date`` lines on top. With
  ``--install`` also ``data/history/<observations>.csv``, which ``uncertainty=history`` reads;
- ``narrowing.csv``: per input, the prior's range and quantiles against the sample's;
- ``waves.csv``: per wave, points, runs, share non-implausible, emulated volume, seconds;
- ``misfits.csv``: per fit observation, the smallest implausibility found, structural misses
  and observations no input fits (model defects, reported, never widened);
- ``validation_before.csv`` / ``validation_after.csv``: the validation table of wave 1 (the
  priors) and of the sample's runs; coverage of fit and held-out apart is printed;
- ``history_match.json`` (written last; names a directory this command made).

``--synthetic-truth K`` replaces the record's values by one replication of the model at the
K-th Sobol point of the priors (the known-answer check; the sample is never installed).
``DIR`` must be new or empty, or hold an earlier match and ``--force``. Example::

    python -m sim.history_match --out hm/ --waves 3 --runs-per-wave 400 run.jobs=2
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.run.options import add_backend_options, backend_argv, backend_overrides

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from cityplan.observations import ObservationSet
    from sim.config.priors import Prior
    from sim.config.study import StudyConfig
    from sim.experiments.history import Target, Wave

log = logging.getLogger("gongjian.history_match")

MARKER = "history_match.json"
SETTINGS_DIR = Path(__file__).resolve().parents[1] / "conf" / "history"
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "history"
DEFAULT_WAVES = 3
DEFAULT_RUNS = 400
DEFAULT_REPS = 2  # two replications a point: luck's variance from the pairs, as replications_per_draw


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (no heavy import: ``--help`` stays quick)."""
    p = argparse.ArgumentParser(
        prog="python -m sim.history_match", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", required=True, help="output directory (new or empty; or an earlier match with --force)")
    p.add_argument("--waves", type=int, default=DEFAULT_WAVES, help=f"waves (default {DEFAULT_WAVES})")
    p.add_argument("--runs-per-wave", type=int, default=DEFAULT_RUNS, help=f"runs a wave (default {DEFAULT_RUNS})")
    p.add_argument(
        "--replications-per-point", type=int, default=DEFAULT_REPS, help=f"runs a design point (default {DEFAULT_REPS})"
    )
    p.add_argument("--observations", default="huaian_pre2023", help="conf/observations/<name>.yaml")
    p.add_argument("--seed", type=int, default=None, help="seed of the candidate pools and fits (default run.seed)")
    p.add_argument("--synthetic-truth", type=int, default=None, metavar="K", help="known-answer check at Sobol point K")
    p.add_argument("--install", action="store_true", help="also write data/history/<observations>.csv")
    p.add_argument("--force", action="store_true", help="replace the files of an earlier match in --out")
    p.add_argument("overrides", nargs="*", help="Hydra overrides, as for python -m sim (e.g. run.jobs=2)")
    add_backend_options(p, jobs_default=None)
    return p.parse_args(argv)


def check_out(out: Path, *, force: bool) -> None:
    """Refuse a directory this command did not create, and an earlier match without ``--force``."""
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"--out {out} is a file, not a directory")
    if not any(out.iterdir()):
        return
    if not (out / MARKER).exists():
        raise FileExistsError(
            f"--out {out} is not empty and was not written by python -m sim.history_match; choose another"
        )
    if not force:
        raise FileExistsError(f"--out {out} already holds a history match ({MARKER}); pass --force to replace it")


@dataclass(frozen=True)
class Settings:
    """``conf/history/<observations>.yaml``: discrepancy, cutoff, structural misses."""

    discrepancy_share: float
    discrepancy_range: tuple[float, float]
    cutoff: float
    structural: dict[str, str]


def load_settings(name: str, record: ObservationSet) -> Settings:
    """Read and check the settings (ConfigError on an unknown key or observation)."""
    import yaml

    from cityplan.errors import ConfigError, fail

    path = SETTINGS_DIR / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"config field 'observations' = {name!r}: no history-match settings {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    allowed = ("discrepancy_share", "discrepancy_range", "cutoff", "structural")
    for key in raw:
        if key not in allowed:
            fail(f"history.{key}", raw[key], f"one of {', '.join(allowed)}")
    share = float(raw.get("discrepancy_share", 0.15))
    lo, hi = (float(v) for v in raw.get("discrepancy_range", [share, share]))
    if not 0 <= lo <= share <= hi:
        fail("history.discrepancy_range", [lo, hi], f"[low, high] around discrepancy_share ({share}), >= 0")
    cutoff = float(raw.get("cutoff", 3.0))
    if cutoff <= 0:
        fail("history.cutoff", cutoff, "a number > 0 (3: the three-sigma rule)")
    structural = {str(k): str(v) for k, v in (raw.get("structural") or {}).items()}
    for key, why in structural.items():
        if key not in record.observations:
            fail(f"history.structural.{key}", key, "an observation key of the record")
        if not why.strip():
            fail(f"history.structural.{key}", why, "the reason the model cannot produce it")
    return Settings(share, (lo, hi), cutoff, structural)


def targets_of(record: ObservationSet, keys: list[str], share: float) -> list[Target]:
    """The fit observations as implausibility targets, with a discrepancy of ``share``."""
    from sim.experiments.history import Target

    out = []
    for key in keys:
        obs = record.observations[key]
        sd = obs.error.sd
        mid = (obs.low + obs.high) / 2
        out.append(Target(key, obs.low, obs.high, float(sd) ** 2 if sd is not None else 0.0, (share * abs(mid)) ** 2))
    return out


def synthetic_targets(targets: list[Target], z: np.ndarray) -> list[Target]:
    """The record's observation errors around the model's own values ``z``; no discrepancy.

    A range keeps its width around ``z``. The truth is the model itself, so there is no model
    discrepancy: what is left is the observation error and luck (one replication is the record).
    """
    from sim.experiments.history import Target

    out = []
    for t, v in zip(targets, z, strict=True):
        half = (t.high - t.low) / 2
        out.append(Target(t.key, float(v) - half, float(v) + half, t.obs_var, 0.0))
    return out


def free_priors(study: StudyConfig) -> list[Prior]:
    """Priors the match varies (not pinned by the scenario or the command line)."""
    from sim.run.parameters import _pinned

    return [p for p in study.uncertainty.priors if not _pinned(study, p)]


def quantities(study: StudyConfig, u: np.ndarray) -> np.ndarray:
    """Uniforms of the free priors -> the drawn quantity of every prior (pinned: configured)."""
    import numpy as np

    from sim.config.priors import get_field
    from sim.run.parameters import _pinned, quantile

    baseline = study.baseline_model or study.model
    out = np.empty((len(u), len(study.uncertainty.priors)))
    j = 0
    for i, prior in enumerate(study.uncertainty.priors):
        if _pinned(study, prior):
            configured = get_field(baseline, prior.path)
            if prior.per:
                per = float(get_field(baseline, prior.per))
                configured = configured / per if per else 0.0
            out[:, i] = configured
        else:
            out[:, i] = quantile(prior, u[:, j])
            j += 1
    return out


def write_sample(path: Path, study: StudyConfig, u: np.ndarray, header: dict[str, Any], extra: dict[str, Any]) -> None:
    """A sample file: ``# key: value`` lines, then one row per input vector."""
    import pandas as pd

    frame = pd.DataFrame(quantities(study, u), columns=[p.key for p in study.uncertainty.priors])
    for name, values in extra.items():
        frame.insert(0, name, values)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {k}: {v}" for k, v in header.items()]
    path.write_text("\n".join(lines) + "\n" + frame.to_csv(index=False), encoding="utf-8")


class Runner:
    """Runs design points on the study's backend: ``R`` replications a point, tidy -> array."""

    def __init__(self, study: StudyConfig, record: ObservationSet, reps: int, work: Path) -> None:
        self.study, self.record, self.reps, self.work = study, record, reps, work
        self.seconds: dict[int, float] = {}
        self.frames: dict[int, pd.DataFrame] = {}

    def study_at(self, u: np.ndarray, wave: int) -> StudyConfig:
        """The study with its draws taken, in order, from the design ``u``."""
        path = (self.work / f"wave_{wave}_design.csv").resolve()
        write_sample(path, self.study, u, {"design of wave": wave}, {"row": range(len(u))})
        uncertainty = replace(
            self.study.uncertainty, sample=str(path), sample_order="in_order", replications_per_draw=self.reps
        )
        run = replace(self.study.run, replications=len(u) * self.reps)
        return replace(self.study, uncertainty=uncertainty, run=run)

    def __call__(self, u: np.ndarray, wave: int) -> np.ndarray:
        """Values (points, replications, observations in file order)."""
        from sim.run.observe import observe_study

        study = self.study_at(u, wave)
        t0 = time.perf_counter()
        step = max(study.run.replications // 10, 1)
        shown = [0]

        def progress(done: int, total: int) -> None:
            if done - shown[0] >= step or done == total:
                shown[0] = done
                log.info("wave %d: %d/%d runs, %.0f s", wave, done, total, time.perf_counter() - t0)

        frame = observe_study(study, self.record, progress=progress)
        self.seconds[wave] = time.perf_counter() - t0
        self.frames[wave] = frame
        keys = list(self.record.keys)
        table = frame.pivot(index="replication", columns="observation", values="value")[keys]
        return table.to_numpy(dtype=float).reshape(len(u), self.reps, len(keys))


def narrowing(study: StudyConfig, u_prior: np.ndarray, u_sample: np.ndarray) -> pd.DataFrame:
    """Per free input: prior and sample ranges and quantiles, and the sample's share of the prior.

    ``width_share`` is the sample's 5-95% width in the prior's quantile scale (uniforms) over
    the prior's 0.9: 1 = not narrowed, 0.2 = the record keeps a fifth of the prior's range.
    """
    import numpy as np
    import pandas as pd

    rows = []
    priors = free_priors(study)
    q_prior = quantities(study, np.array([[0.05] * len(priors), [0.5] * len(priors), [0.95] * len(priors)]))
    q_sample = quantities(study, u_sample) if len(u_sample) else np.empty((0, len(study.uncertainty.priors)))
    cols = [i for i, p in enumerate(study.uncertainty.priors) if p in priors]
    for j, (prior, i) in enumerate(zip(priors, cols, strict=True)):
        row: dict[str, Any] = {
            "input": prior.key,
            "label_zh": prior.zh,
            "prior_low": prior.low,
            "prior_high": prior.high,
            "prior_p05": q_prior[0, i],
            "prior_p50": q_prior[1, i],
            "prior_p95": q_prior[2, i],
        }
        if len(u_sample):
            s = q_sample[:, i]
            lo, hi = np.quantile(u_sample[:, j], [0.05, 0.95])
            row |= {
                "sample_min": s.min(),
                "sample_p05": np.quantile(s, 0.05),
                "sample_p50": np.quantile(s, 0.5),
                "sample_p95": np.quantile(s, 0.95),
                "sample_max": s.max(),
                "width_share": (hi - lo) / 0.9,
            }
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values("width_share") if "width_share" in out else out


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Compose, match in waves, write the files; return the meta written."""
    import datetime
    import json

    import numpy as np
    import pandas as pd

    from analysis.validation import coverage, validation_table
    from cityplan.observations import load_observations
    from sim.compose import compose_study
    from sim.experiments.history import max_implausibility, run_waves, simulated_implausibility
    from sim.run.parameters import draw_point
    from sim.validate import commit

    out = Path(args.out)
    check_out(out, force=args.force)
    study = compose_study([*args.overrides, *backend_overrides(args)])
    if study.nowcast.ledger:
        raise ValueError("nowcast.ledger is set: the record is matched against the model's own warm-up years")
    if not study.uncertainty.priors:
        raise ValueError("no priors (uncertainty=none): nothing to match; use uncertainty=evidence")
    # Match the priors themselves, whatever sample the chosen uncertainty would draw from.
    study = replace(study, uncertainty=replace(study.uncertainty, sample=""))
    record = load_observations(args.observations, first_year=study.run.first_year, launch=study.launch_date())
    settings = load_settings(args.observations, record)
    keys = list(record.keys)
    fit_keys = [k for k, o in record.observations.items() if not o.held_out and k not in settings.structural]
    targets = targets_of(record, fit_keys, settings.discrepancy_share)
    fit_idx = [keys.index(k) for k in fit_keys]
    priors = free_priors(study)
    all_priors = study.uncertainty.priors
    free_cols = [i for i, p in enumerate(all_priors) if p in priors]
    reps = args.replications_per_point
    points = max(args.runs_per_wave // reps, 2)
    seed = study.run.seed if args.seed is None else args.seed
    out.mkdir(parents=True, exist_ok=True)
    # The marker first (status running): a match that fails names its directory as its own.
    (out / MARKER).write_text(json.dumps({"status": "running", "command": _argv(args)}), encoding="utf-8")
    work = out / "waves"
    work.mkdir(exist_ok=True)
    runner = Runner(study, record, reps, work)
    u_all = np.array([draw_point(study.uncertainty, study.run.seed, k) for k in range(points)])
    first = u_all[:, free_cols]
    truth: dict[str, Any] = {}
    if args.synthetic_truth is not None:
        k = args.synthetic_truth
        u_truth = draw_point(study.uncertainty, study.run.seed, k)[free_cols][None, :]
        values = runner(u_truth, 0)
        z = values[0, 0, fit_idx]  # one replication: the record is one realisation
        targets = synthetic_targets(targets, z)
        truth = {"draw": k, "u": u_truth[0].tolist(), "values": dict(zip(fit_keys, z.tolist(), strict=True))}
        log.info("synthetic truth: Sobol point %d, one replication as the record", k)
    log.info(
        "history match: %d free inputs, %d fit observations (%d structural misses out), %d waves of %d points x %d",
        len(priors),
        len(targets),
        len(settings.structural),
        args.waves,
        points,
        reps,
    )
    t_start = time.perf_counter()

    def simulate(u: np.ndarray, wave: int) -> np.ndarray:
        return runner(u, wave)[:, :, fit_idx]

    def on_wave(w: Wave) -> None:
        ok = w.non_implausible
        log.info(
            "wave %d done: %d of %d points non-implausible by their runs; %.0f s of runs",
            w.number,
            int(ok.sum()),
            len(ok),
            runner.seconds.get(w.number, 0.0),
        )

    waves, defects = run_waves(simulate, targets, first, args.waves, points, seed=seed, on_wave=on_wave)
    last = waves[-1]
    complete = len(waves) == args.waves
    keep = last.non_implausible if complete else np.zeros(len(last.design), dtype=bool)
    u_sample = last.design[keep]
    wall = time.perf_counter() - t_start
    header = {
        "what": f"history-matched inputs against conf/observations/{args.observations}.yaml (non-implausible sample)",
        "command": "python -m sim.history_match " + " ".join(_argv(args)),
        "commit": commit(),
        "date": datetime.date.today().isoformat(),
        "rows": len(u_sample),
        "discrepancy_share": settings.discrepancy_share,
        "cutoff": settings.cutoff,
        "waves": args.waves,
        "runs_per_wave": points * reps,
        "root_seed": study.run.seed,
    }
    if truth:
        header["synthetic_truth_draw"] = truth["draw"]
    max_i = max_implausibility(last.implausibility)[keep]
    columns = {"max_implausibility": max_i, "row": range(len(u_sample))}
    write_sample(out / "sample.csv", study, u_sample, header, columns)
    installed = ""
    if args.install and not truth and len(u_sample):
        target = SAMPLE_DIR / f"{args.observations}.csv"
        write_sample(target, study, u_sample, header, columns)
        installed = str(target)
    # narrowing per input
    table = narrowing(study, first, u_sample)
    if truth:
        known = quantities(study, np.array(truth["u"])[None, :])[0]
        table["truth"] = [
            known[all_priors.index(p)] for p in (next(q for q in priors if q.key == k) for k in table["input"])
        ]
        table["truth_inside_5_95"] = (table["sample_p05"] <= table["truth"]) & (table["truth"] <= table["sample_p95"])
    table.to_csv(out / "narrowing.csv", index=False, encoding="utf-8-sig")
    # waves
    wave_rows = []
    for w in waves:
        checks = [v for v in w.emulator_check.values() if np.isfinite(v)]
        wave_rows.append(
            {
                "wave": w.number,
                "points": len(w.design),
                "runs": len(w.design) * reps,
                "non_implausible_points": int(w.non_implausible.sum()),
                "share_non_implausible": float(w.non_implausible.mean()) if len(w.design) else float("nan"),
                "emulated_share_of_prior_kept": w.pool_share,
                "emulator_check_min_share_within_3": min(checks) if checks else float("nan"),
                "seconds_of_runs": round(runner.seconds.get(w.number, float("nan")), 1),
            }
        )
    pd.DataFrame(wave_rows).to_csv(out / "waves.csv", index=False)
    # misfits: smallest implausibility per fit observation in wave 1 and in the last wave
    first_i, _, _ = simulated_implausibility(waves[0].values, targets)
    last_i, _, _ = simulated_implausibility(last.values, targets)
    mis = []
    for j, t in enumerate(targets):
        mis.append(
            {
                "observation": t.key,
                "status": "no input fits (model defect)" if t.key in defects else "matched",
                "min_implausibility_wave1": float(first_i[:, j].min()),
                "min_implausibility_last": float(last_i[:, j].min()) if len(last_i) else float("nan"),
                "min_implausibility_emulated": waves[0].smallest.get(t.key, float("nan")),
                "share_of_prior_it_rules_out_alone": waves[0].ruled_out_alone.get(t.key, float("nan")),
                "implausibility_at_closest_input": waves[0].closest.get(t.key, float("nan")),
            }
        )
    for key, why in settings.structural.items():
        mis.append({"observation": key, "status": f"structural miss: {why}"})
    pd.DataFrame(mis).to_csv(out / "misfits.csv", index=False, encoding="utf-8-sig")
    # discrepancy as an uncertain choice: the same last-wave runs at both ends of its range
    ends = {}
    for share in settings.discrepancy_range:
        alt = (
            targets_of(record, fit_keys, share)
            if not truth
            else synthetic_targets(targets_of(record, fit_keys, share), np.array(list(truth["values"].values())))
        )
        live = [j for j, t in enumerate(alt) if t.key not in defects]
        imp, _, _ = simulated_implausibility(last.values[:, :, live], [alt[j] for j in live])
        ends[f"{share:g}"] = int((max_implausibility(imp) <= settings.cutoff).sum()) if complete else 0
    # validation before (wave 1 = the priors) and after (the sample's runs), every observation
    values_before = runner.frames[1]
    before = validation_table(record, values_before)
    after_reps = [i * reps + r for i in np.flatnonzero(keep) for r in range(reps)]
    frame_last = runner.frames[last.number]
    after = validation_table(record, frame_last[frame_last["replication"].isin(after_reps)])
    before.to_csv(out / "validation_before.csv", index=False, encoding="utf-8-sig")
    after.to_csv(out / "validation_after.csv", index=False, encoding="utf-8-sig")
    cov_before, cov_after = coverage(before), coverage(after)
    truth_report: dict[str, Any] = {}
    if truth:
        u_t = np.array(truth["u"])[None, :]
        ruled_out_by = [w.number for w in waves if w.cut is not None and w.cut.implausible(u_t)[0]]
        truth_report = {"ruled_out_by_waves": ruled_out_by, "inside_sample_5_95": {}}
        for _, row in table.head(5).iterrows() if "width_share" in table else []:
            j = [p.key for p in priors].index(row["input"])
            value = float(quantities(study, u_t)[0, free_cols[j]])
            truth_report["inside_sample_5_95"][row["input"]] = {
                "truth": value,
                "sample_p05": float(row["sample_p05"]),
                "sample_p95": float(row["sample_p95"]),
                "width_share": float(row["width_share"]),
                "inside": bool(row["sample_p05"] <= value <= row["sample_p95"]),
            }
    meta: dict[str, Any] = {
        "status": "done",
        "command": header["command"],
        "overrides": list(args.overrides),
        "observations": args.observations,
        "commit": header["commit"],
        "date": header["date"],
        "root_seed": study.run.seed,
        "free_inputs": len(priors),
        "fit_observations": [t.key for t in targets],
        "structural_misses": settings.structural,
        "no_input_fits": defects,
        "discrepancy_share": 0.0 if truth else settings.discrepancy_share,
        "sample_rows_at_discrepancy": ends | {f"{settings.discrepancy_share:g}": len(u_sample)},
        "cutoff": settings.cutoff,
        "waves": wave_rows,
        "complete": complete,
        "sample_rows": len(u_sample),
        "installed": installed,
        "wall_time_s": round(wall, 1),
        "jobs": study.run.jobs,
        "coverage_before": _cov(cov_before),
        "coverage_after": _cov(cov_after) if len(u_sample) else None,
        "synthetic_truth": truth | truth_report if truth else None,
    }
    (out / MARKER).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=float), encoding="utf-8")
    lines = [f"history match: {len(priors)} inputs, {len(targets)} fit observations, {len(waves)} waves"]
    lines += [
        f"  wave {r['wave']}: {r['points']} points x {reps}, {r['non_implausible_points']} non-implausible"
        f" ({r['share_non_implausible']:.0%}), emulated volume kept {r['emulated_share_of_prior_kept']:.3g},"
        f" {r['seconds_of_runs']:.0f} s"
        for r in wave_rows
    ]
    for key, why in settings.structural.items():
        lines.append(f"  structural miss (not in the cut): {key}: {why}")
    conflict = sorted(waves[0].closest.items(), key=lambda kv: -kv[1])[:5]
    if conflict:
        lines.append(
            "  at the input closest to the record (wave 1, emulated), the largest implausibilities: "
            + ", ".join(f"{k} {v:.1f}" for k, v in conflict)
        )
    for key, best in defects.items():
        lines.append(
            f"  NO INPUT FITS {key}: smallest implausibility {best:.1f} > {settings.cutoff:g} (a model defect)"
        )
    lines.append(f"  sample: {len(u_sample)} input vectors; at discrepancy {ends} rows")
    for _, row in table.head(8).iterrows() if "width_share" in table else []:
        lines.append(
            f"  narrowed {row['input']:<60} prior {row['prior_p05']:.3g}-{row['prior_p95']:.3g}"
            f" -> {row['sample_p05']:.3g}-{row['sample_p95']:.3g} ({row['width_share']:.0%} of the range)"
        )
    if not len(u_sample):
        lines.append("  no sample: the record rules out every input (nothing installed, nothing to validate after)")
    for name, cov in (("before (priors)", cov_before), ("after (sample)", cov_after))[: 2 if len(u_sample) else 1]:
        for part in ("fit", "held_out"):
            inside, n = (int(float(str(cov.at[part, c]))) for c in ("inside", "n"))
            lines.append(f"  coverage {name} {part:<8}: {inside}/{n} inside the 90% interval")
    if truth_report:
        lines.append(f"  synthetic truth ruled out by waves {truth_report['ruled_out_by_waves'] or 'none'}")
    lines.append(f"wrote {out}/sample.csv, narrowing.csv, waves.csv, misfits.csv ({wall:.0f} s)")
    if installed:
        lines.append(f"installed {installed}: python -m sim uncertainty=history draws from it")
    sys.stdout.write("\n".join(lines) + "\n")
    return meta


def _argv(args: argparse.Namespace) -> list[str]:
    """The command line that reproduces this match (for the sample's header)."""
    parts = [*args.overrides, *backend_argv(args), "--out", str(args.out), "--waves", str(args.waves)]
    parts += ["--runs-per-wave", str(args.runs_per_wave), "--replications-per-point", str(args.replications_per_point)]
    if args.observations != "huaian_pre2023":
        parts += ["--observations", args.observations]
    if args.seed is not None:
        parts += ["--seed", str(args.seed)]
    if args.synthetic_truth is not None:
        parts += ["--synthetic-truth", str(args.synthetic_truth)]
    return parts + (["--install"] if args.install else [])


def _cov(cov: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    import math

    return {
        str(k): {str(c): (None if math.isnan(v) else float(v)) for c, v in row.items()}
        for k, row in cov.to_dict("index").items()
    }


def main(argv: list[str] | None = None) -> int:
    """Run the match; 0 on success, 2 on bad input or a directory it may not write."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    for name in ("waves", "runs_per_wave", "replications_per_point"):
        if getattr(args, name) < 1:
            log.error("--%s = %d is not allowed: expected an integer >= 1", name.replace("_", "-"), getattr(args, name))
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
