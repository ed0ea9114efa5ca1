"""Money in RMB as exact decimals: text in, text out, never a float.

The API and the events carry amounts as decimal strings with at most two places
("1250.50"); inside, they are Decimals of exactly two places, so sums are exact to the
fen (分): "0.1" + "0.2" is "0.30". Anything else — a float, a third decimal place, a
negative or zero amount, an exponent — is refused with the field named.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterable

from shared.kit.errors import Invalid

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# A billion yuan is far beyond any donation a station logs; bigger is a typing error.
LIMIT = Decimal("1000000000.00")
_AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")  # [0-9], not \d: "１０" and "٣" match \d


class BadAmount(Invalid):
    def __init__(self, field: str, why: str, why_zh: str):
        super().__init__(f"Invalid amount: {why}", f"金额无效：{why_zh}",
                         {field: [f"{why} / {why_zh}"]})


def parse(text, field: str = "value") -> Decimal:
    """A positive amount of RMB with at most two decimal places, as a two-place Decimal.

    >>> parse("1250.5")
    Decimal('1250.50')
    """
    if not isinstance(text, str):
        raise BadAmount(field, "give RMB as a decimal string such as \"12.50\"",
                        "金额须为字符串，如 \"12.50\"")
    if not _AMOUNT.fullmatch(text.strip()):
        raise BadAmount(field, "a positive number of yuan with at most two decimal places",
                        "须为正数，最多两位小数")
    amount = Decimal(text.strip()).quantize(FEN)
    if amount <= ZERO:
        raise BadAmount(field, "must be more than zero", "须大于零")
    if amount >= LIMIT:
        raise BadAmount(field, "too large", "金额过大")
    return amount


def of(text: str) -> Decimal:
    """An amount already validated (from a stored event) as a two-place Decimal."""
    return Decimal(text).quantize(FEN)


def text(amount: Decimal) -> str:
    """The canonical text of an amount: always two places ("0.30", "1250.00")."""
    return f"{amount.quantize(FEN):.2f}"


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)
