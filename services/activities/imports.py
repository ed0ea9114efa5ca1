"""Organizations with their members, and volunteers, from a sheet (花名册导入). Pure.

    checked = check_organizations(table, communities, today)   # every row's problems
    verdicts = judge_organizations(checked, record, station_id, actor, new_id)
    (the same for volunteers)

The rules of the API, row by row, with the sheet's own words: 社区 by its name (or id),
党员 是/否, dates as 2024-03-08 (never in the future). The record's identities, since
these people have no ID number here: an organization by its name at the station, a
member by their name in the organization, a volunteer by name and phone at the station.

Organizations sheet: one row per member, the organization's columns repeated (a row with
no 成员姓名 names the organization alone). The first row of an organization new to the
record incubates it; every row with a member adds that member. Rows of one organization
must agree on 社区, 类型, 负责人 and 培育日期 (an empty cell says nothing); a member
named twice in one organization is refused on both rows.

Verdicts: `new` (the row writes: an organization, a member, a volunteer), `unchanged`
(the record says what the row says), `refused`. Activities has no correction command for
an organization's community or type, a member's 党员 flag, or a volunteer's community or
organization: a row that differs there is refused, saying what the record holds, rather
than silently kept or overwritten (so `updated` is always 0 for these sheets).
"""
from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Callable, Mapping, Sequence

from shared.import_sheet import Table
from shared.kit.errors import Invalid

from services.activities import commands as c

# field -> (the template's header, other headers accepted)
ORGANIZATION_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "organization": ("组织名称", ("organization", "组织", "社会组织名称", "社区社会组织")),
    "community": ("社区", ("community", "community_id", "所属社区", "社区名称")),
    "type": ("类型", ("type", "组织类型", "类别")),
    "leader": ("负责人", ("leader", "组织负责人")),
    "incubated_on": ("培育日期", ("incubated_on", "成立日期", "成立时间")),
    "member": ("成员姓名", ("member", "member_name", "成员", "姓名")),
    "party_member": ("党员", ("party_member", "是否党员", "政治面貌")),
    "joined_on": ("加入日期", ("joined_on", "入会日期", "加入时间")),
    "note": ("备注", ("note", "notes", "remark")),
}
ORGANIZATION_REQUIRED = ("organization", "community", "type")   # columns the sheet has
# cells every row fills; 社区 and 类型 on an organization's first row, later rows may
# leave them empty (they are that row's)
ORGANIZATION_GROUP = ("community", "type", "leader", "incubated_on")

VOLUNTEER_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("姓名", ("name", "志愿者姓名")),
    "phone": ("电话", ("phone", "联系电话", "手机", "手机号", "手机号码")),
    "community": ("社区", ("community", "community_id", "所属社区", "社区名称")),
    "organization": ("所属组织", ("organization", "organization_id", "组织", "组织名称")),
    "registered_on": ("登记日期", ("registered_on", "注册日期", "加入日期")),
    "note": ("备注", ("note", "notes", "remark")),
}
VOLUNTEER_REQUIRED = ("name",)

# 类型 by its usual Chinese names; any other text is kept as written (the API's type is free).
TYPES = {"广场舞": "dance", "舞蹈": "dance", "书法": "calligraphy", "读书": "reading",
         "阅读": "reading", "春联": "couplets", "对联": "couplets", "志愿服务队": "volunteer_team",
         "志愿者队": "volunteer_team", "互助": "mutual_aid", "邻里互助": "mutual_aid"}
