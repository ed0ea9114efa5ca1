"""The ledgers a station files (探访台账, 活动台账, 捐赠台账) and its monthly figures, as
rows for shared.exports: the same facts and the same fold the figures use, so a file and
the API never disagree. Pure: facts in, exports.Sheet out.

Facts hold no names (personal data stays in residents' store): a visit is listed by the
resident's id; partners and activities by their ids and types.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable

from shared.exports import Sheet

from services.reporting.facts import Fact, money
from services.reporting.figures import Scope, _area, _Book, _flows, _person_times, figures, flatten
from services.reporting.periods import Period

# The figures' keys in Chinese, section by section (a key not named keeps its own name).
SECTION_ZH = {"residents": "居民", "cases": "个案", "visits": "探访", "followups": "跟进",
              "referrals": "转介", "activities": "活动", "organizations": "社会组织",
              "volunteers": "志愿者", "resources": "资源", "needs": "需求"}
FIELD_ZH = {
    "total": "合计", "by_category": "按类别", "by_card": "按卡", "card_changes": "卡片变动",
    "new_red": "新增红卡", "opened": "新开", "closed": "结案", "open": "在办/未满足",
    "by_method": "按方式", "consolations": "慰问", "due": "应跟进", "overdue": "逾期",
    "done_on_time": "按时完成", "done_late": "逾期完成", "made_in_period": "本期转介",
    "by_status": "按状态", "held": "开展场次", "person_times": "服务人次", "by_area": "按领域",
    "organizations": "组织数", "by_state": "按状态", "members": "成员", "party_members": "党员",
    "volunteers": "志愿者人数", "confirmed_hours": "确认服务时长(小时)",
    "donations_rmb": "捐赠金额(元)", "allocations_rmb": "分配金额(元)", "wishes": "微心愿",
    "met": "已满足", "met_in_period": "本期满足", "red": "红卡", "blue": "蓝卡",
    "green": "绿卡", "none": "未评级", "home": "入户", "phone": "电话", "office": "来访",
    "consolation": "慰问",
}


def label(key: str) -> str:
    """`visits.by_method.home` -> `探访 / 按方式 / 入户`."""
    first, *rest = key.split(".")
    return " / ".join([SECTION_ZH.get(first, first), *(FIELD_ZH.get(p, p) for p in rest)])


def monthly(facts: Iterable[Fact], station: str, name: str, period: Period) -> Sheet:
    flat = flatten(figures(facts, Scope(frozenset({station})), period))
    rows = [{"key": key, "label": label(key), "value": _number(value)}
            for key, value in flat.items()]
    return Sheet("社工站月度工作数据", name, _period_text(period),
                 (("label", "指标"), ("value", "数值"), ("key", "指标代码")), rows)


def visits(facts: Iterable[Fact], station: str, name: str, period: Period,
           community_name: Callable[[str | None], str]) -> Sheet:
    book, scope = _book(facts, period), Scope(frozenset({station}))
    rows = [{"on": f.on, "community": community_name(book.community_of(f)),
             "resident_id": f.resident_id, "method": FIELD_ZH.get(f.data.get("method"),
                                                                   f.data.get("method")),
             "case_id": f.data.get("case_id"), "visit_id": f.subject}
            for f in _flows(book, scope, period, "visit")]
    return Sheet("探访台账", name, _period_text(period), (
        ("on", "探访日期"), ("community", "社区"), ("resident_id", "居民编号"),
        ("method", "探访方式"), ("case_id", "个案编号"), ("visit_id", "探访编号")), rows)


def activities(facts: Iterable[Fact], station: str, name: str, period: Period,
               community_name: Callable[[str | None], str]) -> Sheet:
    book, scope = _book(facts, period), Scope(frozenset({station}))
    rows = []
    for f in _flows(book, scope, period, "session"):
        activity = f.data.get("activity_id", "")
        rows.append({"on": f.on, "community": community_name(f.community_id),
                     "activity_id": activity, "area": _area(book, activity),
                     "session_id": f.subject, "person_times": _person_times(book, f.subject),
                     "cancelled": book.first("activity_cancelled", activity) is not None})
    return Sheet("活动台账", name, _period_text(period), (
        ("on", "活动日期"), ("community", "社区"), ("activity_id", "活动编号"),
        ("area", "服务领域"), ("session_id", "场次编号"), ("person_times", "服务人次"),
        ("cancelled", "已取消")), rows)


def donations(facts: Iterable[Fact], station: str, name: str, period: Period) -> Sheet:
    book, scope = _book(facts, period), Scope(frozenset({station}))
    rows = [{"on": f.on, "partner_id": f.data.get("partner_id"),
             "partner_type": f.data.get("partner_type"),
             "kind": {"cash": "现金", "in_kind": "物资"}.get(f.data.get("kind"), f.data.get("kind")),
             "value": money(f.data.get("value")), "donation_id": f.subject}
            for f in _flows(book, scope, period, "donation")]
    return Sheet("捐赠台账", name, _period_text(period), (
        ("on", "捐赠日期"), ("partner_id", "合作方编号"), ("partner_type", "合作方类型"),
        ("kind", "捐赠形式"), ("value", "价值(元)"), ("donation_id", "捐赠编号")), rows)


def _book(facts: Iterable[Fact], period: Period) -> _Book:
    return _Book(facts, period.end.isoformat())


def _number(value):
    """Money arrives as decimal text ("12.50"): a number in the sheet."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:   # not a number: text as it is
            return value
    return value


def _period_text(period: Period) -> str:
    return f"{period.key}（{period.start.isoformat()} 至 {period.end.isoformat()}）"


LEDGERS = ("monthly", "visits", "activities", "donations")


def sheet(ledger: str, facts: list[Fact], tree, station: str, period: Period) -> Sheet:
    """The named ledger of a station for a period; `tree` names the station and its
    communities."""
    name = tree.name("station", station) or station
    names = {f.subject: f.data.get("name") for f in facts if f.kind == "community"}

    def community(community_id):
        return (names.get(community_id) or community_id) if community_id else ""
    if ledger == "monthly":
        return monthly(facts, station, name, period)
    if ledger == "donations":
        return donations(facts, station, name, period)
    build = visits if ledger == "visits" else activities
    return build(facts, station, name, period, community)
