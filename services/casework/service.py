"""The casework service: nameko entrypoints that only translate and dispatch.

HTTP under /api/v1 (cases, visits, referrals, follow-ups, campaigns), RPC for other
services and tests, the residents' events through the inbox, and a timer that flags
overdue follow-ups. Domain errors map to HTTP in ERRORS; a refused request writes nothing.

Who acts comes from `principal_of(request)` alone (X-Actor, X-Role headers for now).
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
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from shared.events import utcnow
from shared.providers import InboxProvider, StoreProvider
from shared.subscriber import subscribe
from shared.web import api, body_of

from services.casework import commands as c
from services.casework import handlers, policy, projections, queries
from services.casework import schemas as s
from services.casework.errors import (DomainError, Duplicate, IllegalTransition,
                                      InvalidCommand, NotPermitted, Unknown)
from services.casework.events import registry

log = logs.get("casework")

ERRORS = {InvalidCommand: ValidationFailed, NotPermitted: Forbidden, Unknown: NotFound,
          IllegalTransition: Conflict, Duplicate: Conflict}
OVERDUE_CHECK_INTERVAL_S = 60


@dataclasses.dataclass(frozen=True)
class Principal:
    actor: str
    role: str


def principal_of(request) -> Principal:
    """The acting user and role. For now the X-Actor and X-Role headers; to be swapped
    for the access token's claims — the only place that knows where they come from."""
    actor = (request.headers.get("X-Actor") or "").strip()
    role = (request.headers.get("X-Role") or "").strip()
    if not actor or not role:
        raise Unauthorized("Missing acting user or role (X-Actor, X-Role)",
                           "缺少操作人或角色（X-Actor、X-Role）")
    return Principal(actor, role)


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


