"""Events the residents service records and publishes (past tense; payload schemas).

Streams: `org` (the organisation tree), `resident-<id>` (one resident: registration,
moves, transfer offers and their answers, assessments, cards, needs), `id-number-<keyed hash>` (the claim that makes an ID
number unique in the store: an HMAC of the number, never the number), `access-<id>`
(ResidentRecordRead: who read the record, shared.security.access_log) and
`erasure-<id>` (KeyDestroyed: the resident's key was destroyed, shared.security.erasure).

Personal data (SEALED) is stored sealed with the resident's own key from the first
event on: `{"enc": "<base64>"}` in the store and on the bus, opened by the service when
it reads (services.residents.privacy). Destroying the key erases those fields everywhere
while the events, their hashes and every other field stay. Schema version 2 of an event
is the sealed form; version 1 payloads (before sealing existed) are read as they are.

A transfer between stations: TransferOffered (by the owning station; ids, the reason
sealed), then ResidentTransferred with `transfer_id` (accepted by the receiving station:
the same event a move within the caller's scope makes) or TransferDeclined.

Casework consumes CardAssigned / CardUpgraded / CardDowngraded and ResidentRegistered:
their field names are a contract; add fields, never rename or remove them.
"""
from marshmallow import Schema, fields, validate

from shared.events import Registry
from shared.security import access_log, erasure, lookup

CARD = validate.OneOf(("red", "blue", "green"))
STATUS = validate.OneOf(("active", "moved_out", "deceased"))
MAJOR_CHANGES = ("hospitalised", "bereaved", "lost_income", "unsafe_housing")

# Personal data of a resident, as the payloads name it (household: members' names,
# phones and birth dates).
PERSONAL_FIELDS = ("name", "id_number", "phone", "address", "birth_date", "household")

# event type -> the payload fields sealed with the resident's key
SEALED: dict[str, tuple[str, ...]] = {
    "ResidentRegistered": PERSONAL_FIELDS,
    "ResidentUpdated": ("name", "phone", "address", "household"),
    "ResidentMoved": ("address",),
    "ResidentTransferred": ("address",),
    "NeedRecorded": ("description",),  # free text about the person's situation
    # free text about why the person moves / why the offer is refused
    "TransferOffered": ("reason",),
    "TransferDeclined": ("reason",),
    # free text about the person's card (an override's reason rides along with the card
    # through requests, confirmations and cancellations), status and needs
    **{card_event: ("reason",) for card_event in (
        "CardAssigned", "CardUpgraded", "CardDowngraded", "CardDowngradeRequested",
        "CardDowngradeRejected", "CardDowngradeCancelled")},
    "ResidentStatusChanged": ("reason",),
    "NeedMet": ("note",),
    "NeedWithdrawn": ("reason",),
}

# Text in events that name a resident which is not about them, each with the reason
# (tests/unit/test_sealing_completeness.py: every such text is sealed or named here).
NOT_PERSONAL: dict[str, str] = {
    **{f"{card_event}.domain_cards": "the card of each assessed domain: codes" for card_event in
       ("CardAssigned", "CardUpgraded", "CardDowngraded")},
    "IdNumberClaimed.digest": "a keyed hash (HMAC) of the ID number, never the number",
    "KeyDestroyed.reason": "the erasure's own record: why the station erased the data",
    "MajorChangeRecorded.change": "the kind of change, a code casework names",
    "NeedRecorded.category": "a need category's code (configuration)",
    "NeedRecorded.urgency": "an urgency's code (configuration)",
    "ReassessmentScheduled.reason": "written by the service: card:<card> or major_change:<kind>",
    "ResidentRegistered.categories": "category codes (configuration)",
    "ResidentUpdated.categories": "category codes (configuration)",
    "ResidentUpdated.changed": "the names of the fields that changed",
    "RiskAssessed.domain": "a rubric's domain code",
    "RiskAssessed.answers": "question ids and the option codes chosen (the rubric checks them)",
    "RiskAssessed.assessor": "the staff account that assessed",
    "ResidentRecordRead.reader": "the staff account that read the record",
    "ResidentRecordRead.role": "the reader's role code",
    "ResidentRecordRead.reason": "the reader's stated purpose, the access trail's own record "
                                 "(it must outlive the data it audits)",
    "ResidentRecordRead.read_fields": "the names of the fields shown",
    "PartnerLookupMade.reader": "the partner's staff account",
    "PartnerLookupMade.role": "the reader's role code",
    "PartnerLookupMade.scopes": "the reader's scope codes",
    "PartnerLookupMade.id_hash": "a keyed hash of the ID number looked up, never the number",
}


def _sealed(required: bool = False):
    if required:
        return erasure.Encrypted(required=True)
    return erasure.Encrypted(load_default=None, allow_none=True)


