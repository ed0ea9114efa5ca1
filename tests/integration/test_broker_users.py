"""Per-service broker users (issue #9): the permissions shared.broker_users derives from
the topology let each service do its own work on the real broker, and refuse a service
that publishes into another service's events exchange."""
from __future__ import annotations

import shutil
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import amqp
import kombu
import pytest

from shared import broker_users, topology
from shared.relay import ConfirmingPublisher
from tests.conftest import RunningServices, rabbitmqctl
from tests.integration.test_signed_events import applied_up_to, station_of, transfer
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


def test_only_a_service_itself_may_publish_to_its_events_exchange():
    for source in topology.SERVICES:
        exchange = topology.events_exchange(source).name
        writers = [s for s in topology.SERVICES
                   if broker_users.permissions_for(s).allows("write", exchange)]
        assert writers == [source]


def test_every_name_a_service_declares_is_covered_and_no_other_inbox():
    for service in topology.SERVICES:
        p = broker_users.permissions_for(service)
        for source in topology.SUBSCRIPTIONS.get(service, ()):
            for kind in ("configure", "write", "read"):
                assert p.allows(kind, topology.inbox_name(service, source))
            assert p.allows("read", topology.events_exchange(source).name)
        for consumer in topology.subscribers_of(service):
            queue = topology.inbox_name(consumer, service)
            assert p.allows("configure", topology.retry_queue(queue).name)
        others = [topology.inbox_name(c, s) for c in topology.SERVICES for s in topology.SERVICES
                  if c != service and service not in (c, s)]
        assert not any(p.allows(k, q) for q in others for k in ("configure", "write", "read"))
        assert p.allows("configure", f"rpc-{service}")
        assert not p.allows("configure", f"rpc-{'x' if service != 'x' else 'y'}")


@pytest.fixture
def vhost(broker_uri):
    """A vhost with one user per service, each with broker_users' permissions only."""
    if not shutil.which("rabbitmqctl"):
        pytest.fail("rabbitmqctl is needed to create the per-service users")
    name, tag = f"test-users-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:6]
    rabbitmqctl("add_vhost", name)
    users = {}
    parts = urlsplit(broker_uri)
    for service in ("residents", "casework"):
        user, password = f"{service}-{tag}", uuid.uuid4().hex
        rabbitmqctl("add_user", user, password)
        p = broker_users.permissions_for(service)
        rabbitmqctl("set_permissions", "-p", name, user, p.configure, p.write, p.read)
        netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5672}"
        users[service] = urlunsplit(parts._replace(netloc=netloc, path="/" + quote(name, safe="")))
    yield users
    rabbitmqctl("delete_vhost", name)
    for service in users:
        rabbitmqctl("delete_user", f"{service}-{tag}")


def test_each_service_does_its_work_under_its_own_user_and_cannot_forge(vhost):
    # residents' relay declares its topology (subscribers' queues too) and publishes.
    publisher = ConfirmingPublisher(vhost["residents"], "residents")
    publisher.connect()
    publisher._channel._basic_publish(amqp.Message(b"{}"), exchange="residents.events",
                                      routing_key="ResidentTransferred")
    publisher.close()
    with kombu.Connection(vhost["casework"]) as conn:
        channel = conn.channel()
        topology.declare_inbox(channel, "casework", "residents")   # as the subscriber does
        queue = topology.inbox_name("casework", "residents")
        assert channel.basic_get(queue, no_ack=True) is not None  # it consumes its inbox
        retry = topology.retry_queue(queue).name
        conn.Producer(channel).publish({}, exchange="", routing_key=retry)  # retry/park
        assert channel.basic_get(retry, no_ack=True) is not None
        with pytest.raises(amqp.exceptions.AccessRefused):
            forged = conn.channel()
            forged.basic_publish(amqp.Message(b"{}"), exchange="residents.events",
                                 routing_key="ResidentTransferred")
            forged.basic_get(queue)  # the refusal arrives asynchronously: wait for it
    with kombu.Connection(vhost["casework"]) as conn:
        with pytest.raises(amqp.exceptions.AccessRefused):
            conn.channel().queue_declare("residents.inbox.activities", durable=True)


def test_the_services_run_under_their_own_users(vhost, service_env, tmp_path):
    """`station serve` of residents and casework, each with its user: events flow and
    the RPC between them (store identity, catch-up) works."""
    from shared.stores import engine_for, open_store
    from station import catalog
    running = [RunningServices({**service_env, "AMQP_URI": vhost[name]}, str(tmp_path))
               .start(name) for name in ("residents", "casework")]
    config = {"STATION_DATA_DIR": str(tmp_path)}
    residents = open_store("residents", config, catalog.registry("residents"))
    casework = engine_for("casework", config)
    try:
        residents.append("resident-r1", 0, [transfer("r1", "st-b", "st-a")])
        wait_until(lambda: station_of(casework, "r1") == "st-b", what="event applied")
        assert applied_up_to(casework) == residents.last_position()
    finally:
        for services in running:
            services.stop()
        residents.engine.dispose()
        casework.dispose()


def test_the_documented_commands_are_the_ones_the_code_derives():
    import pathlib
    doc = (pathlib.Path(__file__).parents[2] / "docs" / "security.md").read_text()
    assert broker_users.doc_block() in doc


def test_a_source_cannot_read_its_subscribers_inboxes():
    residents = broker_users.permissions_for("residents")
    assert residents.allows("configure", "casework.inbox.residents")
    assert not residents.allows("read", "casework.inbox.residents")
    assert not residents.allows("read", "casework.inbox.residents.parked")
