"""shared.signing without I/O beyond a temporary key directory: what a consumer accepts."""
from __future__ import annotations

import orjson
import pytest

from shared import hashchain, signing
from shared.events import Recorded
from shared.relay import message_of


def envelope(signer: signing.Signer, **changes) -> dict:
    event = {"event_id": "e-1", "stream_id": "resident-1", "stream_version": 1, "position": None,
             "type": "ResidentTransferred", "schema_version": 1, "station_id": "st-a",
             "occurred_at": "2026-11-30T00:00:00.000000+00:00",
             "recorded_at": "2026-11-30T00:00:00.000000+00:00", "actor": "head",
             "correlation_id": None, "causation_id": None, "payload": {"station_id": "st-b"},
             "prev_hash": hashchain.GENESIS}
    event["hash"] = hashchain.chain(event["prev_hash"], event)
    recorded = Recorded(**{**event, "position": 7, "signature": signer.seal(event["hash"])})
    body = orjson.loads(message_of(recorded, "store-1", signer)[0])
    return {**body, **changes}


@pytest.fixture
def keys(tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    residents = signing.signer_for("residents", config)
    casework = signing.signer_for("casework", config)
    return residents, casework, signing.Keyring(config)


def test_a_message_the_relay_made_is_accepted(keys):
    residents, _, keyring = keys
    signing.check_envelope(keyring, "residents", envelope(residents))


@pytest.mark.parametrize("change, reason", [
    ({"payload": {"station_id": "st-x"}}, "hash does not match the event"),
    ({"signature": None}, "unsigned"),
    ({"delivery_signature": None}, "delivery: unsigned"),
    ({"position": 8}, "delivery: bad signature"),
    ({"store_id": "another-store"}, "delivery: bad signature"),
    ({"signature": "nobody-1:AAAA"}, "unknown signing key 'nobody-1'"),
])
def test_a_changed_message_is_rejected_with_its_reason(keys, change, reason):
    residents, _, keyring = keys
    with pytest.raises(signing.Rejected) as caught:
        signing.check_envelope(keyring, "residents", envelope(residents, **change))
    assert caught.value.reason == reason


def test_another_services_key_does_not_sign_for_residents(keys):
    _, casework, keyring = keys
    with pytest.raises(signing.Rejected) as caught:
        signing.check_envelope(keyring, "residents", envelope(casework))
    assert caught.value.reason == "signed with a key of casework, not of residents"


def test_configured_keys_rotate_and_old_signatures_still_verify(tmp_path):
    old, new = (signing.parse_private("residents", signing.new_private_line("residents"))
                for _ in range(2))
    public = ",".join(f"residents:{s.public_line}" for s in (old, new))
    config = {"STATION_DATA_DIR": str(tmp_path / "unused"), signing.PUBLIC_KEYS: public,
              signing.private_key_setting("residents"): "x"}
    keyring = signing.Keyring(config)
    for signer in (old, new):
        signing.check_envelope(keyring, "residents", envelope(signer))
    assert not (tmp_path / "unused").exists()      # production reads no key files


def test_dev_keys_are_private_files_and_the_public_key_is_published(tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    signer = signing.signer_for("residents", config)
    folder = tmp_path / signing.KEY_DIR
    assert (folder / "residents.key").stat().st_mode & 0o777 == 0o600
    assert signing.signer_for("residents", config).kid == signer.kid       # made once
    assert (folder / "residents.pub").read_text().split() == [signer.public_line]
