"""Marshmallow field makers the services' schemas share: for event payloads (ids, text,
choices) and for the HTTP edge (bounded strings without NUL, optional fields, list
pages and the response fields the OpenAPI document promises).

    class ThingIn(ma.Schema):
        station_id = Str(required=True)
        note = Optional(Long)

    ThingPageOut = Page(ThingOut, "ThingPage")   # {"items", "total", "page", "page_size"}
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

MAX_PAGE = 1_000_000  # offsets stay far inside the database's integers


# -- event payloads -------------------------------------------------------------------

def Id(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs)


def Text(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=5000), **kwargs)


def OneOf(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


# -- the HTTP edge --------------------------------------------------------------------

def no_nul(value: str) -> None:
    """PostgreSQL stores no NUL character, in text or in JSON."""
    if "\x00" in value:
        raise ma.ValidationError("Contains a NUL character. / 含有空字符（NUL）。")


def Str(max: int = 200, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max), no_nul], **kwargs)


def Long(**kwargs) -> fields.String:
    return Str(max=5000, **kwargs)


def Optional(field_type=Long, **kwargs) -> fields.Field:
    return field_type(allow_none=True, load_default=None, **kwargs)


class PageQuery(ma.Schema):
    """?page=&page_size= (max 500); other query parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


def out(field_type=fields.String, **kwargs) -> fields.Field:
    """A response field that is always there."""
    return field_type(required=True, **kwargs)


def maybe(field_type=fields.String, **kwargs) -> fields.Field:
    """A response field that is always there, possibly null."""
    return field_type(required=True, allow_none=True, **kwargs)


def Page(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A list page {"items": [item], "total", "page", "page_size"}."""
    return ma.Schema.from_dict({
        "items": out(fields.List, cls_or_instance=fields.Nested(item)),
        "total": out(fields.Integer), "page": out(fields.Integer),
        "page_size": out(fields.Integer)}, name=name)
