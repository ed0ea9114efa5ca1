"""The residents service: nameko entrypoints only translate and dispatch.

HTTP JSON under /api/v1 (auth, org, residents, rubrics, needs, the access trail), RPC
reads for other services, and a subscriber for casework's events.

Every HTTP call except the token, ping and OpenAPI ones needs `Authorization: Bearer
<token>` (shared.security). In this order, each entrypoint checks: the token (401), the
role's permission for the endpoint (403, shared.security.roles), that what it names
lies within the token's stations (404, exactly as if unknown), the input (400 with
bilingual field messages); then it builds one command, runs it through handlers.handle
and maps the outcome (domain errors through shared.kit.errors.HTTP_STATUS).

Reading a resident's record (GET, history, RPC) is recorded in the access trail
(ResidentRecordRead) and needs `X-Access-Reason` for a Red-card or child's record (403
without). ID numbers and phones are masked in lists and for roles without
residents.read_pii. Command responses carry no personal data.
"""
from __future__ import annotations

from datetime import date, datetime

from nameko.extensions import DependencyProvider

from shared import exports
from shared.base_service import EventSourcedService
from shared.kit.rpc import rpc
from shared.errors import Forbidden, NotFound, TooLarge, ValidationFailed
from shared.events import utcnow
from shared.kit.errors import Conflicting
from shared.kit.ids import new_id as _new_id
from shared.providers import InboxProvider, StoreProvider
from shared.security import access_log, keys, lookup, masking
from shared.security.erasure import KeyVault
from shared.security.login import TokenRequestSchema, TokenResponseSchema
from shared.security.nameko import Auth
from shared.security.principal import Principal
from shared.web import IMPORT_MAX_BODY, api, body_of, load, uploaded_file, xlsx_attachment

from shared import import_refused, import_sheet
from services.residents import (access, configuration, handlers, idnumber, import_run,
                                import_template, imports, privacy, projections, queries, roster)
from shared.import_schemas import ImportQuery, ImportReportOut, TemplateQuery
from services.residents import commands as c
from services.residents.cards import local_date
from services.residents.events import registry
from services.residents.resident import Resident
from services.residents.schemas import (
    AccessDigestOut, AccessDigestQuery, AccessTrailPage, AccessTrailQuery, AssessIn,
    AssessmentOut, CommunityIn, ConfirmIn, DistrictIn, EraseIn, EraseOut, HistoryOut,
    HistoryQuery, LookupIn, LookupOut, MoveIn, NeedCreated, NeedIn, NeedMetIn, NeedPage,
    NeedsQuery, NeedStatusOut, NeedWithdrawIn, NodeCreated, OrgOut, OverrideIn,
    RegisterIn, RejectIn, ResidentCreated, ResidentOut, ResidentPage, ResidentsQuery, RosterQuery,
    ResidentStateOut, RollupOut, RollupQuery, RubricsOut, ScheduleIn, ScheduleOut, StationIn,
    StatusIn, StreetIn, TransferAcceptIn, TransferAnsweredOut, TransferDeclineIn, TransferIn,
    TransferOfferedOut, TransferPage, TransfersQuery, UpdateIn)

ORG, RESIDENTS, NEEDS, AUDIT, AUTH = ("organisation", "residents", "needs", "audit", "auth")
IMPORTS = "imports"
TRANSFERS, REPORTS = "transfers", "reports"
READ_REASON = ("Send `X-Access-Reason: <why>` (UTF-8 or percent-encoded): it is recorded "
               "in the access trail, and a Red-card or child's record is 403 without it. / "
               "请在请求头 X-Access-Reason 中说明查阅原因；查阅红卡或儿童档案时必填。")


class ResidentsStore(StoreProvider):
    """The residents store, with the organisation tree seeded and the vault of the
    residents' keys ready before any entrypoint starts."""

    def setup(self):
        super().setup()
        KeyVault(self.store)
        handlers.seed_org(self.store, utcnow())


class LookupKey(DependencyProvider):
    """The secret of the keyed hash of ID numbers (STATION_LOOKUP_KEY), read at start."""

    def setup(self):
        self.key = keys.lookup_key(self.container.config)

    def get_dependency(self, worker_ctx) -> bytes:
        return self.key


class LookupThrottle(DependencyProvider):
    """Partner lookups allowed per caller (STATION_LOOKUP_RATE), one count per process."""

    def setup(self):
        rate = keys.setting(self.container.config, "STATION_LOOKUP_RATE")
        self.throttle = lookup.Throttle(*lookup.parse_rate(rate))

    def get_dependency(self, worker_ctx) -> lookup.Throttle:
        return self.throttle


# Another service reading without a person behind it: every station, masked, recorded.
SERVICE_READER = Principal("service", "service")


ROSTER_MAX = 100_000   # a station's whole roster in one file
IMPORT_MAX_BYTES = IMPORT_MAX_BODY   # the edge refuses larger bodies first (station.router)
IMPORT_MAX_ROWS = 5_000              # rows of one upload: well inside the edge's 60 s


