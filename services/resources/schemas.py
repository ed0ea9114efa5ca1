"""The HTTP edge of resources: request bodies and query strings (marshmallow), and the
responses the OpenAPI document promises (schemathesis holds us to them).

Bodies refuse unknown fields; query strings ignore them. Amounts are strings here and
parsed by the domain (services.resources.money), which names the field it refuses:
{"fields": {"value": ["a positive number of yuan with at most two decimal places / 须为正数，最多两位小数"]}}.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from shared.fields import Maybe, Optional, Out, Page, PageQuery, Str
from shared.web import load

from services.resources.events import DEPARTMENTS, HUBS, KINDS, PARTNER_TYPES, TARGETS
from services.resources.wish import CLAIMED, CLOSED, DELIVERED, EXPIRED, POSTED

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM. / 格式应为 YYYY-MM。")


def load_request(schema: ma.Schema, data) -> dict:
    """Validated data, or ValidationFailed (400) naming each field in both languages."""
    return load(schema, data)


def Id(**kwargs) -> fields.String:
    return Str(max=100, **kwargs)


def Choice(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def Amount(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=30), **kwargs)


# -- bodies ---------------------------------------------------------------------------

class PartnerRequest(ma.Schema):
    station_id = Id(required=True)
    name = Str(max=200, required=True)
    type = Choice(PARTNER_TYPES, required=True)
    department = Optional(Choice, choices=DEPARTMENTS)
    community_id = Optional(Id)
    hub = Choice(HUBS, load_default="other")
    contact = Optional(Str, max=200)
    categories = fields.List(Id(), load_default=list, validate=validate.Length(max=20))


class DonationRequest(ma.Schema):
    station_id = Id(required=True)
    partner_id = Id(required=True)
    kind = Choice(KINDS, required=True)
    value = Amount(required=True)
    item = Optional(Str, max=200)
    unit = Optional(Str, max=20)
    quantity = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=1_000_000))
    category = Optional(Id)
    community_id = Optional(Id)
    donated_on = fields.Date(allow_none=True, load_default=None)


class AllocationRequest(ma.Schema):
    stock_id = Id(required=True)
    target_type = Choice(TARGETS, required=True)
    target_id = Id(required=True)
    quantity = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=1_000_000))
    amount = Optional(Amount)
    wish_id = Optional(Id)
    note = Optional()


class WishRequest(ma.Schema):
    resident_id = Id(required=True)
    title = Str(max=500, required=True)
    expires_on = fields.Date(required=True)
    need_id = Optional(Id)
    category = Optional(Id)
    community_id = Optional(Id)
    station_id = Optional(Id)


class ClaimRequest(ma.Schema):
    partner_id = Id(required=True)


class DeliverRequest(ma.Schema):
    note = Optional()


class CloseWishRequest(ma.Schema):
    thanks = Optional()


class MatchRequest(ma.Schema):
    need_id = Id(required=True)
    partner_id = Optional(Id)
    stock_id = Optional(Id)
    note = Optional()


class ExpireRequest(ma.Schema):
    now = fields.AwareDateTime(required=True)


# -- query strings --------------------------------------------------------------------

class StationPageQuery(PageQuery):
    station_id = Id(load_default=None)


class PartnerQuery(StationPageQuery):
    type = Choice(PARTNER_TYPES, load_default=None)
    community_id = Id(load_default=None)


class DonationQuery(StationPageQuery):
    partner_id = Id(load_default=None)
    kind = Choice(KINDS, load_default=None)
    month = fields.String(load_default=None, validate=MONTH)
    community_id = Id(load_default=None)


class AllocationQuery(StationPageQuery):
    stock_id = Id(load_default=None)
    target_type = Choice(TARGETS, load_default=None)
    resident_id = Id(load_default=None)


class StockQuery(StationPageQuery):
    kind = Choice(KINDS, load_default=None)
    category = Id(load_default=None)
    available = fields.Boolean(load_default=None)


class WishQuery(StationPageQuery):
    state = Choice((POSTED, CLAIMED, DELIVERED, CLOSED, EXPIRED), load_default=None)
    resident_id = Id(load_default=None)
    community_id = Id(load_default=None)


class MatchQuery(StationPageQuery):
    need_id = Id(load_default=None)
    resident_id = Id(load_default=None)


class StationQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    station_id = Id(load_default=None)


class TotalsQuery(StationQuery):
    from_month = fields.String(load_default=None, validate=MONTH)
    to_month = fields.String(load_default=None, validate=MONTH)


class SuggestionQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    need_id = Id(required=True)


# -- responses ------------------------------------------------------------------------

class IdOut(ma.Schema):
    id = Out()


class StockMovedOut(ma.Schema):
    id = Out()
    stock_id = Out()
    quantity_left = Out(fields.Integer)
    value_left = Out()


class AllocatedOut(StockMovedOut):
    value = Out()


class WishStepOut(ma.Schema):
    id = Out()
    state = Out()
    version = Out(fields.Integer)


class PartnerOut(ma.Schema):
    id = Out()
    partner_id = Out()
    station_id = Out()
    name = Out()
    type = Out()
    department = Maybe()
    community_id = Maybe()
    hub = Maybe()
    categories = Out(fields.List, cls_or_instance=fields.String())


class PartnerDetailOut(PartnerOut):
    donated = Out()
    donations = Out(fields.Integer)


class DonationOut(ma.Schema):
    id = Out()
    donation_id = Out()
    holding_id = Out()
    station_id = Out()
    partner_id = Out()
    partner_type = Out()
    community_id = Maybe()
    kind = Out()
    item = Maybe()
    unit = Maybe()
    quantity = Maybe(fields.Integer)
    value = Out()
    category = Maybe()
    donated_on = Out()
    month = Out()


class AllocationOut(ma.Schema):
    id = Out()
    allocation_id = Out()
    holding_id = Out()
    station_id = Out()
    kind = Out()
    quantity = Maybe(fields.Integer)
    value = Out()
    target_type = Out()
    target_id = Out()
    resident_id = Maybe()
    wish_id = Maybe()
    allocated_on = Out()
    allocated_by = Out()


class StockOut(ma.Schema):
    id = Out()
    holding_id = Out()
    station_id = Out()
    kind = Out()
    item = Maybe()
    unit = Maybe()
    category = Maybe()
    quantity = Out(fields.Integer)
    value = Out()
    donated = Out()
    allocated = Out()
    version = Out(fields.Integer)


class WishOut(ma.Schema):
    id = Out()
    wish_id = Out()
    station_id = Out()
    community_id = Maybe()
    resident_id = Out()
    need_id = Maybe()
    title = Out()
    category = Maybe()
    expires_on = Out()
    state = Out()
    partner_id = Maybe()
    delivered_on = Maybe()
    version = Out(fields.Integer)


class MatchOut(ma.Schema):
    id = Out()
    match_id = Out()
    need_id = Out()
    resident_id = Out()
    station_id = Out()
    partner_id = Maybe()
    holding_id = Maybe()
    recorded_by = Out()


class TotalsRowOut(ma.Schema):
    partner_type = Out()
    community_id = Out()
    month = Out()
    value = Out()


class TotalsOut(ma.Schema):
    total = Out()
    by_partner_type = Out(fields.Dict, keys=fields.String(), values=fields.String())
    by_community = Out(fields.Dict, keys=fields.String(), values=fields.String())
    by_month = Out(fields.Dict, keys=fields.String(), values=fields.String())
    rows = Out(fields.List, cls_or_instance=fields.Nested(TotalsRowOut))


class MapPartnerOut(PartnerDetailOut):
    pass


class MapCommunityOut(ma.Schema):
    community_id = Out()
    donated = Out()
    partners = Out(fields.List, cls_or_instance=fields.Nested(MapPartnerOut))


class MapOut(ma.Schema):
    communities = Out(fields.List, cls_or_instance=fields.Nested(MapCommunityOut))


class SuggestionOut(ma.Schema):
    kind = Out()
    id = Out()
    score = Out(fields.Integer)
    reasons = Out(fields.List, cls_or_instance=fields.String())


class SuggestionsOut(ma.Schema):
    need_id = Out()
    status = Out()
    category = Out()
    items = Out(fields.List, cls_or_instance=fields.Nested(SuggestionOut))


PartnerPageOut = Page(PartnerOut, "PartnerPage")
DonationPageOut = Page(DonationOut, "DonationPage")
AllocationPageOut = Page(AllocationOut, "AllocationPage")
StockPageOut = Page(StockOut, "StockPage")
WishPageOut = Page(WishOut, "WishPage")
MatchPageOut = Page(MatchOut, "MatchPage")