YES = {"是", "党员", "中共党员", "yes", "y", "true", "1", "√"}
NO = {"否", "不是", "群众", "no", "n", "false", "0", ""}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
REQUIRED_CELL = ("Required: this cell is empty", "必填：该单元格为空")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One error of the report: the sheet's row, its column's header, both languages."""

    row: int
    column: str
    message: str
    message_zh: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Checked:
    rows: tuple                          # OrganizationRow or VolunteerRow, passed
    problems: tuple[Problem, ...]        # of the refused rows
    cells: Mapping[int, tuple[str, ...]]
    headers: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.cells)

    def refused_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


class Columns:
    """Where each field is in the sheet, and the header to name it by in messages."""

    def __init__(self, spec: Mapping[str, tuple[str, tuple[str, ...]]], headers: Sequence[str]):
        by_header = {h.lower(): f for f, (zh, others) in spec.items() for h in (zh, *others)}
        self.spec, self.headers, self.index = spec, headers, {}
        for i, header in enumerate(headers):
            field = by_header.get((header or "").strip().lower())
            if field and field not in self.index:
                self.index[field] = i

    def missing(self, required: Sequence[str]) -> list[str]:
        return [f for f in required if f not in self.index]

    def label(self, field: str) -> str:
        i = self.index.get(field)
        return self.headers[i] if i is not None else self.spec[field][0]

    def value(self, cells: Sequence[str], field: str) -> str:
        i = self.index.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""


def known_header(spec: Mapping[str, tuple[str, tuple[str, ...]]]) -> Callable[[str], bool]:
    names = {h.lower() for zh, others in spec.values() for h in (zh, *others)}
    return lambda header: header.strip().lower() in names


def parse_date(text: str) -> date | None:
    text = text.strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _columns(table: Table, spec, required) -> Columns:
    columns = Columns(spec, table.headers)
    missing = columns.missing(required)
    if missing:
        names = "、".join(spec[f][0] for f in missing)
        raise Invalid(f"Columns missing: {', '.join(missing)}", f"缺少列：{names}",
                      fields={"file": [f"Add the columns {names} / 请添加列：{names}"]})
    return columns


class _Row:
    """Collects one row's problems, at most one per column."""

    def __init__(self, number: int, cells: Sequence[str], columns: Columns):
        self.number, self.cells, self.columns = number, cells, columns
        self.problems: dict[str, Problem] = {}

    def value(self, field: str) -> str:
        return self.columns.value(self.cells, field)

    def refuse(self, field: str, message: str, message_zh: str) -> None:
        self.problems.setdefault(field, Problem(self.number, self.columns.label(field), message,
                                                message_zh))

    def required(self, *fields: str) -> None:
        for field in fields:
            if not self.value(field):
                self.refuse(field, *REQUIRED_CELL)

    def text(self, field: str, limit: int) -> str | None:
        value = self.value(field)
        if len(value) > limit:
            self.refuse(field, f"At most {limit} characters", f"最多 {limit} 个字符")
        return value or None

    def day(self, field: str, today: date) -> date | None:
        text = self.value(field)
        if not text:
            return None
        day = parse_date(text)
        if day is None:
            self.refuse(field, "Not a date: write it as 2024-03-08",
                        "日期无效，请写作 2024-03-08")
        elif day > today:
            self.refuse(field, "The date is in the future", "日期不能晚于今天")
        return day

    def community(self, communities: Mapping[str, str]) -> str | None:
        text = self.value("community")
        if not text:
            return None
        found = communities.get(text) or communities.get(text + "社区")
        if found is None:
            names = "、".join(sorted({k for k in communities if k.endswith("社区")}))
            self.refuse("community", f"Not a community of this station ({names})",
                        f"不是本社工站的社区（本站社区：{names}）")
        return found


# -- organizations and their members ----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class OrganizationRow:
    number: int
    organization: str
    community_id: str | None     # None: as the organization's first row says
    type: str | None
    leader: str | None
    incubated_on: date | None
    member: str | None
    party_member: bool
    joined_on: date | None


def check_organizations(table: Table, communities: Mapping[str, str], today: date) -> Checked:
    """Every row checked on its own, then the rows of one organization against each other."""
    columns = _columns(table, ORGANIZATION_COLUMNS, ORGANIZATION_REQUIRED)
    rows, problems, seen = [], [], {}   # seen: organization -> its first row
    for number, cells in table.rows:
        row = _Row(number, cells, columns)
        row.required("organization")
        name = row.text("organization", 200)
        if name and name not in seen:
            seen[name] = number
            row.required("community", "type")
        community = row.community(communities)
        kind = row.text("type", 100)
        leader = row.text("leader", 200)
        incubated = row.day("incubated_on", today)
        member = row.text("member", 200)
        party = row.value("party_member").lower()
        if party not in YES | NO:
            row.refuse("party_member", "Write 是 or 否", "请填写“是”或“否”")
        elif party in YES and not member:
            row.refuse("member", "A 党员 needs the member's name", "填写了党员，请同时填写成员姓名")
        joined = row.day("joined_on", today)
        if joined and not member:
            row.refuse("member", "A 加入日期 needs the member's name", "填写了加入日期，请同时填写成员姓名")
        if joined and incubated and joined < incubated:
            row.refuse("joined_on", "Before the organization's 培育日期", "加入日期早于培育日期")
        if row.problems:
            problems += row.problems.values()
            continue
        rows.append(OrganizationRow(number, name, community, TYPES.get(kind, kind) if kind else None,
                                    leader, incubated, member, party in YES, joined))
    passed = {row.number for row in rows}
    for row in rows:   # an organization whose first row is refused is refused whole
        if seen[row.organization] not in passed:
            problems.append(Problem(
                row.number, columns.label("organization"),
                f"The organization's first row (row {seen[row.organization]}) is refused",
                f"该组织的第一行（第 {seen[row.organization]} 行）未通过检查"))
    refused = {p.row for p in problems}
    rows, found = _organization_groups([r for r in rows if r.number not in refused], columns)
    problems = sorted(problems + found, key=lambda p: (p.row, p.column))
    return Checked(tuple(rows), tuple(problems), dict(table.rows), tuple(table.headers))


