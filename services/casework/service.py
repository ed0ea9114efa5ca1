"""The casework service: nameko entrypoints that only translate and dispatch.

HTTP under /api/v1 (cases, visits, referrals, follow-ups, campaigns), RPC for other
services and tests, the residents' events through the inbox, and a timer that flags
overdue follow-ups. Domain errors map to HTTP in ERRORS; a refused request writes nothing.

Every HTTP call carries a bearer token (shared.security.nameko.Auth): its role must
allow the endpoint's action (shared.security.roles, else 403) and its scopes must cover
the station of what the call is about (services.casework.access, else the same 404 as
for something missing). Lists show only the stations the scopes cover. RPC callers are
other services on the internal bus: they name the acting user and are trusted.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import socket
import uuid
from datetime import datetime

from nameko.rpc import rpc
from nameko.timer import timer

from shared import logs
from shared.base_service import EventSourcedService
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import utcnow
from shared.providers import InboxProvider, StoreProvider
from shared.security import staff
from shared.security.nameko import Auth
from shared.security.principal import Principal
from shared.security.users import open_users
from shared.subscriber import subscribe
from shared.web import api, body_of

from services.casework import access, handlers, policy, projections, queries
from services.casework import commands as c
from services.casework import schemas as s
from services.casework.errors import (DomainError, Duplicate, IllegalTransition,
                                      InvalidCommand, NotPermitted, Unknown)
from services.casework.events import registry

log = logs.get("casework")

ERRORS = {InvalidCommand: ValidationFailed, NotPermitted: Forbidden, Unknown: NotFound,
          IllegalTransition: Conflict, Duplicate: Conflict}
OVERDUE_CHECK_INTERVAL_S = 60


def edge(method):
    """Domain exceptions become the API's errors (ERRORS), on HTTP and RPC alike."""
    @functools.wraps(method)
    def translating(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DomainError as exc:
            error = next(api for domain, api in ERRORS.items() if isinstance(exc, domain))
            raise error(exc.message, exc.message_zh, fields=exc.fields, code=exc.code) from None
    return translating


def new_id() -> str:
    return str(uuid.uuid4())


def query_of(request) -> dict:
    return request.args.to_dict()


def trusted(actor: str, role: str) -> Principal:
    """The acting user an RPC caller names (no token on the internal bus)."""
    return Principal(actor, role)


class CaseworkService(EventSourcedService):
    """Casework (个案服务): cases under supervision, visits, referrals, the follow-ups the
    residents' cards call for, and visiting campaigns — each within the caller's stations."""

    name = "casework"
    store = StoreProvider(registry, projections=projections.metadata)
    inbox = InboxProvider(lambda store: handlers.residents_handlers(store, policy.load()))
    auth = Auth()

    # -- plumbing ---------------------------------------------------------------------

    def _ctx(self) -> handlers.Context:
        return handlers.Context(self.store, policy.load(), self.correlation_id)

    def _run(self, command, now: datetime | None = None) -> dict:
        return handlers.execute(self._ctx(), command, now or utcnow())

    def _read(self, query, *args, **kwargs):
        with self.store.engine.connect() as conn:
            return query(conn, *args, **kwargs)

    def _in_scope(self, who: Principal, kind: str, thing_id: str) -> str:
        """The station of the resident, case, referral, follow-up or campaign; its 404
        if it is missing or outside the caller's scopes."""
        return self._read(access.require, who, kind, thing_id)

    def _list(self, who: Principal, query, filters: dict, *args) -> dict:
        """A list page of the stations the caller may see (404 for a station_id outside)."""
        with self.store.engine.connect() as conn:
            stations = access.stations_in_scope(conn, who, filters.pop("station_id", None))
            return query(conn, *args, stations=stations, **filters)

    @api("GET", "/api/v1/casework/ping", auth=False, tags=["casework"],
         summary="Is the casework service up? / 个案服务是否在线")
    def http_ping(self, request):
        return self.ping()

    # -- events and the clock ---------------------------------------------------------

    @subscribe("residents")
    def on_residents(self, envelope, headers, queue_name):
        """ResidentRegistered, CardAssigned, CardUpgraded, CardDowngraded, StationAdded…:
        the local picture of residents and stations, and follow-ups scheduled by card."""
        return self.inbox.deliver("residents", envelope, headers, queue_name)

    @timer(interval=OVERDUE_CHECK_INTERVAL_S)
    def flag_overdue_followups(self):
        flagged = handlers.check_overdue(self._ctx(), utcnow())
        if flagged:
            log.info("followups.flagged_overdue", count=len(flagged))

    @rpc
    @edge
    def check_overdue(self, now_iso: str) -> dict:
        """Run the overdue check as of `now_iso` (tests and operators drive the clock).
        -> {"flagged": [followup ids this call flagged], "instance": "host:pid"}"""
        now = s.load_request(s.CheckOverdueRequest(), {"now": now_iso})["now"]
        return {"flagged": handlers.check_overdue(self._ctx(), now),
                "instance": f"{socket.gethostname()}:{os.getpid()}"}

    # -- cases ------------------------------------------------------------------------

    def _open_case(self, who: Principal, data: dict, station_id: str | None) -> dict:
        return self._run(c.OpenCase(new_id(), data["resident_id"], station_id, data["domain"],
                                    data["problem"], data["worker"] or who.username,
                                    who.username))

    def _case_data(self, body: dict) -> dict:
        return s.load_request(s.with_choices(s.OpenCaseRequest(), "domain",
                                             policy.load().case_domains), body)

    @api("POST", "/api/v1/cases", body=s.OpenCaseRequest, responses={201: s.CaseOut, 404: None},
         summary="Open a case for a resident of the caller's stations / 开案", tags=["cases"])
    @edge
    def http_open_case(self, request):
        """{"resident_id", "domain", "problem", "worker"?, "station_id"?} -> 201 {"id", ...}
        The case is at the resident's station (from the residents' events): a resident
        casework has not heard of, or of another station, is 404."""
        who = self.auth.require(request, "cases.write")
        data = self._case_data(body_of(request))
        station = self._read(access.resident_station, who, data["resident_id"],
                             data["station_id"])
        self._of_station(data, station)
        return 201, self._open_case(who, data, station)

    @api("GET", "/api/v1/cases", query=s.CaseQuery, responses={200: s.CasePageOut, 404: None},
         summary="List cases / 个案列表", tags=["cases"])
    @edge
    def http_list_cases(self, request):
        """?station_id=&worker=&resident_id=&domain=&state=&page=&page_size="""
        who = self.auth.require(request, "cases.read")
        return self._list(who, queries.list_cases,
                          s.load_request(s.CaseQuery(), query_of(request)))

    @api("GET", "/api/v1/cases/approvals", query=s.ApprovalQuery,
         responses={200: s.ApprovalPageOut, 404: None}, summary="Approval requests / 审批事项",
         tags=["cases"])
    @edge
    def http_list_approvals(self, request):
        """The supervisors' worklist: ?station_id=&case_id=&status=pending"""
        who = self.auth.require(request, "cases.read")
        return self._list(who, queries.list_approvals,
                          s.load_request(s.ApprovalQuery(), query_of(request)))

    @api("GET", "/api/v1/cases/<string:case_id>", responses={200: s.CaseDetailOut},
         summary="One case with its approvals and services / 个案详情", tags=["cases"])
    @edge
    def http_get_case(self, request, case_id):
        who = self.auth.require(request, "cases.read")
        self._in_scope(who, "case", case_id)
        return self._get_case(case_id)

    def _get_case(self, case_id: str) -> dict:
        view = queries.case_detail(self.store, case_id)
        if view is None:
            raise NotFound(f"Case {case_id} not found", f"未找到个案 {case_id}")
        return view

    def _step(self, request, action: str, kind: str, thing_id: str, schema, build) -> dict:
        """The caller (403 unless their role may do `action`), the thing in their scope
        (else 404), the validated body, then the command `build(who, data)` makes."""
        who = self.auth.require(request, action)
        station = self._in_scope(who, kind, thing_id)
        data = s.load_request(schema, body_of(request))
        self._of_station(data, station)
        return self._run(build(who, data))

    def _of_station(self, data: dict, station: str) -> None:
        """400 if the body hands the work to a user of another station."""
        field = next((k for k in ("to_worker", "worker") if data.get(k)), None)
        if field:
            self._read(lambda conn: staff.require_worker(
                open_users(self.auth.config), data[field], station, access.org(conn), field))

    @api("POST", "/api/v1/cases/<string:case_id>/assessment", body=s.AssessRequest,
         responses={200: s.CaseOut}, summary="Assess the case / 个案评估", tags=["cases"])
    @edge
    def http_assess(self, request, case_id):
        """{"summary", "needs"?: [...]}"""
        return self._step(request, "cases.write", "case", case_id, s.AssessRequest(),
                          lambda who, d: c.AssessCase(case_id, d["summary"], tuple(d["needs"]),
                                                      who.username))

    @api("POST", "/api/v1/cases/<string:case_id>/plan", body=s.PlanRequest,
         responses={200: s.CaseOut}, summary="Draft the service plan / 制定服务计划",
         tags=["cases"])
    @edge
    def http_draft_plan(self, request, case_id):
        """{"goals": ["..."]}"""
        return self._step(request, "cases.write", "case", case_id, s.PlanRequest(),
                          lambda who, d: c.DraftServicePlan(case_id, tuple(d["goals"]),
                                                            who.username))

    @api("POST", "/api/v1/cases/<string:case_id>/plan/approval", body=s.ApproveRequest,
         responses={201: s.CaseOut}, summary="Ask a supervisor to approve the plan / 提交计划审批",
         tags=["cases"])
    @edge
    def http_request_plan_approval(self, request, case_id):
        """{} -> 201 {"id", "state": "plan_pending", "request_id"}"""
        return 201, self._step(request, "cases.write", "case", case_id, s.ApproveRequest(),
                               lambda who, d: c.RequestPlanApproval(case_id, new_id(),
                                                                    who.username))

    @api("POST", "/api/v1/cases/<string:case_id>/services", body=s.ServiceRequest,
         responses={201: s.ServiceRecordedOut}, summary="Record a service given / 记录服务",
         tags=["cases"])
    @edge
    def http_record_service(self, request, case_id):
        """{"served_at", "minutes", "kind"?, "description"?} -> 201 {"id", "record_id"}"""
        record_id = new_id()
        result = self._step(request, "cases.write", "case", case_id, s.ServiceRequest(),
                            lambda who, d: c.RecordService(
                                case_id, record_id, d["served_at"], d["minutes"], d["kind"],
                                d["description"], who.username))
        return 201, {**result, "record_id": record_id}

    @api("POST", "/api/v1/cases/<string:case_id>/close", body=s.CloseRequest,
         responses={202: s.CaseOut}, summary="Ask to close the case / 申请结案", tags=["cases"])
    @edge
    def http_close(self, request, case_id):
        """{"outcome": goals_met|partly_met|not_met, "evaluation"?} -> 202: closure awaits
        a supervisor's approval {"id", "state": "closure_pending", "request_id"}"""
        return 202, self._step(request, "cases.write", "case", case_id, s.CloseRequest(),
                               lambda who, d: self._closure(who, case_id, d))

    @staticmethod
    def _closure(who: Principal, case_id: str, data: dict) -> c.RequestClosure:
        return c.RequestClosure(case_id, new_id(), data["outcome"], data["evaluation"],
                                who.username)

    @api("POST", "/api/v1/cases/<string:case_id>/approvals/<string:request_id>/approve",
         body=s.ApproveRequest, responses={200: s.CaseOut},
         summary="Approve a plan or closure (supervisor, not one's own) / 审批通过",
         tags=["cases"])
    @edge
    def http_approve(self, request, case_id, request_id):
        """{"comments"?} by a supervisor or station head other than the requester."""
        return self._step(request, "cases.approve", "case", case_id, s.ApproveRequest(),
                          lambda who, d: c.ApproveRequest(case_id, request_id, d["comments"],
                                                          who.username, who.role))

    @api("POST", "/api/v1/cases/<string:case_id>/approvals/<string:request_id>/send-back",
         body=s.SendBackRequest, responses={200: s.CaseOut},
         summary="Send a plan or closure back (supervisor) / 退回", tags=["cases"])
    @edge
    def http_send_back(self, request, case_id, request_id):
        """{"comments"} by a supervisor or station head other than the requester."""
        return self._step(request, "cases.approve", "case", case_id, s.SendBackRequest(),
                          lambda who, d: c.SendBackRequest(case_id, request_id, d["comments"],
                                                           who.username, who.role))

    @api("POST", "/api/v1/cases/<string:case_id>/reopen", body=s.ReopenRequest,
         responses={200: s.CaseOut}, summary="Reopen a closed case / 重新开案", tags=["cases"])
    @edge
    def http_reopen(self, request, case_id):
        """{"reason"}"""
        return self._step(request, "cases.write", "case", case_id, s.ReopenRequest(),
                          lambda who, d: c.ReopenCase(case_id, d["reason"], who.username))

    @api("POST", "/api/v1/cases/<string:case_id>/transfer", body=s.TransferRequest,
         responses={200: s.CaseOut}, summary="Hand the case to another worker / 转案",
         tags=["cases"])
    @edge
    def http_transfer(self, request, case_id):
        """{"to_worker", "reason"?}"""
        return self._step(request, "cases.write", "case", case_id, s.TransferRequest(),
                          lambda who, d: c.TransferCase(case_id, d["to_worker"], d["reason"],
                                                        who.username))

    # -- referrals --------------------------------------------------------------------

    def _make_referral(self, who: Principal, case_id: str, body: dict) -> dict:
        data = s.load_request(s.with_choices(s.ReferralRequest(), "agency",
                                             policy.load().agency_codes), body)
        return self._run(c.MakeReferral(new_id(), case_id, data["agency"], data["reason"],
                                        data["due_date"], who.username))

    @api("POST", "/api/v1/cases/<string:case_id>/referrals", body=s.ReferralRequest,
         responses={201: s.ReferralMadeOut}, summary="Refer the case to an agency / 转介",
         tags=["referrals"])
    @edge
    def http_make_referral(self, request, case_id):
        """{"agency", "reason", "due_date"} -> 201 {"id", "status": "made"}"""
        who = self.auth.require(request, "referrals.write")
        self._in_scope(who, "case", case_id)
        return 201, self._make_referral(who, case_id, body_of(request))

    @api("GET", "/api/v1/referrals", query=s.ReferralQuery,
         responses={200: s.ReferralPageOut, 404: None},
         summary="List referrals / 转介列表", tags=["referrals"])
    @edge
    def http_list_referrals(self, request):
        """?station_id=&status=&agency=&case_id=&overdue=true|false"""
        who = self.auth.require(request, "cases.read")
        filters = s.load_request(s.ReferralQuery(), query_of(request))
        return self._list(who, queries.list_referrals, filters, policy.load().today(utcnow()))

    @api("GET", "/api/v1/referrals/agencies", responses={200: s.AgencyListOut},
         summary="Agencies a case may be referred to / 转介机构", tags=["referrals"])
    def http_agencies(self, request):
        self.auth.require(request, "org.read")
        return {"items": [dataclasses.asdict(a) for a in policy.load().agencies]}

    @api("GET", "/api/v1/referrals/<string:referral_id>", responses={200: s.ReferralOut},
         summary="One referral / 转介详情", tags=["referrals"])
    @edge
    def http_get_referral(self, request, referral_id):
        who = self.auth.require(request, "cases.read")
        self._in_scope(who, "referral", referral_id)
        found = self._read(queries.get_referral, policy.load().today(utcnow()), referral_id)
        if found is None:
            raise NotFound(f"Referral {referral_id} not found", f"未找到转介 {referral_id}")
        return found

    @api("POST", "/api/v1/referrals/<string:referral_id>/accept", body=s.AcceptReferralRequest,
         responses={200: s.ReferralStepOut}, summary="The agency accepted / 机构已接收",
         tags=["referrals"])
    @edge
    def http_accept_referral(self, request, referral_id):
        """{"completion_due_date"?, "note"?}"""
        return self._step(request, "referrals.write", "referral", referral_id,
                          s.AcceptReferralRequest(), lambda who, d: c.AcceptReferral(
                              referral_id, d["completion_due_date"], d["note"], who.username))

    @api("POST", "/api/v1/referrals/<string:referral_id>/decline",
         body=s.DeclineReferralRequest, responses={200: s.ReferralStepOut},
         summary="The agency declined / 机构已拒绝", tags=["referrals"])
    @edge
    def http_decline_referral(self, request, referral_id):
        """{"reason"}"""
        return self._step(request, "referrals.write", "referral", referral_id,
                          s.DeclineReferralRequest(), lambda who, d: c.DeclineReferral(
                              referral_id, d["reason"], who.username))

    @api("POST", "/api/v1/referrals/<string:referral_id>/complete",
         body=s.CompleteReferralRequest, responses={200: s.ReferralStepOut},
         summary="The agency completed the referral / 转介已完成", tags=["referrals"])
    @edge
    def http_complete_referral(self, request, referral_id):
        """{"result"}"""
        return self._step(request, "referrals.write", "referral", referral_id,
                          s.CompleteReferralRequest(), lambda who, d: c.CompleteReferral(
                              referral_id, d["result"], who.username))

    # -- visits -----------------------------------------------------------------------

    def _record_visit(self, who: Principal, d: dict, station_id: str | None) -> dict:
        return self._run(c.RecordVisit(
            new_id(), d["resident_id"], station_id, d["case_id"], d["method"],
            d["visited_at"], d["worker"] or who.username, d["findings"], d["notes"],
            d["campaign_id"], tuple(d["major_changes"]), who.username))

    def _visit_station(self, conn, who: Principal, d: dict) -> str:
        """The resident's station; the case and the campaign, if given, in scope too."""
        station = access.resident_station(conn, who, d["resident_id"], d["station_id"])
        for kind in ("case", "campaign"):
            if d[f"{kind}_id"] is not None:
                access.require(conn, who, kind, d[f"{kind}_id"])
        return station

    @api("POST", "/api/v1/visits", body=s.VisitRequest,
         responses={201: s.VisitRecordedOut, 404: None},
         summary="Record a visit / 记录探访", tags=["visits"])
    @edge
    def http_record_visit(self, request):
        """{"resident_id", "case_id"?, "method": home|phone|office|consolation,
        "visited_at", "findings"?, "notes"?, "campaign_id"?, "major_changes"?: [hospitalised|
        bereaved|lost_income|unsafe_housing]} -> 201 {"id", "followups_done", "major_changes"}"""
        who = self.auth.require(request, "visits.write")
        data = s.load_request(s.VisitRequest(), body_of(request))
        station = self._read(self._visit_station, who, data)
        return 201, self._record_visit(who, data, station)

    @api("GET", "/api/v1/visits", query=s.VisitQuery, responses={200: s.VisitPageOut, 404: None},
         summary="List visits / 探访记录", tags=["visits"])
    @edge
    def http_list_visits(self, request):
        """?resident_id=&station_id=&case_id=&worker=&campaign_id=&method="""
        who = self.auth.require(request, "cases.read")
        return self._list(who, queries.list_visits,
                          s.load_request(s.VisitQuery(), query_of(request)))

    # -- follow-ups -------------------------------------------------------------------

    @api("GET", "/api/v1/followups", query=s.FollowUpQuery,
         responses={200: s.FollowUpPageOut, 404: None},
         summary="The follow-up worklist / 随访工作清单", tags=["followups"])
    @edge
    def http_list_followups(self, request):
        """The worklist: ?station_id=&worker=&resident_id=&card=&status=due|overdue|done
        -> {"items": [{"id", "resident_id", "due_at", "status", "card", ...}], "total", ...}"""
        who = self.auth.require(request, "followups.read")
        f = s.load_request(s.FollowUpQuery(), query_of(request))
        now = f.pop("as_of") or utcnow()
        return self._list(who, queries.list_followups, f, now)

    @api("GET", "/api/v1/followups/summary", query=s.FollowUpSummaryQuery,
         responses={200: s.FollowUpSummaryOut, 404: None}, summary="Follow-ups by status / 随访统计",
         tags=["followups"])
    @edge
    def http_followup_summary(self, request):
        """?station_id=&worker= -> {"due": n, "overdue": n, "done": n}"""
        who = self.auth.require(request, "followups.read")
        f = s.load_request(s.FollowUpSummaryQuery(), query_of(request))
        now = f.pop("as_of") or utcnow()
        return self._list(who, queries.followup_counts, f, now)

    @api("GET", "/api/v1/followups/<string:followup_id>", responses={200: s.FollowUpOut},
         summary="One follow-up / 随访详情", tags=["followups"])
    @edge
    def http_get_followup(self, request, followup_id):
        who = self.auth.require(request, "followups.read")
        self._in_scope(who, "followup", followup_id)
        found = self._read(queries.get_followup, utcnow(), followup_id)
        if found is None:
            raise NotFound(f"Follow-up {followup_id} not found", f"未找到随访 {followup_id}")
        return found

    @api("POST", "/api/v1/followups/<string:followup_id>/assign", body=s.AssignRequest,
         responses={200: s.AssignedOut}, summary="Assign a follow-up to a worker / 分派随访",
         tags=["followups"])
    @edge
    def http_assign_followup(self, request, followup_id):
        """{"worker"}"""
        return self._step(request, "followups.assign", "followup", followup_id,
                          s.AssignRequest(), lambda who, d: c.AssignFollowUp(
                              followup_id, d["worker"], who.username))

    # -- campaigns --------------------------------------------------------------------

    @api("POST", "/api/v1/campaigns", body=s.CampaignRequest, responses={201: s.IdOut, 404: None},
         summary="Declare a visiting campaign / 发起专项走访", tags=["campaigns"])
    @edge
    def http_declare_campaign(self, request):
        """{"station_id", "name", "kind": spring_festival|extreme_heat|extreme_cold|other,
        "starts_on", "ends_on", "cards"?: ["red", "blue"]} -> 201 {"id"}"""
        who = self.auth.require(request, "campaigns.write")
        d = s.load_request(s.CampaignRequest(), body_of(request))
        self._read(access.require_station, who, d["station_id"])
        return 201, self._run(c.DeclareCampaign(new_id(), d["station_id"], d["name"], d["kind"],
                                                d["starts_on"], d["ends_on"], tuple(d["cards"]),
                                                who.username))

    @api("GET", "/api/v1/campaigns", query=s.CampaignQuery,
         responses={200: s.CampaignPageOut, 404: None},
         summary="List visiting campaigns / 专项走访列表", tags=["campaigns"])
    @edge
    def http_list_campaigns(self, request):
        who = self.auth.require(request, "followups.read")
        return self._list(who, queries.list_campaigns,
                          s.load_request(s.CampaignQuery(), query_of(request)))

    def _coverage(self, request, campaign_id: str):
        who = self.auth.require(request, "followups.read")
        self._in_scope(who, "campaign", campaign_id)
        found = self._read(queries.campaign_coverage, policy.load(), campaign_id)
        if found is None:
            raise NotFound(f"Campaign {campaign_id} not found", f"未找到专项走访 {campaign_id}")
        return found

    @api("GET", "/api/v1/campaigns/<string:campaign_id>", responses={200: s.CampaignDetailOut},
         summary="A campaign and how much of it is done / 专项走访及完成情况",
         tags=["campaigns"])
    @edge
    def http_get_campaign(self, request, campaign_id):
        """The campaign with its coverage {"total", "visited", "ratio"}."""
        item, rows = self._coverage(request, campaign_id)
        visited = sum(1 for r in rows if r.visited)
        ratio = f"{visited / len(rows):.2f}" if rows else "1.00"
        return {**item, "coverage": {"total": len(rows), "visited": visited, "ratio": ratio}}

    @api("GET", "/api/v1/campaigns/<string:campaign_id>/worklist",
         query=s.CampaignWorklistQuery, responses={200: s.CampaignWorklistOut},
         summary="Who is still to visit in the campaign / 专项走访待访清单", tags=["campaigns"])
    @edge
    def http_campaign_worklist(self, request, campaign_id):
        """Who must be visited in the campaign, unvisited first: ?visited=true|false"""
        _, rows = self._coverage(request, campaign_id)
        q = s.load_request(s.CampaignWorklistQuery(), query_of(request))
        if q["visited"] is not None:
            rows = [r for r in rows if r.visited == q["visited"]]
        rows.sort(key=lambda r: (r.visited, r.card != "red", r.resident_id))
        start = (q["page"] - 1) * q["page_size"]
        items = [{**dataclasses.asdict(r), "visited": r.visited}
                 for r in rows[start:start + q["page_size"]]]
        return {"items": items, "total": len(rows), "page": q["page"],
                "page_size": q["page_size"]}

    # -- RPC: the same commands and reads for other services (trusted, no token) ------

    @rpc
    @edge
    def open_case(self, data: dict, actor: str, role: str) -> dict:
        d = self._case_data(data)
        return self._open_case(trusted(actor, role), d, d["station_id"])

    @rpc
    @edge
    def get_case(self, case_id: str) -> dict:
        return self._get_case(case_id)

    @rpc
    @edge
    def close_case(self, case_id: str, data: dict, actor: str, role: str) -> dict:
        d = s.load_request(s.CloseRequest(), data)
        return self._run(self._closure(trusted(actor, role), case_id, d))

    @rpc
    @edge
    def record_visit(self, data: dict, actor: str, role: str) -> dict:
        d = s.load_request(s.VisitRequest(), data)
        return self._record_visit(trusted(actor, role), d, d["station_id"])

    @rpc
    @edge
    def make_referral(self, case_id: str, data: dict, actor: str, role: str) -> dict:
        return self._make_referral(trusted(actor, role), case_id, data)

    @rpc
    @edge
    def followups(self, filters: dict | None = None) -> dict:
        """The follow-up worklist, as GET /followups (filters as its query string)."""
        f = s.load_request(s.FollowUpQuery(), dict(filters or {}))
        return self._read(queries.list_followups, f.pop("as_of") or utcnow(), **f)
