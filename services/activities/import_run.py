"""Organizations (with members) and volunteers from a sheet, the operation: read what the
record holds, judge every row (services.activities.imports), then write.

    report = import_run.run(store, "organizations", table, station_id, actor,
                            communities, dry_run=False, today=today, now=now)

Rows run through the service's own handlers (handlers.execute: the same decisions,
sealing of names and phones, read models as the API), each row's commands in one
savepoint of its batch's transaction, so each row is all or nothing; a row whose
organization could not be made is refused naming that row. A dry run reads only. Every
event carries the importer as actor and the import's correlation id.

`communities`: the station's communities, name (and id) -> id; the caller knows them
(the service from its picture of the residents' org tree, the command line from the
residents' store).
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import Callable, Mapping

import sqlalchemy as sa

from shared import logs
from shared.eventstore import EventStore
from shared.import_sheet import Table
from shared.kit.errors import DomainError
from shared.kit.ids import new_id

from services.activities import commands as c
from services.activities import handlers, imports, projections
from services.activities.imports import Checked, Columns, Problem

log = logs.get("activities")
BATCH = 250
KINDS = ("organizations", "volunteers")
SPECS = {"organizations": imports.ORGANIZATION_COLUMNS, "volunteers": imports.VOLUNTEER_COLUMNS}


def known_header(kind: str) -> Callable[[str], bool]:
    return imports.known_header(SPECS[kind])


@dataclasses.dataclass
class Report:
    checked: Checked
    kinds: dict[int, str]
    problems: list[Problem]
    dry_run: bool
    correlation_id: str

    def as_dict(self) -> dict:
        return {**imports.summary(self.kinds, self.checked.total, self.problems),
                "dry_run": self.dry_run}


def communities_of(engine: sa.Engine, station_id: str) -> dict[str, str]:
    """The station's communities as the residents' events named them: name and id -> id."""
    N, C = projections.known_community_names, projections.known_communities
    found = {}
    with engine.connect() as conn:
        for (community_id,) in conn.execute(sa.select(C.c.community_id)
                                            .where(C.c.station_id == station_id)):
            found[community_id] = community_id
        for community_id, name in conn.execute(sa.select(N.c.community_id, N.c.name)
                                               .where(N.c.station_id == station_id)):
            found[name] = community_id
            found.setdefault(name.removesuffix("社区"), community_id)
    return found


def organizations_of(conn, station_id: str) -> dict[str, imports.KnownOrganization]:
    O, M = projections.organizations, projections.members
    members: dict[str, dict[str, bool]] = {}
    for organization_id, name, party in conn.execute(
            sa.select(M.c.organization_id, M.c.name, M.c.party_member)
            .where(M.c.station_id == station_id, M.c.left_on.is_(None))):
        members.setdefault(organization_id, {})[name] = bool(party)
    found = {}
    for organization_id, name, community_id, type_, state in conn.execute(
            sa.select(O.c.organization_id, O.c.name, O.c.community_id, O.c.type, O.c.state)
            .where(O.c.station_id == station_id).order_by(O.c.incubated_on,
                                                          O.c.organization_id)):
        found.setdefault(name, imports.KnownOrganization(
            organization_id, community_id, type_, state, members.get(organization_id, {})))
    return found


def volunteers_of(conn, station_id: str) -> dict[tuple, imports.KnownVolunteer]:
    V = projections.volunteers
    return {(name, phone): imports.KnownVolunteer(volunteer_id, community_id, organization_id)
            for volunteer_id, name, phone, community_id, organization_id in conn.execute(
                sa.select(V.c.volunteer_id, V.c.name, V.c.phone, V.c.community_id,
                          V.c.organization_id).where(V.c.station_id == station_id))}


def run(store: EventStore, kind: str, table: Table, station_id: str, actor: str,
        communities: Mapping[str, str], *, dry_run: bool, today: date, now: datetime,
        progress: Callable[[int, int], None] | None = None, batch: int = BATCH) -> Report:
    with store.engine.connect() as conn:
        if kind == "organizations":
            checked = imports.check_organizations(table, communities, today)
            columns = Columns(imports.ORGANIZATION_COLUMNS, checked.headers)
            verdicts = imports.judge_organizations(checked, organizations_of(conn, station_id),
                                                   station_id, actor, new_id, today, columns)
        else:
            named = {name: known.organization_id
                     for name, known in organizations_of(conn, station_id).items()}
            checked = imports.check_volunteers(table, communities, named, today)
            columns = Columns(imports.VOLUNTEER_COLUMNS, checked.headers)
            verdicts = imports.judge_volunteers(checked, volunteers_of(conn, station_id),
                                                station_id, actor, new_id, today, columns)
    kinds = {n: "refused" for n in checked.refused_rows()}
    problems = list(checked.problems)
    for row in checked.rows:
        kinds[row.number] = verdicts[row.number].kind
        problems += verdicts[row.number].problems
    correlation_id = str(uuid.uuid4())
    if not dry_run:
        refused = write(store, checked, verdicts, now, correlation_id, columns, progress, batch)
        for number, problem in refused.items():
            kinds[number] = "refused"
            problems.append(problem)
    elif progress:
        progress(len(checked.rows), len(checked.rows))
    report = Report(checked, kinds, problems, dry_run, correlation_id)
    log.info(f"{kind}.imported", station_id=station_id, actor=actor, dry_run=dry_run,
             correlation_id=correlation_id,
             **{k: v for k, v in report.as_dict().items() if k not in ("errors", "dry_run")})
    return report


def write(store: EventStore, checked: Checked, verdicts: Mapping[int, imports.Verdict],
          now: datetime, correlation_id: str, columns: Columns,
          progress: Callable[[int, int], None] | None, batch: int) -> dict[int, Problem]:
    """Each row's commands in a savepoint, BATCH rows a transaction; the refused rows'
    problems. A row joining an organization that this import failed to make is refused
    naming the row that would have made it."""
    ctx = handlers.Context(store, correlation_id)
    todo = [r for r in checked.rows if verdicts[r.number].commands]
    refused: dict[int, Problem] = {}
    failed: dict[str, int] = {}      # organization id -> the row that could not make it
    for start in range(0, len(todo), batch):
        with store.engine.begin() as conn:
            for row in todo[start:start + batch]:
                commands = verdicts[row.number].commands
                organization_id = getattr(commands[0], "organization_id", None)
                if organization_id in failed:
                    refused[row.number] = Problem(
                        row.number, columns.label("organization"),
                        f"The organization could not be made (row {failed[organization_id]})",
                        f"该组织未能建立（见第 {failed[organization_id]} 行）")
                    continue
                problem = _write_row(ctx, conn, row.number, commands, now, columns)
                if problem is not None:
                    refused[row.number] = problem
                    if isinstance(commands[0], c.IncubateOrganization):
                        failed[commands[0].organization_id] = row.number
        if progress:
            progress(min(start + batch, len(todo)), len(todo))
    if progress and not todo:
        progress(0, 0)
    return refused


FIELD_COLUMNS = {"community_id": "community", "incubated_on": "incubated_on",
                 "joined_on": "joined_on", "registered_on": "registered_on", "name": None,
                 "organization_id": "organization", "phone": "phone"}


def _write_row(ctx: handlers.Context, conn, number: int, commands, now: datetime,
               columns: Columns) -> Problem | None:
    try:
        with conn.begin_nested():
            for command in commands:
                handlers.execute(ctx, command, now, conn)
    except DomainError as err:
        field = FIELD_COLUMNS.get(next(iter(err.fields), ""), None)
        label = columns.label(field) if field in columns.spec else columns.headers[0]
        return Problem(number, label, err.message, err.message_zh)
    return None


# -- templates --------------------------------------------------------------------------------

SAMPLES = {
    "organizations": {"组织名称": "夕阳红舞蹈队", "社区": "南明堂社区", "类型": "广场舞",
                      "负责人": "张桂兰", "培育日期": "2024-03-01", "成员姓名": "李秀珍",
                      "党员": "是", "加入日期": "2024-03-08",
                      "备注": "示例行，导入前请删除；每位成员一行，组织列可只在第一行填写 / sample "
                              "row: delete it; one row per member"},
    "volunteers": {"姓名": "陈志强", "电话": "13985000001", "社区": "南明堂社区",
                   "所属组织": "夕阳红舞蹈队", "登记日期": "2024-05-01",
                   "备注": "示例行，导入前请删除 / sample row: delete it before importing"},
}
TITLES = {"organizations": "社区社会组织及成员", "volunteers": "志愿者"}


def template(kind: str, communities: list[str], organizations: list[str]) -> bytes:
    """The sheet to fill: the kind's headers, a sample row, 社区 (and 所属组织) as lists."""
    from shared import import_template
    headers = [zh for zh, _ in SPECS[kind].values()]
    sample = dict(SAMPLES[kind])
    if communities:
        sample["社区"] = communities[0]
    choices = {"社区": communities, "党员": ["是", "否"]}
    if kind == "volunteers":
        choices["所属组织"] = organizations
        sample["所属组织"] = organizations[0] if organizations else ""
    prompts = {"类型": "可填：" + "、".join(imports.TYPES) + "，或其他类型名称",
               "成员姓名": "每位成员一行；不填则只登记组织",
               "培育日期": "如 2024-03-01；不填为今天", "加入日期": "如 2024-03-08；不填为今天",
               "登记日期": "如 2024-05-01；不填为今天"}
    return import_template.workbook(TITLES[kind], headers, sample, choices,
                                    text=("电话", "培育日期", "加入日期", "登记日期"),
                                    prompts=prompts)


def names_of(engine: sa.Engine, station_id: str) -> tuple[list[str], list[str]]:
    """(the station's communities' names, its organizations' names) for a template."""
    N, O = projections.known_community_names, projections.organizations
    with engine.connect() as conn:
        communities = list(conn.execute(sa.select(N.c.name).where(N.c.station_id == station_id)
                                        .order_by(N.c.name)).scalars())
        organizations = list(conn.execute(
            sa.select(O.c.name).where(O.c.station_id == station_id,
                                      O.c.state != "dissolved").order_by(O.c.name)).scalars())
    return communities, organizations
