"""The house rules of import, stated for every package (style.md §5; issue 21).

Rooms, from the ground up: ``cityplan`` (the plan's vocabulary) imports neither the model nor
the analyses; ``analysis`` reads tables and never imports ``sim`` or simpy; inside ``sim`` each
room imports only the rooms below it (config < engine < model < ledger < nowcast < run <
compose < experiments < the entry point). Only :mod:`sim.__main__` and :mod:`sim.compose`
import Hydra; nothing imports the entry point. No module circle, counting imports inside
functions and under ``TYPE_CHECKING`` (a local import must never hide one).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

FIRST_PARTY = ("cityplan", "sim", "analysis")

# room -> first-party rooms it may import (besides itself). A room is a top-level package, a
# sub-package of sim/ or analysis/, or a top-level module of sim/. Analyses are pure functions.
ANALYSES = "analysis"
ALLOWED: dict[str, set[str]] = {
    "cityplan": set(),
    "sim": set(),
    "analysis": {"cityplan"},
    "analysis.plots": {"cityplan", ANALYSES},
    "analysis.report": {"cityplan", ANALYSES, "analysis.plots"},
    "analysis.commands": {"cityplan", ANALYSES, "analysis.plots", "analysis.report"},
    "analysis.__main__": {"analysis.commands"},
    "sim.config": {"cityplan"},
    "sim.engine": set(),
    "sim.model": {"cityplan", "sim.config", "sim.engine"},
    "sim.ledger": {"cityplan", "sim.config", "sim.model", ANALYSES},
    "sim.nowcast": {"cityplan", "sim.config", "sim.model", "sim.ledger"},
    "sim.run": {"cityplan", "sim.config", "sim.model", "sim.nowcast", ANALYSES},  # precision: the one Wilson interval
    "sim.compose": {"cityplan", "sim.config", "sim.run"},
    "sim.experiments": {"cityplan", "sim.config", "sim.run", "sim.compose", ANALYSES, "analysis.plots"},
    "sim.commands": set(),
    "sim.help_cache": set(),
    # thin aliases kept so today's commands still work (python -m sim.screen, ...)
    "sim.screen": {"sim.experiments"},
    "sim.select": {"sim.experiments"},
    "sim.tune": {"sim.experiments"},
    "sim.what_it_takes": {"sim.experiments"},
    "sim.calibrate": {"sim.ledger"},
    # python -m sim.validate: the model against the published record (issue 22)
    "sim.validate": {"cityplan", "sim.config", "sim.run", "sim.compose", ANALYSES, "analysis.plots"},
    # python -m sim.history_match: rule out inputs against the record in waves (issue 22)
    "sim.history_match": {
        "cityplan",
        "sim.config",
        "sim.run",
        "sim.compose",
        "sim.experiments",
        "sim.validate",
        ANALYSES,
    },
    "sim.__main__": {
        "cityplan",
        "sim.config",
        "sim.model",
        "sim.ledger",
        "sim.nowcast",
        "sim.run",
        "sim.compose",
        "sim.commands",
        "sim.help_cache",
        ANALYSES,
    },
}
HYDRA_ALLOWED = {"sim.__main__", "sim.compose"}
SIMPY_ROOMS = {"sim.engine", "sim.model", "sim.run"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "cityplan":
        return "cityplan"
    if parts[0] in ("sim", "analysis") and len(parts) >= 2:
        if (ROOT / parts[0] / parts[1]).is_dir():
            return f"{parts[0]}.{parts[1]}"
        return module if parts[0] == "sim" or parts[1] == "__main__" else "analysis"
    return module


def imports_of(source: str) -> Iterator[str]:
    """Every absolute module named by an import in ``source`` (inside functions and TYPE_CHECKING too)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def first_party_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in FIRST_PARTY for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = first_party_modules()


def graph() -> dict[str, set[str]]:
    """Module -> the first-party modules it imports."""
    out: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {m for m in imports_of(path.read_text(encoding="utf-8")) if m in MODULES and m != name}
        out[name] = targets
    return out


def test_the_check_sees_imports_inside_functions_and_type_checking() -> None:
    source = "def f():\n    from sim.model.leads import Leads\nif TYPE_CHECKING:\n    import simpy.resources\n"
    assert set(imports_of(source)) == {"sim.model.leads", "sim.model.leads.Leads", "simpy.resources"}


def test_every_room_is_stated() -> None:
    assert {room(m) for m in MODULES} - set(ALLOWED) == set()


@pytest.mark.parametrize("package", FIRST_PARTY)
def test_each_room_imports_only_the_rooms_below_it(package: str) -> None:
    offenders = {}
    for name, targets in graph().items():
        if name.split(".")[0] != package:
            continue
        mine = room(name)
        bad = sorted(t for t in targets if room(t) != mine and room(t) not in ALLOWED[mine])
        if bad:
            offenders[name] = bad
    assert offenders == {}


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every circle a depth-first walk of ``g`` meets, as [a, b, ..., a]."""
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return None
        stack.append(node)
        for nxt in sorted(g.get(node, ())):
            if circle := visit(nxt):
                return circle
        stack.pop()
        done.add(node)
        return None

    found = []
    for m in sorted(g):
        stack.clear()
        if circle := visit(m):
            found.append(circle)
    return found


def test_the_circle_check_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) != []
    assert circles({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) == []


def test_no_module_circle() -> None:
    assert circles(graph()) == []


def third_party(package: str) -> dict[str, set[str]]:
    return {
        name: {m.split(".")[0] for m in imports_of(path.read_text(encoding="utf-8"))} & {package}
        for name, path in MODULES.items()
    }


def test_only_the_entry_point_and_compose_import_hydra() -> None:
    users = {name for name, found in third_party("hydra").items() if found}
    assert users <= HYDRA_ALLOWED


def test_simpy_stays_in_the_engine_model_and_run() -> None:
    users = {name for name, found in third_party("simpy").items() if found}
    assert {room(u) for u in users} <= SIMPY_ROOMS


def test_nothing_imports_the_entry_point() -> None:
    importers = {name for name, targets in graph().items() if "sim.__main__" in targets}
    bench = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "bench").rglob("*.py")
        if "sim.__main__" in set(imports_of(p.read_text(encoding="utf-8")))
    }
    assert (importers, bench) == (set(), set())


def test_config_chapters_never_import_their_own_face() -> None:
    """``sim.config`` re-exports the chapters; a chapter importing the face would be a circle."""
    inside = {n: t for n, t in graph().items() if n.startswith("sim.config.")}
    assert {n for n, t in inside.items() if "sim.config" in t} == set()
