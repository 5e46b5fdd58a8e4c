"""The benchmark runs end to end and reports every figure (no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_bench_quick_reports_every_goal(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (saved,) = tmp_path.glob("bench-*.json")
    body = json.loads(saved.read_text(encoding="utf-8"))
    goals = [f for f in body["figures"] if f["goal"] is not None]
    assert len(goals) == 8  # event rate, speed-up, 1,000 replications, memory, --help, CRN, ledger check CSV + XLSX
    for figure in goals:
        assert figure["value"] > 0
        assert figure["met"] in (True, False)
        assert figure["name"] in proc.stdout
