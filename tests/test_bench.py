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
    # replication cost, speed-up, memory, --help, CRN, ledger check CSV + XLSX, 3-job report time
    # and size; issue 26: screen / standalone, forked == unforked, Dask / local pool
    assert len(goals) == 12
    for figure in goals:
        assert figure["value"] > 0 or figure["name"].startswith("forked == unforked")
        # "met" is the goal read the figure's way (a floor or a ceiling), not any bool
        floor = figure["at_least"]
        assert figure["met"] == (figure["value"] >= figure["goal"] if floor else figure["value"] <= figure["goal"])
        assert figure["name"] in proc.stdout
    retired = [f["name"] for f in body["figures"] if "1,000 replications" in f["name"] and f["goal"] is not None]
    assert retired == []  # a figure now, not a goal (issue 26)
    forked = next(f for f in body["figures"] if f["name"].startswith("forked == unforked"))
    assert forked["met"] is True  # run_cells gives each study's own tables, bit for bit


def test_benchmark_page_section_is_the_bench_table_between_markers(tmp_path: Path) -> None:
    from bench.readme import BEGIN, END, latest, update_page

    readme = tmp_path / "benchmark.md"
    readme.write_text(f"# x\n\n{BEGIN}\nold figures\n{END}\n\nafter\n", encoding="utf-8")
    body = {
        "meta": {
            "when_utc": "2026-11-25T21:00:00+00:00",
            "quick": False,
            "sizes": {"speed": 200},
            "jobs": 2,
            "cpus": 2,
            "python": "3.11.7",
            "load_average_before": [1.0, 2.0, 3.0],
            "load_average_after": [4.0, 5.0, 6.0],
            "bench_wall_s": 100.0,
        },
        "figures": [{"name": "replications/s, serial", "detail": {"cpu_cores_obtained": 0.97}}],
        "table": "| measure | figure | goal | met |\n|---|---|---|---|\n| a | 1 s | ≤ 2 s | yes |",
    }
    (tmp_path / "bench-20261125T210000.json").write_text(json.dumps(body), encoding="utf-8")
    (tmp_path / "bench-20261125T220000.json").write_text(json.dumps(body | {"meta": body["meta"] | {"quick": True}}))
    source = latest(tmp_path)
    assert source.name == "bench-20261125T210000.json"  # a --quick run never feeds the page
    update_page(readme, source)
    text = readme.read_text(encoding="utf-8")
    assert "old figures" not in text
    assert text.startswith("# x")
    assert text.rstrip().endswith("after")
    assert "| a | 1 s | ≤ 2 s | yes |" in text
    assert "before: 1.0, 2.0, 3.0" in text
    assert "replications/s, serial: 0.97" in text
    assert text.count(BEGIN) == text.count(END) == 1


def test_bench_writes_the_docs_benchmark_page_not_the_readme() -> None:
    from bench.readme import BEGIN, END, PAGE

    assert ROOT / "docs" / "benchmark.md" == PAGE
    page = PAGE.read_text(encoding="utf-8")
    assert page.count(BEGIN) == page.count(END) == 1
    assert page.index(BEGIN) < page.index(END)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN not in readme
    assert END not in readme  # the README quotes no benchmark figure
