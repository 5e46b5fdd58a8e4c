"""Mutation check (issue 24): each known break, applied to a copy of the repo, must fail the default suite.

Run from the repository root (``make mutants``; CI runs it in the slow stage)::

    .venv/bin/python -m tests.mutants            # every mutant
    .venv/bin/python -m tests.mutants --list     # their names
    .venv/bin/python -m tests.mutants NAME ...   # some of them

For each mutant the files git knows (tracked and new, not ignored; as they are in the work tree)
are copied to a temporary directory, the mutant's source patch is applied there (a string
replacement of a known line: the line must be in the file exactly once, so a refactor that moves
it breaks the mutant loudly instead of silently testing nothing), and the *default* suite runs
in the copy with ``-x`` (stop at the first failure) on the same interpreter. The mutant is killed
if a test fails (pytest exits 1; 2 when ``-x`` interrupts a parallel run). Before the
mutants an unmutated copy must pass the tests that kill most of them, so a copy that cannot run
cannot pass for a kill.

The whole default suite runs (in one process, so that ``-x`` stops at once); only the order of
the test files is changed so that the files that kill most mutants come first.
Prints "killed K of N", lists the survivors, and exits non-zero if any mutant survives.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("mutants")

ROOT = Path(__file__).resolve().parents[1]

# Test files run first (they kill most mutants quickly); the rest of the default suite follows.
FIRST = (
    "tests/test_lever_mechanisms.py",
    "tests/test_reference_tables.py",
    "tests/test_reproducibility.py",
    "tests/test_conservation.py",
    "tests/test_parallel.py",
    "tests/test_attraction.py",
    "tests/test_plan.py",
)
# In one process (-n 0): with pytest-xdist, -x lets each worker finish the tests already sent to
# it (with --dist loadscope, whole modules), so a killed mutant took ~160 s instead of stopping
# at its first failure. Serial, a killed mutant costs the collection plus the tests before it.
PYTEST = ("-q", "-x", "-p", "no:cacheprovider", "-n", "0")


@dataclass(frozen=True)
class Mutant:
    """A named break: ``(file, old, new)`` replacements, each ``old`` found exactly once in its file."""

    name: str
    what: str
    patches: tuple[tuple[str, str, str], ...]


PLAN = "sim/model/project_plan.py"
PROC = "sim/model/processes.py"
ATTR = "sim/model/attraction.py"

MUTANTS: tuple[Mutant, ...] = (
    # --- each lever inert: its mechanism in the model does nothing ---------------------------
    Mutant(
        "ready_to_build",
        "拿地即开工 inert: every project runs its procedures one after the other",
        ((PROC, "    if not s.p.parallel_procedures[project]:\n", "    if True:\n"),),
    ),
    Mutant(
        "five_permits",
        "五证联发 inert: permits take the sequential median",
        ((PLAN, "permit_median = np.where(five, ", "permit_median = np.where(False, "),),
    ),
    Mutant(
        "joint_review",
        "数字化联合审图 inert: no shorter review, no less rework",
        (
            (PLAN, "review_median = np.where(joint, ", "review_median = np.where(False, "),
            (PLAN, "rework = np.where(joint, ", "rework = np.where(False, "),
        ),
    ),
    Mutant(
        "agency_service",
        "全程代办 inert: no shorter file, no shorter pre-work",
        (
            (
                PLAN,
                "        agency, ap.applicant_median_days * ap.agency_applicant_time_factor,",
                "        False, ap.applicant_median_days * ap.agency_applicant_time_factor,",
            ),
            (PLAN, "    median = np.where(agency, median * pw.agency_factor, median)\n", ""),
        ),
    ),
    Mutant(
        "advance_service",
        "前移指导 inert: the days before signing never count towards pre-work",
        (
            (
                PLAN,
                "    return np.where(takes, np.maximum(prework - before_signing, 0.0), prework)\n",
                "    return prework\n",
            ),
        ),
    ),
    Mutant(
        "leader_help",
        "领导挂钩帮办 and 问题会办 inert: problems only take the ordinary route",
        (
            (
                PROC,
                "    has_leader = tier >= 0 and (s.leaders_free[tier] > 0 or taken_up)\n",
                "    has_leader = False\n",
            ),
            (PROC, "    if interval > 0 and s.p.on_meeting_agenda[project]:\n", "    if False:\n"),
        ),
    ),
    Mutant(
        "appraisal",
        "前期研判 inert: nobody is screened",
        ((PLAN, 'screened = leads.uniform("screen") < a.screen_share', 'screened = leads.uniform("screen") < 0.0'),),
    ),
    Mutant(
        "land_reclamation",
        "清理闲置低效用地 inert: no reclaimed 亩, idle plots recovered after the status quo's two years",
        (
            (
                "sim/model/system.py",
                "quota / MONTHS_PER_YEAR + land.reclamation_mu_per_month",
                "quota / MONTHS_PER_YEAR",
            ),
            (
                PROC,
                "recover_idle_land(env, project, s, land, s.cfg.land.idle_recovery_days)",
                "recover_idle_land(env, project, s, land, 730.0)",
            ),
        ),
    ),
    Mutant(
        "energy_swap",
        "腾退能耗 inert: no energy freed",
        (("sim/model/system.py", "QuotaRelease(quota + e.swap_tce_per_month,", "QuotaRelease(quota,"),),
    ),
    Mutant(
        "differentiated_supply",
        "差别化供给 inert: nobody is favoured in the queues",
        (
            (
                PLAN,
                "    return np.where(favoured, -leads.investment_yi, leads.arrival_day)\n",
                "    return leads.arrival_day\n",
            ),
        ),
    ),
    Mutant(
        "supervision",
        "督查考核 inert: patience and stalls as in the status quo",
        (
            (PLAN, "c.stall_median_days * (sv.stall_factor if sv.in_force else 1.0)", "c.stall_median_days"),
            (
                PLAN,
                "model.walkaway.patience_scale_days * (sv.patience_factor if sv.in_force else 1.0)",
                "model.walkaway.patience_scale_days",
            ),
        ),
    ),
    Mutant(
        "parks_platform",
        "园区主平台 inert: park land as slow as in the status quo, no pull on investors",
        (
            (PLAN, "transfer * land.in_park_transfer_factor", "transfer * 0.6"),
            (ATTR, "(1.0 - land.in_park_transfer_factor)", "(1.0 - 0.6)"),
        ),
    ),
    Mutant(
        "completion_service",
        "竣工项目服务帮办 inert: registration and output as unserved",
        (
            (
                PLAN,
                "registration = np.where(served, np.minimum(served_registration, registration), registration)",
                "registration = registration",
            ),
            (
                PLAN,
                "comp.output_median_days * np.where(served, comp.served_output_time_factor, 1.0)",
                "comp.output_median_days",
            ),
        ),
    ),
    Mutant(
        "promotion_events",
        '"3+7+5" inert: no series event is held',
        (
            (ATTR, "return factor if series_slot < a.series_events_per_year else 0.0", "return 0.0"),
            (
                ATTR,
                "event = np.where(series_slot < a.series_events_per_year, base, 0.0)",
                "event = np.zeros(projects.size)",
            ),
        ),
    ),
    Mutant(
        "chain_targeting",
        "链式招商 inert: no extra industrial leads",
        (
            (
                "sim/config/demand.py",
                "return self.chain_extra_share_industrial if self.chain_targeting else 0.0",
                "return 0.0",
            ),
        ),
    ),
    Mutant(
        "lead_promoter",
        "一号招商员 inert: no extra >= 10亿 leads",
        (("sim/config/demand.py", "return self.leader_extra_share_1e9 if self.lead_promoter else 0.0", "return 0.0"),),
    ),
    # --- the other breaks of issue 24 --------------------------------------------------------
    Mutant(
        "counting_window",
        "the counting window starts a year early",
        (
            (
                "cityplan/counting.py",
                "year_start_day=calendar.year_start(target_year),",
                "year_start_day=calendar.year_start(target_year) - 365.0,",
            ),
        ),
    ),
    Mutant(
        "common_random_numbers",
        "a policy with series events draws one extra number before the sizes (CRN broken)",
        (
            (
                "sim/model/leads.py",
                '    attributes = streams["attributes"]\n',
                '    attributes = streams["attributes"]\n'
                "    if a.series_events_per_year > 0:\n"
                "        attributes.random()\n",
            ),
        ),
    ),
    Mutant(
        "conservation",
        "land granted to an investor who walks away is recorded as returned but not given back to the pool",
        (
            (
                PROC,
                '        s.land.give_back(land)\n        s.ledger.record("land_returned"',
                '        s.ledger.record("land_returned"',
            ),
        ),
    ),
    Mutant(
        "size_priority",
        "the size priority ignored: favoured projects served in arrival order, the 'size' rule serves by arrival",
        (
            (
                PLAN,
                "    return np.where(favoured, -leads.investment_yi, leads.arrival_day)\n",
                "    return np.where(favoured, leads.arrival_day - 1e6, leads.arrival_day)\n",
            ),
            (
                PLAN,
                '    if rule == "size":\n        return -leads.investment_yi\n',
                '    if rule == "size":\n        return leads.arrival_day\n',
            ),
        ),
    ),
    Mutant(
        "chunk_size",
        "a chunk's KPIs stacked in reverse order: results depend on the chunk size",
        (
            (
                "sim/run/replication.py",
                "kpis=np.stack([res.kpis for res in results]),",
                "kpis=np.stack([res.kpis for res in results][::-1]),",
            ),
        ),
    ),
)


def repo_files(root: Path) -> list[str]:
    """Files git knows in ``root`` (tracked and new, not ignored) that exist in the work tree (symlinks too)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and ((root / f).is_file() or (root / f).is_symlink())]


