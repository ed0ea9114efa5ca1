"""The resources service (资源库): nameko entrypoints that only translate and dispatch.

HTTP under /api/v1 (partners, donations, allocations, stock, wishes, matches, the
resource map and totals), RPC reads for other services, the residents' events through
the inbox (residents, their needs, the organisation tree), and a timer that expires
micro-wishes past their date. Domain errors map to HTTP in ERRORS; a refused request
writes nothing.

Every HTTP call carries a bearer token: its role must allow the endpoint's action
(shared.security.roles, else 403) and its scopes must cover the station of what the
call is about (services.resources.queries.require, else the same 404 as for something
missing). Lists show only the stations the scopes cover.
"""
from __future__ import annotations

import functools
import uuid
from datetime import datetime

from nameko.rpc import rpc
from nameko.timer import timer

from shared import logs
from shared.base_service import EventSourcedService
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import utcnow
from shared.providers import InboxProvider, StoreProvider
from shared.security.nameko import Auth
from shared.security.principal import Principal
from shared.subscriber import subscribe
from shared.web import api, body_of

from services.resources import commands as c
from services.resources import handlers, projections, queries
from services.resources import schemas as s
from services.resources.errors import (DomainError, Duplicate, IllegalTransition, Insufficient,
                                       InvalidCommand, NotPermitted, Unknown)
from services.resources.events import registry

log = logs.get("resources")

ERRORS = {InvalidCommand: ValidationFailed, NotPermitted: Forbidden, Unknown: NotFound,
          IllegalTransition: Conflict, Duplicate: Conflict, Insufficient: Conflict}
EXPIRY_CHECK_INTERVAL_S = 300


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