def _organization_groups(rows: list[OrganizationRow], columns: Columns
                         ) -> tuple[list[OrganizationRow], list[Problem]]:
    """Rows of one organization agree on its columns; a member is named once in it."""
    problems: list[Problem] = []
    first: dict[str, OrganizationRow] = {}
    members: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        head = first.setdefault(row.organization, row)
        for field in ORGANIZATION_GROUP:
            mine, theirs = _group_value(row, field), _group_value(head, field)
            if mine is not None and theirs is not None and mine != theirs:
                problems.append(Problem(row.number, columns.label(field),
                                        f"Differs from row {head.number} of the same organization",
                                        f"与同一组织的第 {head.number} 行不一致"))
                break
        if row.member:
            members.setdefault((row.organization, row.member), []).append(row.number)
    for numbers in members.values():
        for n in numbers if len(numbers) > 1 else ():
            others = "、".join(str(o) for o in numbers if o != n)
            problems.append(Problem(n, columns.label("member"),
                                    f"The same member as row {others}",
                                    f"与第 {others} 行为同一成员"))
    refused = {p.row for p in problems}
    heads = {row.organization: row for row in reversed(rows)}   # each organization's first
    return [dataclasses.replace(r, **{f: getattr(heads[r.organization], f) for f in _FILLED
                                      if getattr(r, f) is None})
            for r in rows if r.number not in refused], problems


_FILLED = ("community_id", "type", "leader", "incubated_on")


def _group_value(row: OrganizationRow, field: str):
    return {"community": row.community_id, "type": row.type, "leader": row.leader,
            "incubated_on": row.incubated_on}[field]


@dataclasses.dataclass(frozen=True)
class KnownOrganization:
    organization_id: str
    community_id: str
    type: str
    state: str
    members: Mapping[str, bool]     # active member's name -> 党员


@dataclasses.dataclass(frozen=True)
class Verdict:
    """kind: new | unchanged | refused; commands: what to run, in order."""

    kind: str
    commands: tuple = ()
    problems: tuple[Problem, ...] = ()


def judge_organizations(checked: Checked, record: Mapping[str, KnownOrganization],
                        station_id: str, actor: str, new_id: Callable[[], str], today: date,
                        columns: Columns) -> dict[int, Verdict]:
    """What each row means for the station's record (`record`: organizations by name)."""
    verdicts: dict[int, Verdict] = {}
    created: dict[str, str] = {}     # organizations new to the record -> their new id
    for row in checked.rows:
        known = record.get(row.organization)
        commands: list = []
        if known is None:
            if row.organization not in created:
                created[row.organization] = new_id()
                commands.append(c.IncubateOrganization(
                    created[row.organization], station_id, row.community_id, row.organization,
                    row.type, row.leader, row.incubated_on or today, actor))
            organization_id = created[row.organization]
        else:
            refusal = _differs(row, known, columns)
            if refusal is not None:
                verdicts[row.number] = Verdict("refused", (), (refusal,))
                continue
            organization_id = known.organization_id
        if row.member and known is not None and row.member in known.members:
            if known.members[row.member] != row.party_member:
                verdicts[row.number] = Verdict("refused", (), (Problem(
                    row.number, columns.label("party_member"),
                    f"The record says {'a' if known.members[row.member] else 'not a'} party "
                    f"member: an import does not change it",
                    f"档案中该成员{'是' if known.members[row.member] else '不是'}党员，"
                    f"导入不修改此项"),))
                continue
        elif row.member:
            if known is not None and known.state == "dissolved":
                verdicts[row.number] = Verdict("refused", (), (Problem(
                    row.number, columns.label("organization"),
                    "The organization is dissolved: it takes no members",
                    "该组织已解散，不能加入成员"),))
                continue
            commands.append(c.JoinMember(organization_id, new_id(), row.member, row.party_member,
                                         None, row.joined_on or today, actor))
        verdicts[row.number] = Verdict("new" if commands else "unchanged", tuple(commands))
    return verdicts