def _text(**kw):
    return fields.Str(required=True, validate=validate.Length(min=1), **kw)


def _optional(field):
    field.load_default = None
    field.allow_none = True
    return field


# -- organisation tree --------------------------------------------------------------

class DistrictAdded(Schema):
    district_id = _text()
    name = _text()


class StreetAdded(Schema):
    street_id = _text()
    district_id = _text()
    name = _text()


class StationAdded(Schema):
    station_id = _text()
    street_id = _text()
    name = _text()


class CommunityAdded(Schema):
    community_id = _text()
    station_id = _text()
    name = _text()


class ReassessmentScheduleSet(Schema):
    station_id = _text()
    red_months = fields.Int(required=True, validate=validate.Range(min=1, max=36))
    blue_months = fields.Int(required=True, validate=validate.Range(min=1, max=36))
    green_months = fields.Int(required=True, validate=validate.Range(min=1, max=36))


# -- residents -------------------------------------------------------------------------

# The shape of a household, as it is inside the sealed `household` field.

class HouseholdMember(Schema):
    name = _text()
    relation = _text()
    resident_id = _optional(fields.Str())
    phone = _optional(fields.Str())
    birth_date = _optional(fields.Date())


class Household(Schema):
    household_id = _optional(fields.Str())
    members = fields.List(fields.Nested(HouseholdMember), load_default=list)


class IdNumberClaimed(Schema):
    """`digest`: HMAC-SHA256 of the normalised ID number (shared.security.lookup)."""

    resident_id = _text()
    digest = _text()


class ResidentRegistered(Schema):
    resident_id = _text()
    station_id = _text()
    community_id = _text()
    categories = fields.List(fields.Str(), required=True)
    name = _sealed(required=True)
    id_number = _sealed(required=True)
    phone = _sealed()
    address = _sealed()
    birth_date = _sealed(required=True)     # YYYY-MM-DD, sealed
    gender = fields.Str(required=True, validate=validate.OneOf(("male", "female")))
    household = _sealed()                   # Household, sealed


class ResidentUpdated(Schema):
    """Only the fields that changed are present (`changed` names them)."""

    resident_id = _text()
    station_id = _text()
    changed = fields.List(fields.Str(), required=True)
    name = erasure.Encrypted()
    phone = erasure.Encrypted(allow_none=True)
    address = erasure.Encrypted(allow_none=True)
    categories = fields.List(fields.Str())
    household = erasure.Encrypted(allow_none=True)


class ResidentMoved(Schema):
    """To another community of the same station."""

    resident_id = _text()
    station_id = _text()
    from_community_id = _text()
    community_id = _text()
    address = _sealed()


class ResidentTransferred(Schema):
    """To a community of another station (the resident moved street); the record goes along.

    The envelope names the old station (it hands over); `station_id` in the payload is,
    as in every resident event, the resident's station after the event (= to_station_id).
    """

    resident_id = _text()
    station_id = _text()
    from_station_id = _text()
    from_community_id = _text()
    to_station_id = _text()
    community_id = _text()
    address = _sealed()
    # Set when the receiving station accepted a transfer offer (TransferOffered).
    transfer_id = _optional(fields.Str())
    accepted_by = _optional(fields.Str())


class TransferOffered(Schema):
    """The owning station offers the record to another station (only ids; the reason sealed).

    `station_id`, as in every resident event, is the resident's station (the sender's)."""

    resident_id = _text()
    station_id = _text()
    transfer_id = _text()
    from_station_id = _text()
    from_community_id = _text()
    to_station_id = _text()
    to_community_id = _text()
    reason = _sealed(required=True)
    offered_by = _text()


class TransferDeclined(Schema):
    """The receiving station refused the offer: the record stays with `station_id`."""

    resident_id = _text()
    station_id = _text()
    transfer_id = _text()
    from_station_id = _text()
    to_station_id = _text()
    reason = _sealed(required=True)
    declined_by = _text()


class ResidentStatusChanged(Schema):
    resident_id = _text()
    station_id = _text()
    from_status = fields.Str(required=True, validate=STATUS)
    status = fields.Str(required=True, validate=STATUS)
    reason = _sealed()
    effective_date = fields.Date(required=True)


# -- risk grading and cards ---------------------------------------------------------

class RiskAssessed(Schema):
    resident_id = _text()
    station_id = _text()
    assessment_id = _text()
    domain = _text()
    answers = fields.Dict(keys=fields.Str(), values=fields.Raw(), required=True)
    score = fields.Int(required=True)
    card = fields.Str(required=True, validate=CARD)
    rubric_version = fields.Int(required=True)
    assessor = _text()
    assessed_at = fields.Str(required=True)