class ResourcesService(EventSourcedService):
    """Resources (资源库): partners, donations, stock and its allocation, micro-wishes
    (微心愿) and the matching of residents' needs with resources — within scope."""

    name = "resources"
    store = StoreProvider(registry, projections=projections.metadata)
    inbox = InboxProvider(handlers.residents_handlers)
    auth = Auth()

    # -- plumbing ---------------------------------------------------------------------

    def _run(self, command, now: datetime | None = None) -> dict:
        ctx = handlers.Context(self.store, self.correlation_id)
        return handlers.execute(ctx, command, now or utcnow())

    def _read(self, query, *args, **kwargs):
        with self.store.engine.connect() as conn:
            return query(conn, *args, **kwargs)

    def _list(self, request, action: str, schema, query) -> dict:
        """A list page of the stations the caller may see (404 for a station_id outside)."""
        who = self.auth.require(request, action)
        filters = s.load_request(schema, query_of(request))
        with self.store.engine.connect() as conn:
            stations = queries.stations_in_scope(conn, who, filters.pop("station_id", None))
            return query(conn, stations=stations, **filters)

    def _one(self, request, kind: str, thing_id: str, query) -> dict:
        """One thing of the caller's stations, else the 404 of an unknown one."""
        who = self.auth.require(request, "resources.read")
        with self.store.engine.connect() as conn:
            queries.require(conn, who, kind, thing_id)
            found = query(conn, thing_id)
        if found is None:
            raise queries.THINGS[kind][2](thing_id)
        return found

    def _write(self, request, action: str, schema) -> tuple[Principal, dict]:
        return self.auth.require(request, action), s.load_request(schema, body_of(request))

    @api("GET", "/api/v1/resources/ping", auth=False, tags=["resources"],
         summary="Is the resources service up? / 资源服务是否在线")
    def http_ping(self, request):
        return self.ping()

    # -- events and the clock ---------------------------------------------------------

    @subscribe("residents")
    def on_residents(self, envelope, headers, queue_name):
        """ResidentRegistered, ResidentTransferred, NeedRecorded, NeedMet, StationAdded…:
        the local picture of residents, their needs and the organisation tree."""
        return self.inbox.deliver("residents", envelope, headers, queue_name)

    @timer(interval=EXPIRY_CHECK_INTERVAL_S)
    def expire_past_wishes(self):
        expired = handlers.expire_wishes(handlers.Context(self.store), utcnow())
        if expired:
            log.info("wishes.expired", count=len(expired))

    @rpc
    @edge
    def expire_wishes(self, now_iso: str) -> dict:
        """Expire wishes as of `now_iso` (tests and operators drive the clock).
        -> {"expired": [wish ids this call expired]}"""
        now = s.load_request(s.ExpireRequest(), {"now": now_iso})["now"]
        return {"expired": handlers.expire_wishes(handlers.Context(self.store), now)}

    # -- partners ---------------------------------------------------------------------

    @api("POST", "/api/v1/partners", body=s.PartnerRequest, responses={201: s.IdOut, 404: None},
         summary="Register a partner (资源方) of a station / 登记资源方", tags=["partners"])
    @edge
    def http_register_partner(self, request):
        """{"station_id", "name", "type": business|school|charity|social_org|government,
        "department"?, "community_id"?, "hub"?, "contact"?, "categories"?} -> 201 {"id"}"""
        who, d = self._write(request, "resources.write", s.PartnerRequest())
        self._read(queries.require_station, who, d["station_id"])
        return 201, self._run(c.RegisterPartner(
            new_id(), d["station_id"], d["name"], d["type"], who.username, d["department"],
            d["community_id"], d["hub"], d["contact"], tuple(d["categories"])))

    @api("GET", "/api/v1/partners", query=s.PartnerQuery,
         responses={200: s.PartnerPageOut, 404: None}, summary="List partners / 资源方列表",
         tags=["partners"])
    @edge
    def http_list_partners(self, request):
        return self._list(request, "resources.read", s.PartnerQuery(), queries.list_partners)

    @api("GET", "/api/v1/partners/<string:partner_id>", responses={200: s.PartnerDetailOut},
         summary="One partner and what it has given / 资源方详情", tags=["partners"])
    @edge
    def http_get_partner(self, request, partner_id):
        return self._one(request, "partner", partner_id, queries.get_partner)

    # -- donations, stock, allocations ------------------------------------------------

    @api("POST", "/api/v1/donations", body=s.DonationRequest,
         responses={201: s.StockMovedOut, 404: None},
         summary="Record a donation in cash or in kind / 登记捐赠", tags=["donations"])
    @edge
    def http_donate(self, request):
        """{"station_id", "partner_id", "kind": cash|in_kind, "value": "1250.50" (RMB: the
        amount, or the goods' valuation), "item"?, "unit"?, "quantity"?, "category"?,
        "donated_on"?} -> 201 {"id", "stock_id", "quantity_left", "value_left"}"""
        who, d = self._write(request, "resources.write", s.DonationRequest())
        with self.store.engine.connect() as conn:
            queries.require_station(conn, who, d["station_id"])
            queries.require(conn, who, "partner", d["partner_id"])
        return 201, self._run(c.DonateResource(
            new_id(), d["station_id"], d["partner_id"], d["kind"], d["value"], who.username,
            d["item"], d["unit"], d["quantity"], d["category"], d["community_id"],
            d["donated_on"]))

    @api("GET", "/api/v1/donations", query=s.DonationQuery,
         responses={200: s.DonationPageOut, 404: None}, summary="List donations / 捐赠记录",
         tags=["donations"])
    @edge
    def http_list_donations(self, request):
        """?station_id=&partner_id=&kind=&month=YYYY-MM&community_id="""
        return self._list(request, "resources.read", s.DonationQuery(), queries.list_donations)

    @api("GET", "/api/v1/donations/totals", query=s.TotalsQuery,
         responses={200: s.TotalsOut, 404: None},
         summary="Donations in RMB per partner type, community and month / 捐赠金额统计",
         tags=["donations"])
    @edge
    def http_totals(self, request):
        """?station_id=&from_month=&to_month= -> {"total", "by_partner_type", "by_community",
        "by_month", "rows": [{"partner_type", "community_id", "month", "value"}]}"""
        return self._list(request, "resources.read", s.TotalsQuery(), queries.donation_totals)

    @api("GET", "/api/v1/donations/<string:donation_id>", responses={200: s.DonationOut},
         summary="One donation / 捐赠详情", tags=["donations"])
    @edge
    def http_get_donation(self, request, donation_id):
        return self._one(request, "donation", donation_id, queries.get_donation)

    @api("GET", "/api/v1/stock", query=s.StockQuery, responses={200: s.StockPageOut, 404: None},
         summary="Stock left per item and cash per station / 库存与资金余额", tags=["stock"])
    @edge
    def http_list_stock(self, request):
        """?station_id=&kind=&category=&available=true|false"""
        return self._list(request, "resources.read", s.StockQuery(), queries.list_stock)

    @api("GET", "/api/v1/stock/<string:stock_id>", responses={200: s.StockOut},
         summary="One item's stock, or the cash balance / 库存详情", tags=["stock"])
    @edge
    def http_get_stock(self, request, stock_id):
        return self._one(request, "stock", stock_id, queries.get_stock)

    @api("POST", "/api/v1/allocations", body=s.AllocationRequest,
         responses={201: s.AllocatedOut, 404: None, 409: None},
         summary="Allocate stock or cash to a resident, activity or project / 分配物资",
         tags=["allocations"])
    @edge
    def http_allocate(self, request):
        """{"stock_id", "target_type": resident|activity|project, "target_id",
        "quantity"? (goods), "amount"? (cash, RMB), "wish_id"?, "note"?} -> 201; 409
        `insufficient_stock` when less is left than asked (nothing is written)."""
        who, d = self._write(request, "resources.allocate", s.AllocationRequest())
        with self.store.engine.connect() as conn:
            station = queries.require(conn, who, "stock", d["stock_id"])
            if d["target_type"] == "resident":
                self._check_resident(conn, who, d["target_id"], station, "target_id")
            if d["wish_id"] is not None:
                queries.require(conn, who, "wish", d["wish_id"])
        return 201, self._run(c.AllocateResource(
            new_id(), d["stock_id"], d["target_type"], d["target_id"], who.username,
            d["quantity"], d["amount"], d["wish_id"], d["note"]))

    @staticmethod
    def _check_resident(conn, who: Principal, resident_id: str, station: str | None,
                        field: str = "station_id") -> str:
        """The resident's station (404 unknown or out of scope); a given station not
        theirs is a 400."""
        theirs = queries.require(conn, who, "resident", resident_id)
        if station is not None and station != theirs:
            raise queries.NotTheResidentsStation(field)
        return theirs

    @api("GET", "/api/v1/allocations", query=s.AllocationQuery,
         responses={200: s.AllocationPageOut, 404: None}, summary="List allocations / 分配记录",
         tags=["allocations"])
    @edge
    def http_list_allocations(self, request):
        """?station_id=&stock_id=&target_type=&resident_id="""
        return self._list(request, "resources.read", s.AllocationQuery(),
                          queries.list_allocations)

    @api("GET", "/api/v1/allocations/<string:allocation_id>", responses={200: s.AllocationOut},
         summary="One allocation / 分配详情", tags=["allocations"])
    @edge
    def http_get_allocation(self, request, allocation_id):
        return self._one(request, "allocation", allocation_id, queries.get_allocation)

    # -- micro-wishes -----------------------------------------------------------------

    @api("POST", "/api/v1/wishes", body=s.WishRequest, responses={201: s.WishStepOut, 404: None},
         summary="Post a micro-wish for a resident / 发布微心愿", tags=["wishes"])
    @edge
    def http_post_wish(self, request):
        """{"resident_id", "title", "expires_on", "need_id"?, "category"?, "community_id"?}
        -> 201 {"id", "state": "posted"}; the need, if named, must be the resident's and open."""
        who, d = self._write(request, "resources.write", s.WishRequest())
        with self.store.engine.connect() as conn:
            station = self._check_resident(conn, who, d["resident_id"], d["station_id"])
        return 201, self._run(c.PostWish(
            new_id(), station, d["resident_id"], d["title"], d["expires_on"], who.username,
            d["community_id"], d["need_id"], d["category"]))

    @api("GET", "/api/v1/wishes", query=s.WishQuery, responses={200: s.WishPageOut, 404: None},
         summary="List micro-wishes / 微心愿列表", tags=["wishes"])
    @edge
    def http_list_wishes(self, request):
        """?station_id=&state=posted|claimed|delivered|closed|expired&resident_id=&community_id="""
        return self._list(request, "resources.read", s.WishQuery(), queries.list_wishes)

    @api("GET", "/api/v1/wishes/<string:wish_id>", responses={200: s.WishOut},
         summary="One micro-wish / 微心愿详情", tags=["wishes"])
    @edge
    def http_get_wish(self, request, wish_id):
        return self._one(request, "wish", wish_id, queries.get_wish)

    def _wish_step(self, request, wish_id: str, schema, build) -> dict:
        who = self.auth.require(request, "resources.write")
        with self.store.engine.connect() as conn:
            queries.require(conn, who, "wish", wish_id)
            data = s.load_request(schema, body_of(request))
            if data.get("partner_id") is not None:
                queries.require(conn, who, "partner", data["partner_id"])
        return self._run(build(who, data))

    @api("POST", "/api/v1/wishes/<string:wish_id>/claim", body=s.ClaimRequest,
         responses={200: s.WishStepOut}, summary="A partner claims the wish / 认领微心愿",
         tags=["wishes"])
    @edge
    def http_claim_wish(self, request, wish_id):
        """{"partner_id"}: a partner of the wish's station."""
        return self._wish_step(request, wish_id, s.ClaimRequest(), lambda who, d: c.ClaimWish(
            wish_id, d["partner_id"], who.username))

    @api("POST", "/api/v1/wishes/<string:wish_id>/deliver", body=s.DeliverRequest,
         responses={200: s.WishStepOut}, summary="The wish is delivered / 微心愿已送达",
         tags=["wishes"])
    @edge
    def http_deliver_wish(self, request, wish_id):
        """{"note"?}: the residents service then marks the wish's need met (by event)."""
        return self._wish_step(request, wish_id, s.DeliverRequest(), lambda who, d: c.DeliverWish(
            wish_id, who.username, d["note"]))

    @api("POST", "/api/v1/wishes/<string:wish_id>/close", body=s.CloseWishRequest,
         responses={200: s.WishStepOut}, summary="Close the wish with thanks / 微心愿完成致谢",
         tags=["wishes"])
    @edge
    def http_close_wish(self, request, wish_id):
        """{"thanks"?}"""
        return self._wish_step(request, wish_id, s.CloseWishRequest(), lambda who, d: c.CloseWish(
            wish_id, who.username, d["thanks"]))

    # -- matching ---------------------------------------------------------------------

    @api("GET", "/api/v1/matches/suggestions", query=s.SuggestionQuery,
         responses={200: s.SuggestionsOut, 404: None},
         summary="Partners and stock that fit an open need / 需求匹配建议", tags=["matches"])
    @edge
    def http_suggestions(self, request):
        """?need_id= -> {"need_id", "items": [{"kind": partner|stock, "id", "score", "reasons"}]}"""
        who = self.auth.require(request, "resources.read")
        need_id = s.load_request(s.SuggestionQuery(), query_of(request))["need_id"]
        with self.store.engine.connect() as conn:
            queries.require(conn, who, "need", need_id)
            return queries.suggestions(conn, need_id)

    @api("POST", "/api/v1/matches", body=s.MatchRequest, responses={201: s.IdOut, 404: None},
         summary="Record a match of a need with a partner or stock / 记录需求匹配",
         tags=["matches"])
    @edge
    def http_record_match(self, request):
        """{"need_id", "partner_id"?, "stock_id"?, "note"?} -> 201 {"id"}"""
        who, d = self._write(request, "resources.write", s.MatchRequest())
        with self.store.engine.connect() as conn:
            queries.require(conn, who, "need", d["need_id"])
            for kind, key in (("partner", "partner_id"), ("stock", "stock_id")):
                if d[key] is not None:
                    queries.require(conn, who, kind, d[key])
        return 201, self._run(c.RecordMatch(new_id(), d["need_id"], who.username,
                                            d["partner_id"], d["stock_id"], d["note"]))

    @api("GET", "/api/v1/matches", query=s.MatchQuery, responses={200: s.MatchPageOut, 404: None},
         summary="List recorded matches / 需求匹配记录", tags=["matches"])
    @edge
    def http_list_matches(self, request):
        return self._list(request, "resources.read", s.MatchQuery(), queries.list_matches)

    @api("GET", "/api/v1/matches/<string:match_id>", responses={200: s.MatchOut},
         summary="One recorded match / 需求匹配详情", tags=["matches"])
    @edge
    def http_get_match(self, request, match_id):
        return self._one(request, "match", match_id, queries.get_match)

    # -- the resource map -------------------------------------------------------------

    @api("GET", "/api/v1/resources/map", query=s.StationQuery, responses={200: s.MapOut, 404: None},
         summary="Per community: the partners and what they have given / 资源地图",
         tags=["resources"])
    @edge
    def http_resource_map(self, request):
        return self._list(request, "resources.read", s.StationQuery(), queries.resource_map)

    # -- RPC reads for other services (trusted, internal bus) -------------------------

    @rpc
    @edge
    def totals(self, filters: dict | None = None) -> dict:
        """Donation totals as GET /donations/totals (filters as its query string; all
        stations unless `station_id`)."""
        f = s.load_request(s.TotalsQuery(), dict(filters or {}))
        station = f.pop("station_id")
        return self._read(queries.donation_totals, [station] if station else None, **f)

    @rpc
    @edge
    def stock(self, filters: dict | None = None) -> dict:
        f = s.load_request(s.StockQuery(), dict(filters or {}))
        station = f.pop("station_id")
        return self._read(queries.list_stock, [station] if station else None, **f)

    @rpc
    @edge
    def wish(self, wish_id: str) -> dict | None:
        return self._read(queries.get_wish, wish_id)

    @rpc
    @edge
    def resource_map(self, station_id: str | None = None) -> dict:
        return self._read(queries.resource_map, [station_id] if station_id else None)
