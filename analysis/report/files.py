"""File hygiene of a report: atomic writes, and removing only the files an earlier report wrote."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _atomic_write(path: Path, write: Any) -> None:
    """Write via a temporary file in the same directory, then rename (no half-written file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


CHART_SECTIONS: tuple[str, ...] = ("attainment", "fan", "distribution", "comparison", "bottlenecks", "funnel")


def _remove_old_charts(charts_dir: Path) -> None:
    """Delete the charts an earlier report wrote (our file names only), so none goes stale."""
    if not charts_dir.is_dir():
        return
    old = [
        p
        for p in charts_dir.iterdir()
        if p.is_file() and p.suffix in {".png", ".svg"} and p.stem.split("_", 1)[0] in CHART_SECTIONS
    ]
    for path in old:
        path.unlink()
    log.info("removed %d charts of the earlier report in %s", len(old), charts_dir)


def _remove_old_cell_pages(pages_dir: Path) -> None:
    """Delete the job pages an earlier sweep report wrote (``*.html`` in ``report_cells/``)."""
    if pages_dir.is_dir():
        for path in pages_dir.glob("*.html"):
            path.unlink()
