"""Events the resources service records and publishes (past tense; payload schemas).

Published on `resources.events` with the event type as routing key. Reporting sums
ResourceDonated `value`; the residents service answers WishDelivered by marking the
need met. Those field names are a contract: add fields, never rename or remove them.

Streams: `partner-<id>`, `stock-<holding id>` (one station's holding of one item, or
its cash: every donation into it and every allocation out of it, so an allocation is
decided on the whole history and two allocations racing for the last unit conflict on
the stream version), `wish-<id>` (a micro-wish 微心愿), `matches-<need id>`.

Money is a decimal string of RMB with exactly two places ("1250.50"); dates are
YYYY-MM-DD. Payloads carry ids; text about a resident (a wish's title, notes, thanks, an
allocation's note when it is addressed to a resident) is sealed with the resident's key
(SEALED, services.resources.privacy). NOT_PERSONAL names the other text of events that
name a resident.
"""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from shared.events import Registry
from shared.fields import Id, OneOf, Text
from shared.security import erasure

PARTNER_TYPES = ("business", "school", "charity", "social_org", "government")
# Government departments named in the seed: 民政, 妇联, 团委, 计生.
DEPARTMENTS = ("civil_affairs", "womens_federation", "youth_league", "family_planning",
               "other")
# Where a partner sits in 1+7+N: the station hub, a community centre, or one of the N.
HUBS = ("station", "community_centre", "other")
KINDS = ("cash", "in_kind")
TARGETS = ("resident", "activity", "project")
_MONEY = re.compile(r"\d{1,10}\.\d{2}")


def Money(**kwargs) -> fields.String:
    """RMB as canonical text with two places; checked again on every append."""
    return fields.String(validate=validate.Regexp(_MONEY), **kwargs)


def Optional(field: fields.Field) -> fields.Field:
    field.allow_none, field.load_default = True, None
    return field


# -- partners (资源方) ----------------------------------------------------------------

class PartnerRegistered(ma.Schema):
    partner_id = Id(required=True)
    station_id = Id(required=True)
    name = Text(required=True)
    type = OneOf(PARTNER_TYPES, required=True)
    department = Optional(OneOf(DEPARTMENTS))
    community_id = Optional(Id())
    hub = OneOf(HUBS, load_default="other")
    contact = Optional(Text())
    categories = fields.List(Id(), load_default=list)
    registered_by = Id(required=True)


# -- stock: donations in, allocations out ---------------------------------------------

class ResourceDonated(ma.Schema):
    donation_id = Id(required=True)
    holding_id = Id(required=True)
    station_id = Id(required=True)
    partner_id = Id(required=True)
    partner_type = OneOf(PARTNER_TYPES, required=True)
    community_id = Optional(Id())
    kind = OneOf(KINDS, required=True)
    item = Optional(Text())
    unit = Optional(Id())
    quantity = Optional(fields.Integer(validate=validate.Range(min=1)))
    value = Money(required=True)
    category = Optional(Id())
    donated_on = fields.Date(required=True)
    recorded_by = Id(required=True)


class ResourceAllocated(ma.Schema):
    allocation_id = Id(required=True)
    holding_id = Id(required=True)
    station_id = Id(required=True)
    kind = OneOf(KINDS, required=True)
    item = Optional(Text())
    unit = Optional(Id())
    quantity = Optional(fields.Integer(validate=validate.Range(min=1)))
    value = Money(required=True)
    target_type = OneOf(TARGETS, required=True)
    target_id = Id(required=True)
    resident_id = Optional(Id())
    wish_id = Optional(Id())
    # sealed with the resident's key when addressed to one (SEALED); else in clear
    note = erasure.EncryptedOrText(allow_none=True, load_default=None)
    allocated_on = fields.Date(required=True)
    allocated_by = Id(required=True)


# -- micro-wishes (微心愿) -------------------------------------------------------------

class WishPosted(ma.Schema):
    wish_id = Id(required=True)
    station_id = Id(required=True)
    community_id = Optional(Id())
    resident_id = Id(required=True)
    need_id = Optional(Id())
    title = erasure.Encrypted(required=True)  # sealed with the resident's key (SEALED)
    category = Optional(Id())
    expires_on = fields.Date(required=True)
    posted_by = Id(required=True)


class WishClaimed(ma.Schema):
    wish_id = Id(required=True)
    station_id = Id(required=True)
    resident_id = Id(required=True)
    partner_id = Id(required=True)
    claimed_by = Id(required=True)


class WishDelivered(ma.Schema):
    wish_id = Id(required=True)
    station_id = Id(required=True)
    resident_id = Id(required=True)
    need_id = Optional(Id())
    partner_id = Id(required=True)
    note = erasure.Encrypted(allow_none=True, load_default=None)
    delivered_on = fields.Date(required=True)
    delivered_by = Id(required=True)


class WishClosed(ma.Schema):
    wish_id = Id(required=True)
    station_id = Id(required=True)
    resident_id = Id(required=True)
    thanks = erasure.Encrypted(allow_none=True, load_default=None)
    closed_by = Id(required=True)


class WishExpired(ma.Schema):
    wish_id = Id(required=True)
    station_id = Id(required=True)
    resident_id = Id(required=True)
    expires_on = fields.Date(required=True)


# -- matching needs with resources ----------------------------------------------------

class MatchRecorded(ma.Schema):
    match_id = Id(required=True)
    need_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    partner_id = Optional(Id())
    holding_id = Optional(Id())
    note = erasure.Encrypted(allow_none=True, load_default=None)
    recorded_by = Id(required=True)


# event type -> its payload fields sealed with the resident's key (text about them):
# services.resources.privacy. Version 2 is the sealed form; version 1 is read as stored.
SEALED: dict[str, tuple[str, ...]] = {
    "WishPosted": ("title",), "WishDelivered": ("note",), "WishClosed": ("thanks",),
    "MatchRecorded": ("note",), "ResourceAllocated": ("note",),
}
# Types whose sealed text may be about no one named: an allocation to an activity or a
# project names no resident, and its note stays in clear.
ANONYMOUS = frozenset({"ResourceAllocated"})

# Text in events that name a resident which is not about them, each with the reason
# (tests/unit/test_sealing_completeness.py: every such text is sealed or named here).
NOT_PERSONAL: dict[str, str] = {
    "KeyDestroyed.reason": "the erasure's own record: which residents' erasure it follows",
    "ResourceAllocated.item": "what was given: the donated goods' name",
    "ResourceAllocated.unit": "a unit of the goods (bag, box)",
    "WishPosted.category": "a need category's code",
}

registry = Registry()
for _schema in (PartnerRegistered, ResourceDonated, ResourceAllocated, WishPosted,
                WishClaimed, WishDelivered, WishClosed, WishExpired, MatchRecorded):
    _sealed = _schema.__name__ in SEALED
    registry.register(_schema.__name__, _schema, version=2 if _sealed else 1,
                      upcasters={1: dict} if _sealed else None)
erasure.register(registry)  # KeyDestroyed: resources' key of a resident, destroyed

# Checked by tests/unit/test_kit_completeness.py: types no aggregate evolves on.
NOT_EVOLVED = {"KeyDestroyed": "erasure: the vault and the read models act on it"}
