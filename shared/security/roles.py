"""Roles and the one permission table: which roles may do each action.

Every check in every service goes through `allowed(role, action)` (or
`Principal.may`), so this table is the whole truth about what a role may do. The
permissions section of docs/security.md is rendered from it (`render_markdown`) and a
test keeps the two in sync; after editing the table run

    python -m shared.security.roles docs/security.md

Scope (which stations a user sees) is separate: see shared.security.scope.
"""
from __future__ import annotations

import pathlib
import sys

# role -> (English, 中文)
ROLES: dict[str, tuple[str, str]] = {
    "social_worker": ("Social worker", "社工"),
    "supervisor": ("Supervisor", "督导"),
    "station_head": ("Station head", "站长"),
    "street_leader": ("Street leader", "街道领导"),
    "district_admin": ("District administrator", "区民政局管理员"),
    "auditor": ("Auditor", "审计员"),
    "partner_office": ("Partner street office (system)", "其他街道办系统"),
}


def _roles(names: str) -> frozenset[str]:
    return frozenset(names.split())


_STATION = "social_worker supervisor station_head"
_LEADS = "supervisor station_head"
_ABOVE = "street_leader district_admin"

# action -> (roles that may, what it allows in English, 中文)
PERMISSIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "residents.register": (_roles(_STATION), "Register residents", "登记居民"),
    "residents.read": (_roles(f"{_STATION} {_ABOVE} auditor"),
                       "Read residents' records (ID number and phone masked)",
                       "查看居民档案（身份证号、电话脱敏）"),
    "residents.read_pii": (_roles(_STATION), "See ID numbers and phones unmasked",
                           "查看完整身份证号和电话"),
    "residents.update": (_roles(_STATION), "Update residents' details and status",
                         "更新居民信息与状态"),
    "residents.transfer": (_roles(_STATION),
                           "Move residents within scope; offer them to another station",
                           "在本人范围内迁移居民；向其他社工站发起转移"),
    "residents.accept_transfer": (_roles(_LEADS),
                                  "Accept or decline a resident's transfer offered to the station",
                                  "接收或拒绝转入本社工站的居民"),
    "residents.erase": (_roles("station_head district_admin"),
                        "Erase a resident's personal data (right to erasure)",
                        "删除居民个人信息（删除权）"),
    "residents.assess": (_roles(_STATION), "Assess and grade residents", "评估分级"),
    "residents.import": (_roles(_LEADS),
                         "Import residents from a roster file (XLSX or CSV), their first "
                         "cards included", "从花名册文件（XLSX 或 CSV）导入居民，含首次卡色"),
    "needs.write": (_roles(_STATION), "Record, meet and withdraw residents' needs",
                    "登记、满足、撤回居民需求"),
    "card.override": (_roles(_LEADS), "Override a resident's card", "调整居民卡色"),
    "card.confirm_downgrade": (_roles(_LEADS), "Confirm a card downgrade", "确认卡色降级"),
    "cases.read": (_roles(f"{_STATION} {_ABOVE} auditor"),
                   "Read cases, approvals, visits and referrals (within scope)",
                   "查看个案、审批、探访与转介（限本人范围内）"),
    "cases.write": (_roles(_STATION), "Open, assess, plan, transfer and close cases",
                    "开案、评估、制定计划、转案、结案"),
    "cases.approve": (_roles(_LEADS), "Approve case plans and closures", "审批个案计划与结案"),
    "visits.write": (_roles(_STATION), "Record visits", "记录探访"),
    "referrals.write": (_roles(_STATION), "Make referrals and record the agencies' answers",
                        "转介并记录接收机构的答复"),
    "followups.read": (_roles(f"{_STATION} {_ABOVE} auditor"),
                       "Read follow-up and visiting-campaign worklists (within scope)",
                       "查看随访与专项走访工作清单（限本人范围内）"),
    "followups.assign": (_roles(_STATION), "Assign follow-ups to social workers", "分派随访"),
    "campaigns.write": (_roles(_LEADS), "Declare visiting campaigns", "发起专项走访"),
    "activities.read": (_roles(f"{_STATION} {_ABOVE} auditor"),
                        "Read activities, attendance, organizations, volunteers and their "
                        "counts (within scope)",
                        "查看活动、出席、社区社会组织、志愿者及统计（限本人范围内）"),
    "activities.write": (_roles(_STATION),
                         "Record projects, activities, attendance, organizations, members, "
                         "volunteers and their hours",
                         "记录项目、活动、出席、社区社会组织及成员、志愿者及服务时长"),
    "activities.import": (_roles(_LEADS),
                          "Import organizations with their members, and volunteers, from a "
                          "sheet (XLSX or CSV)",
                          "从表格（XLSX 或 CSV）导入社区社会组织及成员、志愿者"),
    "resources.read": (_roles(f"{_STATION} {_ABOVE} auditor"),
                       "Read partners, donations, stock, wishes and matches (within scope)",
                       "查看资源方、捐赠、库存、微心愿与匹配（限本人范围内）"),
    "resources.write": (_roles(_STATION),
                        "Record partners, donations, micro-wishes and matches",
                        "记录资源方、捐赠、微心愿与需求匹配"),
    "resources.allocate": (_roles(_LEADS), "Allocate stock and cash", "分配物资与资金"),
    "reports.station": (_roles(f"{_STATION} {_ABOVE} auditor"),
                        "Read station reports (a station's people: their station's only)",
                        "查看社工站报表（社工站人员仅限本站）"),
    "reports.rollup": (_roles(_ABOVE), "Read street and district roll-ups",
                       "查看街道、区级汇总报表"),
    "reports.submit": (_roles("station_head street_leader"),
                       "Submit the station's weekly and monthly reports, the street's roll-up",
                       "提交社工站周报、月报及街道汇总报表"),
    "reports.approve": (_roles(_ABOVE),
                        "Accept, return or reopen the reports of the level below",
                        "审核、退回或重新打开下级报表"),
    "chain.write": (_roles(_STATION),
                    "Record the five-level chain, suggestions, meetings and supervision",
                    "记录五级工作汇报、工作建议、例会与督导"),
    "residents.timeline": (_roles(f"{_LEADS} auditor"),
                           "Read a resident's audit timeline across services (audited)",
                           "查看居民跨服务全程记录（留痕）"),
    "audit.read": (_roles("auditor"), "Read the access trail and access digests",
                   "查看访问记录及访问摘要"),
    "partner.lookup": (_roles("partner_office district_admin"),
                       "Look up a person by ID number (known, card, station only)",
                       "按身份证号查询（仅返回是否在册、卡色、所属社工站）"),
    "org.read": (_roles(f"{_STATION} {_ABOVE} auditor"),
                 "Read the organisation tree (within scope), rubrics and vocabularies",
                 "查看组织结构（限本人范围内）、评估量表与词表"),
    "org.write": (_roles(f"station_head {_ABOVE}"),
                  "Add streets, stations and communities (within scope)",
                  "新增街道、社工站、社区（限本人范围内）"),
    "users.admin": (_roles("district_admin"), "Manage user accounts", "管理用户账号"),
    "health.details": (_roles("district_admin"),
                       "See the services' readiness details (relay process, restarts, errors)",
                       "查看服务就绪详情（转发进程、重启次数、错误）"),
}

