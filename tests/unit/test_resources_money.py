"""Money is exact: decimal strings of RMB, two places, positive; sums to the fen."""
from __future__ import annotations

from decimal import Decimal

import pytest

from shared.kit.errors import Invalid

from services.resources import money


def test_point_one_plus_point_two_is_point_thirty():
    assert money.text(money.parse("0.1") + money.parse("0.2")) == "0.30"


@pytest.mark.parametrize("text, expected", [("1250.5", "1250.50"), ("3", "3.00"),
                                            ("0.01", "0.01"), (" 7.20 ", "7.20")])
def test_amounts_are_read_as_two_place_decimals(text, expected):
    assert money.text(money.parse(text)) == expected


@pytest.mark.parametrize("bad", ["1.001", "-5", "0", "0.00", "1e3", "12,5", "", "abc",
                                 "NaN", "Infinity", "1000000000.00", "+5", "5.",
                                 "１０", "٣", "1.５"])   # other digits than 0-9 (issue 20)
def test_anything_but_a_positive_amount_with_two_places_is_refused(bad):
    with pytest.raises(Invalid) as refused:
        money.parse(bad, "value")
    assert "value" in refused.value.fields and refused.value.message_zh


@pytest.mark.parametrize("not_text", [0.3, 5, None, Decimal("5")])
def test_an_amount_that_is_not_text_is_refused(not_text):
    with pytest.raises(Invalid):
        money.parse(not_text, "amount")


def test_a_thousand_tenths_of_a_yuan_sum_to_exactly_one_hundred():
    assert money.text(money.total(money.parse("0.1") for _ in range(1000))) == "100.00"
