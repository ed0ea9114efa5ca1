"""Must show (issue 9): RPC carries identity that can't be forged.

Every `@rpc` entrypoint of every service class (found in services/*/service.py, not
listed here) is called over the real broker with no credential, a forged person's
token, a forged service credential and a genuine token of another station: each is
refused and nothing is written (every store's last position stays). An entrypoint
without a case in CASES fails, so a new one cannot slip by. The issue's reproductions
follow, each a test. Services run once for the module (PostgreSQL, own vhost).
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import time
from typing import Callable

import jwt
import pytest
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc
from nameko.standalone.rpc import ClusterRpcProxy

import services
from shared.base_service import EventSourcedService
from shared.kit.rpc import CREDENTIAL, AuthRpc, service_token
from tests.conftest import RunningServices
from tests.integration.test_access_control_residents import (  # noqa: F401 (fixtures)
    module_database, module_env, module_vhost)
from tests.integration.test_residents_http import REGISTRATION, answers
from tests.support.auth import (TEST_JWT_KEYS, TEST_SERVICE_KEY, call, person_rpc,
                                service_rpc, signed_token)
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

A = "xihulu-station"


# -- discovery ------------------------------------------------------------------------

def service_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"services.{info.name}.service")
        found += [v for v in vars(module).values()
                  if isinstance(v, type) and issubclass(v, EventSourcedService)
                  and v.__module__ == module.__name__ and "name" in v.__dict__]
    return found


def rpc_entrypoints() -> list[tuple[str, str, Rpc]]:
    return sorted(((cls.name, attr, ext) for cls in service_classes() for attr in dir(cls)
                   for ext in getattr(getattr(cls, attr), ENTRYPOINT_EXTENSIONS_ATTR, ())
                   if isinstance(ext, Rpc)), key=lambda e: e[:2])


ENTRYPOINTS = rpc_entrypoints()
SERVICES = sorted({name for name, _, _ in ENTRYPOINTS})


# -- what each entrypoint is called with ---------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """`args(world)`: a call that would succeed for the right caller. `kind`:
    maintenance (a service credential only), station (a person of the station, or a
    service), person (a person of the station only: writes), open (any verified
    caller: nothing of a resident in it)."""
    args: Callable[["World"], tuple]
    kind: str
    names_something: bool = True   # False: the args name nothing (NotFound/None is right)


def _store(kind: str) -> dict[str, Case]:
    return {"read_all": Case(lambda w: (0, 10), kind), "read_stream": Case(
        lambda w: (f"resident-{w.resident}", 0), kind),
        "store_id": Case(lambda w: (), kind), "last_position": Case(lambda w: (), kind),
        "head_position": Case(lambda w: (), kind)}


OPEN = Case(lambda w: (), "open")
NO_TREE = {"districts": []}   # residents.org() for a caller whose scope covers no station
VISIT = {"method": "phone", "visited_at": "2026-01-05T10:00:00+08:00"}
CASES: dict[str, Case] = {
    **{f"{s}.ping": OPEN for s in SERVICES},
    **{f"{s}.{m}": c for s in SERVICES for m, c in _store("maintenance").items()},
    "residents.get_resident_record": Case(lambda w: (w.resident, "核查"), "station"),
    "residents.find_residents": Case(lambda w: ({"station_id": A}, 1, 500), "station"),
    "residents.org": Case(lambda w: (), "station"),   # the caller's scope, as GET /org
    "residents.station_of_community": Case(lambda w: ("nanmingtang",), "station"),
    "casework.check_overdue": Case(lambda w: (), "maintenance"),
    "casework.open_case": Case(lambda w: ({"resident_id": w.resident, "domain": "assistance",
                                           "problem": "forged"},), "person"),
    "casework.get_case": Case(lambda w: (w.case,), "station"),
    "casework.close_case": Case(lambda w: (w.case, {"outcome": "goals_met"}), "person"),
    "casework.record_visit": Case(lambda w: ({"resident_id": w.resident, **VISIT},), "person"),
    "casework.make_referral": Case(lambda w: (w.case, {
        "agency": "civil_affairs", "reason": "forged", "due_date": "2030-01-01"}), "person"),
    "casework.followups": Case(lambda w: ({"station_id": A},), "station"),
    "activities.counts": Case(lambda w: ([A],), "maintenance"),
    "activities.volunteer_hours": Case(lambda w: ([A], None, "volunteer"), "maintenance"),
    "activities.attended_by": Case(lambda w: (w.resident,), "maintenance"),
    "activities.get_activity": Case(lambda w: ("no-such-activity",), "maintenance", False),
    "activities.get_organization": Case(lambda w: ("no-such-org",), "maintenance", False),
    "resources.expire_wishes": Case(lambda w: (), "maintenance"),
    "resources.totals": Case(lambda w: ({"station_id": A},), "maintenance"),
    "resources.stock": Case(lambda w: ({"station_id": A},), "maintenance"),
    "resources.wish": Case(lambda w: ("no-such-wish",), "maintenance", False),
    "resources.resource_map": Case(lambda w: (A,), "maintenance"),
    "reporting.positions": Case(lambda w: (), "maintenance"),
}


# -- the running services ---------------------------------------------------------------

@dataclasses.dataclass
class World:
    env: dict
    resident: str
    case: str

    @property
    def amqp_uri(self) -> str:
        return self.env["AMQP_URI"]

    def positions(self) -> dict[str, int]:
        """Each store's committed head: every event committed so far, numbered. Not
        `last_position`, which lags the sequencer: on PostgreSQL under load the fixture's
        own follow-ups were still unnumbered when a test began (CI, 2026-12-02)."""
        with service_rpc(self.amqp_uri) as rpc:
            return {s: getattr(rpc, s).head_position() for s in SERVICES}


WORKER_A = signed_token("worker-a", "social_worker", f"station:{A}")
HEAD_ELSEWHERE = signed_token("head-b", "station_head", "station:elsewhere-station")


@pytest.fixture(scope="module")
def world(module_vhost, module_database, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("rpc-identity")
    env = module_env(module_vhost, module_database, str(data_dir))
    running = RunningServices(env, str(data_dir)).start(*SERVICES)
    try:
        residents, casework = running.url("residents"), running.url("casework") + "/api/v1"
        status, body = call(residents, "POST", "/api/v1/residents", REGISTRATION, WORKER_A)
        assert status == 201, body
        resident = body["id"]
        assert call(residents, "POST", f"/api/v1/residents/{resident}/assessments",
                    {"domain": "elderly", "answers": answers("elderly", "red")},
                    WORKER_A)[0] == 201
        wait_until(lambda: call(casework, "GET", f"/followups?resident_id={resident}",
                                token=WORKER_A)[1].get("total") == 1,
                   timeout=90, what="casework scheduled the Red card's follow-up")
        status, opened = call(casework, "POST", "/cases", {
            "resident_id": resident, "domain": "elderly", "problem": "独居，需每周探访"}, WORKER_A)
        assert status == 201, opened
        yield World(env, resident, opened["id"])
    finally:
        running.stop()


# -- credentials -------------------------------------------------------------------------

def forged_person() -> str:
    """A token naming station A's worker, signed with a key the services do not have."""
    return jwt.encode({"sub": "worker-a", "role": "social_worker", "scopes": [f"station:{A}"],
                       "iat": int(time.time()), "exp": int(time.time()) + 600},
                      "not-the-key-0123456789-0123456789", algorithm="HS256",
                      headers={"kid": TEST_JWT_KEYS.split(":")[0]})


