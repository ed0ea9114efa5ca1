"""Roster import (花名册导入), the pure part: a sheet's rows in, checked rows and verdicts out.

    table = import_sheet.read(data, content_type, known_header, MAX_ROWS)
    checked = check_table(table, tree, station_id, policy, now)     # every row's problems
    verdict = judge(row, state, station_id, ...)                    # new / unchanged / updated

Each row passes the rules a registration through the API passes (the request schema
RegisterIn, then the aggregate's own decision): the ID number's check digit, gender and
birth date agreeing with it, the community belonging to the station (by its name), the
categories known (by their Chinese names, codes or English names, separated by 、 or
commas). Rows repeating an ID number within the file are refused, each naming the
others. A person already registered at this station (same ID number) is unchanged when
the row agrees, and updated by the service's own correction commands when it differs:
MoveResident (社区, with 住址), UpdateResident (姓名, 电话, 住址, 类别). An empty optional
cell says nothing (the record keeps its value): an import never erases what is known.

卡色 (红/蓝/绿) is the resident's first card: recorded as a card override
(OverrideCard → CardAssigned, reason "roster import / 花名册导入") by the person
importing. A resident who has a card already keeps it: a different 卡色 refuses the row
(a card changes by an assessment or a supervisor's override, never by a sheet).
备注 stays in the sheet: it is read but not stored (free text about a person has no
place in the record's fields, and would travel unsealed in a card's reason).
"""
from __future__ import annotations

import dataclasses
import functools
import re
from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

from shared import inputs
from shared.kit.errors import DomainError, Invalid
from shared.messages import bilingual

from services.residents import cards, configuration, idnumber, resident
from services.residents import commands as c
from shared.import_sheet import Table
from services.residents.org import OrgTree
from services.residents.resident import Resident

# field -> (the template's header, other headers accepted)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("姓名", ("name", "名字")),
    "id_number": ("身份证号", ("id_number", "身份证号码", "身份证", "公民身份号码")),
    "gender": ("性别", ("gender", "sex")),
    "birth_date": ("出生日期", ("birth_date", "出生年月日", "生日")),
    "community": ("社区", ("community", "community_id", "所属社区", "社区名称")),
    "categories": ("类别", ("categories", "category", "对象类别", "服务对象类别")),
    "phone": ("电话", ("phone", "联系电话", "手机", "手机号", "手机号码")),
    "address": ("住址", ("address", "地址", "家庭住址", "现住址")),
    "card": ("卡色", ("card", "卡别", "卡片")),
    "note": ("备注", ("note", "notes", "remark", "remarks")),
}
REQUIRED = ("name", "id_number", "gender", "birth_date", "community")
_BY_HEADER = {h.lower(): f for f, (zh, others) in COLUMNS.items() for h in (zh, *others)}
GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female",
           "m": "male", "f": "female"}
CARDS = {"红": "red", "红卡": "red", "red": "red", "蓝": "blue", "蓝卡": "blue",
         "blue": "blue", "绿": "green", "绿卡": "green", "green": "green"}
_SPLIT = re.compile(r"[、,，;；/\s]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
IMPORT_REASON = "roster import / 花名册导入"


def field_of(header: str) -> str | None:
    return _BY_HEADER.get(header.strip().lower())


def known_header(header: str) -> bool:
    return field_of(header) is not None


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
class Row:
    """A row whose cells pass every rule of a registration at the station."""

    number: int
    id_number: str
    name: str
    gender: str
    birth_date: date
    community_id: str
    categories: tuple[str, ...] | None    # None: the cell was empty
    phone: str | None
    address: str | None
    card: str | None


@dataclasses.dataclass(frozen=True)
class Checked:
    rows: tuple[Row, ...]               # passed
    problems: tuple[Problem, ...]       # of the refused rows, in sheet order
    cells: Mapping[int, tuple[str, ...]]  # every row's cells, by row number
    headers: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.cells)

    def refused_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


