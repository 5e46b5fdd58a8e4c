"""Two-level fractional factorial designs of resolution V or better (a small, tested generator).

A regular 2^(k-p) design runs every combination of ``k - p`` *base* levers and sets each of the
other ``p`` levers to the product of a set of base columns (its *generator*). The design's
defining relation is the group of words spanned by the generators; its *resolution* is the
length of its shortest word. Resolution V means no main effect or two-lever interaction is
aliased with another main effect or two-lever interaction (they alias only with three-lever or
higher interactions), so a model with main effects and all two-lever interactions can be fitted
and its columns are exactly orthogonal.

:func:`resolution_v_design` picks the fewest runs that allow resolution V for ``k`` levers
(16 runs up to 5 levers, 32 for 6, 64 for 7-8, 128 for 9-11, 256 for 12-17, 512 for 18-23;
Box, Hunter and Hunter, *Statistics for Experimenters*, 2nd ed., table 6.22) and finds
generators by a depth-first search that checks the resolution of each partial design.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

# Most levers a 2^m-run regular design of resolution >= V can take (Box, Hunter & Hunter 2005,
# table 6.22; m = 4..9).
MAX_FACTORS_RES_V: dict[int, int] = {4: 5, 5: 6, 6: 8, 7: 11, 8: 17, 9: 23}
MIN_RESOLUTION = 5  # main effects and two-lever interactions clear of each other


@dataclass(frozen=True)
class Design:
    """A two-level design: ``matrix`` (runs x levers) of -1 (off) / +1 (on).

    ``generators`` maps each added lever's column to the base columns whose product it is.
    """

    matrix: np.ndarray
    generators: tuple[tuple[int, tuple[int, ...]], ...]
    resolution: int

    @property
    def runs(self) -> int:
        """Number of runs (cells)."""
        return int(self.matrix.shape[0])


def full_factorial(m: int) -> np.ndarray:
    """All 2^m runs of ``m`` two-level columns (-1/+1), first column changing slowest."""
    return np.array(list(itertools.product((-1, 1), repeat=m)), dtype=np.int8)


def defining_words(generators: list[tuple[int, ...]], m: int) -> list[frozenset[int]]:
    """Every word of the defining relation spanned by ``generators`` (base columns 0..m-1).

    Generator ``j`` (added column ``m + j``) contributes the word ``set(gen) | {m + j}``;
    the relation holds all symmetric differences of non-empty subsets of those words.
    """
    base_words = [frozenset(g) | {m + j} for j, g in enumerate(generators)]
    words = []
    for size in range(1, len(base_words) + 1):
        for combo in itertools.combinations(base_words, size):
            word: frozenset[int] = frozenset()
            for w in combo:
                word = word ^ w
            words.append(word)
    return words


def resolution(generators: list[tuple[int, ...]], m: int) -> int:
    """Length of the shortest word of the defining relation (a large number for a full factorial)."""
    words = defining_words(generators, m)
    return min((len(w) for w in words), default=99)


def _search(m: int, p: int, candidates: list[tuple[int, ...]], chosen: list[tuple[int, ...]]) -> bool:
    """Depth-first search for ``p`` generators keeping the resolution >= V; fills ``chosen``."""
    if len(chosen) == p:
        return True
    start = candidates.index(chosen[-1]) + 1 if chosen else 0
    for cand in candidates[start:]:
        chosen.append(cand)
        if resolution(chosen, m) >= MIN_RESOLUTION and _search(m, p, candidates, chosen):
            return True
        chosen.pop()
    return False


def resolution_v_design(k: int) -> Design:
    """The smallest regular two-level design of resolution >= V for ``k`` levers.

    Parameters
    ----------
    k
        Number of levers (1 to 23).

    Raises
    ------
    ValueError
        For ``k`` outside 1..23.
    """
    if not 1 <= k <= max(MAX_FACTORS_RES_V.values()):
        raise ValueError(f"levers: {k} given; a resolution V design is built here for 1 to 23 levers")
    if k < min(MAX_FACTORS_RES_V):  # up to 3 levers: the full factorial (8 runs or fewer)
        return Design(full_factorial(k), (), 99)
    m = min(mm for mm, most in MAX_FACTORS_RES_V.items() if most >= k)
    p = k - m
    if p == 0:
        return Design(full_factorial(k), (), 99)
    # Generators: products of at least four base columns (a word of length >= 5 with the new column),
    # largest first so the search meets high-resolution words early.
    candidates = [c for size in range(m, 3, -1) for c in itertools.combinations(range(m), size)]
    chosen: list[tuple[int, ...]] = []
    if not _search(m, p, candidates, chosen):  # pragma: no cover - table 6.22 says one exists
        raise RuntimeError(f"no resolution V design with 2^{m} runs for {k} levers")
    base = full_factorial(m)
    added = [np.prod(base[:, list(g)], axis=1) for g in chosen]
    matrix = np.column_stack([base, *added]).astype(np.int8)
    return Design(matrix, tuple((m + j, g) for j, g in enumerate(chosen)), resolution(chosen, m))