def copy_repo(root: Path, dest: Path) -> None:
    """Copy the repository's files into ``dest``."""
    for name in repo_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target, follow_symlinks=False)  # conf/scenario links to scenarios/


def apply(mutant: Mutant, dest: Path) -> None:
    """Apply ``mutant``'s replacements in ``dest``; a line not found exactly once is an error."""
    for name, old, new in mutant.patches:
        path = dest / name
        text = path.read_text(encoding="utf-8")
        count = text.count(old)
        if count != 1:
            raise SystemExit(f"mutant {mutant.name}: {name} holds {count} copies of {old!r}, expected exactly 1")
        path.write_text(text.replace(old, new), encoding="utf-8")


def default_suite(dest: Path) -> list[str]:
    """Every test file of the default suite, those of :data:`FIRST` first."""
    rest = sorted(str(p.relative_to(dest)) for p in (dest / "tests").glob("test_*.py"))
    return [*FIRST, *(f for f in rest if f not in FIRST)]


@dataclass(frozen=True)
class Outcome:
    """What the suite did on one copy: pytest's exit code, its failed tests, the seconds taken."""

    code: int
    failures: tuple[str, ...]
    last_line: str
    seconds: float

    @property
    def killed(self) -> bool:
        """A test failed (pytest exits 1, or 2 when ``-x`` stops the workers of pytest-xdist)."""
        return self.code in (1, 2) and bool(self.failures)

    @property
    def passed(self) -> bool:
        return self.code == 0

    def summary(self) -> str:
        return self.failures[0] if self.failures else self.last_line