def genuine_service() -> str:
    return f"Service {service_token({'STATION_SERVICE_KEY': TEST_SERVICE_KEY}, 'tests')}"


def forged_service() -> str:
    return jwt.encode({"svc": "casework", "iat": int(time.time()), "exp": int(time.time()) + 60},
                      "not-the-service-key-0123456789-0123456789", algorithm="HS256",
                      headers={"kid": "service"})


def proxy(amqp_uri: str, sent: str | None) -> ClusterRpcProxy:
    data = {CREDENTIAL: sent} if sent is not None else {}
    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=20, context_data=data)


def refusal(amqp_uri: str, sent: str | None, service: str, method: str, args: tuple):
    """The exception type the call was answered with, or its result if it was not."""
    with proxy(amqp_uri, sent) as rpc:
        try:
            return getattr(getattr(rpc, service), method)(*args)
        except RemoteError as exc:
            return exc.exc_type
        except IncorrectSignature:   # nameko raises it as itself, not as a RemoteError
            return "IncorrectSignature"


# -- the test over every entrypoint --------------------------------------------------

def test_every_rpc_entrypoint_checks_its_caller_by_construction():
    plain = [f"{s}.{m}" for s, m, ext in ENTRYPOINTS if not isinstance(ext, AuthRpc)]
    assert plain == [], "use shared.kit.rpc.rpc, never nameko's rpc"
    assert {"residents", "casework"} <= set(SERVICES) and len(ENTRYPOINTS) >= 20


@pytest.mark.parametrize("service,method,ext", ENTRYPOINTS,
                         ids=[f"{s}.{m}" for s, m, _ in ENTRYPOINTS])
