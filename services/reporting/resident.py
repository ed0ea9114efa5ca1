"""One resident's state across every domain at a date, folded from facts (pure).

For the audit timeline: card and status (residents), open cases, visits and follow-ups
(casework), sessions attended (activities), what they received (resources). Ids and
counts only.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from services.reporting.facts import Fact, money
from services.reporting.periods import local_date


def _last(facts: list[Fact], kind: str, subject: str) -> Fact | None:
    found = [f for f in facts if f.kind == kind and f.subject == subject]
    return found[-1] if found else None


def state_at(facts: Iterable[Fact], resident_id: str, as_of: str) -> dict:
    mine = sorted((f for f in facts if f.on <= as_of),
                  key=lambda f: (f.on, f.recorded_at, f.fact_id))
    own = [f for f in mine if f.resident_id == resident_id]
    state = {"station_id": None, "community_id": None, "card": None, "status": None,
             "erased": False}
    for fact in own:
        if fact.kind in ("resident", "resident_moved"):
            state.update(station_id=fact.station_id, community_id=fact.community_id)
            state["status"] = state["status"] or "active"
        elif fact.kind == "card":
            state["card"] = fact.data.get("card")
        elif fact.kind == "resident_status":
            state["status"] = fact.data.get("status")
        elif fact.kind == "resident_erased":
            state["erased"] = True
    return {**state, "as_of": as_of, "open_cases": _open_cases(mine, own),
            "visits": sorted(f.subject for f in own if f.kind == "visit"),
            "followups": _followups(mine, own, as_of),
            "attended": sorted({f.subject for f in mine if f.kind == "attendance"
                                and resident_id in (f.data.get("resident_ids") or ())}),
            "received": _received(mine, own)}


def _open_cases(mine: list[Fact], own: list[Fact]) -> list[str]:
    cases = [f.subject for f in own if f.kind == "case_opened"]
    def still_open(case_id):
        last = [f for f in mine if f.subject == case_id and f.kind in ("case_closed",
                                                                        "case_reopened")]
        return not last or last[-1].kind == "case_reopened"
    return sorted(c for c in cases if still_open(c))


def _followups(mine: list[Fact], own: list[Fact], as_of: str) -> dict:
    done = {f.subject for f in mine if f.kind in ("followup_done", "followup_cancelled")}
    scheduled = [f for f in own if f.kind == "followup"]
    open_ = [f for f in scheduled if f.subject not in done]
    overdue = [f.subject for f in open_
               if local_date(f.data.get("due_at") or f.on).isoformat() < as_of
               or _last(mine, "followup_overdue", f.subject)]
    return {"open": sorted(f.subject for f in open_), "overdue": sorted(overdue),
            "done": sorted(f.subject for f in scheduled if f.subject in done)}


def _received(mine: list[Fact], own: list[Fact]) -> dict:
    allocations = [f for f in own if f.kind == "allocation"]
    wishes = [f.subject for f in own if f.kind == "wish"]
    return {"allocations": sorted(f.subject for f in allocations),
            "allocations_rmb": str(sum((money(f.data.get("value")) for f in allocations),
                                       Decimal("0.00"))),
            "wishes": {w: (_last(mine, "wish_state", w).data["state"]
                           if _last(mine, "wish_state", w) else "posted") for w in wishes}}
