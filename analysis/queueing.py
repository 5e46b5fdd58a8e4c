"""Closed-form queueing results used to validate the simulation (M/M/c, Erlang C)."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Parameters
    ----------
    servers
        Number of servers ``c``.
    offered_load
        ``a = lambda / mu`` in Erlangs; must be < ``servers``.
    """
    if not 0 <= offered_load < servers:
        raise ValueError(f"offered_load={offered_load} must be in [0, servers={servers})")
    # Sum in a numerically stable way via the Erlang B recursion.
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / servers
    return b / (1.0 - rho + rho * b)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue (before service) of an M/M/c queue, in the rates' time unit."""
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def littles_law_length(arrival_rate: float, mean_time: float) -> float:
    """Mean number in a system by Little's law, L = lambda * W."""
    return arrival_rate * mean_time


def mm1_mean_wait(arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue of an M/M/1 queue."""
    return mmc_mean_wait(arrival_rate, service_rate, 1) if math.isfinite(service_rate) else 0.0
