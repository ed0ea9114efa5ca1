"""shared.kit.rpc without a broker: service credentials, and which caller an entrypoint
admits (the over-the-wire test is tests/integration/test_rpc_identity.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.errors import Forbidden, Unauthorized
from shared.kit.rpc import AuthRpc, Caller, credential, service_token, verify_service_token
from shared.security.principal import Principal
from tests.support.auth import signed_token

KEY = "a-service-key-for-these-tests-0123456789"
CONFIG = {"STATION_SERVICE_KEY": KEY}


def test_a_service_credential_names_its_service_and_lives_a_minute():
    assert verify_service_token(service_token(CONFIG, "casework"), KEY) == "casework"
    old = service_token(CONFIG, "casework", now=datetime.now(timezone.utc) - timedelta(minutes=2))
    with pytest.raises(Unauthorized):
        verify_service_token(old, KEY)


def test_neither_another_key_nor_a_persons_token_passes_for_a_service():
    with pytest.raises(Unauthorized):
        verify_service_token(service_token({"STATION_SERVICE_KEY": "x" * 40}, "casework"), KEY)
    with pytest.raises(Unauthorized):
        verify_service_token(signed_token("wang", "social_worker", "station:st-1"), KEY)


def test_credential_says_which_kind_it_is():
    assert credential(CONFIG, token="t") == "Bearer t"
    assert credential(CONFIG, service="residents").startswith("Service ey")
    with pytest.raises(ValueError):
        credential(CONFIG)


def entrypoint(**policy) -> AuthRpc:
    ext = AuthRpc(**policy)
    ext.method_name = "m"
    return ext


WORKER = Caller(principal=Principal("wang", "social_worker", ("station:st-1",)))
AUDITOR = Caller(principal=Principal("li", "auditor", ("station:st-1",)))
SERVICE = Caller(service="casework")


@pytest.mark.parametrize("policy,caller,admitted", [
    ({}, WORKER, True), ({}, SERVICE, True),
    ({"users": False}, SERVICE, True), ({"users": False}, WORKER, False),
    ({"action": "cases.write", "services": False}, WORKER, True),
    ({"action": "cases.write", "services": False}, AUDITOR, False),
    ({"action": "cases.write", "services": False}, SERVICE, False),
    ({"action": "residents.read"}, AUDITOR, True), ({"action": "residents.read"}, SERVICE, True),
])
def test_an_entrypoint_admits_the_callers_its_policy_names(policy, caller, admitted):
    if admitted:
        assert entrypoint(**policy).admit(caller) is caller
    else:
        with pytest.raises(Forbidden):
            entrypoint(**policy).admit(caller)