def test_an_rpc_without_a_good_credential_is_refused_and_writes_nothing(world, service, method,
                                                                        ext):
    case = CASES.get(f"{service}.{method}")
    assert case is not None, f"no case for {service}.{method}: add it to CASES"
    args = case.args(world)
    before = world.positions()
    for sent in (None, "", "Bearer", "Basic d29ya2VyLWE6eA==", f"Bearer {forged_person()}",
                 f"Service {forged_service()}", f"Service {WORKER_A}",
                 f"Bearer {signed_token('worker-a', 'social_worker', f'station:{A}', ttl=-120)}"):
        got = refusal(world.amqp_uri, sent, service, method, args)
        assert got == "Unauthorized", (sent, got)
    elsewhere = refusal(world.amqp_uri, f"Bearer {HEAD_ELSEWHERE}", service, method, args)
    if case.kind == "maintenance":
        assert elsewhere == "Forbidden"
    elif case.kind in ("station", "person"):
        assert elsewhere in ("NotFound", None, NO_TREE), elsewhere   # as if unknown, as over HTTP
    else:   # open: the same answer as station A's own worker gets, nothing of a resident
        with person_rpc(world.amqp_uri, WORKER_A) as rpc:
            assert elsewhere == getattr(getattr(rpc, service), method)(*args)
    if case.kind == "person":
        with service_rpc(world.amqp_uri) as rpc:   # a service cannot act for a person
            with pytest.raises(RemoteError) as refused:
                getattr(getattr(rpc, service), method)(*args)
            assert refused.value.exc_type == "Forbidden"
    assert world.positions() == before


@pytest.mark.parametrize("service,method,ext", ENTRYPOINTS,
                         ids=[f"{s}.{m}" for s, m, _ in ENTRYPOINTS])
def test_the_right_caller_gets_an_answer(world, service, method, ext):
    """The refusals above are not of a broken call: the same arguments, sent by the
    caller the entrypoint takes, reach the method (an answer, or the domain's own
    refusal: the writes here share one case, so a step may be out of order)."""
    case = CASES[f"{service}.{method}"]
    sent = (genuine_service() if case.kind == "maintenance" else f"Bearer {WORKER_A}")
    got = refusal(world.amqp_uri, sent, service, method, case.args(world))
    refused = ("Unauthorized", "Forbidden", "IncorrectSignature")
    assert got not in refused + (("NotFound", None) if case.names_something else ()), got


# -- the reproductions ----------------------------------------------------------

def test_a_caller_dict_naming_anyone_no_longer_reads_a_record(world):
    attacker = {"sub": "attacker", "role": "social_worker", "scopes": [f"station:{A}"]}
    before = world.positions()
    assert refusal(world.amqp_uri, None, "residents", "get_resident_record",
                   (world.resident, attacker, "x")) == "Unauthorized"
    service = genuine_service()
    assert refusal(world.amqp_uri, service, "residents", "get_resident_record",  # no one can
                   (world.resident, attacker, "x")) == "IncorrectSignature"   # name a person
    assert world.positions() == before          # no access-trail entry for "attacker"


def test_find_residents_shows_only_the_callers_stations(world):
    assert refusal(world.amqp_uri, None, "residents", "find_residents",
                   ({}, 1, 500)) == "Unauthorized"
    with person_rpc(world.amqp_uri, HEAD_ELSEWHERE) as rpc:
        assert rpc.residents.find_residents({}, 1, 500)["total"] == 0
    with person_rpc(world.amqp_uri, WORKER_A) as rpc:
        page = rpc.residents.find_residents({}, 1, 500)
        assert [r["id"] for r in page["items"]] == [world.resident]


def test_open_case_takes_its_actor_from_the_token_not_the_arguments(world):
    data = {"resident_id": world.resident, "domain": "assistance", "problem": "forged"}
    before = world.positions()
    assert refusal(world.amqp_uri, None, "casework", "open_case",
                   (data, "nobody", "auditor")) == "Unauthorized"
    auditor = signed_token("audit-a", "auditor", f"station:{A}")
    assert refusal(world.amqp_uri, f"Bearer {auditor}", "casework", "open_case",
                   (data,)) == "Forbidden"
    with service_rpc(world.amqp_uri) as rpc:
        with pytest.raises(RemoteError) as refused:
            rpc.casework.open_case(data)
        assert refused.value.exc_type == "Forbidden"
    assert world.positions() == before


def test_no_caller_chooses_the_time_of_the_overdue_check(world):
    before = world.positions()
    service = genuine_service()
    assert refusal(world.amqp_uri, service, "casework", "check_overdue",   # takes no time
                   ("2030-01-01T00:00:00+00:00",)) in ("IncorrectSignature", "TypeError")
    with service_rpc(world.amqp_uri) as rpc:
        assert rpc.casework.check_overdue()["flagged"] == []   # the Red follow-up is not due
    assert refusal(world.amqp_uri, f"Bearer {WORKER_A}", "casework", "check_overdue",
                   ()) == "Forbidden"
    assert world.positions() == before
