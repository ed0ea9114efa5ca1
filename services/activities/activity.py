"""The activity (活动) and group (小组) aggregate: a pure state machine over sessions.

    new ──plan──▶ planned ──hold a session──▶ held ──review──▶ reviewed
                     │
                     └──cancel──▶ cancelled

An activity is one session whose id is the activity's; a group is a series of sessions
planned one by one. Attendance is recorded per session once its time has come (the
session is then held, if nobody said so before): named residents of the activity's
station and an anonymous headcount. A resident recorded twice for one session is
recorded once, so the session's person-times (服务人次) = distinct residents + headcount.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable

from shared.events import NewEvent, iso
from shared.kit import fold as kit

from services.activities import commands as c
from services.activities import rules
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing

NEW, PLANNED, HELD, REVIEWED, CANCELLED = "new", "planned", "held", "reviewed", "cancelled"
STATE_NAMES_ZH = {NEW: "未创建", PLANNED: "已计划", HELD: "已开展", REVIEWED: "已总结",
                  CANCELLED: "已取消"}
ACTION_NAMES = {  # step -> (English, Chinese)
    "plan": ("plan", "创建"), "plan_session": ("plan a session of", "安排节次"),
    "hold": ("hold", "开展"), "cancel": ("cancel", "取消"),
    "attend": ("record attendance for", "登记出席"), "feedback": ("give feedback on", "反馈"),
    "review": ("review", "总结评估"),
}
ALLOWED: dict[str, frozenset[str]] = {
    "plan": frozenset({NEW}),
    "plan_session": frozenset({PLANNED, HELD}),
    "hold": frozenset({PLANNED, HELD}),
    "cancel": frozenset({PLANNED}),
    "attend": frozenset({PLANNED, HELD, REVIEWED}),
    "feedback": frozenset({HELD, REVIEWED}),
    "review": frozenset({HELD}),
}


# -- exceptions and guards ------------------------------------------------------------

class ActivityNotFound(Missing):
    def __init__(self, activity_id: str | None):
        super().__init__(f"Activity {activity_id} not found", f"未找到活动 {activity_id}")


class SessionNotFound(Missing):
    def __init__(self, session_id: str | None):
        super().__init__(f"Session {session_id} not found", f"未找到活动节次 {session_id}")


class ActivityStepRefused(IllegalTransition):
    def __init__(self, action: str, state: str):
        en, zh = ACTION_NAMES[action]
        super().__init__(f"Cannot {en} an activity that is {state}",
                         f"活动当前状态为「{STATE_NAMES_ZH[state]}」，不能{zh}")
        self.action, self.state = action, state


class NegativeHeadcount(Invalid):
    def __init__(self):
        super().__init__("The headcount cannot be negative", "匿名人数不能为负数",
                         {"headcount": ["Must be 0 or more / 必须大于或等于 0"]})


class NothingToRecord(Invalid):
    def __init__(self):
        super().__init__("Name at least one resident or give a headcount above 0",
                         "请至少登记一名居民或填写大于 0 的匿名人数",
                         {"resident_ids": ["Empty, and headcount is 0 / 为空且匿名人数为 0"]})


def check_allowed(activity: "Activity", action: str) -> None:
    if action != "plan" and activity.state == NEW:
        raise ActivityNotFound(activity.activity_id)
    if activity.state not in ALLOWED[action]:
        raise ActivityStepRefused(action, activity.state)


def check_session(activity: "Activity", session_id: str | None) -> "Session":
    wanted = session_id or activity.activity_id
    for session in activity.sessions:
        if session.session_id == wanted:
            return session
    raise SessionNotFound(wanted)


def check_new_session(activity: "Activity", session_id: str) -> None:
    if any(s.session_id == session_id for s in activity.sessions):
        raise Duplicate(f"Session {session_id} exists already", f"活动节次 {session_id} 已存在",
                        {"session_id": ["Exists already / 已存在"]})


def check_group(activity: "Activity") -> None:
    if activity.kind != "group":
        raise Invalid("Only a group has more than one session", "只有小组可以安排多个节次",
                             {"activity_id": ["Is a single activity / 为单次活动"]})


def check_headcount(headcount: int) -> None:
    if headcount < 0:
        raise NegativeHeadcount()


def check_session_time_has_come(session: "Session", now: datetime) -> None:
    rules.check_moment_not_future(datetime.fromisoformat(session.session_at), now,
                                  "session_at", "session", "活动节次")


def check_project(cmd: c.PlanActivity, known: rules.Known) -> None:
    if cmd.project_id is not None and known.projects.get(cmd.project_id) != cmd.station_id:
        raise Invalid(f"Project {cmd.project_id} is not a project of this station",
                             f"项目 {cmd.project_id} 不是本站的项目",
                             {"project_id": ["Missing at this station / 本站无此项目"]})


def check_plan(cmd: c.PlanActivity, known: rules.Known) -> None:
    rules.check_area(cmd.area, known)
    check_project(cmd, known)
    if cmd.kind == "activity" and cmd.session_at is None:
        raise Invalid("An activity needs its time", "单次活动需要填写活动时间",
                             {"held_at": ["Missing / 缺少"]})


# -- state ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Session:
    session_id: str
    session_at: str
    held: bool = False
    resident_ids: frozenset[str] = frozenset()
    headcount: int = 0

    @property
    def person_times(self) -> int:
        return len(self.resident_ids) + self.headcount


@dataclasses.dataclass(frozen=True)
class Activity:
    activity_id: str | None = None
    kind: str | None = None
    station_id: str | None = None
    community_id: str | None = None
    area: str | None = None
    title: str | None = None
    project_id: str | None = None
    state: str = NEW
    sessions: tuple[Session, ...] = ()
    feedback: tuple[int, ...] = ()  # satisfaction scores
    version: int = 0

    @property
    def person_times(self) -> int:
        return sum(s.person_times for s in self.sessions)


# -- evolve ---------------------------------------------------------------------------

def _with_session(activity: Activity, session_id: str, change) -> Activity:
    sessions = tuple(change(s) if s.session_id == session_id else s
                     for s in activity.sessions)
    return dataclasses.replace(activity, sessions=sessions)


def _planned(activity: Activity, p: dict, kind: str) -> Activity:
    sessions = (Session(p["activity_id"], p["session_at"]),) if "session_at" in p else ()
    return dataclasses.replace(
        activity, activity_id=p["activity_id"], kind=kind, station_id=p["station_id"],
        community_id=p["community_id"], area=p["area"], title=p["title"],
        project_id=p.get("project_id"), state=PLANNED, sessions=sessions)


def _held(activity: Activity, p: dict) -> Activity:
    held = _with_session(activity, p["session_id"],
                         lambda s: dataclasses.replace(s, held=True))
    return dataclasses.replace(held, state=HELD if activity.state == PLANNED else activity.state)


def _attended(activity: Activity, p: dict) -> Activity:
    return _with_session(activity, p["session_id"], lambda s: dataclasses.replace(
        s, resident_ids=s.resident_ids | frozenset(p["resident_ids"]),
        headcount=s.headcount + p["headcount"]))


EVOLVERS: dict[str, Callable[[Activity, dict], Activity]] = {
    "ActivityPlanned": lambda s, p: _planned(s, p, "activity"),
    "GroupCreated": lambda s, p: _planned(s, p, "group"),
    "GroupSessionPlanned": lambda s, p: dataclasses.replace(
        s, sessions=s.sessions + (Session(p["session_id"], p["session_at"]),)),
    "ActivityHeld": _held,
    "ActivityCancelled": lambda s, p: dataclasses.replace(s, state=CANCELLED),
    "AttendanceRecorded": _attended,
    "FeedbackGiven": lambda s, p: dataclasses.replace(
        s, feedback=s.feedback + (p["satisfaction"],)),
    "ActivityReviewed": lambda s, p: dataclasses.replace(s, state=REVIEWED),
}


def evolve(activity: Activity, event) -> Activity:
    """The activity after one event (a Recorded or a NewEvent); unknown types only count."""
    return kit.step(EVOLVERS, activity, event)


def fold(events, activity: Activity | None = None) -> Activity:
    return kit.fold(evolve, events, activity or Activity())


# -- decide ---------------------------------------------------------------------------


def _event(activity: Activity, type_: str, payload: dict, actor: str,
           now: datetime) -> NewEvent:
    payload = {"activity_id": activity.activity_id, "station_id": activity.station_id,
               **payload}
    return NewEvent(type_, payload, station_id=activity.station_id, occurred_at=now,
                    actor=actor)


def _plan(activity: Activity, cmd: c.PlanActivity, now: datetime,
          known: rules.Known) -> list[NewEvent]:
    check_allowed(activity, "plan")
    check_plan(cmd, known)
    base = {"activity_id": cmd.activity_id, "station_id": cmd.station_id,
            "community_id": cmd.community_id, "area": cmd.area, "title": cmd.title,
            "project_id": cmd.project_id, "project_name": cmd.project_name,
            "venue": cmd.venue, "partners": list(cmd.partners),
            "forces": list(dict.fromkeys(cmd.forces)), "planned_by": cmd.actor}
    new = Activity(activity_id=cmd.activity_id, station_id=cmd.station_id)
    if cmd.kind == "activity":
        return [_event(new, "ActivityPlanned", {**base, "session_at": iso(cmd.session_at)},
                       cmd.actor, now)]
    events = [_event(new, "GroupCreated", base, cmd.actor, now)]
    if cmd.session_at is not None:
        events.append(_event(new, "GroupSessionPlanned", {
            "session_id": cmd.activity_id, "session_at": iso(cmd.session_at),
            "venue": cmd.venue, "topic": None}, cmd.actor, now))
    return events


def _plan_session(activity: Activity, cmd: c.PlanSession, now: datetime,
                  known: rules.Known) -> list[NewEvent]:
    check_allowed(activity, "plan_session")
    check_group(activity)
    check_new_session(activity, cmd.session_id)
    return [_event(activity, "GroupSessionPlanned", {
        "session_id": cmd.session_id, "session_at": iso(cmd.session_at), "venue": cmd.venue,
        "topic": cmd.topic}, cmd.actor, now)]


def _held_event(activity: Activity, session: Session, actor: str,
                now: datetime) -> NewEvent:
    return _event(activity, "ActivityHeld", {"session_id": session.session_id,
                                             "session_at": session.session_at}, actor, now)


def _hold(activity: Activity, cmd: c.HoldSession, now: datetime,
          known: rules.Known) -> list[NewEvent]:
    check_allowed(activity, "hold")
    session = check_session(activity, cmd.session_id)
    check_session_time_has_come(session, now)
    return [] if session.held else [_held_event(activity, session, cmd.actor, now)]


def _cancel(activity: Activity, cmd: c.CancelActivity, now: datetime,
            known: rules.Known) -> list[NewEvent]:
    check_allowed(activity, "cancel")
    return [_event(activity, "ActivityCancelled", {"reason": cmd.reason,
                                                   "cancelled_by": cmd.actor}, cmd.actor, now)]


def _attend(activity: Activity, cmd: c.RecordAttendance, now: datetime,
            known: rules.Known) -> list[NewEvent]:
    """ActivityHeld first if nobody held the session yet, then the residents not yet
    recorded for the session and the headcount (nothing if both add nobody)."""
    check_allowed(activity, "attend")
    session = check_session(activity, cmd.session_id)
    check_session_time_has_come(session, now)
    check_headcount(cmd.headcount)
    if not cmd.resident_ids and cmd.headcount == 0:
        raise NothingToRecord()
    rules.check_residents_of_station(cmd.resident_ids, activity.station_id, known.residents,
                                     "resident_ids")
    events = [] if session.held else [_held_event(activity, session, cmd.actor, now)]
    new_ids = [r for r in dict.fromkeys(cmd.resident_ids) if r not in session.resident_ids]
    if new_ids or cmd.headcount:
        events.append(_event(activity, "AttendanceRecorded", {
            "session_id": session.session_id, "community_id": activity.community_id,
            "area": activity.area, "project_id": activity.project_id,
            "session_at": session.session_at, "resident_ids": new_ids,
            "headcount": cmd.headcount, "recorded_by": cmd.actor}, cmd.actor, now))
    return events


def _feedback(activity: Activity, cmd: c.GiveFeedback, now: datetime,
              known: rules.Known) -> list[NewEvent]:
    check_allowed(activity, "feedback")
    if not 1 <= cmd.satisfaction <= 5:
        raise Invalid("Satisfaction is 1 to 5", "满意度为 1 到 5",
                             {"satisfaction": ["Must be 1-5 / 必须为 1 到 5"]})
    if cmd.resident_id is not None:
        rules.check_residents_of_station([cmd.resident_id], activity.station_id,
                                         known.residents, "resident_id")
    return [_event(activity, "FeedbackGiven", {
        "feedback_id": cmd.feedback_id, "satisfaction": cmd.satisfaction,
        "comments": cmd.comments, "resident_id": cmd.resident_id, "given_at": iso(now)},
        cmd.actor, now)]


def _review(activity: Activity, cmd: c.ReviewActivity, now: datetime,
            known: rules.Known) -> list[NewEvent]:
    check_allowed(activity, "review")
    return [_event(activity, "ActivityReviewed", {
        "went_well": cmd.went_well, "to_change": cmd.to_change, "reviewed_by": cmd.actor,
        "reviewed_at": iso(now)}, cmd.actor, now)]


DECIDERS: dict[type, Callable[..., list[NewEvent]]] = {
    c.PlanActivity: _plan,
    c.PlanSession: _plan_session,
    c.HoldSession: _hold,
    c.CancelActivity: _cancel,
    c.RecordAttendance: _attend,
    c.GiveFeedback: _feedback,
    c.ReviewActivity: _review,
}


def decide(activity: Activity, command, now: datetime,
           known: rules.Known = rules.Known()) -> list[NewEvent]:
    """The events a command produces on this activity, or a domain exception."""
    return DECIDERS[type(command)](activity, command, now, known)
