"""The one validation helper: every message names the field, the value and what is allowed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosystem.checks import check_choice, check_int, check_number


@pytest.mark.parametrize(("call", "message"), [
    (lambda: check_number("label_bias", 1.5, 0, 1), "label_bias: 1.5 is out of range; allowed: 0 to 1"),
    (lambda: check_number("mfu", 0, 0, 1, low_open=True), "mfu: 0 is out of range; allowed: 0 < mfu <= 1"),
    (lambda: check_number("train_flops", -1, 0, math.inf), "train_flops: -1 is out of range; allowed: 0 <= train_flops"),
    (lambda: check_number("pue", "lots", 1, 3), "pue: 'lots' is not a number; allowed: 1 to 3"),
    (lambda: check_number("pue", True, 1, 3), "pue: True is not a number; allowed: 1 to 3"),
    (lambda: check_number("params", float("nan"), 0, 1e14, low_open=True),
     "params: nan is not a finite number; allowed: 0 < params <= 1e+14"),
    (lambda: check_int("n_train", 5, 100, 200_000), "n_train: 5 is out of range; allowed: 100 to 200000"),
    (lambda: check_int("gpus", 2.5, 1, 10), "gpus: 2.5 is not a whole number; allowed: 1 to 10"),
    (lambda: check_int("seed", False, 0, 10), "seed: False is not a whole number; allowed: 0 to 10"),
    (lambda: check_choice("aggregation", "vote", ("single", "gold")),
     "aggregation: 'vote' is not allowed; allowed: single, gold"),
])
def test_messages_name_the_field_the_value_and_what_is_allowed(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


@given(low=st.floats(-1e6, 1e6), width=st.floats(0, 1e6), x=st.floats(allow_nan=False, allow_infinity=False))
def test_check_number_accepts_exactly_the_interval(low, width, x):
    high = low + width
    inside = low <= x <= high
    if inside:
        assert check_number("x", x, low, high) == x
    else:
        with pytest.raises(ValueError, match=r"^x: .* is out of range; allowed: "):
            check_number("x", x, low, high)
