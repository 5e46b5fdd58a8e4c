"""The backend options every experiment command takes: ``--backend``, ``--jobs``, ``--dask-address``.

One set of flags for the screen, the selection, what-it-takes, the tuner, validation and
history matching, read into the run settings a forecast uses (``run.backend``, ``run.jobs``,
``run.dask_address``; :mod:`sim.run.backends`). Only :mod:`argparse` is imported at the top so
a command's ``--help`` stays quick; the settings are built (and checked) when read.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config.run import RunConfig


def add_backend_options(parser: argparse.ArgumentParser, jobs_default: str | None = "1") -> None:
    """Add ``--backend``, ``--jobs`` and ``--dask-address`` to a command's parser.

    Not given, each keeps its default (``local``, ``jobs_default``, none) or, for a command that
    composes its study from Hydra overrides (``jobs_default`` None), the study's own ``run.`` setting.
    """
    parser.add_argument("--backend", default=None, help="where replications run: local (default) or dask (a cluster)")
    parser.add_argument(
        "--jobs",
        default=None,
        help=f"worker processes (local) or LocalCluster workers (dask): an integer or auto (every core); "
        f"default {jobs_default or 'the run settings (run.jobs)'}",
    )
    parser.add_argument(
        "--dask-address",
        default=None,
        help="scheduler of a running Dask cluster, e.g. tcp://head:8786 (with --backend dask)",
    )
    parser.set_defaults(jobs_default=jobs_default)


def backend_of(args: argparse.Namespace) -> RunConfig:
    """The run settings of the backend options (ValueError, one line, for a bad value)."""
    from sim.config.run import RunConfig, parse_jobs  # here, not at the top: --help imports no config

    jobs = args.jobs or args.jobs_default
    return RunConfig(
        backend=args.backend or "local", jobs=parse_jobs(jobs) if jobs else 1, dask_address=args.dask_address or ""
    )


def backend_overrides(args: argparse.Namespace) -> list[str]:
    """The backend options given, as Hydra overrides for a command that composes its study (checked first)."""
    backend_of(args)
    given = {"backend": args.backend, "jobs": args.jobs, "dask_address": args.dask_address}
    return [f"run.{key}={value}" for key, value in given.items() if value is not None]


def backend_argv(args: argparse.Namespace) -> list[str]:
    """The backend options given, as command-line flags (to reproduce or pass on a command)."""
    given = {"--backend": args.backend, "--jobs": args.jobs, "--dask-address": args.dask_address}
    return [part for flag, value in given.items() if value is not None for part in (flag, value)]