class Columns:
    """Where each field is in the sheet, and the header to name it by in messages."""

    def __init__(self, headers: Sequence[str]):
        self.index: dict[str, int] = {}
        for i, header in enumerate(headers):
            field = field_of(header) if header else None
            if field and field not in self.index:
                self.index[field] = i
        self.headers = headers

    def missing(self) -> list[str]:
        return [f for f in REQUIRED if f not in self.index]

    def label(self, field: str) -> str:
        i = self.index.get(field)
        return self.headers[i] if i is not None else COLUMNS[field][0]

    def value(self, cells: Sequence[str], field: str) -> str:
        i = self.index.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""


# -- the whole table ---------------------------------------------------------------------

def check_table(table: Table, tree: OrgTree, station_id: str, policy: resident.Policy,
                now: datetime) -> Checked:
    """Every row checked on its own, then rows sharing an ID number refused together."""
    columns = Columns(table.headers)
    missing = columns.missing()
    if missing:
        names = "、".join(COLUMNS[f][0] for f in missing)
        raise Invalid(f"Columns missing: {', '.join(missing)}", f"缺少列：{names}",
                      fields={"file": [f"Add the columns {names} / 请添加列：{names}"]})
    communities = community_names(tree, station_id)
    rows, problems = [], []
    for number, cells in table.rows:
        row, found = check_row(number, cells, columns, communities, station_id, policy, now)
        problems += found
        if row is not None:
            rows.append(row)
    rows, doubled = refuse_duplicates(rows, columns.label("id_number"))
    problems = sorted(problems + doubled, key=lambda p: p.row)
    return Checked(tuple(rows), tuple(problems), dict(table.rows), tuple(table.headers))


def refuse_duplicates(rows: Sequence[Row], label: str) -> tuple[list[Row], list[Problem]]:
    """Rows repeating an ID number are all refused: which one is right is for people to say."""
    by_number: dict[str, list[int]] = {}
    for row in rows:
        by_number.setdefault(row.id_number, []).append(row.number)
    problems = []
    for numbers in by_number.values():
        if len(numbers) > 1:
            for n in numbers:
                others = "、".join(str(o) for o in numbers if o != n)
                problems.append(Problem(n, label, f"The same ID number as row {others}",
                                        f"与第 {others} 行身份证号相同"))
    doubled = {p.row for p in problems}
    return [r for r in rows if r.number not in doubled], problems


def community_names(tree: OrgTree, station_id: str) -> dict[str, str]:
    """The station's communities by name, by name without 社区, and by id."""
    found = {}
    for node in tree.children("community", station_id):
        found[node.id] = node.id
        found[node.name] = node.id
        found[node.name.removesuffix("社区")] = node.id
    return found


# -- one row -------------------------------------------------------------------------------

def check_row(number: int, cells: Sequence[str], columns: Columns, communities: Mapping[str, str],
              station_id: str, policy: resident.Policy, now: datetime
              ) -> tuple[Row | None, list[Problem]]:
    """The row as a registration, or its problems (one per column at most)."""
    value = lambda f: columns.value(cells, f)  # noqa: E731
    parsed, found = parse_cells(value, communities)
    data = {"station_id": station_id, "community_id": parsed.get("community_id") or "x",
            "name": value("name"), "gender": parsed.get("gender") or "male",
            "birth_date": (parsed.get("birth_date") or date(2000, 1, 1)).isoformat(),
            "id_number": value("id_number"), "phone": value("phone") or None,
            "address": value("address") or None, "categories": list(parsed.get("categories") or ())}
    for field, messages in schema_problems(data).items():
        found.setdefault(FIELD_OF_KEY.get(field.split(".")[0], "name"), messages)
    if not found:
        found.update(domain_problems(data, policy, now))
    if found:
        return None, [_problem(number, columns.label(f), m) for f, ms in found.items() for m in ms[:1]]
    return Row(number=number, id_number=idnumber.normalise(data["id_number"]), name=data["name"],
               gender=data["gender"], birth_date=parsed["birth_date"],
               community_id=parsed["community_id"],
               categories=parsed.get("categories") if value("categories") else None,
               phone=data["phone"], address=data["address"], card=parsed.get("card")), []