class ResidentsService(EventSourcedService):
    name, name_zh = "residents", "居民"
    store = ResidentsStore(registry, projections=projections.projection)
    inbox = InboxProvider(handlers.inbox_handlers)
    auth = Auth()
    lookup_key = LookupKey()
    lookup_throttle = LookupThrottle()
    clock = staticmethod(utcnow)

    # -- plumbing ----------------------------------------------------------------------

    def _run(self, command) -> handlers.Outcome:
        return handlers.handle(self.store, command, self.clock(), self.correlation_id)

    def _today(self) -> date:
        return local_date(self.clock())

    def _changed(self, outcome: handlers.Outcome) -> dict:
        return queries.state_view(outcome.state, self._today())

    @staticmethod
    def _query(request, schema) -> dict:
        return load(schema, request.args.to_dict())

    @staticmethod
    def _body(request, schema) -> dict:
        return load(schema, body_of(request))

    def _tree(self):
        return handlers.load_org(self.store)

    def _in_scope(self, who: Principal, kind: str, thing_id: str, *columns: str, tree=None):
        """The row of a resident or a need (`columns`, then its station): its 404 if it
        is unknown or outside the caller's stations (queries.THINGS)."""
        with self.store.engine.connect() as conn:
            return queries.THINGS.require_row(conn, who, kind, thing_id, *columns,
                                              org=access.org_lookup(tree or self._tree()))

    def _resident_in_scope(self, who: Principal, resident_id: str, tree=None) -> str:
        return self._in_scope(who, "resident", resident_id, tree=tree)[-1]

    def _station_in_scope(self, who: Principal, station_id: str, tree=None) -> None:
        if not access.can_see_station(tree or self._tree(), who, station_id):
            raise access.node_not_found("station")

    # -- authentication ----------------------------------------------------------------------

    @api("POST", "/api/v1/auth/token", body=TokenRequestSchema,
         responses={200: TokenResponseSchema, 401: None}, auth=False, tags=[AUTH],
         summary="Get a bearer token for a user / 用户登录获取令牌")
    def token(self, request):
        """{"username", "password"} -> {"access_token", "token_type": "bearer", "expires_in"};
        401 for a wrong password, an unknown user or a disabled account alike."""
        return self.auth.token_response(request)

    # -- organisation ------------------------------------------------------------------------

    @api("GET", "/api/v1/org", responses={200: OrgOut}, tags=[ORG],
         summary="The organisation tree within the caller's scope / 组织结构（限本人范围）")
    def get_org(self, request):
        """{"districts": [{"id", "name", "streets": [{"stations": [{"communities": [...]}]}]}]}:
        the stations the token covers, with the streets and districts above them."""
        who = self.auth.require(request, "org.read")
        return access.tree_for(self._tree(), who, configuration.settings().schedule)

    @api("POST", "/api/v1/org/districts", body=DistrictIn, responses={201: NodeCreated},
         tags=[ORG], summary="Add a district / 新增区")
    def add_district(self, request):
        """{"id", "name"}: only a district administrator whose scope names the district
        (`district:<id>`) may add it; anyone else gets 403 (a new district has no parent
        in anyone's scope)."""
        who = self.auth.require(request, "org.write")
        data = self._body(request, DistrictIn())
        district_id = data["id"] or _new_id()
        if district_id not in who.districts:
            raise Forbidden("Only a district administrator whose scope names the district may add it",
                            "仅范围包含该区的区民政局管理员可新增该区", code="district_scope_required")
        return self._add_node(c.AddDistrict(district_id=district_id, name=data["name"],
                                            actor=who.username), "district_id")

    @api("POST", "/api/v1/org/streets", body=StreetIn, responses={201: NodeCreated, 404: None},
         tags=[ORG], summary="Add a street in a district of the caller's scope / 新增街道")
    def add_street(self, request):
        """{"district_id": "nanming", "name": "中华路街道", "id"?: "zhonghualu"} -> 201 {"id"};
        a district unknown or outside the caller's scope is 404."""
        who = self.auth.require(request, "org.write")
        data = self._body(request, StreetIn())
        if not access.can_see_district(self._tree(), who, data["district_id"]):
            raise access.node_not_found("district")
        return self._add_node(c.AddStreet(street_id=data["id"] or _new_id(), name=data["name"],
                                          district_id=data["district_id"], actor=who.username),
                              "street_id")

    @api("POST", "/api/v1/org/stations", body=StationIn, responses={201: NodeCreated, 404: None},
         tags=[ORG], summary="Add a station in a street of the caller's scope / 新增社工站")
    def add_station(self, request):
        """{"street_id", "name", "id"?} -> 201 {"id"}; a street outside the scope is 404."""
        who = self.auth.require(request, "org.write")
        data = self._body(request, StationIn())
        if not access.can_see_street(self._tree(), who, data["street_id"]):
            raise access.node_not_found("street")
        return self._add_node(c.AddStation(station_id=data["id"] or _new_id(), name=data["name"],
                                           street_id=data["street_id"], actor=who.username),
                              "station_id")

    @api("POST", "/api/v1/org/communities", body=CommunityIn, responses={201: NodeCreated, 404: None},
         tags=[ORG], summary="Add a community to a station of the caller's scope / 新增社区")
    def add_community(self, request):
        """{"station_id", "name", "id"?} -> 201 {"id"}; a station outside the scope is 404."""
        who = self.auth.require(request, "org.write")
        data = self._body(request, CommunityIn())
        self._station_in_scope(who, data["station_id"])
        return self._add_node(c.AddCommunity(community_id=data["id"] or _new_id(),
                                             name=data["name"], station_id=data["station_id"],
                                             actor=who.username), "community_id")

    def _add_node(self, command, id_field: str):
        self._run(command)
        return 201, {"id": getattr(command, id_field)}

    @api("PUT", "/api/v1/org/stations/<station_id>/reassessment", body=ScheduleIn,
         responses={200: ScheduleOut}, tags=[ORG],
         summary="Set a station's reassessment rhythm / 设置社工站复评周期")
    def set_schedule(self, request, station_id):
        """{"red": 1, "blue": 3, "green": 12}: months between reassessments at this station."""
        who = self.auth.require(request, "org.write")
        self._station_in_scope(who, station_id)
        months = self._body(request, ScheduleIn())
        self._run(c.SetReassessmentSchedule(station_id=station_id, months=months,
                                            actor=who.username))
        return {"station_id": station_id, "reassessment_months": months}

    @api("GET", "/api/v1/rubrics", responses={200: RubricsOut}, tags=[ORG],
         summary="Rubrics and vocabularies / 评估量表与词表")
    def get_rubrics(self, request):
        """Each domain's questions and options, plus the configured vocabularies."""
        self.auth.require(request, "org.read")
        return queries.rubrics()

    # -- residents: commands ------------------------------------------------------------------

    @api("POST", "/api/v1/residents", body=RegisterIn, responses={201: ResidentCreated, 404: None},
         tags=[RESIDENTS], summary="Register a resident / 登记居民")
    def register(self, request):
        """{"station_id", "community_id", "name", "gender", "birth_date", "id_number",
        "phone"?, "address"?, "categories": [...], "household"?} -> 201 {"id", "version"};
        a station outside the caller's scope is 404; a known ID number 409 (with
        "existing_id" when that resident is within the caller's scope)."""
        who = self.auth.require(request, "residents.register")
        data = self._body(request, RegisterIn())
        tree = self._tree()
        self._station_in_scope(who, data["station_id"], tree)
        resident_id = _new_id()
        digest = lookup.keyed_hash(data["id_number"], self.lookup_key)
        try:
            outcome = self._run(c.RegisterResident(resident_id=resident_id, id_digest=digest,
                                                   actor=who.username, **data))
        except Conflicting as err:
            existing = err.extra.get("existing_id")
            if existing and not access.can_see_station(
                    tree, who, queries.station_of_resident(self.store.engine, existing)):
                err.extra.pop("existing_id")
            raise
        return 201, {"id": resident_id, "version": outcome.state.version}

    @api("PATCH", "/api/v1/residents/<resident_id>", body=UpdateIn,
         responses={200: ResidentStateOut}, tags=[RESIDENTS],
         summary="Update a resident's details / 更新居民信息")
    def update(self, request, resident_id):
        """Any of {"name", "phone", "address", "categories", "household"}, and "version"
        (the one last read: else 409); answers with the state, no personal data."""
        who = self.auth.require(request, "residents.update")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, UpdateIn())
        expected = data.pop("expected_version", None)
        return self._changed(self._run(c.UpdateResident(
            resident_id=resident_id, changes=data, expected_version=expected, actor=who.username)))

    @api("POST", "/api/v1/residents/<resident_id>/move", body=MoveIn,
         responses={200: ResidentStateOut}, tags=[RESIDENTS],
         summary="Move a resident to another community or station / 迁移居民")
    def move(self, request, resident_id):
        """{"community_id", "address"?}: a community of another station transfers the record;
        the community must lie within the caller's scope (else 400, as if unknown)."""
        who = self.auth.require(request, "residents.transfer")
        tree = self._tree()
        self._resident_in_scope(who, resident_id, tree)
        data = self._body(request, MoveIn())
        if not access.can_see_community(tree, who, data["community_id"]):
            raise ValidationFailed("Unknown community", "社区不存在",
                                   fields={"community_id": ["Unknown community / 未知的社区"]})
        return self._changed(self._run(c.MoveResident(
            resident_id=resident_id, actor=who.username, **data)))

    # -- transfers between stations ----------------------------------------------------------

    @api("POST", "/api/v1/residents/<resident_id>/transfer", body=TransferIn,
         responses={202: TransferOfferedOut, 404: None, 409: None}, tags=[TRANSFERS],
         summary="Offer a resident to another station / 发起居民转移至其他社工站")
    def offer_transfer(self, request, resident_id):
        """{"to_station_id", "to_community_id", "reason"} by the owning station -> 202
        {"transfer_id", "status": "offered"} (TransferOffered: ids only, the reason sealed).
        The record stays with this station until the receiving station accepts; a resident
        outside the caller's stations is 404; an unknown station or community 400; one
        transfer at a time (409)."""
        who = self.auth.require(request, "residents.transfer")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, TransferIn())
        transfer_id = _new_id()
        self._run(c.OfferTransfer(resident_id=resident_id, transfer_id=transfer_id,
                                  actor=who.username, **data))
        return 202, {"transfer_id": transfer_id, "status": "offered"}

    @api("GET", "/api/v1/transfers", query=TransfersQuery, responses={200: TransferPage, 404: None},
         tags=[TRANSFERS], summary="Transfer offers to or from the caller's stations / 居民转移列表")
    def list_transfers(self, request):
        """?station_id=&direction=incoming|outgoing&status=offered|accepted|declined&page=
        Only offers to or from the caller's stations (a station filter outside them is
        404); each shows ids, card and categories, never a personal field: the receiving
        station reads the record itself only once it has accepted."""
        who = self.auth.require(request, "residents.read")
        query = self._query(request, TransfersQuery())
        page = queries.Page(query.pop("page"), query.pop("page_size"))
        tree = self._tree()
        if query.get("station_id"):
            self._station_in_scope(who, query["station_id"], tree)
        return queries.list_transfers(self.store.engine, query, page, self._today(),
                                      access.stations_in_scope(tree, who))

    @api("POST", "/api/v1/transfers/<transfer_id>/accept", body=TransferAcceptIn,
         responses={200: TransferAnsweredOut, 404: None, 409: None}, tags=[TRANSFERS],
         summary="Accept a resident's transfer (receiving station) / 接收转入居民")
    def accept_transfer(self, request, transfer_id):
        """{"note"?} by the receiving station's head or supervisor: the record and its
        history now belong to the new station and community (ResidentTransferred); the
        sending station no longer reads it. Anyone of the sending station is 403; an
        offer already answered 409; an offer to and from stations outside the caller's
        scope 404."""
        who = self.auth.require(request, "residents.accept_transfer")
        offer, stations = self._transfer_in_scope(who, transfer_id)
        self._body(request, TransferAcceptIn())
        outcome = self._run(c.AcceptTransfer(resident_id=offer["resident_id"],
                                             transfer_id=transfer_id,
                                             acceptor_stations=stations, actor=who.username))
        return {"transfer_id": transfer_id, "status": "accepted",
                "resident_id": offer["resident_id"], "station_id": outcome.state.station_id,
                "community_id": outcome.state.community_id}

    @api("POST", "/api/v1/transfers/<transfer_id>/decline", body=TransferDeclineIn,
         responses={200: TransferAnsweredOut, 404: None, 409: None}, tags=[TRANSFERS],
         summary="Decline a resident's transfer (receiving station) / 拒绝转入居民")
    def decline_transfer(self, request, transfer_id):
        """{"reason"} by the receiving station's head or supervisor: the record stays with
        the sending station (TransferDeclined)."""
        who = self.auth.require(request, "residents.accept_transfer")
        offer, stations = self._transfer_in_scope(who, transfer_id)
        data = self._body(request, TransferDeclineIn())
        outcome = self._run(c.DeclineTransfer(resident_id=offer["resident_id"],
                                              transfer_id=transfer_id, reason=data["reason"],
                                              acceptor_stations=stations, actor=who.username))
        return {"transfer_id": transfer_id, "status": "declined",
                "resident_id": offer["resident_id"], "station_id": outcome.state.station_id,
                "community_id": outcome.state.community_id}

    def _transfer_in_scope(self, who: Principal, transfer_id: str) -> tuple[dict, frozenset]:
        """The offer and the caller's stations; 404 unless it is to or from one of them."""
        offer = (queries.transfer(self.store.engine, transfer_id)
                 if access.well_formed(transfer_id) else None)
        stations = frozenset(access.stations_in_scope(self._tree(), who))
        if offer is None or not {offer["from_station_id"], offer["to_station_id"]} & stations:
            raise access.transfer_not_found()
        return offer, stations

    @api("POST", "/api/v1/residents/<resident_id>/status", body=StatusIn,
         responses={200: ResidentStateOut}, tags=[RESIDENTS],
         summary="Change a resident's status / 变更居民状态")
    def change_status(self, request, resident_id):
        """{"status": "active"|"moved_out"|"deceased", "reason"?, "effective_date"?}"""
        who = self.auth.require(request, "residents.update")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, StatusIn())
        data["effective_date"] = data["effective_date"] or self._today()
        return self._changed(self._run(c.ChangeStatus(
            resident_id=resident_id, actor=who.username, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/assessments", body=AssessIn,
         responses={201: AssessmentOut}, tags=[RESIDENTS],
         summary="Assess a resident's risk (一分) / 评估分级")
    def assess(self, request, resident_id):
        """{"domain": "elderly", "answers": {"lives_alone": "alone", ...}} -> 201
        {"id", "score", "card", "resident_card", "pending_downgrade", ...}"""
        who = self.auth.require(request, "residents.assess")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, AssessIn())
        assessment_id = _new_id()
        outcome = self._run(c.AssessRisk(resident_id=resident_id, assessment_id=assessment_id,
                                         actor=who.username, **data))
        assessed = outcome.first("RiskAssessed").payload
        view = self._changed(outcome)
        return 201, {"id": assessment_id, "score": assessed["score"], "card": assessed["card"],
                     "rubric_version": assessed["rubric_version"], "resident_card": view["card"],
                     "pending_downgrade": view["pending_downgrade"],
                     "reassess_on": view["reassess_on"], "version": view["version"]}

    @api("POST", "/api/v1/residents/<resident_id>/card-override", body=OverrideIn,
         responses={200: ResidentStateOut}, tags=[RESIDENTS],
         summary="Override a resident's card / 调整居民卡色")
    def override_card(self, request, resident_id):
        """{"card", "reason"} (supervisor): a downgrade from Red still waits for a second one."""
        who = self.auth.require(request, "card.override")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, OverrideIn())
        return self._changed(self._run(c.OverrideCard(
            resident_id=resident_id, actor=who.username, role=who.role, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/card-downgrade/confirm", body=ConfirmIn,
         responses={200: ResidentStateOut}, tags=[RESIDENTS],
         summary="Confirm a held card downgrade / 确认卡色降级")
    def confirm_downgrade(self, request, resident_id):
        """{"note"?} (supervisor, not the one who caused the downgrade) -> CardDowngraded"""
        who = self.auth.require(request, "card.confirm_downgrade")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, ConfirmIn())
        return self._changed(self._run(c.ConfirmDowngrade(
            resident_id=resident_id, actor=who.username, role=who.role, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/card-downgrade/reject", body=RejectIn,
         responses={200: ResidentStateOut}, tags=[RESIDENTS],
         summary="Reject a held card downgrade / 驳回卡色降级")
    def reject_downgrade(self, request, resident_id):
        """{"reason"} (supervisor): the Red card stays."""
        who = self.auth.require(request, "card.confirm_downgrade")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, RejectIn())
        return self._changed(self._run(c.RejectDowngrade(
            resident_id=resident_id, actor=who.username, role=who.role, **data)))

    @api("POST", "/api/v1/residents/<resident_id>/erase", body=EraseIn, responses={200: EraseOut},
         tags=[RESIDENTS], summary="Erase a resident's personal data / 删除居民个人信息")
    def erase(self, request, resident_id):
        """{"reason"} (station head, district administrator): destroys the resident's key,
        so their personal fields read as "[erased]" everywhere from then on; the events,
        card and counts stay. Erasing again changes nothing."""
        who = self.auth.require(request, "residents.erase")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, EraseIn())
        self._run(c.EraseResident(resident_id=resident_id, reason=data["reason"],
                                  actor=who.username))
        return {"id": resident_id, "erased": True}

    # -- roster import (花名册导入) ----------------------------------------------------------------

    @api("GET", "/api/v1/imports/residents/template.xlsx", query=TemplateQuery,
         responses={200: {"content": {exports.XLSX_TYPE: {"schema": {
             "type": "string", "format": "binary"}}}}, 404: None},
         tags=[IMPORTS], summary="The roster import template / 花名册导入模板")
    def import_template(self, request):
        """?station_id= (optional): XLSX with the import's Chinese headers, a sample row,
        drop-down lists for 性别, 卡色 and (with a station) 社区, the 类别 names as a prompt."""
        who = self.auth.require(request, "residents.import")
        station_id = self._query(request, TemplateQuery())["station_id"]
        names = []
        if station_id:
            tree = self._tree()
            self._station_in_scope(who, station_id, tree)
            names = [n.name for n in tree.children("community", station_id)]
        return xlsx_attachment(import_template.workbook(names), "花名册导入模板.xlsx")

    @api("POST", "/api/v1/imports/residents", query=ImportQuery,
         responses={200: ImportReportOut, 404: None, 413: None}, tags=[IMPORTS],
         summary="Import residents from an XLSX or CSV roster / 花名册导入居民")
    def import_residents(self, request):
        """?station_id=&dry_run=true|false, the file as the body (Content-Type
        application/vnd.openxmlformats-officedocument.spreadsheetml.sheet or text/csv) ->
        {"rows", "new", "unchanged", "updated", "refused", "dry_run", "errors": [{"row",
        "column", "message", "message_zh"}]}; `row` is the sheet's row (the header is row 1).
        Each row is all or nothing; a dry run writes nothing. `format=xlsx` answers with
        the refused rows as a workbook, a 问题 column added, to fix and upload again. A
        station outside the caller's scope is 404; a file over IMPORT_MAX_BYTES or
        IMPORT_MAX_ROWS rows 413 (larger rosters: `station import residents`)."""
        who = self.auth.require(request, "residents.import")
        query = self._query(request, ImportQuery())
        tree = self._tree()
        self._station_in_scope(who, query["station_id"], tree)
        data = uploaded_file(request, "roster", "花名册文件", "or use `station import residents`", "或使用命令行 station import residents")
        try:
            table = import_sheet.read(data, request.content_type, imports.known_header,
                                      IMPORT_MAX_ROWS)
        except import_sheet.TooLarge as err:
            raise TooLarge(err.message + " (or use `station import residents`)",
                           err.message_zh + "（或使用命令行 station import residents）") from None
        report = import_run.run(self.store, table, query["station_id"],
                                import_run.Importer(who.username, who.role, self.lookup_key),
                                dry_run=query["dry_run"], now=self.clock())
        if query["format"] == "xlsx":
            return xlsx_attachment(import_refused.workbook(report), "花名册导入问题.xlsx")
        return report.as_dict()

    # -- residents: reads -----------------------------------------------------------------------

    @api("GET", "/api/v1/residents", query=ResidentsQuery, responses={200: ResidentPage, 404: None},
         tags=[RESIDENTS], summary="List residents (masked) / 居民列表（脱敏）")
    def list_residents(self, request):
        """?station_id=&community_id=&card=red|blue|green|none&category=&status=&q=&due=&page=&page_size=
        Only the caller's stations; a station or community filter outside them is 404."""
        who = self.auth.require(request, "residents.read")
        query = self._query(request, ResidentsQuery())
        return self._list_residents(who, query)

    def _list_residents(self, who: Principal | None, query: dict) -> dict:
        page = queries.Page(query.pop("page"), query.pop("page_size"))
        stations = self._filter_scope(who, query)
        return queries.list_residents(self.store.engine, query, page, self._today(), stations)

    def _filter_scope(self, who: Principal | None, query: dict) -> list[str] | None:
        """The stations a list may show; 404 for a filter naming what the caller cannot see."""
        if who is None:
            return None
        tree = self._tree()
        if query.get("station_id"):
            self._station_in_scope(who, query["station_id"], tree)
        if query.get("community_id") and not access.can_see_community(tree, who, query["community_id"]):
            raise access.node_not_found("community")
        if query.get("resident_id"):
            self._resident_in_scope(who, query["resident_id"], tree)
        return access.stations_in_scope(tree, who)

    @api("GET", "/api/v1/residents/roster", query=RosterQuery, responses={404: None},
         tags=[RESIDENTS], summary="Key-target roster by card, XLSX or CSV / 重点对象花名册导出")
    def roster(self, request):
        """?station_id=&format=xlsx|csv: the station's residents by card, masked as lists are."""
        who = self.auth.require(request, "residents.read")
        query = self._query(request, RosterQuery())
        tree = self._tree()
        self._station_in_scope(who, query["station_id"], tree)
        found = queries.list_residents(self.store.engine, {"station_id": query["station_id"]},
                                       queries.Page(1, ROSTER_MAX), self._today(),
                                       [query["station_id"]])
        sheet = roster.sheet(found["items"], tree, query["station_id"], self._today().isoformat())
        return exports.response(sheet, query["format"], f"{query['station_id']}-roster")

    @api("GET", "/api/v1/residents/<resident_id>", responses={200: ResidentOut}, tags=[RESIDENTS],
         summary="One resident's record (audited read) / 居民档案（留痕查阅）",
         description=READ_REASON)
    def get_resident(self, request, resident_id):
        """The record; ID number and phone masked unless the role may read personal data."""
        who = self.auth.require(request, "residents.read")
        read = self._read(who, resident_id, "record", access_log.reason_of(request))
        return read.shown(queries.resident_view(read.state, self._today(), read.erased))

    @api("GET", "/api/v1/residents/<resident_id>/history", query=HistoryQuery,
         responses={200: HistoryOut}, tags=[RESIDENTS],
         summary="A resident's events and state, as of a moment (audited read) / 居民历史（留痕查阅）",
         description=READ_REASON)
    def get_history(self, request, resident_id):
        """?as_of=2026-11-28T10:00:00+08:00 -> {"as_of", "events": [...], "state": {...}}"""
        who = self.auth.require(request, "residents.read")
        reason = access_log.reason_of(request)
        as_of = self._query(request, HistoryQuery())["as_of"]
        read = self._read(who, resident_id, "history", reason, as_of)
        return read.shown(queries.history_body(read.state, read.events, as_of, self._today(),
                                               read.erased))

    def _read(self, who: Principal | None, resident_id: str, view: str, reason: str | None,
              as_of: datetime | None = None) -> "RecordRead":
        """Every read of one resident's record passes here: 404 unless it exists within the
        caller's scope; 403 without a reason for a Red-card or child's record (now or then);
        then the read is recorded in the access trail. `who` None: another service reads."""
        state, events = (queries.read_resident(self.store, resident_id)
                         if access.well_formed(resident_id) else (Resident(), []))
        if not state.exists or (who is not None and not access.can_see_station(
                self._tree(), who, state.station_id)):
            raise access.resident_not_found()
        then, then_events = (state, events) if as_of is None else queries.read_resident(
            self.store, resident_id, as_of)
        if who is not None:
            for s in (state, then):
                reason = access_log.require_reason(reason, s.card, s.categories)
        if not then.exists:
            raise access.resident_not_found()
        reader = who or SERVICE_READER
        pii = who is not None and who.may(masking.PII_ACTION)
        erased = queries.is_erased(self.store.engine, resident_id)
        self._record_read(reader, resident_id, state.station_id, reason,
                          [view, *privacy.fields_in_clear(pii, erased)])
        return RecordRead(then, then_events, erased, pii)

    def _record_read(self, who: Principal, resident_id: str, station_id: str | None,
                     reason: str | None, fields: list[str]) -> None:
        with self.store.engine.begin() as conn:
            recorded = access_log.record_access(self.store, who, resident_id, station_id, reason,
                                                fields, conn=conn, now=self.clock())
            projections.apply(conn, recorded)

    # -- roll-ups (street and district) -------------------------------------------------------

    @api("GET", "/api/v1/residents/rollup", query=RollupQuery, responses={200: RollupOut, 404: None},
         tags=[REPORTS], summary="Residents by station and card for a street or district / "
                                 "街道、区级居民汇总")
    def rollup(self, request):
        """?street_id= or ?district_id= (street leaders, district administrators) ->
        {"scope": {"kind", "id", "name"}, "stations": [{"station_id", "name", "residents",
        "cards": {"red", "blue", "green", "none"}}], "total": {"stations", "residents",
        "cards"}}: active residents, from the residents read model. Station roles are 403; a
        street or district unknown or outside the caller's scope is 404."""
        who = self.auth.require(request, "reports.rollup")
        query = self._query(request, RollupQuery())
        tree = self._tree()
        if query.get("street_id"):
            kind, node_id = "street", query["street_id"]
            if not (access.well_formed(node_id) and access.can_see_street(tree, who, node_id)):
                raise access.node_not_found("street")
            streets = [tree.get("street", node_id)]
        else:
            kind, node_id = "district", query["district_id"]
            if not (access.well_formed(node_id) and access.can_see_district(tree, who, node_id)):
                raise access.node_not_found("district")
            streets = tree.children("street", node_id)
        stations = [(s.id, s.name) for street in streets for s in tree.children("station", street.id)]
        scope = {"kind": kind, "id": node_id, "name": tree.get(kind, node_id).name}
        return queries.rollup(self.store.engine, scope, stations)

    # -- partner offices -------------------------------------------------------------------------

    @api("POST", "/api/v1/residents/lookup", body=LookupIn,
         responses={200: LookupOut, 429: None},
         tags=["partners"], summary="Is a person known here? (partner offices) / 跨街道查询是否在册")
    def lookup(self, request):
        """{"id_number"} -> {"known", "card", "station_id"} and nothing else: the number is
        matched by its keyed hash and never returned. Any station's resident is found (this
        is the one minimal disclosure to other street offices); an erased one is not known.
        Each match is recorded in the access trail. Only for callers whose scopes exist,
        at most STATION_LOOKUP_RATE per caller (429); every lookup, hit or miss, is
        recorded as PartnerLookupMade (shared.security.lookup)."""
        who = self.auth.require(request, "partner.lookup")
        tree = self._tree()
        lookup.check_scopes_exist(who, lambda kind, node: tree.get(kind, node) is not None)
        self.lookup_throttle.take(who.username)
        data = self._body(request, LookupIn())
        problems = idnumber.problems(data["id_number"])
        if problems:
            raise ValidationFailed("Invalid ID number", "身份证号码有误", fields=problems)
        digest = lookup.keyed_hash(data["id_number"], self.lookup_key)
        resident_id = queries.claimed_by(self.store, digest)
        row = queries.card_and_station(self.store.engine, resident_id) if resident_id else None
        if row is None or row["erased"]:
            lookup.record_lookup(self.store, who, digest, None, None, now=self.clock())
            return {"known": False, "card": None, "station_id": None}
        lookup.record_lookup(self.store, who, digest, resident_id, row["station_id"],
                             now=self.clock())
        self._record_read(who, resident_id, row["station_id"], access_log.reason_of(request),
                          ["lookup", "card", "station_id"])
        return {"known": True, "card": row["card"], "station_id": row["station_id"]}

    # -- the access trail (auditors) -----------------------------------------------------------------

    @api("GET", "/api/v1/residents/<resident_id>/access-trail", query=AccessTrailQuery,
         responses={200: AccessTrailPage}, tags=[AUDIT],
         summary="Who read a resident's record, when and why / 居民档案访问记录")
    def access_trail(self, request, resident_id):
        """A list page of ResidentRecordRead: {"resident_id", "station_id", "reader", "role",
        "reason", "fields", "at"}, oldest first (`fields`: the view, then the personal
        fields shown in clear)."""
        who = self.auth.require(request, "audit.read")
        self._resident_in_scope(who, resident_id)
        query = self._query(request, AccessTrailQuery())
        return queries.access_trail(self.store, resident_id,
                                    queries.Page(query["page"], query["page_size"]))

    @api("GET", "/api/v1/residents/access-digest", query=AccessDigestQuery,
         responses={200: AccessDigestOut, 404: None}, tags=[AUDIT],
         summary="A station's weekly access digest / 社工站每周访问摘要")
    def access_digest(self, request):
        """?station_id=&week=2026-W48 (default: this week, China time): the week's reads of
        the station's records by reader, role and day, and how many had no reason."""
        who = self.auth.require(request, "audit.read")
        query = self._query(request, AccessDigestQuery())
        self._station_in_scope(who, query["station_id"])
        year, week = _iso_week(query["week"], self._today())
        return queries.access_digest(self.store.engine, query["station_id"], year, week)

    # -- needs library ----------------------------------------------------------------------------

    @api("POST", "/api/v1/residents/<resident_id>/needs", body=NeedIn, responses={201: NeedCreated},
         tags=[NEEDS], summary="Record a resident's need / 登记居民需求")
    def record_need(self, request, resident_id):
        """{"category", "urgency", "description"} -> 201 {"id"}"""
        who = self.auth.require(request, "needs.write")
        self._resident_in_scope(who, resident_id)
        data = self._body(request, NeedIn())
        need_id = _new_id()
        self._run(c.RecordNeed(resident_id=resident_id, need_id=need_id, actor=who.username,
                               **data))
        return 201, {"id": need_id}

    @api("GET", "/api/v1/needs", query=NeedsQuery, responses={200: NeedPage, 404: None},
         tags=[NEEDS], summary="The needs library (需求库) / 需求库")
    def list_needs(self, request):
        """?station_id=&community_id=&resident_id=&category=&urgency=
        &status=open|met|withdrawn|all (default open). Only the caller's stations; a filter
        naming something outside them is 404."""
        who = self.auth.require(request, "residents.read")
        query = self._query(request, NeedsQuery())
        page = queries.Page(query.pop("page"), query.pop("page_size"))
        stations = self._filter_scope(who, query)
        return queries.list_needs(self.store.engine, query, page, stations)

    @api("POST", "/api/v1/needs/<need_id>/met", body=NeedMetIn, responses={200: NeedStatusOut},
         tags=[NEEDS], summary="Mark a need met / 需求已满足")
    def meet_need(self, request, need_id):
        """{"note"?} -> {"id", "status": "met"}"""
        who = self.auth.require(request, "needs.write")
        resident_id = self._need_in_scope(who, need_id)
        data = self._body(request, NeedMetIn())
        self._run(c.MeetNeed(resident_id=resident_id, need_id=need_id, actor=who.username, **data))
        return {"id": need_id, "status": "met"}

    @api("POST", "/api/v1/needs/<need_id>/withdraw", body=NeedWithdrawIn,
         responses={200: NeedStatusOut}, tags=[NEEDS], summary="Withdraw a need / 撤回需求")
    def withdraw_need(self, request, need_id):
        """{"reason"} -> {"id", "status": "withdrawn"}"""
        who = self.auth.require(request, "needs.write")
        resident_id = self._need_in_scope(who, need_id)
        data = self._body(request, NeedWithdrawIn())
        self._run(c.WithdrawNeed(resident_id=resident_id, need_id=need_id, actor=who.username,
                                 **data))
        return {"id": need_id, "status": "withdrawn"}

    def _need_in_scope(self, who: Principal, need_id: str) -> str:
        """The need's resident; 404 if the need is unknown or outside the caller's scope."""
        return self._in_scope(who, "need", need_id, "resident_id")[0]

    # -- RPC reads for other services ------------------------------------------------------------

    @rpc(action="residents.read")
    def get_resident_record(self, resident_id: str, reason: str | None = None) -> dict | None:
        """One resident as GET /residents/{id} shows it to the caller whose token the
        call carries (shared.kit.rpc), or None if unknown or outside their scope;
        recorded in the access trail. A service's credential reads every station,
        with ID number and phone masked."""
        who = self.caller.principal
        try:
            read = self._read(who, resident_id, "rpc", reason)
        except NotFound:
            return None
        return read.shown(queries.resident_view(read.state, self._today(), read.erased))

    @rpc(action="residents.read")
    def find_residents(self, filters: dict | None = None, page: int = 1,
                       page_size: int = 50) -> dict:
        """A list page, filtered as GET /residents is (station_id, community_id, card, ...),
        limited to the stations of the caller's token (every station for a service's
        credential); always masked."""
        query = load(ResidentsQuery(), {**(filters or {}), "page": page, "page_size": page_size})
        return self._list_residents(self.caller.principal, query)

    @rpc(action="org.read")
    def org(self) -> dict:
        """The organisation tree as GET /org shows it to the caller whose token the call
        carries (their scope only); a service's credential sees the whole tree."""
        who = self.caller.principal
        if who is None:
            return queries.org_tree(self.store)
        return access.tree_for(self._tree(), who, configuration.settings().schedule)

    @rpc(action="org.read")
    def station_of_community(self, community_id: str) -> str | None:
        """The community's station, or None if unknown or (for a person) outside the
        caller's scope, as GET /org would not show it."""
        tree = self._tree()
        station = tree.station_of(community_id)
        who = self.caller.principal
        if station is None or who is None:
            return station
        try:
            self.auth.require_station(who, station, access.org_lookup(tree))
        except NotFound:
            return None
        return station


class RecordRead:
    """One audited read: the state (as of the moment asked), its events, how to show it."""

    def __init__(self, state: Resident, events: list, erased: bool, pii: bool):
        self.state, self.events, self.erased, self.pii = state, events, erased, pii

    def shown(self, view: dict) -> dict:
        return privacy.for_role(view, self.pii)


def _iso_week(text: str | None, today: date) -> tuple[int, int]:
    if text is None:
        year, week, _ = today.isocalendar()
        return year, week
    year, week = int(text[:4]), int(text[6:])
    try:
        date.fromisocalendar(year, week, 7)   # its Sunday too: 9999-W52 ends past 9999
    except ValueError:
        raise ValidationFailed("No such ISO week", "不存在该 ISO 周",
                               fields={"week": ["No such week / 不存在该周"]}) from None
    return year, week

