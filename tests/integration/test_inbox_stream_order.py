"""Must show (issue 20, item 3): a quarantined event is not applied after later events of
its stream.

Casework's real inbox handlers, on a real casework store (SQLite and PostgreSQL), are fed
the residents' events as the relay sends them (from a residents-shaped store). A
resident's card upgrade (green → red) fails once: the inbox quarantines it as the
subscriber does. The downgrade that follows (red → blue) is delivered: it waits behind
the upgrade (held), while another resident's events go on. The upgrade's retry
succeeds: the upgrade, then the downgrade, are applied, and casework's rhythm for the
resident (its card and open follow-up) is the downgrade's: blue. Parked for good, the
upgrade keeps the downgrade held, counted as parked on health.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.casework import handlers as casework_handlers
from services.casework import policy, privacy
from shared import health
from shared.inbox import Inbox, Outcome
from shared.stores import open_store
from station import catalog
from tests.integration.casework_support import residents_registry

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def config(request, tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    if request.param == "postgres":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    return config


class Residents:
    """A residents-shaped store: events as the residents service stores them."""

    def __init__(self, config: dict):
        self.store = open_store("residents", config, residents_registry())
        self.versions: dict[str, int] = {}

    def append(self, resident: str, type_: str, payload: dict) -> dict:
        from shared.events import NewEvent
        stream = f"resident-{resident}"
        version = self.versions.get(stream, 0)
        self.store.append(stream, version, [NewEvent(
            type_, {"resident_id": resident, "station_id": "st-1", **payload},
            station_id="st-1", actor="test")])
        self.versions[stream] = version + 1
        self.store.sequence()
        return self.store.read_all(self.store.last_position() - 1, 1)[0].to_dict()

    def fetch(self, source: str, after: int, limit: int) -> list[dict]:
        return [e.to_dict() for e in self.store.read_all(after, limit)]


@pytest.fixture
def world(config):
    residents = Residents(config)
    casework = open_store("casework", config, catalog.registry("casework"),
                          catalog.projections("casework"))
    privacy.vault(casework)   # its tables made outside any transaction, as the service does
    failing = {"CardUpgraded": 1}   # the upgrade fails once, as a handler bug or outage would
    table = casework_handlers.residents_handlers(casework, policy.load())

    def flaky(name):
        def handle(conn, event):
            if failing.get(name):
                failing[name] -= 1
                raise RuntimeError("casework could not apply it this time")
            return table[name](conn, event)
        return handle
    handlers = {**table, "CardUpgraded": flaky("CardUpgraded")}
    inbox = Inbox(casework.engine, "casework", "residents", handlers, residents.fetch)
    yield residents, casework, inbox, failing
    residents.store.engine.dispose()
    casework.engine.dispose()


def deliver(inbox: Inbox, envelope: dict) -> Outcome | str:
    """What shared.providers.Deliveries does: apply, or quarantine the failure."""
    try:
        return inbox.handle(envelope)
    except Exception as exc:
        assert inbox.quarantine(envelope, f"{type(exc).__name__}: {exc}"), exc
        return "quarantined"


def rhythm(casework, resident: str) -> tuple[str, list[str]]:
    """Casework's card for the resident and the cards of its open follow-ups."""
    with casework.engine.connect() as conn:
        card = conn.execute(sa.text("SELECT card FROM known_residents WHERE resident_id = :r"),
                            {"r": resident}).scalar()
        open_cards = conn.execute(sa.text(
            "SELECT card FROM followups WHERE resident_id = :r AND status = 'pending'"),
            {"r": resident}).scalars().all()
    return card, sorted(open_cards)


def change(from_card: str, to_card: str) -> dict:
    return {"from_card": from_card, "to_card": to_card, "reason": "reassessment",
            "confirmed_by": "supervisor-1"}


def test_a_downgrade_waits_behind_its_quarantined_upgrade_and_the_rhythm_is_the_downgrades(
        world):
    residents, casework, inbox, _ = world
    first = [residents.append("r-1", "ResidentRegistered", {"community_id": "cm-1",
                                                             "categories": ["living_alone"]}),
             residents.append("r-1", "CardAssigned", {"card": "green", "reason": "assessment",
                                                      "domain_cards": {"elderly": "green"}})]
    assert [deliver(inbox, e) for e in first] == [Outcome.APPLIED, Outcome.APPLIED]
    assert rhythm(casework, "r-1") == ("green", ["green"])

    upgrade = residents.append("r-1", "CardUpgraded", change("green", "red"))
    assert deliver(inbox, upgrade) == "quarantined"
    downgrade = residents.append("r-1", "CardDowngraded", change("red", "blue"))
    assert deliver(inbox, downgrade) is Outcome.HELD
    other = residents.append("r-2", "CardAssigned", {"card": "red", "reason": "assessment",
                                                     "domain_cards": {"elderly": "red"}})
    assert deliver(inbox, other) is Outcome.APPLIED            # another stream goes on
    assert rhythm(casework, "r-2") == ("red", ["red"])
    assert rhythm(casework, "r-1") == ("green", ["green"])     # nothing of r-1 out of order
    assert inbox.checkpoint.get() == other["position"]

    assert deliver(inbox, upgrade) is Outcome.RETRIED          # released: upgrade, downgrade
    assert rhythm(casework, "r-1") == ("blue", ["blue"])
    assert inbox.parked() == []
    assert deliver(inbox, downgrade) is Outcome.DUPLICATE      # its message again: nothing


def test_a_parked_upgrade_keeps_its_stream_held_and_health_counts_it(world):
    residents, casework, inbox, failing = world
    residents.append("r-1", "CardAssigned", {"card": "green", "reason": "assessment",
                                             "domain_cards": {"elderly": "green"}})
    deliver(inbox, residents.fetch("residents", 0, 1)[0])
    upgrade = residents.append("r-1", "CardUpgraded", change("green", "red"))
    failing["CardUpgraded"] = 99
    deliver(inbox, upgrade)
    inbox.quarantine(upgrade, "RuntimeError: for good", parked=True)
    downgrade = residents.append("r-1", "CardDowngraded", change("red", "blue"))
    assert deliver(inbox, downgrade) is Outcome.HELD
    assert [(q["position"], q["status"]) for q in inbox.parked()] == [
        (upgrade["position"], "parked"), (downgrade["position"], "held")]
    report = health.inboxes(casework.engine, "casework", ["residents"], {})
    assert report["residents"]["parked"] == 2

    # An operator replays the parked upgrade once the cause is fixed (station parked replay).
    failing["CardUpgraded"] = 0
    with casework.engine.begin() as conn:
        conn.execute(sa.text("UPDATE quarantine SET status = 'retrying' WHERE position = :p"),
                     {"p": upgrade["position"]})
    assert deliver(inbox, upgrade) is Outcome.RETRIED
    assert rhythm(casework, "r-1") == ("blue", ["blue"])
    assert inbox.parked() == []