FIELD_OF_KEY = {"community_id": "community", "station_id": "community", "name": "name",
                 "gender": "gender", "birth_date": "birth_date", "id_number": "id_number",
                 "phone": "phone", "address": "address", "categories": "categories",
                 "card": "card", "_schema": "name"}


def parse_cells(value, communities: Mapping[str, str]) -> tuple[dict, dict[str, list[str]]]:
    """The cells the sheet writes its own way (性别 男/女, dates, 社区 by name, 类别 by
    Chinese name, 卡色 红/蓝/绿) as the API's values; a problem for each that is not one."""
    parsed, found = {}, {}
    for field in REQUIRED:
        if not value(field):
            found[field] = ["Required: this cell is empty / 必填：该单元格为空"]
    gender = GENDERS.get(value("gender").lower())
    if gender:
        parsed["gender"] = gender
    elif value("gender"):
        found["gender"] = ["Write 男 or 女 / 请填写“男”或“女”"]
    born = parse_date(value("birth_date"))
    if born:
        parsed["birth_date"] = born
    elif value("birth_date"):
        found["birth_date"] = ["Not a date: write it as 1950-03-08 / 日期无效，请写作 1950-03-08"]
    community = communities.get(value("community"))
    if community:
        parsed["community_id"] = community
    elif value("community"):
        names = "、".join(sorted({k for k, v in communities.items() if k.endswith("社区")}))
        found["community"] = [f"Not a community of this station ({names}) / "
                              f"不是本社工站的社区（本站社区：{names}）"]
    codes, unknown = parse_categories(value("categories"))
    parsed["categories"] = codes
    if unknown:
        found["categories"] = [f"Unknown: {'、'.join(unknown)} / 未知类别：{'、'.join(unknown)}"]
    card = value("card")
    if card and card.lower() not in CARDS:
        found["card"] = ["Write 红, 蓝 or 绿 / 请填写“红”“蓝”或“绿”"]
    parsed["card"] = CARDS.get(card.lower()) if card else None
    return parsed, found


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


def parse_categories(text: str) -> tuple[tuple[str, ...], list[str]]:
    """(codes, names not known) of a 类别 cell: 独居、低保 or living_alone,low_income."""
    vocabulary = {}
    for entry in configuration.settings().categories.entries:
        for key in (entry["code"], entry.get("name_zh"), entry.get("name")):
            if key:
                vocabulary[key.lower()] = entry["code"]
    codes, unknown = [], []
    for part in filter(None, _SPLIT.split(text.strip())):
        code = vocabulary.get(part.lower())
        if code is None:
            unknown.append(part)
        elif code not in codes:
            codes.append(code)
    return tuple(codes), unknown


@functools.cache
def _register_schema():
    from services.residents.schemas import RegisterIn
    return RegisterIn()   # made once: a marshmallow schema costs more to build than to use


def schema_problems(data: dict) -> dict[str, list[str]]:
    """What POST /residents's schema and the rules of every request say of the row."""
    from marshmallow import ValidationError
    try:
        loaded = _register_schema().load(data)
    except ValidationError as err:
        return bilingual(err.messages if isinstance(err.messages, dict) else {"_schema": err.messages})
    return inputs.problems(loaded)


def domain_problems(data: dict, policy: resident.Policy, now: datetime) -> dict[str, list[str]]:
    """What the aggregate decides of the registration (the same decision a POST makes)."""
    command = c.RegisterResident(
        resident_id="check", station_id=data["station_id"], community_id=data["community_id"],
        name=data["name"], gender=data["gender"], birth_date=date.fromisoformat(data["birth_date"]),
        id_number=data["id_number"], phone=data["phone"], address=data["address"],
        categories=tuple(data["categories"]))
    try:
        resident.decide(Resident(), command, now, policy)
    except DomainError as err:
        return {FIELD_OF_KEY.get(k, "name"): list(v) for k, v in err.fields.items()} or {
            "name": [f"{err.message} / {err.message_zh}"]}
    return {}