def run_suite(dest: Path, files: list[str]) -> Outcome:
    """Run pytest on ``files`` in ``dest`` (the copy's packages first on the path, also for subprocesses)."""
    env = {**os.environ, "PYTHONPATH": str(dest)}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST, *files],
        check=False,
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
    )
    lines = done.stdout.splitlines()
    # a failed or erroring test (``ERROR path::test``), not a file that could not be collected
    failures = tuple(line for line in lines if line.startswith("FAILED") or (line.startswith("ERROR") and "::" in line))
    return Outcome(done.returncode, failures, (lines or [""])[-1], time.perf_counter() - began)


def check(root: Path, mutant: Mutant | None, files: list[str] | None = None) -> Outcome:
    """Copy ``root``, apply ``mutant`` (None: the control) and run the suite (or ``files``) there."""
    with tempfile.TemporaryDirectory(prefix="gongjian-mutant-") as tmp:
        dest = Path(tmp)
        copy_repo(root, dest)
        if mutant is not None:
            apply(mutant, dest)
        return run_suite(dest, files or default_suite(dest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--files", nargs="+", metavar="FILE", help="diagnosis: run only these test files, not the default suite"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    known = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            log.info("%-24s %s", m.name, m.what)
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown mutant(s) {', '.join(unknown)}; allowed: {', '.join(known)}")
    chosen = [known[n] for n in args.names] if args.names else list(MUTANTS)

    began = time.perf_counter()
    control = check(ROOT, None, list(FIRST))
    if not control.passed:
        log.error("control: the unmutated copy fails (exit %d): %s", control.code, control.summary())
        return 2
    log.info("control: the unmutated copy passes %d test files (%.0f s)", len(FIRST), control.seconds)
    survivors, errors = [], []
    for mutant in chosen:
        outcome = check(ROOT, mutant, args.files)
        verdict = "killed" if outcome.killed else "SURVIVED" if outcome.passed else f"ERROR (exit {outcome.code})"
        log.info("%-24s %-8s %4.0f s  %s", mutant.name, verdict, outcome.seconds, outcome.summary())
        if outcome.passed:
            survivors.append(mutant.name)
        elif not outcome.killed:
            errors.append(mutant.name)
    killed = len(chosen) - len(survivors) - len(errors)
    log.info("killed %d of %d (%.0f s)", killed, len(chosen), time.perf_counter() - began)
    if survivors:
        log.info("survivors: %s", ", ".join(survivors))
    if errors:
        log.info("errors (the suite did not run to a verdict): %s", ", ".join(errors))
    return 0 if not survivors and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
