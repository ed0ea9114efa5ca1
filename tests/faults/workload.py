"""The driver: a mixed workload sent through the HTTP API, every command's answer written
down.

One unit of work is one resident's path through the station: registered, assessed (a
card), a case opened, a visit on it, an activity held with the resident attending, a cash
donation and a part of it allocated to the resident. Several threads run units at once
until told to stop. Each command ends as one outcome:

- `accepted`: answered 2xx (its id kept: it must be reflected exactly once);
- `refused`: answered 4xx (nothing may have been written);
- `unsent`: the connection was refused (nothing reached the service);
- `ambiguous`: 5xx, a cut connection or a timeout (written whole or not at all).

A request naming the resident in another service than residents is sent again while it is
answered 404/400 (that service has not learnt of the resident yet; a refusal writes
nothing) or cannot connect (the service is down), for a bounded time. Nothing that may have
been written is ever sent twice: the driver's tally stays exact.
"""
from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from services.reporting import periods
from tests.integration.test_residents_http import answers, valid_id

CARDS = ("red", "blue", "green")
GRADED = ("red", "green")    # the cards an all-highest or all-lowest rubric gives


@dataclass
class Sent:
    """One command and how it ended."""
    kind: str
    outcome: str
    status: int
    subject: str | None           # the id answered (None unless accepted)
    match: dict                   # payload fields that find its event in the source store
    tally: dict = field(default_factory=dict)   # what it adds to the station's figures
    sent_at: float = 0.0          # time.monotonic() when first sent, and when it ended
    ended_at: float = 0.0


