"""Read a planner's ledger for a nowcast: the file (cached), its leads and their units."""

from __future__ import annotations

import functools
import logging

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from cityplan.schema import SECTORS
from cityplan.units import UNIT_KEYS
from sim.config.uptake import UPTAKE_LEVERS
from sim.ledger.io import LedgerError, Problem, load_ledger, to_model
from sim.ledger.tolerant import LedgerRead, read_office_ledger
from sim.model.leads import DECISION_LATENTS, DURATION_LATENTS, Leads

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def read_ledger_file(path: str, as_of: str, strict: bool) -> LedgerRead:
    """Read a ledger once per process: strictly (template, all or nothing) or as offices send it.

    Raises LedgerError (strict: any problem; tolerant: no header, or no project read).
    """
    if strict:
        ledger = load_ledger(path, as_of=as_of)
        rows = ledger.index.to_numpy() + 2  # the template's header is row 1
        account = pd.DataFrame({"source_row": rows, "status": "read", "reason": ""})
        return LedgerRead(ledger.assign(source_row=rows), ledger, account)
    got = read_office_ledger(path, as_of=as_of)
    if got.ledger.empty:
        refused = got.account[got.account["status"] == "refused"]
        first = refused.head(20)
        problems = [
            Problem(int(row), "row", reason, "a project row that validates")
            for row, reason in zip(first["source_row"].to_numpy(dtype=int), first["reason"], strict=True)
        ]
        raise LedgerError(path, problems or [Problem(0, "file", path, "at least one project row")])
    return got


@functools.lru_cache(maxsize=4)
def load_model_ledger(path: str, as_of: str, first_year: int, strict: bool = False) -> pd.DataFrame:
    """Read, validate and convert a ledger once per process (raises LedgerError).

    Projects are put in one order whatever the file's (signing date, unit, name: unique once
    validated), so a ledger sorted or grouped differently, e.g. by county, gives the same
    nowcast: the fresh draws of :func:`ledger_leads` follow this order.
    """
    ordered = _in_model_order(read_ledger_file(path, as_of, strict).ledger)
    ledger = to_model(ordered, Calendar(first_year, first_year))
    log.info("ledger %s: %d projects on %s", path, len(ledger), as_of)
    return ledger


def _in_model_order(read: pd.DataFrame) -> pd.DataFrame:
    """The validated projects in the nowcast's one order: signing date, unit, name."""
    return read.sort_values(["signed_date", "unit", "name"], kind="stable").reset_index(drop=True)


def source_rows(path: str, as_of: str, strict: bool = False) -> np.ndarray:
    """The file's row of each project, in the order of :func:`load_model_ledger` (the watch list names it).

    Kept out of the model ledger: the same projects in another layout are the same ledger.
    """
    return _in_model_order(read_ledger_file(path, as_of, strict).ledger)["source_row"].to_numpy()


def _subset(leads: Leads, idx: np.ndarray) -> Leads:
    return leads.take(idx)


def _concat(a: Leads, b: Leads) -> Leads:
    return Leads.concat(a, b)


def ledger_leads(ledger: pd.DataFrame, rng: np.random.Generator) -> Leads:
    """Leads for the ledger's projects: their sector and size, fresh latents from ``rng``.

    The signing day stands in for the arrival day (it orders first-come queues).
    """
    n = len(ledger)
    return Leads(
        arrival_day=ledger["t_signed"].to_numpy(dtype=float),
        sector=np.asarray([SECTORS.index(s) for s in ledger["sector"]], dtype=np.int8),
        investment_yi=ledger["investment_yi"].to_numpy(dtype=float),
        from_event=np.zeros(n, bool),
        event_taiwan=ledger["taiwan"].to_numpy(dtype=bool) & ledger["foreign"].to_numpy(dtype=bool),
        z=rng.standard_normal((len(DURATION_LATENTS), n)),
        u=rng.random((len(DECISION_LATENTS), n)),
        patience_u=rng.random(n),
        unit=_unit_index(ledger),
        uptake_u=rng.random((len(UPTAKE_LEVERS), n)),
    )


def _unit_index(ledger: pd.DataFrame) -> np.ndarray:
    """Each ledger project's unit as an index of :data:`cityplan.units.UNIT_KEYS` (-1 if not given)."""
    index = {key: i for i, key in enumerate(UNIT_KEYS)}
    units = ledger["unit"] if "unit" in ledger else pd.Series([""] * len(ledger))
    return np.asarray([index.get(str(u), -1) for u in units.fillna("")], dtype=np.int8)
