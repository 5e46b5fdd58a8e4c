"""Nowcast: residual draws, a simulated ledger's round trip, quotas, the CLI from the template."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cityplan.errors import ConfigError
from sim.config.run import RunConfig
from sim.config.steps import PreworkConfig
from sim.config.study import NowcastConfig, StudyConfig, calendar_of
from sim.ledger.io import from_model, write_ledger
from sim.model.leads import draw_leads
from sim.model.system import land_release
from sim.nowcast.actual import actual_monthly
from sim.nowcast.read import load_model_ledger
from sim.nowcast.remaining import _known_in_problem
from sim.nowcast.residuals import quality_given_prework, residual_lognormal, residual_weibull
from sim.nowcast.start import starting_state
from sim.run.parameters import with_parameters
from sim.run.rng import replication_streams
from sim.run.study import run_study
from sim.run.tables import StudyResult
from tests.conftest import ROOT
from tests.helpers import RETROFIT_TARGETS, TARGET_KEYS

AS_OF = "2023-06-30"
# Achieved values a nowcast cannot copy from a project ledger (see sim/nowcast/).
NOT_FROM_LEDGER = (*RETROFIT_TARGETS, "industrial_investment")


def test_residual_lognormal_is_the_conditional_distribution() -> None:
    rng = np.random.default_rng(1)
    median, sigma, elapsed = 90.0, 0.6, 120.0
    prior = median * np.exp(sigma * rng.standard_normal(400_000))
    truth = prior[prior > elapsed] - elapsed
    drawn = residual_lognormal(median, sigma, np.full(20_000, elapsed), rng.random(20_000))
    assert (drawn >= 0).all()
    assert stats.ks_2samp(drawn, truth).pvalue > 0.001
    # nothing elapsed: the unconditional lognormal; far in the tail: still finite
    fresh = residual_lognormal(median, sigma, np.zeros(20_000), rng.random(20_000))
    assert stats.kstest(np.log(fresh / median) / sigma, "norm").pvalue > 0.001
    assert np.isfinite(residual_lognormal(1.0, 0.1, np.array([1e6]), np.array([0.5]))).all()


def test_quality_given_prework_is_the_posterior() -> None:
    """Quality of projects still in pre-work after ``elapsed`` days, against rejection sampling."""
    rng = np.random.default_rng(3)
    pw = PreworkConfig()
    quality = rng.random(400_000)
    median = pw.median_days * np.exp(-pw.quality_effect * (quality - 0.5))
    prework = median * np.exp(pw.sigma_log * rng.standard_normal(quality.size))
    means = []
    for elapsed in (0.0, 60.0, 240.0):
        truth = quality[prework > elapsed]
        drawn = quality_given_prework(np.full(20_000, elapsed), pw, 0.0, rng.random(20_000))
        assert stats.ks_2samp(drawn, truth).pvalue > 0.001, elapsed
        means.append(drawn.mean())
    assert means[0] > means[1] > means[2]  # a long pre-work speaks for a slow project
    assert quality_given_prework(np.array([30.0]), pw, 0.4, np.array([0.0]))[0] >= 0.4


def test_a_project_the_land_stock_would_serve_is_in_a_problem() -> None:
    """Procedures begun, no quota: in a problem for sure only if the stock would have served it."""
    begun = frozenset({"signed", "procedures"})
    done = [begun, begun, begun | {"land_granted"}, frozenset({"signed"}), begun]
    land = np.array([10.0, 50.0, 5.0, 1.0, 0.0])
    # first fit: each request the stock covers would have been served
    assert _known_in_problem(done, land, 20.0, first_fit=True).tolist() == [True, False, False, False, True]
    # head of the line: only a stock covering every such request at once rules a wait out
    assert not _known_in_problem(done, land, 20.0, first_fit=False).any()
    assert _known_in_problem(done, land, 60.0, first_fit=False).tolist() == [True, True, False, False, True]


def test_residual_weibull_is_the_conditional_distribution() -> None:
    rng = np.random.default_rng(2)
    prior = 420.0 * rng.weibull(2.0, 400_000)
    truth = prior[prior > 300.0] - 300.0
    drawn = residual_weibull(420.0, 2.0, np.full(20_000, 300.0), rng.random(20_000))
    assert stats.ks_2samp(drawn, truth).pvalue > 0.001


def test_residual_service_is_the_conditional_distribution() -> None:
    """Approval service (review, rework, permits) of a file under review for 40 days."""
    from sim.config.model import ModelConfig
    from sim.model.leads import DECISION_LATENTS, DURATION_LATENTS, Leads
    from sim.model.project_plan import plan_projects
    from sim.nowcast.residuals import residual_service

    model, rng, n = ModelConfig(), np.random.default_rng(4), 4000

    def leads(k: int) -> Leads:
        return Leads(
            np.zeros(k),
            np.zeros(k, np.int8),
            np.full(k, 5.0),
            np.zeros(k, bool),
            np.zeros(k, bool),
            rng.standard_normal((len(DURATION_LATENTS), k)),
            rng.random((len(DECISION_LATENTS), k)),
            rng.random(k),
        )

    prior = plan_projects(leads(200_000), model)
    service = prior.review_days + prior.permit_days
    truth = service[service > 40.0] - 40.0
    drawn = residual_service(leads(n), np.full(n, 40.0), model, rng)
    assert stats.ks_2samp(drawn, truth).pvalue > 0.001


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyConfig, StudyResult, Path]:
    """One simulated city (replication 0) and its planner ledger on 30 June 2023."""
    from tests.conftest import compose_study

    # industrial investment of projects alone: the part a project ledger can reproduce
    extra = ["definitions.industrial_investment_with_retrofits=false"]
    cfg = compose_study(["run=smoke", "run.replications=1", "policy=plan", *extra])
    # the inputs of draw 0 (issue 11), fixed for the nowcast too. With them the energy stock on
    # as_of differed by ~14 tce until the nowcast deducted feedstock by the request day, not
    # the grant day (2026-11-26)
    cfg = with_parameters(cfg, 0)
    truth = run_study(cfg)
    c = cfg.model.construction
    frame = from_model(
        truth.ledgers, calendar_of(cfg), AS_OF, realisation=c.spend_realisation_share, curve=(c.spend_curve_a, 2.0)
    )
    path = write_ledger(frame, tmp_path_factory.mktemp("ledger") / "ledger.csv")
    return cfg, truth, path


def _nowcast(cfg: StudyConfig, path: Path, **run: int) -> StudyConfig:
    return replace(
        cfg,
        nowcast=NowcastConfig(ledger=str(path), as_of=AS_OF),
        run=replace(cfg.run, **({"replications": 3, "seed": 7} | run)),  # another seed: no shared draws
    )


def test_round_trip_counts_what_was_achieved(simulated: tuple[StudyConfig, StudyResult, Path]) -> None:
    """simulate -> export on 30 June -> read -> validate -> nowcast: achieved values carry over."""
    cfg, truth, path = simulated
    now = _nowcast(cfg, path)
    result = run_study(now)
    key = ["target", "month"]
    t = truth.monthly[truth.monthly["month"] <= 6].set_index(key)["value"]
    for rep, frame in result.monthly.groupby("replication"):
        n = frame[frame["month"] <= 6].set_index(key)["value"]
        for target in TARGET_KEYS:
            if target in NOT_FROM_LEDGER:
                continue
            np.testing.assert_allclose(n[target], t[target], rtol=1e-12, err_msg=f"{target} rep {rep}")
    # the actual path from the ledger alone: exact counts, spending via each project's S-curve
    actual = actual_monthly(load_model_ledger(str(path), AS_OF, cfg.run.first_year), now).set_index(key)["value"]
    assert sorted(actual.index.get_level_values("month").unique()) == list(range(1, 7))
    for target in TARGET_KEYS:
        if target in RETROFIT_TARGETS:
            assert target not in actual.index.get_level_values("target")
            continue
        rtol = 2e-3 if target == "industrial_investment" else 1e-12  # dates are whole days
        np.testing.assert_allclose(actual[target], t[target], rtol=rtol, err_msg=target)
    # after as_of the year goes on: more signings by December than by June in every replication
    dec = result.monthly[result.monthly["month"] == 12].set_index(["replication", "target"])["value"]
    assert (dec.xs("signed_industrial_1e8", level="target") > t["signed_industrial_1e8"][6]).all()


def _feedstock_of_unknown_request_days(now: StudyConfig, ledger: pd.DataFrame, start: Any) -> float:
    """Feedstock (吨标煤) of ledger projects run side by side whose energy request day is unknown.

    Under 拿地即开工 the energy request comes when the problem is settled, between the start of
    the procedures and the first grant; a ledger without that day leaves the deduction open
    when the feedstock date falls in between.
    """
    n = len(ledger)
    day = calendar_of(now).day_of(now.model.energy.feedstock_deducted_from)
    t_proc = ledger["t_procedures"].to_numpy(dtype=float)
    grants = [ledger[f"t_{m}"].to_numpy(dtype=float) for m in ("energy_granted", "energy", "land_granted")]
    first_grant = np.fmin(np.fmin(grants[0], grants[1]), grants[2])
    open_ = np.asarray(start.parallel_procedures[:n]) & (t_proc < day) & (np.nan_to_num(first_grant, nan=np.inf) >= day)
    open_ &= (ledger["sector"].to_numpy() == "industrial") & ~start.plan.energy_national[:n]
    return float(start.plan.energy_tce[:n][open_].sum() * now.model.energy.feedstock_share_industrial)


def test_starting_state_matches_the_simulated_city(simulated: tuple[StudyConfig, StudyResult, Path]) -> None:
    cfg, truth, path = simulated
    now = _nowcast(cfg, path)
    ledger = load_model_ledger(str(path), AS_OF, cfg.run.first_year)
    streams = replication_streams(now.run.seed, 0)
    leads = draw_leads(now.model.demand, calendar_of(now), streams)
    everyone, start = starting_state(now, ledger, leads, streams["nowcast"])
    a = start.as_of_day
    log = truth.resources
    for resource, level in (("land_mu", start.land_level_mu), ("energy_tce", start.energy_level_tce)):
        rows = log[(log["resource"] == resource) & (log["day"] == a)].set_index("metric")["value"]
        tranche = {"land_mu": now.model.land, "energy_tce": now.model.energy}[resource]
        per_month = (
            land_release(now.model, calendar_of(now), a).tranche
            if resource == "land_mu"
            else tranche.quota_tce_per_year / 12 + tranche.swap_tce_per_month
        )
        # the model's log on 1 July shows the stock after July's tranche and the grants it
        # released at once to projects waiting in the queue
        # (and the quota given back or recovered at the same instant)
        kind = resource.split("_")[0]
        lg = truth.ledgers
        granted_now = rows["granted"] - lg.loc[lg[f"t_{kind}_granted"] < a, f"{kind}_quota"].sum()
        back_now = rows["returned"] - lg.loc[lg[f"t_{kind}_returned"] < a, f"{kind}_quota"].sum()
        if kind == "land":
            back_now += rows["recovered"] - lg.loc[lg["t_land_recovered"] < a, "land_quota"].sum()
        assert granted_now >= -1e-6
        expected = level + per_month - granted_now + back_now
        # 2022 takers of 拿地即开工 ask for energy when their problem is settled, a day the
        # ledger does not record: where that falls around the feedstock date (2022-10-01) the
        # nowcast estimates it, so their feedstock (deducted or not) is what the stock may miss
        unknown = _feedstock_of_unknown_request_days(now, ledger, start) if kind == "energy" else 0.0
        assert abs(expected - rows["level"]) <= unknown + 1e-6 + 1e-9 * abs(rows["level"]), resource
    n = len(ledger)
    # idle plots of investors gone before as_of come back after it on the truth's days
    lg = truth.ledgers.set_index(truth.ledgers["project"].map(lambda p: f"P{int(p):05d}"))  # the ledger's names
    later = lg[(lg["t_walked"] < a) & (lg["t_land_recovered"] >= a)]
    names = ledger["name"].to_numpy()
    scheduled = {names[i]: (day, amount) for i, day, amount in start.idle_recoveries}
    assert len(later) > 0  # the check below is not vacuous
    assert set(scheduled) == set(later.index)
    for name, (day, amount) in scheduled.items():
        assert day == pytest.approx(later.loc[name, "t_land_recovered"], abs=1.0)  # ledger dates are whole days
        assert amount == pytest.approx(later.loc[name, "land_quota"], rel=1e-9)
    # under the plan's problem-resolution meetings no problem on their agenda outlasts the
    # meeting after it began
    pr = now.model.problems
    assert pr.meeting_interval_days > 0
    t_proc = ledger["t_procedures"].to_numpy(dtype=float)
    on_agenda = start.plan.on_meeting_agenda[:n]
    assert on_agenda.any()
    assert not on_agenda.all()  # agriculture and projects under 1亿 are not 重特大产业项目
    launched = (t_proc >= calendar_of(now).day_of(now.launch_date())) & on_agenda
    settled = (np.floor(t_proc / pr.meeting_interval_days) + 1) * pr.meeting_interval_days + pr.meeting_followup_days
    left = start.plan.problem_days[:n]
    assert (left[launched] <= np.maximum(settled[launched] - a, 0.0) + 1e-9).all()
    past = launched & (settled < a)
    assert past.any()
    assert (left[past] == 0).all()
    assert all(d is not None for d in start.done[:n])
    assert all(d is None for d in start.done[n:])
    assert min(start.release_day) == a
    # leads still to come: none decided before as_of, all arriving ones after it kept
    assert (everyone.arrival_day[n:] + start.plan.appraisal_days[n:] >= 0).all()
    arrived_later = leads.arrival_day >= a
    assert np.isin(leads.arrival_day[arrived_later], everyone.arrival_day[n:]).all()
    # in-flight residuals come from the nowcast stream: another seed, other residuals
    other = replication_streams(now.run.seed + 1, 0)
    _, start2 = starting_state(now, ledger, leads, other["nowcast"])
    building = np.array([("started" in d) and ("completed" not in d) for d in start.done[:n]])
    assert building.any()
    assert not np.allclose(start.plan.construction_days[:n][building], start2.plan.construction_days[:n][building])


def test_nowcast_is_reproducible_and_serial_equals_parallel(simulated: tuple[StudyConfig, StudyResult, Path]) -> None:
    cfg, _, path = simulated
    now = _nowcast(cfg, path, replications=2, chunk_size=1)
    a, b = run_study(now), run_study(replace(now, run=replace(now.run, jobs=2)))
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)


def test_nowcast_config_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"nowcast\.as_of"):
        NowcastConfig(ledger="data/ledger_template.csv")
    with pytest.raises(ConfigError, match=r"nowcast\.ledger"):
        NowcastConfig(as_of=AS_OF)
    with pytest.raises(ConfigError, match=r"'2023-6-30'.*ISO date"):
        NowcastConfig(ledger="x.csv", as_of="2023-6-30")
    with pytest.raises(ConfigError, match=r"\.csv or \.xlsx"):
        NowcastConfig(ledger="x.txt", as_of=AS_OF)
    with pytest.raises(ConfigError, match=f"from {RunConfig().first_year}-01-01 to 2023-12-31"):
        StudyConfig(run=RunConfig(), nowcast=NowcastConfig(ledger="x.csv", as_of="2024-01-31"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_cli_forecast_from_the_template_and_export(tmp_path: Path, study: Callable[..., StudyConfig]) -> None:
    out = tmp_path / "run"
    proc = _cli(
        "nowcast.ledger=data/ledger_template.csv",
        f"nowcast.as_of={AS_OF}",
        "nowcast.export_at=2023-03-31",
        "run=smoke",
        "run.replications=2",
        f"hydra.run.dir={out}",
    )
    assert proc.returncode == 0, proc.stderr
    assert "nowcast from the ledger as of 2023-06-30" in proc.stdout
    att = pd.read_csv(out / "attainment.csv", encoding="utf-8-sig")
    assert len(att) == len(TARGET_KEYS)
    assert att["p_attain"].notna().all()
    assert (att["as_of"] == AS_OF).all()
    assert (pd.read_parquet(out / "kpis.parquet")["as_of"] == AS_OF).all()
    actual = pd.read_parquet(out / "actual_monthly.parquet")
    assert list(actual.columns) == ["target", "month", "date", "value"]
    assert actual["month"].max() == 6
    # the exported ledger of the nowcast's replication 0 reads back as a valid ledger
    exported = out / "ledger_2023-03-31.csv"
    from sim.ledger.io import load_ledger

    assert len(load_ledger(exported, as_of="2023-03-31")) > 0


def test_cli_strict_stops_on_a_bad_ledger_before_running(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = (ROOT / "data" / "ledger_template.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace("示例-汽车零部件项目,工业", "示例-汽车零部件项目,钢铁"), encoding="utf-8")
    out = tmp_path / "run"
    proc = _cli(
        f"nowcast.ledger={bad}", f"nowcast.as_of={AS_OF}", "nowcast.strict=true", "run=smoke", f"hydra.run.dir={out}"
    )
    assert proc.returncode != 0
    assert "invalid ledger" in proc.stderr
    assert "row 3, column 'sector'" in proc.stderr
    assert "钢铁" in proc.stderr
    assert not (out / "kpis.parquet").exists()


def test_cli_reads_an_office_ledger_and_accounts_for_every_row(tmp_path: Path) -> None:
    """Issue 12: a title row, a unit row, header variants, a bad row and a total: the run goes on."""
    text = (ROOT / "data" / "ledger_template.csv").read_text(encoding="utf-8-sig").splitlines()
    header = text[0].replace("行业", "行业类别").replace("协议投资额(亿元)", "协议总投资（亿元）")
    header = header.replace("签约日期", "签约时间")
    rows = [r.replace("示例-汽车零部件项目,工业", "示例-汽车零部件项目,钢铁") for r in text[1:]]
    office = ["2023年重大项目台账" + "," * header.count(","), "单位：亿元" + "," * header.count(","), header, *rows]
    office.append("合计" + "," * header.count(","))
    path = tmp_path / "office.csv"
    path.write_text("\n".join(office) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    proc = _cli(
        f"nowcast.ledger={path}", f"nowcast.as_of={AS_OF}", "run=smoke", "run.replications=1", f"hydra.run.dir={out}"
    )
    assert proc.returncode == 0, proc.stderr
    account = pd.read_csv(out / "ledger_read.csv", encoding="utf-8-sig").set_index("source_row")
    assert list(account.index) == list(range(1, len(office) + 1))  # every source row, once
    assert account.loc[5, "status"] == "refused"  # the 钢铁 row (row 2 of the template)
    assert "钢铁" in account.loc[5, "reason"]
    assert account.loc[len(office), "status"] == "skipped"  # the total
    read = account["status"].isin(["read", "assumed"]).sum()
    assert read == len(rows) - 1
    assert (pd.read_parquet(out / "kpis.parquet")["as_of"] == AS_OF).all()


def randomized_pit(sample: np.ndarray, truth: float, u: float) -> float:
    """Randomized rank of ``truth`` among the ``sample`` of M members, on (0, 1): uniform if calibrated.

    Where the truth is exchangeable with the members its rank R (members below it, ties
    broken at random) is uniform on 0..M, so (R + u) / (M + 1) with u ~ U(0, 1) is exactly
    U(0, 1) for any M. The share of members below the truth, R / M, is not: it takes M + 1
    values, and with M = 25 a calibrated forecast puts only 22 of its 26 ranks strictly inside
    (0.05, 0.95), an expected "90% coverage" of 0.846 (and 0.769 for 80%): the defect behind
    the xfail of 3 December 2026 (cover90 0.8175 against 0.83-0.97).
    """
    below, ties = float((sample < truth).sum()), float((sample == truth).sum())
    return (below + u * (ties + 1.0)) / (sample.size + 1.0)


@pytest.mark.parametrize("members", [5, 25, 30])
def test_randomized_pit_is_uniform_for_a_calibrated_forecast(members: int) -> None:
    """Truth and members drawn alike (continuous and discrete): 80% and 90% coverage as nominal."""
    rng = np.random.default_rng(7)
    for draw in (lambda n: rng.normal(size=n), lambda n: rng.poisson(3.0, size=n).astype(float)):
        pits = np.array([randomized_pit(draw(members), float(draw(1)[0]), rng.random()) for _ in range(20_000)])
        assert abs(((pits > 0.05) & (pits < 0.95)).mean() - 0.90) < 0.01
        assert abs(((pits > 0.10) & (pits < 0.90)).mean() - 0.80) < 0.01
        assert abs(pits.mean() - 0.5) < 0.01


# Consistency test sizes: N simulated years (half under the plan's levers, where permits run
# beside land; half under the status quo, sequential and with congested approval offices),
# M nowcast replications each (about 2 minutes).
N_TRUTHS, M_NOWCASTS = 16, 25
POLICIES = ("plan", "status_quo")
# Pooled over 25 targets x 16 years (targets of one year are correlated, so the effective
# sample is far below 400): coverage within 0.10 of nominal for the 80% interval and 0.07
# for the 90% interval; the mean PIT within 0.07 of 0.5. Measured with 30 years x 30
# replications under the plan: coverage 0.823 (80%), 0.916 (90%), mean PIT 0.506; 20 x 30
# under the status quo: 0.806, 0.882, mean PIT 0.544 (start targets there lean high: the
# nowcast slightly under-forecasts starts).
COVERAGE_TOL_80, COVERAGE_TOL_90, MEAN_PIT_TOL = 0.10, 0.07, 0.07


@pytest.mark.slow
def test_nowcasts_are_calibrated(tmp_path: Path) -> None:
    """Simulate years, export ledgers on 30 June, nowcast each: true year ends are calibrated.

    Last measured (4 Dec 2026, the randomized rank of :func:`randomized_pit`, on main before the
    burn-in, 16 years x 25 replications): cover80 0.760, cover90 0.8575, mean PIT 0.510; the same
    years scored by the share below the truth had given 0.7325, 0.8175 (the xfail of 3 Dec).
    Measured 26 Nov 2026 (share below the truth): cover80 0.7675, cover90 0.8425, mean PIT 0.456. It failed
    (cover90 0.8225) until the nowcast brought back idle land recovered after as_of, drew the
    quality of projects in pre-work from its posterior and the problems known to be ongoing
    given their elapsed time, and let files under review be abandoned; still leaning:
    industrial starts >= 1亿 (mean PIT 0.31).
    """
    from tests.conftest import compose_study

    bases = [compose_study(["run=smoke", "run.replications=1", f"policy={p}"]) for p in POLICIES]
    targets = [k for k in TARGET_KEYS if k not in RETROFIT_TARGETS]
    rng = np.random.default_rng(0)
    pits = []
    for i in range(N_TRUTHS):
        base = bases[i % len(bases)]
        cfg = with_parameters(replace(base, run=replace(base.run, seed=1000 + i)), 0)  # luck only (issue 11)
        truth = run_study(cfg)
        c = cfg.model.construction
        frame = from_model(
            truth.ledgers,
            calendar_of(cfg),
            AS_OF,
            realisation=c.spend_realisation_share,
            curve=(c.spend_curve_a, c.spend_curve_b),
        )
        path = write_ledger(frame, tmp_path / f"ledger_{i}.csv")
        now = _nowcast(cfg, path, replications=M_NOWCASTS, seed=50_000 + i, keep_ledgers=0)
        forecast = run_study(now).kpis
        year_end = truth.kpis.set_index("target")["value"]
        for target in targets:
            sample = forecast.loc[forecast["target"] == target, "value"].to_numpy()
            pits.append(randomized_pit(sample, year_end[target], rng.random()))
    pit = np.asarray(pits)
    cover80 = float(((pit > 0.1) & (pit < 0.9)).mean())
    cover90 = float(((pit > 0.05) & (pit < 0.95)).mean())
    assert abs(cover80 - 0.8) <= COVERAGE_TOL_80, cover80
    assert abs(cover90 - 0.9) <= COVERAGE_TOL_90, cover90
    assert abs(pit.mean() - 0.5) <= MEAN_PIT_TOL, pit.mean()