def send(base: str, path: str, body: dict, token: str, timeout: float = 30) -> tuple[str, int, dict]:
    """POST one JSON command: (outcome, status, answer)."""
    request = urllib.request.Request(
        base + "/api/v1" + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return "accepted", response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            answer = json.loads(err.read() or b"{}")
        except ValueError:
            answer = {}
        return ("refused" if err.code < 500 else "ambiguous"), err.code, answer
    except urllib.error.URLError as err:
        if isinstance(err.reason, ConnectionRefusedError):
            return "unsent", 0, {}
        return "ambiguous", 0, {}
    except (http.client.HTTPException, socket.timeout, ConnectionError, TimeoutError):
        return "ambiguous", 0, {}


class Driver:
    """Units of work at one station from `threads` threads, until `stop()`."""

    def __init__(self, urls: dict[str, str], station: str, community: str, token: str,
                 threads: int = 3, know_timeout: float = 150.0, label: str = "x",
                 born: int = 0, refused_timeout: float = 10.0):
        self.urls, self.station, self.community, self.token = urls, station, community, token
        # A birth day of the driver's own: ID numbers never repeat across drivers.
        self.born = (date(1950, 1, 1) + timedelta(days=born)).strftime("%Y%m%d")
        self.threads, self.know_timeout, self.label = threads, know_timeout, label
        # A 404/400 naming the resident is sent again this long: the services wait for
        # the events committed before a request (issue 20 item 1), so a refusal that
        # lasts is genuine (a resident the restore took away) and the unit ends there.
        self.refused_timeout = refused_timeout
        self.sent: list[Sent] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.day = datetime.now(periods.LOCAL).date() - timedelta(days=1)

    # -- running ------------------------------------------------------------------------

    def start(self) -> "Driver":
        for _ in range(self.threads):
            worker = threading.Thread(target=self._loop, daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> None:
        """Send no further step; the commands under way end (their waiting is bounded)."""
        self._stopping.set()
        for worker in self._workers:
            worker.join(timeout=self.know_timeout * 8 + 300)
        if self.errors:
            raise self.errors[0]

    def run_units(self, count: int) -> None:
        """`count` units, one after the other, in this thread (a calm warm-up or a tail)."""
        for _ in range(count):
            self.unit(next(self._numbers))

    def _loop(self) -> None:
        try:
            while not self._stopping.is_set():
                self.unit(next(self._numbers))
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.errors.append(exc)

    def wait_sent(self, count: int, timeout: float = 300) -> None:
        """Until at least `count` commands have ended (the fault comes mid-load)."""
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline and not self.errors:
            time.sleep(0.1)

    # -- one unit -----------------------------------------------------------------------

    def unit(self, n: int) -> None:
        card = GRADED[n % 2]
        rid = self._command("resident", "residents", "/residents", {
            "station_id": self.station, "community_id": self.community, "name": "压测居民",
            "gender": "female",
            "birth_date": f"{self.born[:4]}-{self.born[4:6]}-{self.born[6:]}",
            "id_number": valid_id(self.born, f"{(n * 2) % 1000:03d}"),
            "categories": ["living_alone"]}, match={})
        if rid is None:
            return
        if self._command("card", "residents", f"/residents/{rid}/assessments",
                         {"domain": "elderly", "answers": answers("elderly", card)},
                         match={"resident_id": rid}, subject=rid,
                         tally={"cards": card}) is None:
            return
        case = self._command("case", "casework", "/cases", {
            "resident_id": rid, "domain": "elderly", "problem": "独居"},
            match={"resident_id": rid}, tally={"cases_open": 1}, naming=True)
        if case is None:
            return
        at = f"{self.day.isoformat()}T09:{n % 60:02d}:00+08:00"
        if self._command("visit", "casework", "/visits", {
                "resident_id": rid, "case_id": case, "method": "home", "visited_at": at},
                match={"resident_id": rid}, tally={"visits": 1}, naming=True) is None:
            return
        title = f"活动 {self.label}-{n}"
        activity = self._command("activity", "activities", "/activities", {
            "station_id": self.station, "community_id": self.community, "area": "elderly",
            "title": title, "held_at": f"{self.day.isoformat()}T15:00:00+08:00"},
            match={"title": title}, naming=True)
        if activity is None:
            return
        headcount = n % 4
        if self._command("attendance", "activities", f"/activities/{activity}/attendance",
                         {"resident_ids": [rid], "headcount": headcount},
                         match={"activity_id": activity}, subject=activity,
                         tally={"activities": 1, "person_times": 1 + headcount},
                         naming=True) is None:
            return
        value = f"{100 + n}.{n % 100:02d}"        # unique: finds an unanswered donation
        donated = self._command("donation", "resources", "/donations", {
            "station_id": self.station, "partner_id": self.partner(), "kind": "cash",
            "value": value}, match={"value": value}, tally={"resources_rmb": Decimal(value)},
            naming=True, keep="stock_id")
        if donated is None:
            return
        amount = f"{n}.{(n * 7) % 100:02d}"
        self._command("allocation", "resources", "/allocations", {
            "stock_id": donated, "target_type": "resident", "target_id": rid,
            "amount": amount}, match={"target_id": rid}, naming=True)

    _partner: str | None = None

    def partner(self) -> str:
        """The station's one partner, registered before the load (see `prepare`)."""
        assert self._partner, "prepare() first"
        return self._partner

    def prepare(self) -> None:
        """The partner the donations name: before the load, not a counted command."""
        deadline = time.monotonic() + self.know_timeout
        while True:
            outcome, status, answer = send(self.urls["resources"], "/partners", {
                "station_id": self.station, "name": f"爱心企业 {self.label}",
                "type": "business"}, self.token)
            if outcome == "accepted":
                self._partner = answer["id"]
                return
            assert time.monotonic() < deadline, (status, answer)
            time.sleep(0.5)

    def _command(self, kind: str, service: str, path: str, body: dict, match: dict,
                 tally: dict | None = None, subject: str | None = None, naming: bool = False,
                 keep: str = "id") -> str | None:
        """Send one command (again only while nothing can have been written); record it;
        the answer's `keep` field when accepted, else None (the unit stops there)."""
        if self._stopping.is_set():
            return None          # stopped between two steps: not sent, not recorded
        sent_at = time.monotonic()
        deadline, refused_until = sent_at + self.know_timeout, sent_at + self.refused_timeout
        while True:
            outcome, status, answer = send(self.urls[service], path, body, self.token)
            now = time.monotonic()
            retry = (outcome == "unsent" and now < deadline) or \
                (naming and status in (400, 404) and now < min(deadline, refused_until))
            if not retry:
                break
            time.sleep(0.3)
        answered = answer.get("id") if outcome == "accepted" else None
        record = Sent(kind, outcome, status, subject or answered, match, tally or {},
                      sent_at, time.monotonic())
        with self._lock:
            self.sent.append(record)
        if outcome != "accepted":
            return None
        return answer.get(keep) or subject
