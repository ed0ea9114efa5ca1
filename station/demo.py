"""A demo station for `station up`: users and a small, fictional caseload at Xihu Road.

Everything goes through the public HTTP API with real tokens, so every figure the demo
shows afterwards is computed from the events those calls recorded; nothing is typed in.
The people are invented: names from a fixed list, ID numbers generated with a valid
GB 11643 check digit in Nanming district's area code, phones in a reserved-looking range.
Runs once per data directory (it does nothing if the station already has residents).
"""
from __future__ import annotations

import http.client
import json
import random
import secrets
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

STATION = "xihulu-station"
COMMUNITIES = ("nanmingtang", "guanfengtai", "xihulu", "suoshixiang", "guanjinglu",
               "shengshihuacheng", "dongshengxiang")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("秀英", "桂兰", "建国", "玉珍", "淑芬", "德明", "志强", "丽华", "国华", "凤英",
         "文博", "子涵", "梓萱", "浩然", "雨桐", "家豪", "欣怡", "明轩", "春梅", "长青")
USERS = (
    ("demo-worker", "social_worker", ["station:xihulu-station"]),
    ("demo-supervisor", "supervisor", ["station:xihulu-station"]),
    ("demo-head", "station_head", ["station:xihulu-station"]),
    ("demo-street", "street_leader", ["street:xihulu"]),
    ("demo-district", "district_admin", ["district:nanming"]),
    ("demo-auditor", "auditor", ["district:nanming"]),
)
# (domain, categories, card the answers should give, age): a mix of Red, Blue and Green
PROFILES = (
    ("elderly", ["living_alone"], "red", 84),
    ("elderly", ["empty_nest"], "blue", 76),
    ("elderly", ["living_alone", "low_income"], "green", 71),
    ("assistance", ["low_income"], "blue", 58),
    ("assistance", ["extreme_poverty", "disabled"], "red", 63),
    ("child", ["left_behind_child"], "blue", 9),
    ("elderly", ["empty_nest"], "green", 68),
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, serial: int, male: bool) -> str:
    """An 18-character resident ID with the GB 11643 check character."""
    seq = serial * 2 + (1 if male else 0)
    body = f"520102{birth:%Y%m%d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS))
    return body + "10X98765432"[total % 11]


class Interrupted(Exception):
    """Ctrl-C while the demo is being seeded: `station up` stops at once, not after it."""


class Api:
    """A tiny JSON client for the station's own HTTP edge.

    `stopping` (a threading.Event): once set, every further call raises Interrupted, so
    seeding (and its waits for events to arrive) ends at the next request."""

    def __init__(self, port: int, token: str | None = None, stopping=None):
        self.port, self.token, self.stopping = port, token, stopping

    def call(self, method: str, path: str, body=None, reason: str | None = None):
        if self.stopping is not None and self.stopping.is_set():
            raise Interrupted()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if reason:
            headers["X-Access-Reason"] = reason
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        response = conn.getresponse()
        data = json.loads(response.read() or b"null")
        conn.close()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status}: {data}")
        return data

    def call_when_known(self, method: str, path: str, body=None, wait_s: float = 30.0):
        """Like call, but a 404 is retried for a while: casework learns of a resident from
        the residents service's events, a moment after the registration."""
        import time
        deadline = time.monotonic() + wait_s
        while True:
            try:
                return self.call(method, path, body)
            except RuntimeError as exc:
                if "-> 404" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def as_user(self, username: str, password: str) -> "Api":
        token = self.call("POST", "/api/v1/auth/token",
                          {"username": username, "password": password})["access_token"]
        return Api(self.port, token, self.stopping)


def answers_for(rubric: dict, card: str) -> dict:
    """Answers whose score lands the rubric on `card` (red, blue or green).

    Starts from the lowest-scoring option of every question and raises one question
    at a time until the score reaches the card's band, avoiding options that force a
    card of their own (min_card) unless Red is wanted.
    """
    chosen = {q["id"]: min(q["options"], key=lambda o: o["points"]) for q in rubric["questions"]}
    weight = {q["id"]: q["weight"] for q in rubric["questions"]}
    score = lambda: sum(weight[k] * o["points"] for k, o in chosen.items())  # noqa: E731
    floor = {"green": 0, "blue": rubric["blue_at"], "red": rubric["red_at"]}[card]
    ceiling = {"green": rubric["blue_at"], "blue": rubric["red_at"], "red": 10**9}[card]
    for question in sorted(rubric["questions"], key=lambda q: -q["weight"]):
        for option in sorted(question["options"], key=lambda o: o["points"]):
            if score() >= floor:
                break
            if option.get("min_card") and card != "red":
                continue
            before = chosen[question["id"]]
            chosen[question["id"]] = option
            if score() >= ceiling:
                chosen[question["id"]] = before
    return {k: o["value"] for k, o in chosen.items()}


