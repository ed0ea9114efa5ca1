"""Crypto-shredding in a real store: after the key is destroyed the events still verify,
their personal fields read as erased, and nothing new is sealed for the resident."""
import marshmallow
import pytest

from shared.events import NewEvent, Registry
from shared.eventstore import EventStore
from shared.security import erasure
from shared.security.erasure import ERASED, KeyVault, ResidentErased

pytestmark = pytest.mark.integration

PERSONAL = ("name", "id_number", "phone")


class ResidentRegistered(marshmallow.Schema):
    station_id = marshmallow.fields.String(required=True)
    card = marshmallow.fields.String(allow_none=True)
    name = erasure.Encrypted(required=True)
    id_number = erasure.Encrypted(required=True)
    phone = erasure.Encrypted(allow_none=True)


@pytest.fixture
def store(engine):
    registry = erasure.register(Registry())
    registry.register("ResidentRegistered", ResidentRegistered)
    return EventStore(engine, registry)


def register(store, vault, resident_id, name):
    with store.engine.begin() as conn:
        payload = vault.seal(resident_id, {"station_id": "s1", "card": "red", "name": name,
                                           "id_number": "520102195001011234",
                                           "phone": "13812345678"}, PERSONAL, conn=conn)
        store.append(f"resident-{resident_id}", 0, [NewEvent("ResidentRegistered", payload)],
                     conn=conn)


def test_sealed_fields_are_stored_encrypted_and_read_back_in_clear(store):
    vault = KeyVault(store)
    register(store, vault, "r1", "张桂英")
    (event,) = store.read_stream("resident-r1")
    assert "张桂英" not in str(event.payload) and erasure.is_encrypted(event.payload["name"])
    assert vault.unseal("r1", event.payload, PERSONAL)["name"] == "张桂英"


def test_after_erasure_the_chain_verifies_and_personal_fields_read_as_erased(store):
    vault = KeyVault(store)
    register(store, vault, "r1", "张桂英")
    register(store, vault, "r2", "李明")
    destroyed = vault.destroy("r1", actor="ops", reason="resident request")
    assert destroyed.type == "KeyDestroyed" and destroyed.payload["resident_id"] == "r1"

    assert store.verify() == []
    (erased,) = store.read_stream("resident-r1")
    opened = vault.unseal("r1", erased.payload, PERSONAL)
    assert opened["name"] == opened["id_number"] == opened["phone"] == ERASED
    assert opened["card"] == "red" and opened["station_id"] == "s1"
    (other,) = store.read_stream("resident-r2")
    assert vault.unseal("r2", other.payload, PERSONAL)["name"] == "李明"


def test_the_key_is_gone_from_the_vault_and_the_destruction_is_recorded(store):
    vault = KeyVault(store)
    register(store, vault, "r1", "张桂英")
    vault.destroy("r1", actor="ops")
    assert vault.key("r1") is None
    (event,) = store.read_stream(erasure.stream_of("r1"))
    assert event.actor == "ops" and event.type == "KeyDestroyed"


def test_nothing_is_sealed_for_an_erased_resident_again(store):
    vault = KeyVault(store)
    register(store, vault, "r1", "张桂英")
    vault.destroy("r1")
    with pytest.raises(ResidentErased):
        vault.seal("r1", {"name": "张桂英"}, ["name"])


def test_destroying_twice_records_it_once(store):
    vault = KeyVault(store)
    register(store, vault, "r1", "张桂英")
    assert vault.destroy("r1") is not None
    assert vault.destroy("r1") is None
    assert len(store.read_stream(erasure.stream_of("r1"))) == 1


def test_a_resident_without_a_key_can_still_be_erased_in_advance(store):
    vault = KeyVault(store)
    assert vault.destroy("r9") is not None
    with pytest.raises(ResidentErased):
        vault.create("r9")


def test_a_key_is_made_once_per_resident(store):
    vault = KeyVault(store)
    assert vault.create("r1") == vault.create("r1") == KeyVault(store).key("r1")
    assert vault.create("r1") != vault.create("r2")


def test_a_rolled_back_registration_leaves_no_key(store):
    vault = KeyVault(store)
    with pytest.raises(RuntimeError):
        with store.engine.begin() as conn:
            vault.create("r1", conn=conn)
            raise RuntimeError("the append failed")
    assert vault.key("r1") is None