ACTIONS = tuple(PERMISSIONS)


def allowed(role: str, action: str) -> bool:
    """May `role` do `action`? An unknown action is a programming error (KeyError)."""
    try:
        roles = PERMISSIONS[action][0]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: add it to shared.security.roles") from None
    return role in roles


def actions_of(role: str) -> list[str]:
    return [action for action, (roles, _, _) in PERMISSIONS.items() if role in roles]


# -- documentation ---------------------------------------------------------------------

DOC_START = "<!-- permissions:start (generated by shared.security.roles; do not edit) -->"
DOC_END = "<!-- permissions:end -->"


def render_markdown() -> str:
    """The roles and the permission table as Markdown (the block in docs/security.md)."""
    lines = ["| role | 角色 | English |", "| --- | --- | --- |"]
    lines += [f"| `{role}` | {zh} | {en} |" for role, (en, zh) in ROLES.items()]
    lines += ["", "| action | allows / 允许 | " + " | ".join(f"`{r}`" for r in ROLES) + " |",
              "| --- | --- | " + " | ".join(":---:" for _ in ROLES) + " |"]
    for action, (roles, en, zh) in PERMISSIONS.items():
        marks = " | ".join("✓" if role in roles else "" for role in ROLES)
        lines.append(f"| `{action}` | {en} / {zh} | {marks} |")
    return "\n".join(lines) + "\n"


def doc_block(text: str) -> str | None:
    """The generated block of a document, or None if its markers are missing."""
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        return None
    return text[start + len(DOC_START):end].strip("\n") + "\n"


def sync_doc(path: str | pathlib.Path) -> bool:
    """Rewrite the generated block of `path` from the table; True if it changed."""
    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: markers {DOC_START!r} … {DOC_END!r} not found")
    new = text[:start + len(DOC_START)] + "\n" + render_markdown() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    changed = sync_doc(sys.argv[1] if len(sys.argv) > 1 else "docs/security.md")
    print("updated" if changed else "already in sync")
