"""Fit the model's durations from a planner ledger: ``python -m sim.calibrate <ledger>``.

Four durations and the walk-away hazard are read from the ledger's dates; a project that has
not reached the end of a duration by the ledger date (or was dropped first) is
right-censored there, never dropped (dropping it biases every duration short):

==========================  ===================================  ======================================
duration                    fit (scipy CensoredData + .fit)       written to (approximation)
==========================  ===================================  ======================================
signing -> land             lognormal, projects needing land      prework.median_days and
                                                                  land.transfer_median_days in the
                                                                  configured ratio; prework.sigma_log
land -> start               lognormal                             energy.assessment, approvals
                                                                  applicant/review/permit medians scaled
                                                                  so their sum + start lag = median;
                                                                  approvals.sigma_log
start -> completion         lognormal of days / tier median       construction.median_months_by_tier
                                                                  (x factor), construction.sigma_log
completion -> registration  lognormal with a never-registers      completion.registration_median_days,
                            share per sector (cure model, MLE)    .registration_sigma_log,
                                                                  .registration_probability
walk-away                   Weibull of days from signing,         walkaway.leave_shape,
                            censored at the start                 walkaway.leave_scale_days
==========================  ===================================  ======================================

The model's durations are sums of steps and queues; the fit gives one lognormal per
segment, so medians are split in the configured proportions (see the table) and the queue
waits in the history are absorbed into the fitted medians. The model's leave hazard runs from
signing, like the fit; the fit also absorbs signings that never proceeded (签而不落) and
investors who left a queue out of patience, which the model keeps as separate mechanisms. Each fit is
shown against the Kaplan–Meier curve (``scipy.stats.ecdf`` on the same CensoredData).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, stats
from scipy.special import expit

from cityplan.schema import SECTORS, SIZE_TIER_LOWER_YI
from sim.config.model import ModelConfig
from sim.ledger.io import load_ledger
from sim.model.project_plan import DAYS_PER_MONTH

log = logging.getLogger(__name__)

HALF_DAY = 0.5  # a duration of 0 whole days (same date) is taken as half a day
MIN_EVENTS = 20  # fewer observed events than this: the duration is not fitted (defaults kept)
MEDIAN_SURVIVAL = 0.5  # the Kaplan-Meier median: where the survival curve falls to one half


@dataclass(frozen=True)
class Durations:
    """Observed (event) and right-censored durations of one segment, days."""

    name: str
    observed: np.ndarray
    censored: np.ndarray
    group: np.ndarray | None = None  # sector index of each observed and censored value (cure model)

    def data(self) -> stats.CensoredData:
        """As scipy CensoredData."""
        return stats.CensoredData(uncensored=self.observed, right=self.censored)


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    delta = pd.to_timedelta(later - earlier)
    return (delta.dt.total_seconds() / 86400.0).to_numpy(dtype=float)


def segment(
    ledger: pd.DataFrame,
    start: str,
    end: str,
    as_of: pd.Timestamp,
    *,
    mask: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    name: str = "",
) -> Durations:
    """Days from ``start`` to ``end`` date; censored at the drop date or ``as_of`` if not reached.

    ``mask`` selects rows; ``scale`` (one per row) divides every duration (e.g. by a tier median).
    """
    ok = ledger[start].notna().to_numpy() & (np.ones(len(ledger), bool) if mask is None else mask)
    rows = ledger[ok]
    div = np.ones(len(rows)) if scale is None else np.asarray(scale, dtype=float)[ok]
    stop = rows["dropped_date"].where(rows["dropped_date"].notna(), as_of)
    reached = rows[end].notna().to_numpy()
    days = np.where(reached, np.maximum(_days(rows[end], rows[start]), HALF_DAY), _days(stop, rows[start]))
    keep = days > 0  # signed on the ledger date: no information
    sector = np.asarray([SECTORS.index(x) for x in rows["sector"]], dtype=int)
    obs, cens = reached & keep, ~reached & keep
    return Durations(
        name or f"{start[:-5]} -> {end[:-5]}",
        days[obs] / div[obs],
        days[cens] / div[cens],
        np.concatenate([sector[obs], sector[cens]]),
    )


def ledger_durations(ledger: pd.DataFrame, as_of: str) -> dict[str, Durations]:
    """The five durations of a validated ledger (:func:`sim.ledger.io.load_ledger`) on ``as_of``."""
    a = pd.Timestamp(as_of)
    needs_land = ~(ledger["land_mu"].to_numpy(dtype=float) == 0)  # blank = assume land is needed
    tier = np.searchsorted(np.asarray(SIZE_TIER_LOWER_YI), ledger["investment_yi"].to_numpy(), side="right") - 1
    tier_median = np.asarray(ModelConfig().construction.median_months_by_tier) * DAYS_PER_MONTH
    return {
        "signing_to_land": segment(ledger, "signed_date", "land_date", a, mask=needs_land),
        "land_to_start": segment(ledger, "land_date", "started_date", a),
        "start_to_completion": segment(
            ledger,
            "started_date",
            "completed_date",
            a,
            scale=tier_median[np.clip(tier, 0, 3)],
            name="start -> completion (÷ default tier median)",
        ),
        "completion_to_registration": segment(ledger, "completed_date", "registered_date", a),
        "walk_away": _walk_away(ledger, a),
    }


def _walk_away(ledger: pd.DataFrame, as_of: pd.Timestamp) -> Durations:
    """Days from signing to the drop date; censored at the start (no walking after it) or as_of."""
    dropped = ledger["dropped_date"].notna().to_numpy()
    stop = ledger["started_date"].where(ledger["started_date"].notna(), as_of)
    days = np.where(
        dropped,
        np.maximum(_days(ledger["dropped_date"], ledger["signed_date"]), HALF_DAY),
        _days(stop, ledger["signed_date"]),
    )
    keep = days > 0
    return Durations("signing -> dropped", days[dropped & keep], days[~dropped & keep])


@dataclass(frozen=True)
class Fit:
    """One fitted duration: lognormal (median, sigma) or Weibull (scale, shape), and a cure share."""

    name: str
    family: str
    n_events: int
    n_censored: int
    median_days: float
    sigma_log: float = np.nan
    shape: float = np.nan
    p_event: tuple[float, ...] = ()
    naive_median_days: float = np.nan
    km_median_days: float = np.nan


def _km_median(d: Durations) -> float:
    sf = stats.ecdf(d.data()).sf
    below = np.flatnonzero(sf.probabilities <= MEDIAN_SURVIVAL)
    return float(sf.quantiles[below[0]]) if below.size else np.nan


def fit_lognormal(d: Durations) -> Fit:
    """Censored lognormal MLE (scipy), with the naive fit on events only for comparison."""
    s, _, scale = stats.lognorm.fit(d.data(), floc=0)
    naive = float(np.exp(np.log(d.observed).mean()))
    return Fit(
        d.name,
        "lognormal",
        d.observed.size,
        d.censored.size,
        float(scale),
        float(s),
        naive_median_days=naive,
        km_median_days=_km_median(d),
    )


def fit_weibull(d: Durations) -> Fit:
    """Censored Weibull MLE (scipy); ``median_days`` holds the scale."""
    c, _, scale = stats.weibull_min.fit(d.data(), floc=0)
    _, _, naive_scale = stats.weibull_min.fit(d.observed, floc=0)
    return Fit(
        d.name,
        "weibull",
        d.observed.size,
        d.censored.size,
        float(scale),
        shape=float(c),
        naive_median_days=float(naive_scale),
        km_median_days=_km_median(d),
    )


def fit_cure_lognormal(d: Durations, n_groups: int = len(SECTORS)) -> Fit:
    """Lognormal delay with a share per group that never has the event (mixture cure model, MLE).

    Log-likelihood: events ``log p_g + log f(t)``; censored ``log(1 - p_g + p_g S(c))``.
    """
    assert d.group is not None
    g_obs, g_cens = d.group[: d.observed.size], d.group[d.observed.size :]
    lo, lc = np.log(d.observed), np.log(d.censored)

    def nll(theta: np.ndarray) -> float:
        mu, log_sigma, logits = theta[0], theta[1], theta[2:]
        sigma, p = np.exp(log_sigma), expit(logits)
        ll = np.log(p[g_obs]) + stats.norm.logpdf(lo, mu, sigma) - lo
        lc_sf = stats.norm.sf(lc, mu, sigma)
        ll_c = np.log(np.maximum(1.0 - p[g_cens] + p[g_cens] * lc_sf, 1e-300))
        return float(-(ll.sum() + ll_c.sum()))

    theta0 = np.concatenate([[np.log(np.median(d.observed)), np.log(0.6)], np.zeros(n_groups)])
    res = optimize.minimize(nll, theta0, method="L-BFGS-B", bounds=[(None, None), (-5, 3)] + [(-12, 12)] * n_groups)
    counts = np.bincount(d.group, minlength=n_groups)
    p = tuple(float(x) if n else np.nan for x, n in zip(expit(res.x[2:]), counts, strict=True))
    return Fit(
        d.name,
        "lognormal_cure",
        d.observed.size,
        d.censored.size,
        float(np.exp(res.x[0])),
        float(np.exp(res.x[1])),
        p_event=p,
        naive_median_days=float(np.exp(lo.mean())),
        km_median_days=_km_median(d),
    )


def fit_all(durations: dict[str, Durations]) -> dict[str, Fit]:
    """Fit every duration that has at least :data:`MIN_EVENTS` events."""
    fits = {}
    for key, d in durations.items():
        if d.observed.size < MIN_EVENTS:
            log.warning("%s: only %d events; not fitted (defaults kept)", d.name, d.observed.size)
            continue
        fitter = {"walk_away": fit_weibull, "completion_to_registration": fit_cure_lognormal}.get(key, fit_lognormal)
        fits[key] = fitter(d)
    return fits


def fits_frame(fits: dict[str, Fit]) -> pd.DataFrame:
    """The fits as a table (one row per duration)."""
    return pd.DataFrame([{"duration": k, **vars(f)} for k, f in fits.items()])


def config_overrides(fits: dict[str, Fit], model: ModelConfig | None = None) -> dict[str, dict[str, object]]:
    """Model config fields (``model.<section>.<field>``) implied by the fits (see the module table)."""
    m = model or ModelConfig()
    out: dict[str, dict[str, object]] = {}
    if f := fits.get("signing_to_land"):
        share = m.prework.median_days / (m.prework.median_days + m.land.transfer_median_days)
        out["prework"] = {"median_days": f.median_days * share, "sigma_log": f.sigma_log}
        out["land"] = {"transfer_median_days": f.median_days * (1.0 - share)}
    if f := fits.get("land_to_start"):
        ap, en = m.approvals, m.energy
        parts = en.assessment_median_days + ap.applicant_median_days + ap.review_median_days + ap.permit_median_days
        factor = max(f.median_days - ap.start_lag_days, HALF_DAY) / parts
        out["energy"] = {"assessment_median_days": en.assessment_median_days * factor}
        out["approvals"] = {
            "applicant_median_days": ap.applicant_median_days * factor,
            "review_median_days": ap.review_median_days * factor,
            "permit_median_days": ap.permit_median_days * factor,
            "sigma_log": f.sigma_log,
        }
    if f := fits.get("start_to_completion"):
        c = m.construction
        out["construction"] = {
            "median_months_by_tier": [x * f.median_days for x in c.median_months_by_tier],
            "sigma_log": f.sigma_log,
        }
    if f := fits.get("completion_to_registration"):
        defaults = m.completion.registration_probability.as_tuple()
        probs = {s: (p if np.isfinite(p) else d) for s, p, d in zip(SECTORS, f.p_event, defaults, strict=True)}
        out["completion"] = {
            "registration_median_days": f.median_days,
            "registration_sigma_log": f.sigma_log,
            "registration_probability": probs,
        }
    if f := fits.get("walk_away"):
        out["walkaway"] = {"leave_shape": f.shape, "leave_scale_days": f.median_days}
    return {k: {n: _plain(v) for n, v in sec.items()} for k, sec in out.items()}


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return round(float(value), 4) if isinstance(value, float | np.floating) else value


def scenario_yaml(overrides: dict[str, dict[str, object]], source: str, as_of: str, fits: pd.DataFrame) -> str:
    """A scenario overlay (``# @package _global_``) setting the fitted fields."""
    lines = [
        "# @package _global_",
        f"# Question: what if durations follow the history in {source} (as of {as_of})?",
        "# Written by python -m sim.calibrate; approximations in sim/ledger/calibrate.py. Fits:",
    ]
    for r in fits.itertuples(index=False):
        lines.append(
            f"#   {r.duration}: {r.family}, {r.n_events} events, {r.n_censored} censored, "
            f"median/scale {r.median_days:.4g}, naive (events only) {r.naive_median_days:.4g}, "
            f"Kaplan-Meier median {r.km_median_days:.4g}"
        )
    body = yaml.safe_dump({"model": overrides}, sort_keys=False, allow_unicode=True)
    return "\n".join(lines) + "\n" + body


def survival_curves(durations: dict[str, Durations], fits: dict[str, Fit], points: int = 200) -> pd.DataFrame:
    """Kaplan–Meier and fitted survival for each fitted duration (long: duration, days, curve, survival)."""
    rows = []
    for key, fit in fits.items():
        d = durations[key]
        km = stats.ecdf(d.data()).sf
        rows += [
            {"duration": fit.name, "days": q, "curve": "Kaplan-Meier", "survival": p}
            for q, p in zip(km.quantiles, km.probabilities, strict=True)
        ]
        grid = np.linspace(0.0, float(np.max(np.concatenate([d.observed, d.censored]))), points)
        if fit.family == "weibull":
            sf = stats.weibull_min.sf(grid, fit.shape, scale=fit.median_days)
        else:
            sf = stats.lognorm.sf(grid, fit.sigma_log, scale=fit.median_days)
            if fit.family == "lognormal_cure":
                assert d.group is not None
                p = np.asarray(fit.p_event)[d.group]
                sf = 1.0 - np.nanmean(p) * (1.0 - sf)
        rows += [
            {"duration": fit.name, "days": x, "curve": "fitted", "survival": y} for x, y in zip(grid, sf, strict=True)
        ]
    return pd.DataFrame(rows, columns=["duration", "days", "curve", "survival"])


def main(argv: list[str] | None = None) -> int:
    """Command line: fit a ledger, write the scenario YAML and the plot."""
    parser = argparse.ArgumentParser(prog="python -m sim.calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("ledger", help="planner ledger, CSV or XLSX (see data/ledger_template.csv)")
    parser.add_argument("--as-of", help="ledger date (ISO); default: the latest date in the ledger")
    parser.add_argument("--out", default="calibrated.yaml", help="scenario YAML to write (must not exist)")
    parser.add_argument("--plot", help="PNG of fitted vs Kaplan-Meier survival curves (must not exist)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from sim.ledger.io import DATE_COLUMNS, LedgerError

    try:
        ledger = load_ledger(args.ledger, as_of=args.as_of)
    except LedgerError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    as_of = args.as_of or str(ledger[list(DATE_COLUMNS)].max().max().date())
    for path in (args.out, args.plot):
        if path and Path(path).exists():
            sys.stderr.write(f"{path} exists; choose a new file name\n")
            return 2
    durations = ledger_durations(ledger, as_of)
    fits = fit_all(durations)
    table = fits_frame(fits)
    Path(args.out).write_text(scenario_yaml(config_overrides(fits), args.ledger, as_of, table), encoding="utf-8")
    sys.stdout.write(table.to_string(index=False) + f"\nwrote {args.out}\n")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from analysis.survival import plot_survival

        curves = survival_curves(durations, fits)
        names = list(dict.fromkeys(curves["duration"]))
        fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.5), squeeze=False)
        for ax, name in zip(axes[0], names, strict=True):
            plot_survival(curves[curves["duration"] == name], ax=ax)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        sys.stdout.write(f"wrote {args.plot}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