def _differs(row: OrganizationRow, known: KnownOrganization, columns: Columns) -> Problem | None:
    if row.community_id != known.community_id:
        return Problem(row.number, columns.label("community"),
                       "The organization is recorded in another community: an import does "
                       "not move it", "档案中该组织属于其他社区，导入不修改此项")
    if row.type != known.type:
        return Problem(row.number, columns.label("type"),
                       f"The record's type is {known.type}: an import does not change it",
                       f"档案中该组织类型为「{known.type}」，导入不修改此项")
    return None


# -- volunteers -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class VolunteerRow:
    number: int
    name: str
    phone: str | None
    community_id: str | None
    organization: str | None
    registered_on: date | None


def check_volunteers(table: Table, communities: Mapping[str, str],
                     organizations: Mapping[str, str], today: date) -> Checked:
    """`organizations`: the station's organizations, name -> id (所属组织 names one)."""
    columns = _columns(table, VOLUNTEER_COLUMNS, VOLUNTEER_REQUIRED)
    rows, problems = [], []
    for number, cells in table.rows:
        row = _Row(number, cells, columns)
        row.required(*VOLUNTEER_REQUIRED)
        name = row.text("name", 200)
        phone = row.text("phone", 40)
        if phone and not re.fullmatch(r"[0-9+\- ]{5,40}", phone):
            row.refuse("phone", "Not a phone number", "电话号码无效")
        community = row.community(communities)
        organization = row.value("organization") or None
        if organization and organization not in organizations:
            row.refuse("organization", "Not an organization of this station",
                       "不是本社工站的社区社会组织")
        registered = row.day("registered_on", today)
        if row.problems:
            problems += row.problems.values()
            continue
        rows.append(VolunteerRow(number, name, phone, community,
                                 organizations.get(organization) if organization else None,
                                 registered))
    same: dict[tuple, list[int]] = {}
    for row in rows:
        same.setdefault((row.name, row.phone), []).append(row.number)
    for numbers in same.values():
        for n in numbers if len(numbers) > 1 else ():
            others = "、".join(str(o) for o in numbers if o != n)
            problems.append(Problem(n, columns.label("name"),
                                    f"The same volunteer (name and phone) as row {others}",
                                    f"与第 {others} 行为同一志愿者（姓名和电话相同）"))
    refused = {p.row for p in problems}
    rows = [r for r in rows if r.number not in refused]
    problems = sorted(problems, key=lambda p: (p.row, p.column))
    return Checked(tuple(rows), tuple(problems), dict(table.rows), tuple(table.headers))


@dataclasses.dataclass(frozen=True)
class KnownVolunteer:
    volunteer_id: str
    community_id: str | None
    organization_id: str | None


def judge_volunteers(checked: Checked, record: Mapping[tuple, KnownVolunteer], station_id: str,
                     actor: str, new_id: Callable[[], str], today: date,
                     columns: Columns) -> dict[int, Verdict]:
    """`record`: the station's volunteers by (name, phone)."""
    verdicts = {}
    for row in checked.rows:
        known = record.get((row.name, row.phone))
        if known is None:
            verdicts[row.number] = Verdict("new", (c.RegisterVolunteer(
                new_id(), station_id, row.community_id, row.name, row.phone, None,
                row.organization, row.registered_on or today, actor),))
        elif row.community_id is not None and row.community_id != known.community_id:
            verdicts[row.number] = Verdict("refused", (), (Problem(
                row.number, columns.label("community"),
                "The volunteer is recorded in another community: an import does not move them",
                "档案中该志愿者属于其他社区，导入不修改此项"),))
        elif row.organization is not None and row.organization != known.organization_id:
            verdicts[row.number] = Verdict("refused", (), (Problem(
                row.number, columns.label("organization"),
                "The volunteer is recorded with another organization: an import does not "
                "change it", "档案中该志愿者属于其他组织，导入不修改此项"),))
        else:
            verdicts[row.number] = Verdict("unchanged")
    return verdicts


def summary(kinds: Mapping[int, str], total: int, problems: Sequence[Problem]) -> dict:
    """The report: {"rows", "new", "unchanged", "updated", "refused", "errors"}."""
    counts = {"new": 0, "unchanged": 0, "updated": 0}
    for kind in kinds.values():
        if kind in counts:
            counts[kind] += 1
    return {"rows": total, **counts, "refused": len({p.row for p in problems}),
            "errors": [p.as_dict() for p in sorted(problems, key=lambda p: (p.row, p.column))]}
