"""The five-level chain's records, suggestions until answered, 1+1+1 meetings (pure)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.events import Recorded

from services.reporting import chain, periods
from services.reporting import commands as c
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def _recorded(events) -> list[Recorded]:
    return [Recorded(str(i), "s", i + 1, None, e.type, 1, e.station_id, NOW.isoformat(),
                     NOW.isoformat(), e.actor, None, None, dict(e.payload), "", "")
            for i, e in enumerate(events)]


def test_a_suggestion_is_tracked_until_adopted_or_declined():
    s = chain.Suggestion()
    proposed = chain.propose(s, c.ProposeSuggestion("s1", "A", "street", "More benches",
                                                    "2026-11-20", "head"), NOW)
    s = chain.fold_suggestion(_recorded(proposed))
    assert s.state == "proposed"
    with pytest.raises(Duplicate):
        chain.propose(s, c.ProposeSuggestion("s1", "A", "street", "x", "2026-11-20", "h"), NOW)
    pending = chain.answer(s, c.AnswerSuggestion("s1", "pending", "2026-11-21", "budget", "h"),
                           NOW)
    adopted = chain.answer(s, c.AnswerSuggestion("s1", "adopted", "2026-11-25", None, "h"), NOW)
    s = chain.fold_suggestion(_recorded(proposed + pending + adopted))
    assert s.state == "adopted" and [a["answer"] for a in s.answers] == ["pending", "adopted"]
    with pytest.raises(IllegalTransition):
        chain.answer(s, c.AnswerSuggestion("s1", "declined", "2026-11-26", None, "h"), NOW)


def test_answering_an_unknown_suggestion_is_refused():
    with pytest.raises(Missing):
        chain.answer(chain.Suggestion(), c.AnswerSuggestion("x", "adopted", "2026-11-25", None,
                                                            "h"), NOW)


def test_chain_records_are_levels_one_to_four_only():
    [event] = chain.record(c.RecordChain("StreetMeetingAttended", "A", {
        "record_id": "r", "held_on": "2026-11-16", "attendee": "h", "central_work": "x"}, "h"),
        NOW)
    assert event.payload["station_id"] == "A"
    with pytest.raises(Invalid):
        chain.record(c.RecordChain("SuggestionProposed", "A", {}, "h"), NOW)


def test_one_minutes_a_week_on_a_day_of_that_week_and_the_gaps_named():
    m = chain.Meetings()
    with pytest.raises(Invalid):
        chain.minute_meeting(m, c.MinuteWeeklyMeeting("m0", "A", "2026-W47", "2026-11-23",
                                                      ("h",), "x", "h"), NOW)
    first = chain.minute_meeting(m, c.MinuteWeeklyMeeting("m1", "A", "2026-W47", "2026-11-16",
                                                          ("h", "w"), "plan", "h"), NOW)
    sup = chain.record_supervision(m, c.RecordSupervision("s1", "A", "2026-11", "2026-11-20",
                                                          "sup", "cases", "h"), NOW)
    m = chain.fold_meetings(_recorded(first + sup))
    with pytest.raises(Duplicate):
        chain.minute_meeting(m, c.MinuteWeeklyMeeting("m2", "A", "2026-W47", "2026-11-17",
                                                      ("h",), "x", "h"), NOW)
    assert chain.gaps(m, periods.parse("2026-11-16..2026-12-06")) == {
        "weeks_without_minutes": ["2026-W48", "2026-W49"],
        "months_without_supervision": ["2026-12"]}