class CardAssigned(Schema):
    resident_id = _text()
    station_id = _text()
    card = fields.Str(required=True, validate=CARD)
    domain_cards = fields.Dict(keys=fields.Str(), values=fields.Str(validate=CARD), required=True)
    reason = _sealed(required=True)
    override = fields.Bool(load_default=False)


class CardUpgraded(Schema):
    resident_id = _text()
    station_id = _text()
    from_card = fields.Str(required=True, validate=CARD)
    to_card = fields.Str(required=True, validate=CARD)
    reason = _sealed(required=True)
    domain_cards = fields.Dict(keys=fields.Str(), values=fields.Str(validate=CARD), required=True)
    override = fields.Bool(load_default=False)


class CardDowngraded(CardUpgraded):
    """`confirmed_by` is the supervisor who confirmed a downgrade from Red (else null);
    `requested_by` whoever caused it (assessor or overriding supervisor)."""

    confirmed_by = _optional(fields.Str())
    requested_by = _optional(fields.Str())


class CardDowngradeRequested(Schema):
    """A downgrade from Red, held until a different supervisor confirms it."""

    resident_id = _text()
    station_id = _text()
    from_card = fields.Str(required=True, validate=CARD)
    to_card = fields.Str(required=True, validate=CARD)
    reason = _sealed(required=True)
    requested_by = _text()
    override = fields.Bool(load_default=False)


class CardDowngradeRejected(Schema):
    resident_id = _text()
    station_id = _text()
    from_card = fields.Str(required=True, validate=CARD)
    to_card = fields.Str(required=True, validate=CARD)
    reason = _sealed(required=True)
    rejected_by = _text()


class CardDowngradeCancelled(Schema):
    """A held downgrade made moot: a later assessment or override keeps the Red card."""

    resident_id = _text()
    station_id = _text()
    from_card = fields.Str(required=True, validate=CARD)
    to_card = fields.Str(required=True, validate=CARD)
    reason = _sealed(required=True)


class MajorChangeRecorded(Schema):
    """Casework flagged a major change (MajorChangeFlagged): reassessment due at once."""

    resident_id = _text()
    station_id = _text()
    # Casework names the change (MAJOR_CHANGES today); a new kind must not park the event.
    change = fields.Str(required=True, validate=validate.Length(min=1, max=50))
    visit_id = _optional(fields.Str())
    flagged_at = fields.Str(required=True)
    source_event_id = _text()


class ReassessmentScheduled(Schema):
    resident_id = _text()
    station_id = _text()
    due_on = fields.Date(required=True)
    reason = _text()


# -- needs library (需求库) -------------------------------------------------------------

class NeedRecorded(Schema):
    need_id = _text()
    resident_id = _text()
    station_id = _text()
    community_id = _text()
    category = _text()
    urgency = _text()
    description = _sealed(required=True)


class NeedMet(Schema):
    need_id = _text()
    resident_id = _text()
    station_id = _text()
    note = _sealed()


class NeedWithdrawn(Schema):
    need_id = _text()
    resident_id = _text()
    station_id = _text()
    reason = _sealed(required=True)


def _as_stored(payload: dict) -> dict:
    """Version 1 (fields in clear, before sealing): read as it is."""
    return payload


registry = Registry()
for _schema in (DistrictAdded, StreetAdded, StationAdded, CommunityAdded, ReassessmentScheduleSet,
                RiskAssessed, MajorChangeRecorded, ReassessmentScheduled, TransferOffered,
                TransferDeclined):
    registry.register(_schema.__name__, _schema)
# Version 2: personal fields sealed (SEALED); the claim's digest keyed (HMAC). The card,
# status and need texts were sealed later: their version 1 payloads hold them in clear.
for _schema in (IdNumberClaimed, ResidentRegistered, ResidentUpdated, ResidentMoved,
                ResidentTransferred, NeedRecorded, ResidentStatusChanged, CardAssigned,
                CardUpgraded, CardDowngraded, CardDowngradeRequested, CardDowngradeRejected,
                CardDowngradeCancelled, NeedMet, NeedWithdrawn):
    registry.register(_schema.__name__, _schema, version=2, upcasters={1: _as_stored})
access_log.register(registry)   # ResidentRecordRead
erasure.register(registry)      # KeyDestroyed
lookup.register(registry)       # PartnerLookupMade

# Checked by tests/unit/test_kit_completeness.py: every type above has an evolver in an
# aggregate (resident, org) unless named here, with the reason.
NOT_EVOLVED = {
    "IdNumberClaimed": "the claim stream is only read for its first event (who holds the number)",
    "KeyDestroyed": "erasure: the vault and the read models act on it, the state does not",
    "ResidentRecordRead": "the access trail: reads change nothing in the record",
    "PartnerLookupMade": "the lookup trail: a lookup changes nothing in any record",
}
