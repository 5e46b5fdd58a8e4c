"""Every relative link in README.md and docs/ points at a file that exists, and at a heading there.

`mkdocs build --strict` (`make docs`) checks the links between docs pages; it does not read the
README, whose links into docs/ are what a newcomer follows first. Targets under sim/, analysis/
and cityplan/ are code paths (the docs name them as they are after the layout change) and are
skipped; links to other files must exist, and an anchor into a Markdown file must be a heading
of that file, slugged the way Python-Markdown's toc extension (mkdocs' default) slugs it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CODE_ROOTS = ("sim/", "analysis/", "cityplan/")
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a YAML comment there is no heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """Python-Markdown's default toc slug (non-ASCII dropped, punctuation removed, '-' joins)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in _prose(page.read_text(encoding="utf-8")) if line.startswith("#")}


def _links(page: Path) -> list[str]:
    found = []
    for line in _prose(page.read_text(encoding="utf-8")):
        found += [m.group(1) for m in LINK.finditer(line)]
    return [t for t in found if not re.match(r"[a-z][a-z0-9+.-]*:", t)]  # http:, https:, mailto:


def test_there_are_pages_and_links_to_check() -> None:
    assert (ROOT / "docs" / "index.md").exists()
    assert len(PAGES) > 10
    assert any("docs/" in t for t in _links(ROOT / "README.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        rel = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else None
        if rel is not None and rel.startswith(CODE_ROOTS):
            continue
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
