"""Compose a study exactly as ``python -m sim`` does (re-exported from the entry point)."""

from __future__ import annotations

from sim.compose import compose_study

__all__ = ["compose_study"]