def _problem(number: int, column: str, text: str) -> Problem:
    english, _, chinese = str(text).rpartition(" / ")
    return Problem(number, column, english or text, chinese or text)


# -- a row against the record ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Verdict:
    """kind: new | unchanged | updated | refused; commands: what to run, in order."""

    kind: str
    commands: tuple = ()
    problems: tuple[Problem, ...] = ()


def judge(row: Row, state: Resident | None, station_id: str, resident_id: str, digest: str,
          actor: str, role: str, labels: Columns, erased: bool = False) -> Verdict:
    """What the row means for the record of its ID number (`state`, None if unknown)."""
    if state is None or not state.exists:
        return Verdict("new", (register(row, station_id, resident_id, digest, actor),
                               *card_commands(row, None, resident_id, actor, role)))
    if state.station_id != station_id:
        return refused(row, labels.label("id_number"),
                       "Registered at another station: that station may transfer the record",
                       "此人已在其他社工站登记，如需转入请联系该站办理转移")
    if erased:
        return refused(row, labels.label("id_number"), "This person's record was erased",
                       "该居民的个人信息已删除，不能导入")
    if row.card and state.card and row.card != state.card:
        return refused(row, labels.label("card"),
                       f"The record's card is {state.card}: a card changes by an assessment or "
                       f"a supervisor's override; leave 卡色 empty or write the current card",
                       f"该居民当前为{cards.LABELS_ZH[state.card]}：卡色只能通过评估或督导调整，"
                       f"请将卡色留空或填写当前卡色")
    commands = (*corrections(row, state, actor), *card_commands(row, state, state.id, actor, role))
    return Verdict("updated" if commands else "unchanged", commands)


def refused(row: Row, column: str, message: str, message_zh: str) -> Verdict:
    return Verdict("refused", (), (Problem(row.number, column, message, message_zh),))


def register(row: Row, station_id: str, resident_id: str, digest: str,
             actor: str) -> c.RegisterResident:
    return c.RegisterResident(
        resident_id=resident_id, station_id=station_id, community_id=row.community_id,
        name=row.name, gender=row.gender, birth_date=row.birth_date, id_number=row.id_number,
        phone=row.phone, address=row.address, categories=row.categories or (),
        id_digest=digest, actor=actor)


def card_commands(row: Row, state: Resident | None, resident_id: str, actor: str,
                  role: str) -> tuple:
    if row.card is None or (state is not None and state.card is not None):
        return ()
    return (c.OverrideCard(resident_id=resident_id, card=row.card, reason=IMPORT_REASON,
                           role=role, actor=actor),)


def corrections(row: Row, state: Resident, actor: str) -> tuple:
    """The correction commands that make the record say what the row says (none if it does)."""
    found = []
    address_moves = row.community_id != state.community_id
    if address_moves:
        found.append(c.MoveResident(resident_id=state.id, community_id=row.community_id,
                                    address=row.address, actor=actor))
    changes = {}
    if row.name != state.name:
        changes["name"] = row.name
    if row.phone is not None and row.phone != state.phone:
        changes["phone"] = row.phone
    if row.address is not None and row.address != state.address and not address_moves:
        changes["address"] = row.address
    if row.categories is not None and sorted(set(row.categories) - {"advanced_age"}) != sorted(
            state.categories):
        changes["categories"] = list(row.categories)
    if changes:
        found.append(c.UpdateResident(resident_id=state.id, changes=changes, actor=actor))
    return tuple(found)


def summary(verdicts: Iterable[str], total: int, problems: Sequence[Problem]) -> dict:
    """The report: {"rows", "new", "unchanged", "updated", "refused", "errors"}."""
    counts = {"new": 0, "unchanged": 0, "updated": 0}
    for kind in verdicts:
        if kind in counts:
            counts[kind] += 1
    return {"rows": total, **counts, "refused": len({p.row for p in problems}),
            "errors": [p.as_dict() for p in sorted(problems, key=lambda p: (p.row, p.column))]}
