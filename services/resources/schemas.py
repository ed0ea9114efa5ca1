"""The HTTP edge of resources: request bodies and query strings (marshmallow), and the
responses the OpenAPI document promises (schemathesis holds us to them).

Bodies refuse unknown fields; query strings ignore them. Amounts are strings here and
parsed by the domain (services.resources.money), which names the field it refuses:
{"fields": {"value": ["a positive number of yuan with at most two decimal places / 须为正数，最多两位小数"]}}.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from shared.web import load

from services.resources.events import DEPARTMENTS, HUBS, KINDS, PARTNER_TYPES, TARGETS
from services.resources.wish import CLAIMED, CLOSED, DELIVERED, EXPIRED, POSTED

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM. / 格式应为 YYYY-MM。")
MAX_PAGE = 1_000_000


def load_request(schema: ma.Schema, data) -> dict:
    """Validated data, or ValidationFailed (400) naming each field in both languages."""
    return load(schema, data)


def no_nul(value: str) -> None:
    """PostgreSQL stores no NUL character, in text or in JSON."""
    if "\x00" in value:
        raise ma.ValidationError("Contains a NUL character. / 含有空字符（NUL）。")


def Str(max: int = 100, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max), no_nul], **kwargs)


def Long(**kwargs) -> fields.String:
    return Str(max=5000, **kwargs)


def Optional(field_type=Long, **kwargs) -> fields.Field:
    return field_type(allow_none=True, load_default=None, **kwargs)


def Choice(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def Amount(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=30), **kwargs)


# -- bodies ---------------------------------------------------------------------------

class PartnerRequest(ma.Schema):
    station_id = Str(required=True)
    name = Str(max=200, required=True)
    type = Choice(PARTNER_TYPES, required=True)
    department = Optional(Choice, choices=DEPARTMENTS)
    community_id = Optional(Str)
    hub = Choice(HUBS, load_default="other")
    contact = Optional(Str, max=200)
    categories = fields.List(Str(), load_default=list, validate=validate.Length(max=20))


class DonationRequest(ma.Schema):
    station_id = Str(required=True)
    partner_id = Str(required=True)
    kind = Choice(KINDS, required=True)
    value = Amount(required=True)
    item = Optional(Str, max=200)
    unit = Optional(Str, max=20)
    quantity = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=1_000_000))
    category = Optional(Str)
    community_id = Optional(Str)
    donated_on = fields.Date(allow_none=True, load_default=None)


class AllocationRequest(ma.Schema):
    stock_id = Str(required=True)
    target_type = Choice(TARGETS, required=True)
    target_id = Str(required=True)
    quantity = fields.Integer(strict=True, allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=1_000_000))
    amount = Optional(Amount)
    wish_id = Optional(Str)
    note = Optional()


class WishRequest(ma.Schema):
    resident_id = Str(required=True)
    title = Str(max=500, required=True)
    expires_on = fields.Date(required=True)
    need_id = Optional(Str)
    category = Optional(Str)
    community_id = Optional(Str)
    station_id = Optional(Str)


class ClaimRequest(ma.Schema):
    partner_id = Str(required=True)


class DeliverRequest(ma.Schema):
    note = Optional()


class CloseWishRequest(ma.Schema):
    thanks = Optional()


class MatchRequest(ma.Schema):
    need_id = Str(required=True)
    partner_id = Optional(Str)
    stock_id = Optional(Str)
    note = Optional()


class ExpireRequest(ma.Schema):
    now = fields.AwareDateTime(required=True)


# -- query strings --------------------------------------------------------------------

class PageQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    station_id = Str(load_default=None)


class PartnerQuery(PageQuery):
    type = Choice(PARTNER_TYPES, load_default=None)
    community_id = Str(load_default=None)


class DonationQuery(PageQuery):
    partner_id = Str(load_default=None)
    kind = Choice(KINDS, load_default=None)
    month = fields.String(load_default=None, validate=MONTH)
    community_id = Str(load_default=None)


class AllocationQuery(PageQuery):
    stock_id = Str(load_default=None)
    target_type = Choice(TARGETS, load_default=None)
    resident_id = Str(load_default=None)


class StockQuery(PageQuery):
    kind = Choice(KINDS, load_default=None)
    category = Str(load_default=None)
    available = fields.Boolean(load_default=None)


class WishQuery(PageQuery):
    state = Choice((POSTED, CLAIMED, DELIVERED, CLOSED, EXPIRED), load_default=None)
    resident_id = Str(load_default=None)
    community_id = Str(load_default=None)


class MatchQuery(PageQuery):
    need_id = Str(load_default=None)
    resident_id = Str(load_default=None)


class StationQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    station_id = Str(load_default=None)


class TotalsQuery(StationQuery):
    from_month = fields.String(load_default=None, validate=MONTH)
    to_month = fields.String(load_default=None, validate=MONTH)


class SuggestionQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    need_id = Str(required=True)


# -- responses ------------------------------------------------------------------------

def _out(field_type=fields.String, **kwargs) -> fields.Field:
    return field_type(required=True, **kwargs)


def _maybe(field_type=fields.String, **kwargs) -> fields.Field:
    return field_type(required=True, allow_none=True, **kwargs)


def Page(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict({
        "items": _out(fields.List, cls_or_instance=fields.Nested(item)),
        "total": _out(fields.Integer), "page": _out(fields.Integer),
        "page_size": _out(fields.Integer)}, name=name)


class IdOut(ma.Schema):
    id = _out()


class StockMovedOut(ma.Schema):
    id = _out()
    stock_id = _out()
    quantity_left = _out(fields.Integer)
    value_left = _out()


class AllocatedOut(StockMovedOut):
    value = _out()


class WishStepOut(ma.Schema):
    id = _out()
    state = _out()
    version = _out(fields.Integer)


class PartnerOut(ma.Schema):
    id = _out()
    partner_id = _out()
    station_id = _out()
    name = _out()
    type = _out()
    department = _maybe()
    community_id = _maybe()
    hub = _maybe()
    categories = _out(fields.List, cls_or_instance=fields.String())


class PartnerDetailOut(PartnerOut):
    donated = _out()
    donations = _out(fields.Integer)


class DonationOut(ma.Schema):
    id = _out()
    donation_id = _out()
    holding_id = _out()
    station_id = _out()
    partner_id = _out()
    partner_type = _out()
    community_id = _maybe()
    kind = _out()
    item = _maybe()
    unit = _maybe()
    quantity = _maybe(fields.Integer)
    value = _out()
    category = _maybe()
    donated_on = _out()
    month = _out()


class AllocationOut(ma.Schema):
    id = _out()
    allocation_id = _out()
    holding_id = _out()
    station_id = _out()
    kind = _out()
    quantity = _maybe(fields.Integer)
    value = _out()
    target_type = _out()
    target_id = _out()
    resident_id = _maybe()
    wish_id = _maybe()
    allocated_on = _out()
    allocated_by = _out()


class StockOut(ma.Schema):
    id = _out()
    holding_id = _out()
    station_id = _out()
    kind = _out()
    item = _maybe()
    unit = _maybe()
    category = _maybe()
    quantity = _out(fields.Integer)
    value = _out()
    donated = _out()
    allocated = _out()
    version = _out(fields.Integer)


class WishOut(ma.Schema):
    id = _out()
    wish_id = _out()
    station_id = _out()
    community_id = _maybe()
    resident_id = _out()
    need_id = _maybe()
    title = _out()
    category = _maybe()
    expires_on = _out()
    state = _out()
    partner_id = _maybe()
    delivered_on = _maybe()
    version = _out(fields.Integer)


class MatchOut(ma.Schema):
    id = _out()
    match_id = _out()
    need_id = _out()
    resident_id = _out()
    station_id = _out()
    partner_id = _maybe()
    holding_id = _maybe()
    recorded_by = _out()


class TotalsRowOut(ma.Schema):
    partner_type = _out()
    community_id = _out()
    month = _out()
    value = _out()


class TotalsOut(ma.Schema):
    total = _out()
    by_partner_type = _out(fields.Dict, keys=fields.String(), values=fields.String())
    by_community = _out(fields.Dict, keys=fields.String(), values=fields.String())
    by_month = _out(fields.Dict, keys=fields.String(), values=fields.String())
    rows = _out(fields.List, cls_or_instance=fields.Nested(TotalsRowOut))


class MapPartnerOut(PartnerDetailOut):
    pass


class MapCommunityOut(ma.Schema):
    community_id = _out()
    donated = _out()
    partners = _out(fields.List, cls_or_instance=fields.Nested(MapPartnerOut))


class MapOut(ma.Schema):
    communities = _out(fields.List, cls_or_instance=fields.Nested(MapCommunityOut))


class SuggestionOut(ma.Schema):
    kind = _out()
    id = _out()
    score = _out(fields.Integer)
    reasons = _out(fields.List, cls_or_instance=fields.String())


class SuggestionsOut(ma.Schema):
    need_id = _out()
    status = _out()
    category = _out()
    items = _out(fields.List, cls_or_instance=fields.Nested(SuggestionOut))


PartnerPageOut = Page(PartnerOut, "PartnerPage")
DonationPageOut = Page(DonationOut, "DonationPage")
AllocationPageOut = Page(AllocationOut, "AllocationPage")
StockPageOut = Page(StockOut, "StockPage")
WishPageOut = Page(WishOut, "WishPage")
MatchPageOut = Page(MatchOut, "MatchPage")
