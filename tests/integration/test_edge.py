"""The HTTP edge in front of a real residents service: stalled clients hold up no one,
lengths are checked before a byte of the body is read, malformed ones are a 400, and
every answer carries the API's error shape and security headers."""
from __future__ import annotations

import json
import time

import pytest

from shared import web
from station import router
from tests.support.auth import People, call
from tests.conftest import free_port
from tests.support.edge import EdgeProcess, read_all, split_response

pytestmark = pytest.mark.integration

STATION = "station:xihulu-station"
HEAD = b"Host: edge\r\nContent-Type: application/json\r\n"


@pytest.fixture
def edge(services, service_env):
    services.start("residents")
    people = People(service_env)
    running = EdgeProcess({"residents": services.ports["residents"]},
                          header_timeout=2, body_timeout=15)
    running.people = people
    yield running
    running.stop()
    people.close()


@pytest.fixture(scope="module")
def bare_edge():
    """The edge alone (nothing listens behind it): what it refuses never reaches a service."""
    running = EdgeProcess({"residents": free_port()}, header_timeout=2, body_timeout=2)
    yield running
    running.stop()


def error_of(raw: bytes) -> tuple[int, dict, dict]:
    status, headers, body = split_response(raw)
    return status, headers, json.loads(body)["error"]


def test_twelve_stalled_log_ins_do_not_hold_up_another_client(edge):
    token = edge.people.token(edge.url, "head-a", "station_head", STATION)
    stalled = [edge.connect(b"POST /api/v1/auth/token HTTP/1.1\r\n" + HEAD +
                            b"Content-Length: 1000\r\n\r\n" + b'{"username": "x"')
               for _ in range(12)]
    time.sleep(0.3)                     # let all twelve reach the edge and stall there

    started = time.monotonic()
    status, body = call(edge.url, "GET", "/api/v1/residents", token=token)
    elapsed = time.monotonic() - started
    assert status == 200, body
    print(f"GET /api/v1/residents behind 12 stalled log-ins: {elapsed:.3f} s")
    assert elapsed < 1.0, f"GET /api/v1/residents took {elapsed:.2f} s behind stalled clients"
    status, _ = call(edge.url, "POST", "/api/v1/auth/token",       # the token endpoint too,
                     {"username": "head-a", "password": "wrong"})  # while the twelve still wait
    assert status == 401
    for sock in stalled:
        sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            sock.recv(1)                # not answered yet: they were still stalled meanwhile
        sock.setblocking(True)
        sock.settimeout(30)

    for sock in stalled:                # each stalled body gets its 408 and is closed
        status, _, error = error_of(read_all(sock))
        assert status == 408 and error["code"] == "timeout" and error["message_zh"]

    status, headers, _ = split_response(edge.raw(          # a service's answer, forwarded
        b"GET /api/v1/residents HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n\r\n"))
    assert status == 200
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_headers_that_never_finish_are_cut_off(bare_edge):
    started = time.monotonic()
    answer = bare_edge.raw(b"GET /api/v1/residents HTTP/1.1\r\nHost: edge\r\nX-Slow: 1", timeout=15)
    assert answer == b"" and time.monotonic() - started < 8   # closed after ~2 s


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1e3", b"12 34"])
def test_a_malformed_content_length_is_a_400_in_both_languages(bare_edge, length):
    status, headers, error = error_of(bare_edge.raw(
        b"POST /api/v1/auth/token HTTP/1.1\r\n" + HEAD + b"Content-Length: " + length +
        b"\r\n\r\n{}", timeout=10))
    assert status == 400
    assert error["code"] == "bad_request" and "Content-Length" in error["message"]
    assert "请求格式错误" in error["message_zh"]
    assert headers["x-content-type-options"] == "nosniff"


def test_a_100_mb_body_is_refused_from_its_length_before_it_is_sent(bare_edge):
    sock = bare_edge.connect(b"POST /api/v1/auth/token HTTP/1.1\r\n" + HEAD +
                        b"Content-Length: 100000000\r\n\r\n")   # headers only: no body sent
    sock.settimeout(10)
    started = time.monotonic()
    status, headers, error = error_of(read_all(sock))
    assert status == 413 and error["code"] == "too_large" and error["message_zh"]
    assert time.monotonic() - started < 2.0 and headers["connection"] == "close"


def test_a_chunked_body_past_the_limit_is_refused_as_it_passes_it(bare_edge):
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(20))  # 1.3 MB
    status, _, error = error_of(bare_edge.raw(
        b"POST /api/v1/auth/token HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
        + chunks + b"0\r\n\r\n", timeout=10))
    assert status == 413 and error["code"] == "too_large"


def test_the_edge_and_the_services_share_one_body_limit():
    assert router.MAX_BODY == web.MAX_BODY


def test_a_roster_file_too_large_is_refused_with_what_to_do_about_it(bare_edge):
    """Issue 22: the import's 413 says to split the file (or use the command line)."""
    sock = bare_edge.connect(b"POST /api/v1/imports/residents?station_id=x HTTP/1.1\r\n"
                             b"Host: edge\r\nContent-Type: text/csv\r\n"
                             b"Content-Length: 5000000\r\n\r\n")
    sock.settimeout(10)
    status, _, error = error_of(read_all(sock))
    assert status == 413 and error["code"] == "too_large"
    assert "split" in error["message"] and "拆分" in error["message_zh"]
    assert router.IMPORT_MAX_BODY == web.IMPORT_MAX_BODY


def test_the_edge_names_no_versions_and_its_public_health_no_process_details(edge):
    """issue 20, items 6 and 7: no `Server: Python/… aiohttp/…`; /api/v1/health gives each
    check's status, the relay's pid and restarts only to an ops-scoped caller."""
    import urllib.error
    import urllib.request
    try:   # 200 when ready, 503 (with each service's checks) while not
        with urllib.request.urlopen(edge.url + "/api/v1/health", timeout=30) as response:
            server, public = response.headers["Server"], json.loads(response.read())
    except urllib.error.HTTPError as err:
        server, public = err.headers["Server"], json.loads(err.read())
    assert server == router.SERVER and "Python" not in server and "aiohttp" not in server
    assert call(edge.url, "GET", "/api/v1/residents")[0] == 401
    relay = public["checks"]["residents"]["relay"] if "checks" in public else None
    text = json.dumps(public)
    assert '"pid"' not in text and '"restarts"' not in text and "last_error" not in text
    assert relay is None or set(relay) <= {"ok", "alive", "lag"}
    ops = edge.people.token(edge.url, "ops-1", "district_admin", "district:nanming")
    _, detailed = call(edge.url, "GET", "/api/v1/residents/health", token=ops)
    assert {"pid", "restarts", "last_error"} <= set(detailed["checks"]["relay"])
    _, public_one = call(edge.url, "GET", "/api/v1/residents/health")
    assert set(public_one["checks"]["relay"]) <= {"ok", "alive", "lag"}
