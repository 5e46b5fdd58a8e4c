"""``python -m sim --help`` served from a cache of the text Hydra printed (issue 13: start-up).

Hydra's help composes the whole configuration to print it (~1-3 s with the imports). The text
depends only on the command line, the config files (``conf/``, the ``scenarios/`` it links),
the schema and entry point (``sim/*.py``) and the versions of Python, hydra-core and omegaconf,
so it is stored under a hash of all of them in the user's cache directory
(``$GONGJIAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/gongjian``, else ``~/.cache/gongjian``) and
printed from there while none of them changed: a changed file gives another key, so a stored
text is never stale. Only ``--help``/``-h`` are cached (``--hydra-help`` lists Hydra's plugins,
which the key does not cover). This module imports only the standard library: a hit never
imports Hydra.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
HELP_FLAGS: tuple[str, ...] = ("--help", "-h")
# What the printed help can depend on: config files and the code that declares the schema.
KEY_FILES: tuple[tuple[str, str], ...] = (("conf", "*.yaml"), ("sim", "*.py"), ("cityplan", "*.py"))
KEY_PACKAGES: tuple[str, ...] = ("hydra-core", "omegaconf")


def cache_dir() -> Path:
    """Where help texts are stored (the directory may not exist yet)."""
    given = os.environ.get("GONGJIAN_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gongjian"


def help_key(argv: list[str], root: Path = ROOT) -> str:
    """SHA-256 of the arguments, the versions and every file the help text can depend on."""
    digest = hashlib.sha256()
    versions = [sys.version, *(metadata.version(p) for p in KEY_PACKAGES)]
    digest.update(json.dumps([argv, versions]).encode())
    for folder, pattern in KEY_FILES:
        # rglob does not follow the conf/scenario symlink: walk with os.walk, which can
        for dirpath, _dirs, files in sorted(os.walk(root / folder, followlinks=True)):
            for name in sorted(files):
                path = Path(dirpath) / name
                if path.match(pattern):
                    digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def asks_for_help(argv: list[str]) -> bool:
    """True when the command line asks for the app's help (``--help`` or ``-h``)."""
    return any(arg in HELP_FLAGS for arg in argv)


def print_cached_help(argv: list[str], out: TextIO | None = None) -> bool:
    """Print the stored help for ``argv`` and return True, or return False (nothing printed)."""
    if not asks_for_help(argv):
        return False
    path = cache_dir() / f"help-{help_key(argv)}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    (out or sys.stdout).write(text)
    return True


class _Tee(io.TextIOBase):
    """Writes to ``stream`` and remembers what was written."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.parts = stream, list[str]()

    def write(self, text: str) -> int:  # type: ignore[override]
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def help_recorded(argv: list[str]) -> Iterator[None]:
    """Store what the block prints for a help command line, if it exits cleanly.

    A clean exit is the end of the block or ``SystemExit`` with code 0 (Hydra exits after its
    help). An unwritable cache directory only means the next help composes again.
    """
    if not asks_for_help(argv):
        yield
        return
    real, tee = sys.stdout, _Tee(sys.stdout)
    sys.stdout = tee  # type: ignore[assignment]
    clean = False
    try:
        yield
        clean = True
    except SystemExit as stop:
        clean = stop.code in (0, None)
        raise
    finally:
        sys.stdout = real
        if clean:
            _store(cache_dir() / f"help-{help_key(argv)}.txt", "".join(tee.parts))


def _store(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed); never fails the command."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
