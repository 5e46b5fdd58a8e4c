"""The one error type of bad input, shared by ``sim/`` and ``analysis/``.

Defined here (``analysis/`` imports nothing from ``sim/``) so that the plan vocabulary in
:mod:`cityplan.schema` and the model configuration in :mod:`sim.config` raise the same
class; ``sim.config.ConfigError`` is this class.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is outside what the model allows."""


def fail(name: str, value: object, allowed: str) -> None:
    """Raise :class:`ConfigError` naming the field, its value and what is allowed."""
    raise ConfigError(f"config field '{name}' = {value!r} is not allowed: expected {allowed}")
