"""A correlation id set where a story starts follows it through the bus into the events
it causes in another service, and each caused event names its cause."""
from __future__ import annotations

import pytest

from shared.events import NewEvent
from tests.integration.casework_support import ORG, ResidentsFeed
from tests.support.auth import service_rpc
from tests.support.harness import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("database_url")]


def test_casework_events_caused_by_a_card_carry_its_correlation_and_name_it_as_cause(
        services, service_env):
    feed = ResidentsFeed(service_env)
    try:
        services.start("casework")
        feed.add_org()
        station = next(iter(ORG))
        feed.register("res-c", station)
        (card,) = feed.store.append("resident-res-c", feed.versions["resident-res-c"], [NewEvent(
            "CardAssigned", {"resident_id": "res-c", "station_id": station, "card": "red",
                             "domain_cards": {"elderly": "red"}, "reason": "assessment"},
            station_id=station, correlation_id="corr-story-1")])
        feed.publish_all()

        def caused():
            with service_rpc(service_env["AMQP_URI"]) as rpc:
                return [e for e in rpc.casework.read_all(0, 1000)
                        if e["causation_id"] == card.event_id]
        events = wait_until(caused, timeout=60, what="casework events caused by the card")
        assert "FollowUpScheduled" in {e["type"] for e in events}
        assert {e["correlation_id"] for e in events} == {"corr-story-1"}
    finally:
        feed.close()
