"""``python -m sim --help`` from the cache: the same bytes as Hydra's own, and a new key on any change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.help_cache import help_key

ROOT = Path(__file__).resolve().parents[1]


def _help(cache: Path) -> subprocess.CompletedProcess[bytes]:
    env = os.environ | {"GONGJIAN_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, cwd=ROOT, env=env, check=True)


def test_help_from_the_cache_is_byte_identical_to_hydras(tmp_path: Path) -> None:
    composed = _help(tmp_path)  # a miss: Hydra composes and prints; the text is stored
    stored = list(tmp_path.glob("help-*.txt"))
    assert len(stored) == 1
    assert stored[0].read_bytes() == composed.stdout
    assert b"== Config ==" in composed.stdout
    stored[0].write_bytes(composed.stdout + b"(from the cache)\n")  # mark it: the next help must print it
    cached = _help(tmp_path)
    assert cached.stdout == composed.stdout + b"(from the cache)\n"


def test_any_changed_config_or_code_file_or_argument_gives_another_key(tmp_path: Path) -> None:
    (tmp_path / "conf" / "policy").mkdir(parents=True)
    (tmp_path / "sim" / "config").mkdir(parents=True)
    (tmp_path / "cityplan").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("a: 1\n")
    (tmp_path / "conf" / "policy" / "plan.yaml").write_text("b: 1\n")
    (tmp_path / "sim" / "config" / "study.py").write_text("X = 1\n")
    (tmp_path / "cityplan" / "schema.py").write_text("Y = 1\n")
    (tmp_path / "notes.txt").write_text("not an input\n")
    first = help_key(["--help"], tmp_path)
    assert help_key(["--help"], tmp_path) == first
    (tmp_path / "notes.txt").write_text("changed\n")
    assert help_key(["--help"], tmp_path) == first
    assert help_key(["policy=plan", "--help"], tmp_path) != first
    changes = (
        ("conf/policy/plan.yaml", "b: 2\n"),
        ("sim/config/study.py", "X = 2\n"),
        ("cityplan/schema.py", "Y = 2\n"),
        ("conf/new.yaml", ""),
    )
    for path, text in changes:
        before = help_key(["--help"], tmp_path)
        (tmp_path / path).write_text(text)
        assert help_key(["--help"], tmp_path) != before, path
