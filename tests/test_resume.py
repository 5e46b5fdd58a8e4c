"""Finished chunks are written as parquet parts; a killed run resumes to the same tables."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sim.config.study import StudyConfig
from sim.run.parts import ResumeError, config_hash
from sim.run.study import run_study
from tests.conftest import ROOT, compose_study

TABLES = ("kpis", "monthly", "ledgers", "resources")


def assert_same_tables(a: object, b: object) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_resume_computes_only_missing_replications(study: Callable[..., StudyConfig], tmp_path: Path) -> None:
    cfg = study("run.replications=4", "run.chunk_size=2", "run.keep_ledgers=3")
    reference = run_study(cfg)
    first = run_study(cfg, parts_dir=tmp_path)
    assert_same_tables(first, reference)
    parts = sorted(p.name for p in tmp_path.glob("chunk_*"))
    assert parts == ["chunk_000000_000002.parquet", "chunk_000002_000004.parquet"]
    (tmp_path / "chunk_000002_000004.parquet").unlink()  # as if killed before the second chunk
    resumed = run_study(replace(cfg, run=replace(cfg.run, chunk_size=1)), parts_dir=tmp_path)
    assert resumed.meta["replications_computed"] == 2
    assert resumed.meta["replications_reused"] == 2
    assert_same_tables(resumed, reference)
    # asking for more replications later computes only the new ones
    more = run_study(replace(cfg, run=replace(cfg.run, replications=5)), parts_dir=tmp_path)
    assert more.meta["replications_computed"] == 1
    pd.testing.assert_frame_equal(more.kpis[more.kpis["replication"] < 4].reset_index(drop=True), reference.kpis)
    # two runs of one command in one directory may both write a chunk: identical, kept once
    shutil.copy(tmp_path / "chunk_000000_000002.parquet", tmp_path / "chunk_000000_000002_twin.parquet")
    again = run_study(cfg, parts_dir=tmp_path)
    assert again.meta["replications_computed"] == 0
    assert_same_tables(again, reference)


def test_chunks_without_manifest_are_refused(study: Callable[..., StudyConfig], tmp_path: Path) -> None:
    cfg = study("run.replications=1")
    run_study(cfg, parts_dir=tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(ResumeError, match="configuration is unknown"):
        run_study(cfg, parts_dir=tmp_path)


def test_other_configuration_is_refused(study: Callable[..., StudyConfig], tmp_path: Path) -> None:
    cfg = study("run.replications=1")
    run_study(cfg, parts_dir=tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ResumeError, match="different configuration"):
        run_study(study("run.replications=1", "run.seed=7"), parts_dir=tmp_path)
    with pytest.raises(ResumeError, match="different configuration"):
        run_study(study("run.replications=1", "policy=status_quo"), parts_dir=tmp_path)
    with pytest.raises(ResumeError, match=r"run\.resume"):
        run_study(replace(cfg, run=replace(cfg.run, resume=False)), parts_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_hash_ignores_only_execution_settings(study: Callable[..., StudyConfig]) -> None:
    cfg = study()
    same = replace(cfg, run=replace(cfg.run, jobs=2, chunk_size=3, progress=True, replications=9, backend="dask"))
    assert config_hash(same) == config_hash(cfg)
    assert config_hash(replace(cfg, run=replace(cfg.run, seed=1))) != config_hash(cfg)
    assert config_hash(replace(cfg, run=replace(cfg.run, keep_ledgers=5))) != config_hash(cfg)


def _cli(run_dir: Path, n: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sim",
        "run=smoke",
        f"run.replications={n}",
        "run.chunk_size=1",
        "run.keep_ledgers=2",
        f"hydra.run.dir={run_dir}",
    ]


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_tables(tmp_path: Path) -> None:
    n = 5
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(_cli(run_dir, n), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((run_dir / "parts").glob("chunk_*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((run_dir / "parts").glob("chunk_*.parquet")))
    assert 2 <= done < n, "the run must be killed halfway for this test to mean anything"
    assert not (run_dir / "kpis.parquet").exists()

    resumed = subprocess.run(_cli(run_dir, n), cwd=ROOT, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    meta = json.loads((run_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["replications_reused"] == done
    assert meta["replications_computed"] == n - done

    reference = run_study(compose_study(["run=smoke", f"run.replications={n}", "run.keep_ledgers=2"]))
    for name in TABLES:
        table = pd.read_parquet(run_dir / f"{name}.parquet")
        pd.testing.assert_frame_equal(table, getattr(reference, name), obj=name)
    kpis = pd.read_parquet(run_dir / "kpis.parquet")
    assert sorted(kpis["replication"].unique()) == list(range(n))  # none lost, none twice
    assert not kpis.duplicated(["replication", "target"]).any()
