"""The reporting service: nameko entrypoints that only translate and dispatch.

Reporting listens to every service's events (the sources of shared.topology's
subscription table; the kit generates the `on_<source>` entrypoints) and folds them into facts; the figures of
any station, street or district, period and date are folds over those facts. It owns
only the chain's own records: reports submitted and approved, the five-level chain,
1+1+1 meetings. And it answers the audit timeline of one resident.

Security: a bearer token on every call; the role must allow the action
(shared.security.roles, else 403) and the scopes must cover the unit asked for (else
the same 404 as for an unknown one): a station's people see only their station; street
and district people see their roll-ups and the stations under them.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, datetime, time
from typing import Callable

from nameko.dependency_providers import Config

from shared import exports, signing, timeline
from shared.base_service import EventSourcedService
from shared.kit.rpc import rpc, rpc_client
from shared.errors import NotFound, ValidationFailed
from shared.kit.errors import LearnedFromEvents
from shared.events import iso, utcnow
from shared.kit.ids import new_id
from shared.providers import InboxProvider, StoreProvider
from shared.security import access_log, scope
from shared.security.nameko import Auth
from shared.security.principal import Principal
from shared.web import api, body_of, load

from services.reporting import approval, chain, compose, handlers, periods, projections
from services.reporting import ledgers as exports_of
from services.reporting import commands as c
from services.reporting import queries
from services.reporting import schemas as s
from services.reporting.events import registry
from services.reporting.resident import state_at
from services.reporting.tree import Tree

APPROVER_LEVEL = {"street_leader": "street", "district_admin": "district"}
REVEAL = frozenset({"notes", "findings"})   # clear-text free text, for roles that may


class SourceInbox(InboxProvider):
    """Reporting's inbox: one handler table per source (a fact records where it came
    from), taking every type (each may name a resident the audit timeline must find);
    `projections.inbox_handlers` names the types that make facts."""

    def _build(self):
        deliveries = super()._build()
        for source, inbox in deliveries.inboxes.items():
            inbox.handlers = projections.EveryType(source, projections.apply_source)
        return deliveries


class HeardOfNot(NotFound, LearnedFromEvents):
    """A unit of the organisation tree or a resident reporting has not heard of from the
    residents' events (or may not say that it has): decided again once it has consumed
    what was committed there (shared.freshness)."""


LEARNED = frozenset({"station", "street", "district", "resident"})


def _not_found(kind: str, unit_id: str) -> NotFound:
    zh = {"station": "社工站", "street": "街道", "district": "区", "report": "报表",
          "resident": "居民", "suggestion": "建议", "ledger": "台账"}[kind]
    error = HeardOfNot if kind in LEARNED else NotFound
    return error(f"{kind.capitalize()} {unit_id} not found", f"未找到{zh} {unit_id}")


def _end_of(day: date) -> str:
    return iso(datetime.combine(day, time.max, tzinfo=periods.LOCAL))


class ReportingService(EventSourcedService):
    """Reporting (报表与工作汇报): figures from every service's events, the five-level chain,
    1+1+1 reports with submission and approval, and the audit timeline."""

    name, name_zh = "reporting", "报表"
    store = StoreProvider(registry, projections=projections.projection)
    inbox = SourceInbox(projections.inbox_handlers,
                        on_resync=lambda conn, source: projections.forget_source(conn, source))
    auth = Auth()
    config = Config()

    @rpc(users=False)
    def positions(self) -> dict:
        """How far reporting has folded each source: {"residents": 12, ...}."""
        return self._read(queries.watermark)

    # -- plumbing ---------------------------------------------------------------------

    def _read(self, query: Callable, *args):
        with self.store.engine.connect() as conn:
            return query(conn, *args)

    def _run(self, command) -> dict:
        return handlers.execute(self.store, command, utcnow(), self.correlation_id)

    def _unit(self, conn, who: Principal, level: str, unit_id: str) -> Tree:
        """The org tree, if the caller's scopes cover the unit (else its 404)."""
        tree = queries.tree(conn)
        if not self._covers(tree, who, level, unit_id):
            raise _not_found(level, unit_id)
        return tree

    @staticmethod
    def _covers(tree: Tree, who: Principal, level: str, unit_id: str) -> bool:
        org = _org(tree)
        if level == "station":
            return bool(tree.stations_under("station", unit_id)) and \
                scope.can_see_station(who, unit_id, org)
        if level == "street":
            return bool(tree.stations_under("street", unit_id)) and \
                scope.can_see_street(who, unit_id, tree.district_of_street(unit_id))
        return bool(tree.stations_under("district", unit_id)) and \
            scope.can_see_district(who, unit_id)

    # -- figures ----------------------------------------------------------------------

    def _summary(self, request, level: str, unit_id: str, action: str) -> dict:
        who = self.auth.require(request, action)
        query = load(s.SummaryQuery(), request.args.to_dict())
        with self.store.engine.connect() as conn:
            tree = self._unit(conn, who, level, unit_id)
            return compose.unit_summary(conn, tree.stations_under(level, unit_id),
                                        query["as_of"] or s.today())

    @api("GET", "/api/v1/reports/stations/<string:station_id>/summary", query=s.SummaryQuery,
         responses={404: None}, tags=["reports"],
         summary="A station's summary as of a date / 社工站汇总（截至某日）")
    def http_station_summary(self, request, station_id):
        """?as_of=YYYY-MM-DD -> {"cases_open", "cases_closed", "visits", "activities",
        "person_times", "organizations", "members", "party_members", "resources_rmb",
        "cards": {"red", "blue", "green"}, "followups_overdue"}"""
        return self._summary(request, "station", station_id, "reports.station")

    @api("GET", "/api/v1/reports/streets/<string:street_id>/summary", query=s.SummaryQuery,
         responses={404: None}, tags=["reports"],
         summary="A street's roll-up as of a date / 街道汇总（截至某日）")
    def http_street_summary(self, request, street_id):
        return self._summary(request, "street", street_id, "reports.rollup")

    @api("GET", "/api/v1/reports/districts/<string:district_id>/summary", query=s.SummaryQuery,
         responses={404: None}, tags=["reports"],
         summary="A district's roll-up as of a date / 区级汇总（截至某日）")
    def http_district_summary(self, request, district_id):
        return self._summary(request, "district", district_id, "reports.rollup")

    def _figures(self, request, level: str, unit_id: str, action: str) -> dict:
        who = self.auth.require(request, action)
        query = load(s.FiguresQuery(), request.args.to_dict())
        period = query["period"] or periods.up_to(query["as_of"] or s.today())
        with self.store.engine.connect() as conn:
            tree = self._unit(conn, who, level, unit_id)
            stations = tree.stations_under(level, unit_id)
            answer = {"unit": {"level": level, "id": unit_id}, "period": period.as_dict(),
                      "figures": compose.unit_figures(conn, stations, period,
                                                      query["community_id"])}
            if level != "station":
                answer["stations"] = compose.side_by_side(conn, tree, stations, period)
            return answer

    @api("GET", "/api/v1/reports/stations/<string:station_id>/figures", query=s.FiguresQuery,
         responses={404: None}, tags=["reports"],
         summary="Every figure of a station for a period / 社工站全部指标（按期间）")
    def http_station_figures(self, request, station_id):
        """?period=2026-W47|2026-11|2026-Q4|2026|2026-11-01..2026-11-15&community_id="""
        return self._figures(request, "station", station_id, "reports.station")

    @api("GET", "/api/v1/reports/streets/<string:street_id>/figures", query=s.FiguresQuery,
         responses={404: None}, tags=["reports"],
         summary="A street's figures, its stations side by side / 街道指标及各站对比")
    def http_street_figures(self, request, street_id):
        return self._figures(request, "street", street_id, "reports.rollup")

    @api("GET", "/api/v1/reports/districts/<string:district_id>/figures", query=s.FiguresQuery,
         responses={404: None}, tags=["reports"],
         summary="A district's figures, its stations side by side / 区级指标及各站对比")
    def http_district_figures(self, request, district_id):
        return self._figures(request, "district", district_id, "reports.rollup")

    # -- 1+1+1 reports: draft, submit, approve ------------------------------------------

    @api("GET", "/api/v1/reports/stations/<string:station_id>/weekly/<string:week>/draft",
         responses={404: None}, tags=["reports"],
         summary="The weekly summary and plan drafted from the week's events / 周报草稿")
    def http_weekly_draft(self, request, station_id, week):
        who = self.auth.require(request, "reports.station")
        period = load(s.SubmitRequest(), {"period": week})["period"]
        with self.store.engine.connect() as conn:
            self._unit(conn, who, "station", station_id)
            return compose.weekly_draft(conn, station_id, period)

    def _submit(self, request, level: str, unit_id: str) -> tuple[int, dict]:
        who = self.auth.require(request, "reports.submit")
        data = load(s.SubmitRequest(), body_of(request))
        if data["period"].kind not in compose.KIND_OF_PERIOD:
            raise ValidationFailed(fields={"period": [
                "A report is for a week, a month or a quarter. / 报表期间应为周、月或季度。"]})
        with self.store.engine.connect() as conn:
            tree = self._unit(conn, who, level, unit_id)
            command = compose.submission(conn, tree, level, unit_id, data["period"], data,
                                         who.username)
        self._run(command)
        return 201, self._report(command.report_id)

    @api("POST", "/api/v1/reports/stations/<string:station_id>/reports", body=s.SubmitRequest,
         responses={201: None, 404: None, 409: None}, tags=["reports"],
         summary="Submit a station's weekly or monthly report / 提交社工站周报、月报")
    def http_submit_station(self, request, station_id):
        """{"period": "2026-W47"|"2026-11", "summary"?, "plan"?} -> 201 the frozen report"""
        return self._submit(request, "station", station_id)

    @api("POST", "/api/v1/reports/streets/<string:street_id>/reports", body=s.SubmitRequest,
         responses={201: None, 404: None, 409: None}, tags=["reports"],
         summary="Submit the street's roll-up to the district / 提交街道汇总报表")
    def http_submit_street(self, request, street_id):
        return self._submit(request, "street", street_id)

    def _report(self, report_id: str) -> dict:
        return queries.report_view(self._read(queries.report, report_id))

    def _visible_report(self, who: Principal, report_id: str) -> approval.Report:
        with self.store.engine.connect() as conn:
            found = queries.report(conn, report_id) if len(report_id) <= 200 else None
            if found is None or not self._covers(queries.tree(conn), who, found.level,
                                                 found.unit_id):
                raise _not_found("report", report_id)
            return found

    @api("GET", "/api/v1/reports/submissions/<string:report_id>", responses={404: None},
         tags=["reports"], summary="A submitted report, frozen, with its trail / 已提交报表")
    def http_get_report(self, request, report_id):
        who = self.auth.require(request, "reports.station")
        return queries.report_view(self._visible_report(who, report_id))

    @api("GET", "/api/v1/reports/submissions", query=s.SubmissionsQuery, tags=["reports"],
         summary="The submitted reports the caller may see, newest first / 报表列表（待审核等）")
    def http_list_reports(self, request):
        """?status=submitted&level=station|street&unit_id=&street_id=&district_id=&period=
        -> a list page of reports (as GET /reports/submissions/{id}): an approver's inbox
        asked for in one request, never guessed id by id."""
        who = self.auth.require(request, "reports.station")
        query = load(s.SubmissionsQuery(), request.args.to_dict())
        with self.store.engine.connect() as conn:
            tree = queries.tree(conn)
            found = [r for r in queries.submissions(conn, query)
                     if self._covers(tree, who, r.level, r.unit_id)]
        first = (query["page"] - 1) * query["page_size"]
        return {"items": [queries.report_view(r) for r in found[first:first + query["page_size"]]],
                "total": len(found), "page": query["page"], "page_size": query["page_size"]}

    def _decide(self, request, report_id: str, schema, build) -> dict:
        who = self.auth.require(request, "reports.approve")
        data = load(schema, body_of(request))
        report = self._visible_report(who, report_id)
        level = APPROVER_LEVEL.get(who.role, who.role)
        self._run(build(who, level, data, report))
        return self._report(report_id)

    @api("POST", "/api/v1/reports/submissions/<string:report_id>/accept",
         body=s.DecisionRequest, responses={403: None, 404: None, 409: None}, tags=["reports"],
         summary="Accept a report (the level above; not one's own) / 审核通过")
    def http_accept(self, request, report_id):
        return self._decide(request, report_id, s.DecisionRequest(),
                            lambda who, level, d, r: c.AcceptReport(
                                report_id, who.username, level, d["comment"]))

    @api("POST", "/api/v1/reports/submissions/<string:report_id>/return",
         body=s.ReturnRequest, responses={403: None, 404: None, 409: None}, tags=["reports"],
         summary="Return a report with a comment / 退回报表")
    def http_return(self, request, report_id):
        return self._decide(request, report_id, s.ReturnRequest(),
                            lambda who, level, d, r: c.ReturnReport(
                                report_id, who.username, level, d["comment"]))

    @api("POST", "/api/v1/reports/submissions/<string:report_id>/reopen",
         body=s.ReopenRequest, responses={403: None, 404: None, 409: None}, tags=["reports"],
         summary="Reopen an accepted report (the approver, with a reason) / 重新打开报表")
    def http_reopen(self, request, report_id):
        return self._decide(request, report_id, s.ReopenRequest(),
                            lambda who, level, d, r: c.ReopenReport(
                                report_id, who.username, level, d["reason"],
                                self._read(compose.locked_above, r)))

    # -- the five-level chain and 1+1+1 meetings -----------------------------------------

    def _station_command(self, request, station_id: str, schema) -> tuple[Principal, dict]:
        who = self.auth.require(request, "chain.write")
        data = load(schema, body_of(request))
        with self.store.engine.connect() as conn:
            self._unit(conn, who, "station", station_id)
        return who, data

    @api("POST", "/api/v1/reports/stations/<string:station_id>/chain", body=s.ChainRequest,
         responses={201: None, 404: None}, tags=["chain"],
         summary="Record a step of the five-level chain / 记录五级工作汇报")
    def http_chain(self, request, station_id):
        """{"type": street_meeting|progress_report|community_visit|activity_consultation,
        "on": "YYYY-MM-DD", ...the type's fields}"""
        who, data = self._station_command(request, station_id, s.ChainRequest())
        kind = data["type"]
        payload = {"record_id": new_id(), s.CHAIN_DAY[kind]: data["on"].isoformat(),
                   s.CHAIN_ACTOR[kind]: who.username,
                   **{event: data[field] for field, event in s.CHAIN_FIELDS[kind].items()
                      if data[field] is not None}}
        self._run(c.RecordChain(s.CHAIN_TYPES[kind], station_id, payload, who.username))
        return 201, {"id": payload["record_id"]}

    @api("POST", "/api/v1/reports/stations/<string:station_id>/suggestions",
         body=s.SuggestionRequest, responses={201: None, 404: None}, tags=["chain"],
         summary="Propose a suggestion to the street or a community / 提出工作建议")
    def http_propose(self, request, station_id):
        who, data = self._station_command(request, station_id, s.SuggestionRequest())
        suggestion_id = new_id()
        self._run(c.ProposeSuggestion(suggestion_id, station_id, data["addressed_to"],
                                      data["title"], data["proposed_on"].isoformat(),
                                      who.username))
        return 201, {"id": suggestion_id}

    @api("POST", "/api/v1/reports/suggestions/<string:suggestion_id>/answer",
         body=s.AnswerRequest, responses={404: None, 409: None}, tags=["chain"],
         summary="Record the answer to a suggestion / 记录建议答复")
    def http_answer(self, request, suggestion_id):
        """{"answer": adopted|declined|pending, "answered_on", "comment"?}"""
        who = self.auth.require(request, "chain.write")
        data = load(s.AnswerRequest(), body_of(request))
        with self.store.engine.connect() as conn:
            station = conn.execute(projections.suggestions.select().where(
                projections.suggestions.c.suggestion_id == suggestion_id)).first()
            if station is None or not self._covers(queries.tree(conn), who, "station",
                                                   station.station_id):
                raise _not_found("suggestion", suggestion_id)
        self._run(c.AnswerSuggestion(suggestion_id, data["answer"],
                                     data["answered_on"].isoformat(), data["comment"],
                                     who.username))
        return {"id": suggestion_id, "state": data["answer"]}

    @api("POST", "/api/v1/reports/stations/<string:station_id>/meetings", body=s.MinutesRequest,
         responses={201: None, 404: None, 409: None}, tags=["chain"],
         summary="Minutes of the weekly team meeting / 周例会纪要")
    def http_minutes(self, request, station_id):
        who, data = self._station_command(request, station_id, s.MinutesRequest())
        minutes_id = new_id()
        self._run(c.MinuteWeeklyMeeting(minutes_id, station_id, data["week"].key,
                                        data["held_on"].isoformat(), tuple(data["attendees"]),
                                        data["minutes"], who.username))
        return 201, {"id": minutes_id}

    @api("POST", "/api/v1/reports/stations/<string:station_id>/supervisions",
         body=s.SupervisionRequest, responses={201: None, 404: None}, tags=["chain"],
         summary="A monthly team supervision / 月度督导记录")
    def http_supervision(self, request, station_id):
        who, data = self._station_command(request, station_id, s.SupervisionRequest())
        record_id = new_id()
        self._run(c.RecordSupervision(record_id, station_id, data["month"].key,
                                      data["held_on"].isoformat(), data["supervisor"],
                                      data["topics"], who.username))
        return 201, {"id": record_id}

    @api("GET", "/api/v1/reports/stations/<string:station_id>/chain", query=s.FiguresQuery,
         responses={404: None}, tags=["chain"],
         summary="The chain's records, suggestions and 1+1+1 gaps for a period / 工作汇报记录")
    def http_chain_of(self, request, station_id):
        """?period= (default: this quarter) -> also the quarterly joint-meeting pack's
        figures when the period is a quarter"""
        who = self.auth.require(request, "reports.station")
        query = load(s.FiguresQuery(), request.args.to_dict())
        period = query["period"] or periods.containing("quarter", s.today())
        with self.store.engine.connect() as conn:
            self._unit(conn, who, "station", station_id)
            found = queries.chain_of(conn, station_id, period.start.isoformat(),
                                     period.end.isoformat())
            held = chain.Meetings(station_id, frozenset(
                m["period_key"] for m in found["meetings"] if m["kind"] == "minutes"), {
                m["period_key"]: 1 for m in found["meetings"] if m["kind"] == "supervision"})
            return {"period": period.as_dict(), **found, "gaps": chain.gaps(held, period),
                    "figures": compose.unit_figures(conn, {station_id}, period)}

    # -- exports: the ledgers a station files (shared.exports) --------------------------

    @api("GET", "/api/v1/reports/stations/<string:station_id>/exports/<string:ledger>",
         query=s.ExportQuery, responses={404: None}, tags=["exports"],
         summary="A station's ledger as XLSX or CSV / 导出台账（XLSX 或 CSV）")
    def http_export(self, request, station_id, ledger):
        """ledger: monthly (月度数据) | visits (探访台账) | activities (活动台账) |
        donations (捐赠台账); ?period= (default: this month) &format=xlsx|csv"""
        who = self.auth.require(request, "reports.station")
        query = load(s.ExportQuery(), request.args.to_dict())
        if ledger not in exports_of.LEDGERS:
            raise _not_found("ledger", ledger)
        period = query["period"] or periods.containing("month", s.today())
        with self.store.engine.connect() as conn:
            tree = self._unit(conn, who, "station", station_id)
            sheet = exports_of.sheet(ledger, queries.facts_for(conn, {station_id}), tree,
                                     station_id, period)
        return exports.response(sheet, query["format"],
                                f"{station_id}-{ledger}-{period.key}")

    # -- the audit timeline -------------------------------------------------------------

    @api("GET", "/api/v1/residents/<string:resident_id>/timeline", query=s.TimelineQuery,
         responses={403: None, 404: None}, tags=["audit"],
         summary="One resident's events from every service, chains verified / 居民全程记录")
    def http_timeline(self, request, resident_id):
        """?as_of=YYYY-MM-DD -> {"resident_id", "verified", "erased", "streams", "events",
        "state"}; the read is recorded in the resident's access trail."""
        who = self.auth.require(request, "residents.timeline")
        query = load(s.TimelineQuery(), request.args.to_dict())
        as_of = query["as_of"] or s.today()
        with self.store.engine.connect() as conn:
            facts = queries.resident_facts(conn, resident_id) if len(resident_id) <= 200 else []
            state = state_at(facts, resident_id, as_of.isoformat())
            if not self._covers(queries.tree(conn), who, "station", state["station_id"] or ""):
                raise _not_found("resident", resident_id)
            streams = conn.execute(projections.resident_streams.select().where(
                projections.resident_streams.c.resident_id == resident_id)).fetchall()
        categories = next((f.data.get("categories") or [] for f in facts
                           if f.kind == "resident"), [])
        reason = self.auth.reason(request, state["card"], categories)
        access_log.record_access(self.store, who, resident_id, state["station_id"], reason,
                                 fields=["timeline"])
        answer = timeline.assemble(resident_id, self._streams(resident_id, streams),
                                   _end_of(as_of),
                                   REVEAL if who.may("residents.read_pii") else ())
        return {**answer, "state": state}

    def _streams(self, resident_id: str, rows) -> list[timeline.Stream]:
        """Each indexed stream read back from its service, and reporting's own, with its
        hash chain and signatures checked here (not trusted from the source)."""
        by_source = defaultdict(list)
        for row in rows:
            by_source[row.source].append(row.stream_id)
        keyring = signing.Keyring(self.config)

        def checked(service: str, stream_id: str, events: list) -> timeline.Stream:
            seal = functools.partial(signing.first_unsealed, service, keyring)
            return service, stream_id, events, timeline.check(events, seal)

        own = access_log.stream_of(resident_id)
        found = [checked("reporting", own, [e.to_dict() for e in self.store.read_stream(own)])]
        with rpc_client(self.config, service="reporting") as rpc:   # store reads: a service's
            for source, stream_ids in sorted(by_source.items()):
                for stream_id in sorted(stream_ids):
                    found.append(checked(source, stream_id,
                                         getattr(rpc, source).read_stream(stream_id)))
        return found


def _org(tree: Tree) -> scope.OrgLookup:
    def place(station_id: str):
        street = tree.street_of(station_id)
        return (street, tree.district_of_street(street)) if street else None
    return place
