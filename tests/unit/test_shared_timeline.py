"""One resident's timeline: the streams that name them, the events shown, chains checked."""
from __future__ import annotations

from shared import hashchain
from shared.timeline import assemble


def _stream(stream_id: str, *payloads, at="2026-11-20T02:00:00.000000+00:00", tamper=None):
    events, prev = [], hashchain.GENESIS
    for version, (type_, payload) in enumerate(payloads, start=1):
        event = {"event_id": f"{stream_id}-{version}", "stream_id": stream_id,
                 "stream_version": version, "type": type_, "schema_version": 1,
                 "station_id": "A", "occurred_at": at, "recorded_at": at, "actor": "w",
                 "correlation_id": None, "causation_id": None, "payload": payload,
                 "prev_hash": prev}
        event["hash"] = prev = hashchain.chain(prev, event)
        events.append(event)
    if tamper is not None:
        events[tamper] = {**events[tamper], "payload": {**events[tamper]["payload"], "x": 1}}
    return events


def test_streams_naming_the_resident_are_read_whole_and_others_left_out():
    case = _stream("case-1", ("CaseOpened", {"resident_id": "r1", "notes": "n"}),
                   ("CaseAssessed", {"case_id": "1"}))
    session = _stream("activity-1", ("AttendanceRecorded", {"resident_ids": ["r2", "r1"]}),
                      ("AttendanceRecorded", {"resident_ids": ["r3"]}))
    other = _stream("case-2", ("CaseOpened", {"resident_id": "r9"}))
    got = assemble("r1", [("casework", "case-1", case, None),
                          ("activities", "activity-1", session, None),
                          ("casework", "case-2", other, None)])
    assert [(e["stream_id"], e["version"]) for e in got["events"]] == \
        [("activity-1", 1), ("case-1", 1), ("case-1", 2)]
    assert [s["stream_id"] for s in got["streams"]] == ["activity-1", "case-1"]
    assert got["verified"] is True and got["erased"] is False
    assert "notes" not in got["events"][1]["payload"]


def test_a_tampered_stream_is_named_and_its_events_marked():
    case = _stream("case-1", ("CaseOpened", {"resident_id": "r1"}),
                   ("CaseAssessed", {"case_id": "1"}), tamper=1)
    got = assemble("r1", [("casework", "case-1", case, None)])
    assert got["verified"] is False
    assert got["streams"][0]["problems"] == [{"stream_id": "case-1", "version": 2,
                                              "problem": "altered"}]
    assert [e["verified"] for e in got["events"]] == [False, False]


def test_as_of_lists_what_was_recorded_by_then_and_erasure_shows():
    early = _stream("resident-r1", ("ResidentRegistered", {"resident_id": "r1", "name": {"enc": "x"}}))
    late = _stream("erasure-r1", ("KeyDestroyed", {"resident_id": "r1"}),
                   at="2026-11-28T02:00:00.000000+00:00")
    streams = [("residents", "resident-r1", early, None), ("residents", "erasure-r1", late, [])]
    assert [e["type"] for e in assemble("r1", streams, "2026-11-21T00:00:00.000000+00:00")
            ["events"]] == ["ResidentRegistered"]
    whole = assemble("r1", streams)
    assert whole["erased"] is True and "name" not in whole["events"][0]["payload"]


def test_roles_that_may_see_clear_text_notes_get_them():
    case = _stream("case-1", ("VisitRecorded", {"resident_id": "r1", "notes": "带了药"}))
    got = assemble("r1", [("casework", "case-1", case, None)], reveal={"notes"})
    assert got["events"][0]["payload"]["notes"] == "带了药"
