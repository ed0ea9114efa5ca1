"""Every text about a resident is erasable, checked over every service's event schemas.

Erasure destroys keys (crypto-shredding): text stored in clear survives it. So in every
event that names a resident (`resident_id` or `resident_ids` in its schema), each field
that can hold text (strings not restricted to codes or times, lists, dicts) is either
sealed (declared in the service's SEALED / RESIDENT_SEALED and an encrypted field in the
schema) or declared not personal in the service's events.NOT_PERSONAL, with the reason.
Names taken on trust: ids (`*_id`, `*_ids`), staff accounts (`*_by`), times and dates
(`*_at`, `*_on`); strings restricted to codes, times or a pattern (OneOf, Moment, Regexp)
hold no words. A new field fails here until someone decides which it is.
"""
from __future__ import annotations

import importlib

import marshmallow as ma
import pytest
from marshmallow import fields, validate

from shared import topology
from shared.fields import _aware_iso
from shared.security.erasure import Encrypted

NOT_TEXT = (fields.Number, fields.Boolean, fields.Date, fields.DateTime)
NAMING = ("resident_id", "resident_ids")
TRUSTED = ("_id", "_ids", "_by", "_at", "_on")  # ids, staff accounts, times and dates


def events_of(service: str):
    return importlib.import_module(f"services.{service}.events")


def sealed_of(service: str) -> dict[str, set[str]]:
    """event type -> its sealed fields, from every declaration the service has."""
    events = events_of(service)
    out: dict[str, set[str]] = {}
    for table in (getattr(events, "SEALED", {}), getattr(events, "RESIDENT_SEALED", {})):
        for event_type, names in table.items():
            out.setdefault(event_type, set()).update(names)
    try:  # per-person keys (activities: members, volunteers, leaders)
        people = importlib.import_module(f"services.{service}.privacy").SEALED
    except (ImportError, AttributeError):
        people = {}
    for event_type, spec in people.items():
        if isinstance(spec, tuple) and len(spec) == 3:
            out.setdefault(event_type, set()).update(spec[2])
    return out


def is_text(name: str, field: ma.fields.Field) -> bool:
    """Could this field hold words someone typed?"""
    if name == "at" or name.endswith(TRUSTED) or isinstance(field, NOT_TEXT):
        return False
    if isinstance(field, fields.String):
        return not any(isinstance(v, (validate.OneOf, validate.Regexp)) or v is _aware_iso
                       for v in field.validators)
    return True  # lists, dicts, raw values, nested schemas, encrypted fields


def schemas_naming_a_resident(service: str):
    registry = events_of(service).registry
    for event_type in registry.names():
        schema = registry.get(event_type).schema
        if any(n in schema.fields for n in NAMING):
            yield event_type, schema


def texts(service: str) -> list[tuple[str, str, ma.fields.Field]]:
    return [(event_type, name, field)
            for event_type, schema in schemas_naming_a_resident(service)
            for name, field in schema.fields.items() if is_text(name, field)]


@pytest.mark.parametrize("service", topology.SERVICES)
def test_every_text_about_a_resident_is_sealed_or_declared_not_personal(service):
    sealed, declared = sealed_of(service), getattr(events_of(service), "NOT_PERSONAL", {})
    undecided = [f"{t}.{n}" for t, n, _ in texts(service)
                 if n not in sealed.get(t, ()) and f"{t}.{n}" not in declared]
    assert undecided == [], f"{service}: seal these or declare them in NOT_PERSONAL"


@pytest.mark.parametrize("service", topology.SERVICES)
def test_every_sealed_field_is_an_encrypted_field_of_its_schema(service):
    registry = events_of(service).registry
    wrong = [f"{t}.{n}" for t, names in sealed_of(service).items() for n in names
             if not isinstance(registry.get(t).schema.fields.get(n), Encrypted)]
    assert wrong == []


@pytest.mark.parametrize("service", topology.SERVICES)
def test_every_declaration_names_a_text_in_clear_and_gives_a_reason(service):
    declared = getattr(events_of(service), "NOT_PERSONAL", {})
    clear = {f"{t}.{n}" for t, n, field in texts(service) if not isinstance(field, Encrypted)}
    assert sorted(set(declared) - clear) == []
    assert [k for k, why in declared.items() if len(why.strip()) < 10] == []


def test_the_check_finds_free_text_in_an_event_naming_a_resident():
    class NoteTaken(ma.Schema):
        resident_id = fields.String()
        note = fields.String(validate=validate.Length(max=5000))
        kind = fields.String(validate=validate.OneOf(("a", "b")))
        at = fields.String(validate=_aware_iso)
    found = [n for n, f in NoteTaken().fields.items() if is_text(n, f)]
    assert found == ["note"]