def create_users(config: dict, data_dir: str) -> dict[str, str]:
    """Demo accounts with fresh random passwords, written to DATA_DIR/demo-logins.json."""
    from shared.security import users
    store = users.open_users(config)
    logins_file = Path(data_dir) / "demo-logins.json"
    if logins_file.exists():
        return json.loads(logins_file.read_text())
    logins = {}
    for username, role, scopes in USERS:
        password = secrets.token_urlsafe(9)
        try:
            store.add(username, password, role, scopes)
        except users.UserExists:
            continue
        logins[username] = password
    logins_file.write_text(json.dumps(logins, ensure_ascii=False, indent=1))
    logins_file.chmod(0o600)
    return logins


def seed(port: int, logins: dict[str, str], say: Callable[[str], None], seed_value: int = 7,
         stopping=None) -> dict:
    edge = Api(port, stopping=stopping)
    worker = edge.as_user("demo-worker", logins["demo-worker"])
    if worker.call("GET", f"/api/v1/residents?station_id={STATION}&page_size=1")["total"]:
        say("  demo station already has residents: nothing added")
        return {}
    rubrics = {r["domain"]: r for r in worker.call("GET", "/api/v1/rubrics")["items"]}
    rnd = random.Random(seed_value)
    today = datetime.now(timezone(timedelta(hours=8))).date()
    residents = []
    for i in range(21):
        domain, categories, profile, age = PROFILES[i % len(PROFILES)]
        male = rnd.random() < 0.45
        birth = date(today.year - age, rnd.randint(1, 12), rnd.randint(1, 28))
        community = COMMUNITIES[i % len(COMMUNITIES)]
        body = {"station_id": STATION, "community_id": community,
                "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN),
                "gender": "male" if male else "female", "birth_date": birth.isoformat(),
                "id_number": id_number(birth, 100 + i, male),
                "phone": f"1390851{rnd.randint(0, 9999):04d}",
                "address": f"{community} {rnd.randint(1, 40)}号", "categories": categories}
        resident_id = worker.call("POST", "/api/v1/residents", body)["id"]
        assessed = worker.call("POST", f"/api/v1/residents/{resident_id}/assessments",
                               {"domain": domain, "answers": answers_for(rubrics[domain], profile)})
        residents.append((resident_id, assessed["resident_card"]))
        say(f"  registered and graded {i + 1}/21")
    visited = 0
    for resident_id, card in residents:
        if card in ("red", "blue"):
            worker.call_when_known("POST", "/api/v1/visits", {
                "resident_id": resident_id, "method": "home" if card == "red" else "consolation",
                "visited_at": datetime.now(timezone(timedelta(hours=8))).isoformat(),
                "notes": "demo visit"})
            visited += 1
    red = next((r for r, card in residents if card == "red"), None)
    if red:
        worker.call_when_known("POST", "/api/v1/cases", {"resident_id": red, "domain": "elderly",
                                              "problem": "Lives alone after a fall / 跌倒后独居"})
    say(f"  {visited} visits recorded, 1 case opened")
    return {"residents": len(residents)}


def summary(port: int, logins: dict[str, str], wait_s: float = 30.0, stopping=None) -> str:
    """What the station's events say now, as the street leader would ask for it."""
    import time
    worker = Api(port, stopping=stopping).as_user("demo-worker", logins["demo-worker"])
    cards = {card: worker.call("GET", f"/api/v1/residents?station_id={STATION}&card={card}"
                                      "&page_size=1")["total"]
             for card in ("red", "blue", "green")}
    deadline = time.monotonic() + wait_s  # follow-ups arrive by events: give them a moment
    while True:
        followups = worker.call("GET", f"/api/v1/followups?station_id={STATION}&page_size=1")["total"]
        if followups >= sum(cards.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    bar = lambda n: "█" * n  # noqa: E731
    return ("demo station 西湖路街道社工站 (computed from its events):\n"
            f"  红卡 red   {cards['red']:>3} {bar(cards['red'])}\n"
            f"  蓝卡 blue  {cards['blue']:>3} {bar(cards['blue'])}\n"
            f"  绿卡 green {cards['green']:>3} {bar(cards['green'])}\n"
            f"  follow-ups scheduled by casework from card events / 跟进任务: {followups}")
