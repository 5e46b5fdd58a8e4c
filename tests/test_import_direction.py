"""One direction of import: ``sim`` may import ``analysis``; ``analysis`` imports neither ``sim`` nor simpy."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

FORBIDDEN = ("sim", "simpy")  # top-level packages analysis must not import (style.md §5)


def imported_packages(source: str) -> set[str]:
    """Top-level package of every absolute import in ``source`` (also those inside functions)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_check_sees_imports_inside_functions() -> None:
    assert imported_packages("def f():\n    from sim.units import HUAIAN_UNITS\n") == {"sim"}
    assert imported_packages("import simpy.resources\nfrom . import style\n") == {"simpy"}


def test_analysis_never_imports_the_model() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path.read_text(encoding="utf-8")) & set(FORBIDDEN))
        for path in sorted((ROOT / "analysis").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}
