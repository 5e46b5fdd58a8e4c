"""The model gives the saved reference tables (issue 13: speed changes leave results identical).

Counts, codes and text must be equal; times, waits and amounts equal to 1e-9 (days, 亩, 吨标煤,
亿元): a speed change may reorder a float sum and move its last bit, nothing more. Regenerate
with ``python -m tests.reference_tables`` only after a deliberate model change.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.reference_tables import CASES, case_tables, load_case

# Floats may differ by reassociation only (a sum taken in another order): 1e-9 of a day is
# 0.1 ms, far below any modelled duration.
FLOAT_TOLERANCE = 1e-9
# Sums of amounts (亿元 over thousands of projects): the same reassociation, relative.
RELATIVE_TOLERANCE = 1e-12


# Point values of the status quo and the plan run in the default suite (issue 24: the strongest
# guard of the model's behaviour, ~1 s each); the other cases add the priors, single levers and a
# nowcast and stay slow.
DEFAULT_CASES = ("status_quo_none", "plan_none")


@pytest.mark.parametrize("case", [pytest.param(c, marks=() if c in DEFAULT_CASES else pytest.mark.slow) for c in CASES])
def test_tables_identical_to_reference(case: str) -> None:
    expected = load_case(case)
    got = case_tables(case)
    assert sorted(got) == sorted(expected)
    for name, want in expected.items():
        have = got[name]
        assert have.shape == want.shape, name
        if np.issubdtype(want.dtype, np.floating):
            np.testing.assert_allclose(
                have, want, rtol=RELATIVE_TOLERANCE, atol=FLOAT_TOLERANCE, equal_nan=True, err_msg=name
            )
        else:
            np.testing.assert_array_equal(have, want, err_msg=name)
