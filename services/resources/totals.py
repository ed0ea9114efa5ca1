"""Totals of donations in RMB, exact to the fen: a pure fold over ResourceDonated.

Each donation carries its partner's type and community and its date, so the totals
need nothing but the donations: per partner type, per community, per month
(YYYY-MM of `donated_on`), and per (type, community, month) together. The read model
keeps the same sums as integers of fen; the two agree by construction and by test.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal
from typing import Iterable, Mapping

from services.resources import money

NO_COMMUNITY = "-"


@dataclasses.dataclass(frozen=True)
class Totals:
    total: Decimal
    by_partner_type: dict[str, Decimal]
    by_community: dict[str, Decimal]
    by_month: dict[str, Decimal]
    by_type_community_month: dict[tuple[str, str, str], Decimal]

    def as_text(self) -> dict:
        """The totals as the API shows them: every amount "yuan.fen" text."""
        def text(d: Mapping) -> dict:
            return {k: money.text(v) for k, v in sorted(d.items())}
        return {"total": money.text(self.total), "by_partner_type": text(self.by_partner_type),
                "by_community": text(self.by_community), "by_month": text(self.by_month),
                "rows": [{"partner_type": t, "community_id": c, "month": m,
                          "value": money.text(v)}
                         for (t, c, m), v in sorted(self.by_type_community_month.items())]}


def key_of(payload: Mapping) -> tuple[str, str, str]:
    return (payload["partner_type"], payload.get("community_id") or NO_COMMUNITY,
            str(payload["donated_on"])[:7])


def donation_totals(donations: Iterable[Mapping]) -> Totals:
    """Sum ResourceDonated payloads (other events' payloads are not passed in)."""
    rows: dict[tuple[str, str, str], Decimal] = defaultdict(lambda: money.ZERO)
    for payload in donations:
        rows[key_of(payload)] += money.of(payload["value"])
    by = [defaultdict(lambda: money.ZERO) for _ in range(3)]
    for key, value in rows.items():
        for i, part in enumerate(key):
            by[i][part] += value
    return Totals(money.total(rows.values()), dict(by[0]), dict(by[1]), dict(by[2]),
                  dict(rows))
