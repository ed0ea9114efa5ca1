"""The residents service: nameko entrypoints only translate and dispatch.

HTTP JSON under /api/v1 (org, residents, rubrics, needs), RPC reads for other services,
and a subscriber for casework's events. Each entrypoint validates its input (400 with
bilingual field messages), builds one command, runs it through handlers.handle and maps
the outcome; domain errors map to HTTP statuses in ERROR_STATUS.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from nameko.rpc import rpc

from shared.base_service import EventSourcedService
from shared.errors import ApiError, Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import utcnow
from shared.providers import InboxProvider, StoreProvider
from shared.subscriber import subscribe
from shared.web import api, body_of

from services.residents import commands as c
from services.residents import handlers, projections, queries
from services.residents.cards import local_date
from services.residents.errors import Conflicting, DomainError, Invalid, Missing, NotAllowed
from services.residents.events import registry
from services.residents.resident import Resident
from services.residents.schemas import (AssessIn, CommunityIn, ConfirmIn, DistrictIn, HistoryQuery,
                                        MoveIn, NeedIn, NeedMetIn, NeedsQuery, NeedWithdrawIn,
                                        OverrideIn, RegisterIn, RejectIn, ResidentsQuery,
                                        ScheduleIn, StationIn, StatusIn, StreetIn, UpdateIn, load)

ERROR_STATUS: dict[type, type[ApiError]] = {
    Invalid: ValidationFailed,
    Missing: NotFound,
    Conflicting: Conflict,
    NotAllowed: Forbidden,
}


def api_error(exc: DomainError) -> ApiError:
    error_class = next(cls for kind, cls in ERROR_STATUS.items() if isinstance(exc, kind))
    return error_class(exc.message, exc.message_zh, fields=exc.fields, code=exc.code, **exc.extra)


@dataclasses.dataclass(frozen=True)
class Principal:
    actor: str
    role: str | None


def principal_of(request) -> Principal:
    """Who calls, and in which role: the one place the token-based identity will replace.

    For now the user id comes from X-Actor (default "anonymous") and the role from X-Role.
    """
    actor = (request.headers.get("X-Actor") or "").strip()[:200] or "anonymous"
    role = (request.headers.get("X-Role") or "").strip() or None
    return Principal(actor, role)


class SeededStore(StoreProvider):
    """The residents store, with the organisation tree seeded before any entrypoint starts."""

    def setup(self):
        super().setup()
        handlers.seed_org(self.store, utcnow())


def _inbox_handlers(store):
    return {"MajorChangeFlagged":
            lambda conn, event: handlers.on_major_change_flagged(store, conn, event, utcnow())}


class ResidentsService(EventSourcedService):
    name = "residents"
    store = SeededStore(registry, projections=projections.metadata)
    inbox = InboxProvider(_inbox_handlers)
    clock = staticmethod(utcnow)

    # -- plumbing ----------------------------------------------------------------------

    def _run(self, command) -> handlers.Outcome:
        try:
            return handlers.handle(self.store, command, self.clock(), self.correlation_id)
        except DomainError as exc:
            raise api_error(exc) from None

    def _today(self):
        return local_date(self.clock())

    def _read_resident(self, principal: Principal, resident_id: str,
                       as_of: datetime | None = None, reason: str | None = None
                       ) -> tuple[Resident, list]:
        """Every read of one resident's record passes here: the access-audit hook goes here.

        Returns the state (as of `as_of`, else now) and the events it was rebuilt from.
        """
        state, events = queries.read_resident(self.store, resident_id, as_of)
        if not state.exists:
            raise NotFound("Unknown resident", "居民不存在", code="resident_not_found")
        return state, events

    def _changed(self, outcome: handlers.Outcome) -> dict:
        return queries.resident_view(outcome.state, self._today())

    @staticmethod
    def _query(request, schema) -> dict:
        return load(schema, request.args.to_dict())

    # -- organisation ------------------------------------------------------------------------

    @api("GET", "/api/v1/residents/ping")
    def http_ping(self, request):
        return self.ping()

    @api("GET", "/api/v1/org")
    def get_org(self, request):
        """The organisation tree: {"districts": [{"id", "name", "streets": [...]}]}."""
        return queries.org_tree(self.store)

    @api("POST", "/api/v1/org/districts")
    def add_district(self, request):
        data = load(DistrictIn(), body_of(request))
        return self._add_node(c.AddDistrict(district_id=data["id"] or _new_id(), name=data["name"],
                                            actor=principal_of(request).actor), "district_id")

    @api("POST", "/api/v1/org/streets")
    def add_street(self, request):
        """{"district_id": "nanming", "name": "中华路街道", "id"?: "zhonghualu"} -> 201 {"id"}"""
        data = load(StreetIn(), body_of(request))
        return self._add_node(c.AddStreet(street_id=data["id"] or _new_id(), name=data["name"],
                                          district_id=data["district_id"],
                                          actor=principal_of(request).actor), "street_id")

    @api("POST", "/api/v1/org/stations")
    def add_station(self, request):
        data = load(StationIn(), body_of(request))
        return self._add_node(c.AddStation(station_id=data["id"] or _new_id(), name=data["name"],
                                           street_id=data["street_id"],
                                           actor=principal_of(request).actor), "station_id")

    @api("POST", "/api/v1/org/communities")
    def add_community(self, request):
        data = load(CommunityIn(), body_of(request))
        return self._add_node(c.AddCommunity(community_id=data["id"] or _new_id(),
                                             name=data["name"], station_id=data["station_id"],
                                             actor=principal_of(request).actor), "community_id")

    def _add_node(self, command, id_field: str):
        self._run(command)
        return 201, {"id": getattr(command, id_field)}

    @api("PUT", "/api/v1/org/stations/<station_id>/reassessment")
    def set_schedule(self, request, station_id):
        """{"red": 1, "blue": 3, "green": 12}: months between reassessments at this station."""
        months = load(ScheduleIn(), body_of(request))
        self._run(c.SetReassessmentSchedule(station_id=station_id, months=months,
                                            actor=principal_of(request).actor))
        return {"station_id": station_id, "reassessment_months": months}

    @api("GET", "/api/v1/rubrics")
    def get_rubrics(self, request):
        """Each domain's questions and options, plus the configured vocabularies."""
        return queries.rubrics()

    # -- residents: commands ------------------------------------------------------------------

    @api("POST", "/api/v1/residents")
    def register(self, request):
        """{"station_id", "community_id", "name", "gender", "birth_date", "id_number",
        "phone"?, "address"?, "categories": [...], "household"?} -> 201 {"id"}; a known
        ID number -> 409 with "existing_id"."""
        data = load(RegisterIn(), body_of(request))
        resident_id = _new_id()
        outcome = self._run(c.RegisterResident(resident_id=resident_id,
                                               actor=principal_of(request).actor, **data))
        return 201, {"id": resident_id, "version": outcome.state.version}

    @api("PATCH", "/api/v1/residents/<resident_id>")
    def update(self, request, resident_id):
        data = load(UpdateIn(), body_of(request))
        expected = data.pop("expected_version", None)
        return self._changed(self._run(c.UpdateResident(
            resident_id=resident_id, changes=data, expected_version=expected,
            actor=principal_of(request).actor)))

    @api("POST", "/api/v1/residents/<resident_id>/move")
    def move(self, request, resident_id):
        """{"community_id", "address"?}: another station's community transfers the record."""
        data = load(MoveIn(), body_of(request))
        return self._changed(self._run(c.MoveResident(
            resident_id=resident_id, actor=principal_of(request).actor, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/status")
    def change_status(self, request, resident_id):
        """{"status": "active"|"moved_out"|"deceased", "reason"?, "effective_date"?}"""
        data = load(StatusIn(), body_of(request))
        data["effective_date"] = data["effective_date"] or self._today()
        return self._changed(self._run(c.ChangeStatus(
            resident_id=resident_id, actor=principal_of(request).actor, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/assessments")
    def assess(self, request, resident_id):
        """{"domain": "elderly", "answers": {"lives_alone": "alone", ...}} -> 201
        {"id", "score", "card", "resident_card", "pending_downgrade"}"""
        data = load(AssessIn(), body_of(request))
        assessment_id = _new_id()
        outcome = self._run(c.AssessRisk(resident_id=resident_id, assessment_id=assessment_id,
                                         actor=principal_of(request).actor, **data))
        assessed = outcome.first("RiskAssessed").payload
        view = self._changed(outcome)
        return 201, {"id": assessment_id, "score": assessed["score"], "card": assessed["card"],
                     "rubric_version": assessed["rubric_version"], "resident_card": view["card"],
                     "pending_downgrade": view["pending_downgrade"],
                     "reassess_on": view["reassess_on"], "version": view["version"]}

    @api("POST", "/api/v1/residents/<resident_id>/card-override")
    def override_card(self, request, resident_id):
        """{"card", "reason"} (supervisor): a downgrade from Red still waits for a second one."""
        data = load(OverrideIn(), body_of(request))
        who = principal_of(request)
        return self._changed(self._run(c.OverrideCard(
            resident_id=resident_id, actor=who.actor, role=who.role, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/card-downgrade/confirm")
    def confirm_downgrade(self, request, resident_id):
        """{"note"?} (supervisor, not the one who caused the downgrade) -> CardDowngraded"""
        data = load(ConfirmIn(), body_of(request))
        who = principal_of(request)
        return self._changed(self._run(c.ConfirmDowngrade(
            resident_id=resident_id, actor=who.actor, role=who.role, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/card-downgrade/reject")
    def reject_downgrade(self, request, resident_id):
        """{"reason"} (supervisor): the Red card stays."""
        data = load(RejectIn(), body_of(request))
        who = principal_of(request)
        return self._changed(self._run(c.RejectDowngrade(
            resident_id=resident_id, actor=who.actor, role=who.role, **data)))

    # -- residents: reads -----------------------------------------------------------------------

    @api("GET", "/api/v1/residents")
    def list_residents(self, request):
        """?station_id=&community_id=&card=red|blue|green|none&category=&status=&q=&due=&page=&page_size="""
        query = self._query(request, ResidentsQuery())
        page = queries.Page(query.pop("page"), query.pop("page_size"))
        return queries.list_residents(self.store.engine, query, page, self._today())

    @api("GET", "/api/v1/residents/<resident_id>")
    def get_resident(self, request, resident_id):
        state, _ = self._read_resident(principal_of(request), resident_id,
                                       reason=request.headers.get("X-Access-Reason"))
        return queries.resident_view(state, self._today())

    @api("GET", "/api/v1/residents/<resident_id>/history")
    def get_history(self, request, resident_id):
        """?as_of=2026-11-28T10:00:00+08:00 -> {"as_of", "events": [...], "state": {...}}"""
        as_of = self._query(request, HistoryQuery())["as_of"]
        state, events = self._read_resident(principal_of(request), resident_id, as_of,
                                            reason=request.headers.get("X-Access-Reason"))
        return queries.history_body(state, events, as_of, self._today())

    # -- needs library ----------------------------------------------------------------------------

    @api("POST", "/api/v1/residents/<resident_id>/needs")
    def record_need(self, request, resident_id):
        """{"category", "urgency", "description"} -> 201 {"id"}"""
        data = load(NeedIn(), body_of(request))
        need_id = _new_id()
        self._run(c.RecordNeed(resident_id=resident_id, need_id=need_id,
                               actor=principal_of(request).actor, **data))
        return 201, {"id": need_id}

    @api("GET", "/api/v1/needs")
    def list_needs(self, request):
        """Open needs by default: ?station_id=&community_id=&category=&urgency=&status=open|met|withdrawn|all"""
        query = self._query(request, NeedsQuery())
        page = queries.Page(query.pop("page"), query.pop("page_size"))
        return queries.list_needs(self.store.engine, query, page)

    @api("POST", "/api/v1/needs/<need_id>/met")
    def meet_need(self, request, need_id):
        data = load(NeedMetIn(), body_of(request))
        self._run(c.MeetNeed(resident_id=self._resident_of_need(need_id), need_id=need_id,
                             actor=principal_of(request).actor, **data))
        return {"id": need_id, "status": "met"}

    @api("POST", "/api/v1/needs/<need_id>/withdraw")
    def withdraw_need(self, request, need_id):
        data = load(NeedWithdrawIn(), body_of(request))
        self._run(c.WithdrawNeed(resident_id=self._resident_of_need(need_id), need_id=need_id,
                                 actor=principal_of(request).actor, **data))
        return {"id": need_id, "status": "withdrawn"}

    def _resident_of_need(self, need_id: str) -> str:
        resident_id = queries.resident_of_need(self.store.engine, need_id)
        if resident_id is None:
            raise NotFound("Unknown need", "需求不存在", code="need_not_found")
        return resident_id

    # -- RPC reads for other services ------------------------------------------------------------

    @rpc
    def get_resident_record(self, resident_id: str) -> dict | None:
        """One resident as GET /residents/{id} shows it, or None."""
        try:
            state, _ = self._read_resident(Principal("service", "service"), resident_id)
        except NotFound:
            return None
        return queries.resident_view(state, self._today())

    @rpc
    def find_residents(self, filters: dict | None = None, page: int = 1, page_size: int = 50) -> dict:
        """A list page, filtered as GET /residents is (station_id, community_id, card, ...)."""
        query = load(ResidentsQuery(), {**(filters or {}), "page": page, "page_size": page_size})
        page_of = queries.Page(query.pop("page"), query.pop("page_size"))
        return queries.list_residents(self.store.engine, query, page_of, self._today())

    @rpc
    def org(self) -> dict:
        return queries.org_tree(self.store)

    @rpc
    def station_of_community(self, community_id: str) -> str | None:
        return handlers.load_org(self.store).station_of(community_id)

    # -- events from casework -------------------------------------------------------------------------

    @subscribe("casework")
    def on_casework(self, envelope, headers, queue_name):
        return self.inbox.deliver("casework", envelope, headers, queue_name)


def _new_id() -> str:
    return str(uuid.uuid4())
