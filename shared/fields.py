"""marshmallow fields every service declares its events and its HTTP edge with.

Event payloads (events.py):
    Moment()  a time kept as the exact ISO text it was written with, with an offset
    Id()      1-100 characters;  Text()  up to 5000;  OneOf(choices)

The HTTP edge (schemas.py): bodies refuse unknown fields, query strings ignore them
(PageQuery), and responses declare what the OpenAPI document promises:
    Str(), Long(), Optional(Str)   request fields (no NUL: PostgreSQL stores none)
    Out(), Maybe(), Page(Item, "ItemPage")   response fields and list pages
"""
from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate


# -- event payloads -------------------------------------------------------------------

def _aware_iso(value: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ma.ValidationError("Not an ISO 8601 time.") from None
    if moment.tzinfo is None:
        raise ma.ValidationError("Time needs an offset.")


def Moment(**kwargs) -> fields.String:
    """A time kept as the exact ISO text it was written with (hash chains seal the text)."""
    return fields.String(validate=_aware_iso, **kwargs)


def Id(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs)


def Text(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=5000), **kwargs)


def OneOf(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


# -- the HTTP edge: requests ----------------------------------------------------------

def no_nul(value: str) -> None:
    """PostgreSQL stores no NUL character, in text or in JSON."""
    if "\x00" in value:
        raise ma.ValidationError("Contains a NUL character. / 含有空字符（NUL）。")


def Str(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=kwargs.pop("max", 200)), no_nul],
                         **kwargs)


def Long(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=5000), no_nul], **kwargs)


def Optional(field_type=Long, **kwargs) -> fields.Field:
    return field_type(allow_none=True, load_default=None, **kwargs)


MAX_PAGE = 1_000_000  # offsets stay far inside the database's integers


class PageQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


# -- the HTTP edge: responses (what the OpenAPI document promises) ----------------------

def Out(field_type=fields.String, **kwargs) -> fields.Field:
    return field_type(required=True, **kwargs)


def Maybe(field_type=fields.String, **kwargs) -> fields.Field:
    return field_type(required=True, allow_none=True, **kwargs)


def Strings() -> fields.List:
    return Out(fields.List, cls_or_instance=fields.String())


def Page(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A list page {"items": [item], "total", "page", "page_size"}."""
    return ma.Schema.from_dict({
        "items": Out(fields.List, cls_or_instance=fields.Nested(item)),
        "total": Out(fields.Integer), "page": Out(fields.Integer),
        "page_size": Out(fields.Integer)}, name=name)