class CaseworkService(EventSourcedService):
    name = "casework"
    store = StoreProvider(registry, projections=projections.metadata)
    inbox = InboxProvider(lambda store: handlers.residents_handlers(store, policy.load()))

    # -- plumbing ---------------------------------------------------------------------

    def _ctx(self) -> handlers.Context:
        return handlers.Context(self.store, policy.load(), self.correlation_id)

    def _run(self, command, now: datetime | None = None) -> dict:
        return handlers.execute(self._ctx(), command, now or utcnow())

    def _read(self, query, *args, **kwargs):
        with self.store.engine.connect() as conn:
            return query(conn, *args, **kwargs)

    @api("GET", "/api/v1/casework/ping")
    def http_ping(self, request):
        return self.ping()

    # -- events and the clock ---------------------------------------------------------

    @subscribe("residents")
    def on_residents(self, envelope, headers, queue_name):
        """ResidentRegistered, CardAssigned, CardUpgraded, CardDowngraded: the local
        picture of residents, and follow-ups scheduled by card."""
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

    def _open_case(self, who: Principal, body: dict) -> dict:
        data = s.load_request(s.with_choices(s.OpenCaseRequest(), "domain",
                                             policy.load().case_domains), body)
        return self._run(c.OpenCase(new_id(), data["resident_id"], data["station_id"],
                                    data["domain"], data["problem"], data["worker"] or who.actor,
                                    who.actor))

    @api("POST", "/api/v1/cases")
    @edge
    def http_open_case(self, request):
        """{"resident_id", "domain", "problem", "worker"?, "station_id"?} -> 201 {"id", ...}"""
        return 201, self._open_case(principal_of(request), body_of(request))

    @api("GET", "/api/v1/cases")
    @edge
    def http_list_cases(self, request):
        return self._read(queries.list_cases, **s.load_request(s.CaseQuery(), query_of(request)))

    @api("GET", "/api/v1/cases/approvals")
    @edge
    def http_list_approvals(self, request):
        """The supervisors' worklist: ?station_id=&status=pending"""
        return self._read(queries.list_approvals,
                          **s.load_request(s.ApprovalQuery(), query_of(request)))

    @api("GET", "/api/v1/cases/<string:case_id>")
    @edge
    def http_get_case(self, request, case_id):
        return self._get_case(case_id)

    def _get_case(self, case_id: str) -> dict:
        view = queries.case_detail(self.store, case_id)
        if view is None:
            raise NotFound(f"Case {case_id} not found", f"未找到个案 {case_id}")
        return view

    def _step(self, request, schema, build) -> dict:
        """Who acts, the validated body, the command `build(who, data)` makes, its result."""
        who = principal_of(request)
        return self._run(build(who, s.load_request(schema, body_of(request))))

    @api("POST", "/api/v1/cases/<string:case_id>/assessment")
    @edge
    def http_assess(self, request, case_id):
        """{"summary", "needs"?: [...]}"""
        return self._step(request, s.AssessRequest(), lambda who, d: c.AssessCase(
            case_id, d["summary"], tuple(d["needs"]), who.actor))

    @api("POST", "/api/v1/cases/<string:case_id>/plan")
    @edge
    def http_draft_plan(self, request, case_id):
        """{"goals": ["..."]}"""
        return self._step(request, s.PlanRequest(), lambda who, d: c.DraftServicePlan(
            case_id, tuple(d["goals"]), who.actor))

    @api("POST", "/api/v1/cases/<string:case_id>/plan/approval")
    @edge
    def http_request_plan_approval(self, request, case_id):
        """{} -> 201 {"id", "state": "plan_pending", "request_id"}"""
        return 201, self._step(request, s.ApproveRequest(), lambda who, d: c.RequestPlanApproval(
            case_id, new_id(), who.actor))

    @api("POST", "/api/v1/cases/<string:case_id>/services")
    @edge
    def http_record_service(self, request, case_id):
        """{"served_at", "minutes", "kind"?, "description"?} -> 201 {"id", "record_id"}"""
        record_id = new_id()
        result = self._step(request, s.ServiceRequest(), lambda who, d: c.RecordService(
            case_id, record_id, d["served_at"], d["minutes"], d["kind"], d["description"],
            who.actor))
        return 201, {**result, "record_id": record_id}

    def _close_case(self, who: Principal, case_id: str, body: dict) -> dict:
        data = s.load_request(s.CloseRequest(), body)
        return self._run(c.RequestClosure(case_id, new_id(), data["outcome"],
                                          data["evaluation"], who.actor))

    @api("POST", "/api/v1/cases/<string:case_id>/close")
    @edge
    def http_close(self, request, case_id):
        """{"outcome": goals_met|partly_met|not_met, "evaluation"?} -> 202: closure awaits
        a supervisor's approval {"id", "state": "closure_pending", "request_id"}"""
        return 202, self._close_case(principal_of(request), case_id, body_of(request))

    @api("POST", "/api/v1/cases/<string:case_id>/approvals/<string:request_id>/approve")
    @edge
    def http_approve(self, request, case_id, request_id):
        """{"comments"?} by a supervisor other than the requester."""
        return self._step(request, s.ApproveRequest(), lambda who, d: c.ApproveRequest(
            case_id, request_id, d["comments"], who.actor, who.role))

    @api("POST", "/api/v1/cases/<string:case_id>/approvals/<string:request_id>/send-back")
    @edge
    def http_send_back(self, request, case_id, request_id):
        """{"comments"} by a supervisor other than the requester."""
        return self._step(request, s.SendBackRequest(), lambda who, d: c.SendBackRequest(
            case_id, request_id, d["comments"], who.actor, who.role))

    @api("POST", "/api/v1/cases/<string:case_id>/reopen")
    @edge
    def http_reopen(self, request, case_id):
        """{"reason"}"""
        return self._step(request, s.ReopenRequest(), lambda who, d: c.ReopenCase(
            case_id, d["reason"], who.actor))

    @api("POST", "/api/v1/cases/<string:case_id>/transfer")
    @edge
    def http_transfer(self, request, case_id):
        """{"to_worker", "reason"?}"""
        return self._step(request, s.TransferRequest(), lambda who, d: c.TransferCase(
            case_id, d["to_worker"], d["reason"], who.actor))

    # -- referrals --------------------------------------------------------------------

    def _make_referral(self, who: Principal, case_id: str, body: dict) -> dict:
        data = s.load_request(s.with_choices(s.ReferralRequest(), "agency",
                                             policy.load().agency_codes), body)
        return self._run(c.MakeReferral(new_id(), case_id, data["agency"], data["reason"],
                                        data["due_date"], who.actor))

    @api("POST", "/api/v1/cases/<string:case_id>/referrals")
    @edge
    def http_make_referral(self, request, case_id):
        """{"agency", "reason", "due_date"} -> 201 {"id", "status": "made"}"""
        return 201, self._make_referral(principal_of(request), case_id, body_of(request))

    @api("GET", "/api/v1/referrals")
    @edge
    def http_list_referrals(self, request):
        """?station_id=&status=&agency=&case_id=&overdue=true|false"""
        filters = s.load_request(s.ReferralQuery(), query_of(request))
        return self._read(queries.list_referrals, policy.load().today(utcnow()), **filters)

    @api("GET", "/api/v1/referrals/agencies")
    def http_agencies(self, request):
        return {"items": [dataclasses.asdict(a) for a in policy.load().agencies]}

    @api("GET", "/api/v1/referrals/<string:referral_id>")
    @edge
    def http_get_referral(self, request, referral_id):
        found = self._read(queries.get_referral, policy.load().today(utcnow()), referral_id)
        if found is None:
            raise NotFound(f"Referral {referral_id} not found", f"未找到转介 {referral_id}")
        return found

    @api("POST", "/api/v1/referrals/<string:referral_id>/accept")
    @edge
    def http_accept_referral(self, request, referral_id):
        """{"completion_due_date"?, "note"?}"""
        return self._step(request, s.AcceptReferralRequest(), lambda who, d: (
            c.AcceptReferral(referral_id, d["completion_due_date"], d["note"], who.actor)))

    @api("POST", "/api/v1/referrals/<string:referral_id>/decline")
    @edge
    def http_decline_referral(self, request, referral_id):
        """{"reason"}"""
        return self._step(request, s.DeclineReferralRequest(), lambda who, d: (
            c.DeclineReferral(referral_id, d["reason"], who.actor)))

    @api("POST", "/api/v1/referrals/<string:referral_id>/complete")
    @edge
    def http_complete_referral(self, request, referral_id):
        """{"result"}"""
        return self._step(request, s.CompleteReferralRequest(), lambda who, d: (
            c.CompleteReferral(referral_id, d["result"], who.actor)))

    # -- visits -----------------------------------------------------------------------

    def _record_visit(self, who: Principal, body: dict) -> dict:
        d = s.load_request(s.VisitRequest(), body)
        return self._run(c.RecordVisit(
            new_id(), d["resident_id"], d["station_id"], d["case_id"], d["method"],
            d["visited_at"], d["worker"] or who.actor, d["findings"], d["notes"],
            d["campaign_id"], tuple(d["major_changes"]), who.actor))

    @api("POST", "/api/v1/visits")
    @edge
    def http_record_visit(self, request):
        """{"resident_id", "case_id"?, "method": home|phone|office|consolation,
        "visited_at", "findings"?, "notes"?, "campaign_id"?, "major_changes"?: [hospitalised|
        bereaved|lost_income|unsafe_housing]} -> 201 {"id", "followups_done", "major_changes"}"""
        return 201, self._record_visit(principal_of(request), body_of(request))

    @api("GET", "/api/v1/visits")
    @edge
    def http_list_visits(self, request):
        return self._read(queries.list_visits, **s.load_request(s.VisitQuery(), query_of(request)))

    # -- follow-ups -------------------------------------------------------------------

    def _followups(self, filters: dict) -> dict:
        f = s.load_request(s.FollowUpQuery(), filters)
        return self._read(queries.list_followups, f.pop("as_of") or utcnow(), **f)

    @api("GET", "/api/v1/followups")
    @edge
    def http_list_followups(self, request):
        """The worklist: ?station_id=&worker=&resident_id=&card=&status=due|overdue|done
        -> {"items": [{"id", "resident_id", "due_at", "status", "card", ...}], "total", ...}"""
        return self._followups(query_of(request))

    @api("GET", "/api/v1/followups/summary")
    @edge
    def http_followup_summary(self, request):
        """?station_id=&worker= -> {"due": n, "overdue": n, "done": n}"""
        f = s.load_request(s.FollowUpSummaryQuery(), query_of(request))
        return self._read(queries.followup_counts, f.pop("as_of") or utcnow(), **f)

    @api("GET", "/api/v1/followups/<string:followup_id>")
    @edge
    def http_get_followup(self, request, followup_id):
        found = self._read(queries.get_followup, utcnow(), followup_id)
        if found is None:
            raise NotFound(f"Follow-up {followup_id} not found", f"未找到随访 {followup_id}")
        return found

    @api("POST", "/api/v1/followups/<string:followup_id>/assign")
    @edge
    def http_assign_followup(self, request, followup_id):
        """{"worker"}"""
        who = principal_of(request)
        data = s.load_request(s.AssignRequest(), body_of(request))
        return self._run(c.AssignFollowUp(followup_id, data["worker"], who.actor))

    # -- campaigns --------------------------------------------------------------------

    @api("POST", "/api/v1/campaigns")
    @edge
    def http_declare_campaign(self, request):
        """{"station_id", "name", "kind": spring_festival|extreme_heat|extreme_cold|other,
        "starts_on", "ends_on", "cards"?: ["red", "blue"]} -> 201 {"id"}"""
        who = principal_of(request)
        d = s.load_request(s.CampaignRequest(), body_of(request))
        return 201, self._run(c.DeclareCampaign(new_id(), d["station_id"], d["name"], d["kind"],
                                                d["starts_on"], d["ends_on"], tuple(d["cards"]),
                                                who.actor))

    @api("GET", "/api/v1/campaigns")
    @edge
    def http_list_campaigns(self, request):
        return self._read(queries.list_campaigns,
                          **s.load_request(s.CampaignQuery(), query_of(request)))

    def _coverage(self, campaign_id: str):
        found = self._read(queries.campaign_coverage, policy.load(), campaign_id)
        if found is None:
            raise NotFound(f"Campaign {campaign_id} not found", f"未找到专项走访 {campaign_id}")
        return found

    @api("GET", "/api/v1/campaigns/<string:campaign_id>")
    @edge
    def http_get_campaign(self, request, campaign_id):
        """The campaign with its coverage {"total", "visited", "ratio"}."""
        item, rows = self._coverage(campaign_id)
        visited = sum(1 for r in rows if r.visited)
        ratio = f"{visited / len(rows):.2f}" if rows else "1.00"
        return {**item, "coverage": {"total": len(rows), "visited": visited, "ratio": ratio}}

    @api("GET", "/api/v1/campaigns/<string:campaign_id>/worklist")
    @edge
    def http_campaign_worklist(self, request, campaign_id):
        """Who must be visited in the campaign, unvisited first: ?visited=true|false"""
        q = s.load_request(s.CampaignWorklistQuery(), query_of(request))
        _, rows = self._coverage(campaign_id)
        if q["visited"] is not None:
            rows = [r for r in rows if r.visited == q["visited"]]
        rows.sort(key=lambda r: (r.visited, r.card != "red", r.resident_id))
        start = (q["page"] - 1) * q["page_size"]
        items = [{**dataclasses.asdict(r), "visited": r.visited}
                 for r in rows[start:start + q["page_size"]]]
        return {"items": items, "total": len(rows), "page": q["page"],
                "page_size": q["page_size"]}

    # -- RPC: the same commands and reads for other services and systems -------------

    @rpc
    @edge
    def open_case(self, data: dict, actor: str, role: str) -> dict:
        return self._open_case(Principal(actor, role), data)

    @rpc
    @edge
    def get_case(self, case_id: str) -> dict:
        return self._get_case(case_id)

    @rpc
    @edge
    def close_case(self, case_id: str, data: dict, actor: str, role: str) -> dict:
        return self._close_case(Principal(actor, role), case_id, data)

    @rpc
    @edge
    def record_visit(self, data: dict, actor: str, role: str) -> dict:
        return self._record_visit(Principal(actor, role), data)

    @rpc
    @edge
    def make_referral(self, case_id: str, data: dict, actor: str, role: str) -> dict:
        return self._make_referral(Principal(actor, role), case_id, data)

    @rpc
    @edge
    def followups(self, filters: dict | None = None) -> dict:
        """The follow-up worklist, as GET /followups (filters as its query string)."""
        return self._followups(dict(filters or {}))
