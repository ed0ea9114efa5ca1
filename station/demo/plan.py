"""The demo's history as a list of API calls, generated from a seed: pure, no I/O.

`plan(seed, scale, today, rubrics)` gives the same steps for the same arguments, so a
loader stopped half-way resumes at the step it had reached, and `--random-seed N` shows
the same district twice. Each step is one HTTP request by one demo account; a value
that an earlier step's answer provides (a resident's id, a case's approval request) is
a `Ref` to that step. Steps are grouped in lanes: the district's (the organisation tree)
first, then one lane per station, which do not depend on each other.

The history spans the year up to `today`: visits, activities, attendance, members,
donations and chain records carry their own dates in that year. Registrations, card
changes and case steps are dated when they are sent (the API records them as now).
"""
from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from station.demo import district as d
from station.demo.people import answers_for, id_number

YEAR_DAYS = 364
APPROVE = "/api/v1/cases/{}/approvals/{}/approve"


@dataclasses.dataclass(frozen=True)
class Ref:
    """The field `field` of the answer to the step `key`."""

    key: str
    field: str = "id"


@dataclasses.dataclass(frozen=True)
class Step:
    key: str
    lane: str
    phase: str
    user: str
    method: str
    path: str                   # each "{}" is filled with a value of `path_refs`
    body: Any = None
    path_refs: tuple[Ref, ...] = ()
    # Error codes that mean "nothing to do here" (a downgrade the rubric did not make
    # pending): the step is done, with an empty answer.
    tolerate: tuple[str, ...] = ()

    def resolved(self, answers: dict[str, dict]) -> tuple[str, Any]:
        """The path and body with every Ref replaced by the answer it names."""
        value = lambda ref: answers[ref.key][ref.field]  # noqa: E731
        return self.path.format(*map(value, self.path_refs)), _walk(self.body, value)

    def refs(self) -> list[Ref]:
        """Every earlier answer this step needs."""
        found = list(self.path_refs)
        _walk(self.body, found.append)
        return found


def _walk(value, on_ref):
    """`value` with each Ref inside it replaced by `on_ref(ref)`."""
    if isinstance(value, Ref):
        return on_ref(value)
    if isinstance(value, dict):
        return {k: _walk(v, on_ref) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, on_ref) for v in value]
    return value


def accounts(station: d.Station) -> dict[str, str]:
    """The demo accounts of a station, by role."""
    suffix = f"-{station.short}" if station.short else ""
    return {"worker": f"demo-worker{suffix}", "supervisor": f"demo-supervisor{suffix}",
            "head": f"demo-head{suffix}", "street": f"demo-street{suffix}"}


def count(name: str, station: d.Station, scale: float) -> int:
    """How many of `name` the station gets: the report's scale, the station's size, the
    demo's scale; at least one of everything, so a small demo still shows every kind."""
    return max(1, round(d.TARGETS[name] * station.size * scale))


def plan(seed: int, scale: float, today: date, rubrics: dict) -> list[Step]:
    steps = list(_tree())
    for number, station in enumerate(d.STATIONS):
        rnd = random.Random(f"{seed}:{station.id}")
        steps += _Station(station, rnd, scale, today, rubrics, number).steps()
    return steps


def _tree():
    """Streets, stations and communities not in the shipped tree, by the district admin."""
    for station in d.STATIONS:
        if not station.new:
            continue
        yield Step(f"street:{station.street_id}", "district", "organisation tree",
                   "demo-district", "POST", "/api/v1/org/streets",
                   {"district_id": d.DISTRICT, "id": station.street_id,
                    "name": station.street_name})
        yield Step(f"station:{station.id}", "district", "organisation tree", "demo-district",
                   "POST", "/api/v1/org/stations",
                   {"street_id": station.street_id, "id": station.id, "name": station.name})
        for community in station.communities:
            yield Step(f"community:{community.id}", "district", "organisation tree",
                       "demo-district", "POST", "/api/v1/org/communities",
                       {"station_id": station.id, "id": community.id, "name": community.name})


class _Station:
    """One station's year, in the order the services need: people first (the other
    services learn of them by events), then everything that names them."""

    def __init__(self, station: d.Station, rnd: random.Random, scale: float, today: date,
                 rubrics: dict, number: int):
        self.s, self.rnd, self.scale, self.today = station, rnd, scale, today
        self.rubrics, self.number = rubrics, number
        self.users = accounts(station)
        self.out: list[Step] = []
        self.residents: list[tuple[str, str, str, str]] = []  # (key, community, domain, card)

    # -- helpers ----------------------------------------------------------------------

    def n(self, name: str) -> int:
        return count(name, self.s, self.scale)

    def add(self, key: str, phase: str, role: str, method: str, path: str, body=None,
            *path_refs: Ref, tolerate: tuple[str, ...] = ()) -> str:
        key = f"{self.s.id}:{key}"
        self.out.append(Step(key, self.s.id, phase, self.users.get(role, role), method, path,
                             body, path_refs, tolerate))
        return key

    def day(self, first: int = YEAR_DAYS, last: int = 1) -> date:
        """A day between `first` and `last` days ago (by default not today: a session
        later today would be in the future, and the API refuses attendance for it)."""
        return self.today - timedelta(days=self.rnd.randint(last, first))

    def at(self, day: date, hour: int | None = None) -> str:
        hour = hour if hour is not None else self.rnd.choice((9, 10, 14, 15, 16))
        return f"{day.isoformat()}T{hour:02d}:{self.rnd.choice((0, 15, 30)):02d}:00+08:00"

    def community(self):
        return self.rnd.choice(self.s.communities)

    def steps(self) -> list[Step]:
        for part in (self.people, self.card_changes, self.needs, self.visits, self.cases,
                     self.projects, self.activities, self.organizations, self.volunteers,
                     self.resources, self.chain, self.weekly):
            part()
        return self.out

    # -- people -------------------------------------------------------------------------

    def people(self) -> None:
        cards = ("red",) * 12 + ("blue",) * 30 + ("green",) * 58
        used: set[tuple[date, int]] = set()
        for i in range(self.n("residents")):
            community = self.s.communities[i % len(self.s.communities)]
            domain, categories, _ = self.rnd.choices(
                community.people, weights=[w for *_, w in community.people])[0]
            card = self.rnd.choice(cards)
            age = {"elderly": self.rnd.randint(62, 96), "assistance": self.rnd.randint(30, 75),
                   "child": self.rnd.randint(5, 15)}[domain]
            male = self.rnd.random() < 0.45
            birth = date(self.today.year - age, self.rnd.randint(1, 12), self.rnd.randint(1, 28))
            serial = self.number * 1000 + i
            while (birth, serial % 500) in used:
                birth += timedelta(days=1)
            used.add((birth, serial % 500))
            key = self.add(f"resident:{i}", "residents 居民登记", "worker", "POST",
                           "/api/v1/residents", {
                               "station_id": self.s.id, "community_id": community.id,
                               "name": self.rnd.choice(d.SURNAMES) + self.rnd.choice(d.GIVEN),
                               "gender": "male" if male else "female",
                               "birth_date": birth.isoformat(),
                               "id_number": id_number(birth, serial % 500, male),
                               "phone": f"1390851{self.rnd.randint(0, 9999):04d}",
                               "address": f"{community.name}{self.rnd.randint(1, 60)}号",
                               "categories": list(categories)})
            self.add(f"assess:{i}", "residents 居民登记", "worker", "POST",
                     "/api/v1/residents/{}/assessments",
                     {"domain": domain, "answers": answers_for(self.rubrics[domain], card)},
                     Ref(key))
            self.residents.append((key, community.id, domain, card))

    def of_card(self, *cards: str) -> list[tuple[str, str, str, str]]:
        found = [r for r in self.residents if r[3] in cards]
        return found or self.residents

    def card_changes(self) -> None:
        """Reassessments over the months: some worse (upgraded at once), some better (a
        downgrade the supervisor confirms)."""
        for i in range(self.n("card_changes")):
            key, _, domain, card = self.rnd.choice(self.residents)
            worse = {"green": "blue", "blue": "red", "red": None}[card]
            better = {"red": "blue", "blue": "green", "green": None}[card]
            to = worse if (i % 2 == 0 and worse) or not better else better
            if to is None:
                continue
            self.add(f"reassess:{i}", "card changes 卡色调整", "worker", "POST",
                     "/api/v1/residents/{}/assessments",
                     {"domain": domain, "answers": answers_for(self.rubrics[domain], to)},
                     Ref(key))
            if to == better:
                self.add(f"downgrade:{i}", "card changes 卡色调整", "supervisor", "POST",
                         "/api/v1/residents/{}/card-downgrade/confirm",
                         {"note": "复评后情况好转 / better at reassessment"}, Ref(key),
                         tolerate=("no_downgrade_pending",))
            index = self.residents.index((key, _, domain, card))
            self.residents[index] = (key, _, domain, to)

    def needs(self) -> None:
        kinds = {"elderly": ("daily_care", "companionship", "medical"),
                 "assistance": ("financial", "employment", "housing"),
                 "child": ("education", "psychological", "child_protection")}
        self.need_keys = []
        for i in range(self.n("needs")):
            key, _, domain, card = self.rnd.choice(self.of_card("red", "blue"))
            need = self.add(f"need:{i}", "needs 需求库", "worker", "POST",
                            "/api/v1/residents/{}/needs", {
                                "category": self.rnd.choice(kinds[domain]),
                                "urgency": "high" if card == "red" else "medium",
                                "description": "入户走访时提出 / raised at a home visit"},
                            Ref(key))
            self.need_keys.append((need, key))

    # -- casework -----------------------------------------------------------------------

    def visits(self) -> None:
        """Home and phone visits through the year, Red cards most often; two consolation
        campaigns (Spring Festival and the Double Ninth) visiting Red and Blue cards."""
        weights = [{"red": 6, "blue": 3, "green": 1}[r[3]] for r in self.residents]
        for i in range(self.n("visits")):
            key = self.rnd.choices(self.residents, weights=weights)[0][0]
            self.add(f"visit:{i}", "visits 入户探访", "worker", "POST", "/api/v1/visits", {
                "resident_id": Ref(key), "method": self.rnd.choice(("home",) * 4 + ("phone",)),
                "visited_at": self.at(self.day()), "notes": "定期探访 / regular visit"})
        festivals = [(name, kind, self.today - timedelta(days=ago)) for name, kind, ago in
                     (("春节慰问 Spring Festival", "spring_festival", 300),
                      ("重阳节慰问 Double Ninth", "other", 50))]
        for f, (name, kind, start) in enumerate(festivals):
            campaign = self.add(f"campaign:{f}", "visits 入户探访", "head", "POST",
                                "/api/v1/campaigns", {
                                    "station_id": self.s.id, "name": name, "kind": kind,
                                    "starts_on": start.isoformat(),
                                    "ends_on": (start + timedelta(days=14)).isoformat()})
            targets = self.of_card("red", "blue")
            for i in range(self.n("consolations") // len(festivals)):
                key = targets[i % len(targets)][0]
                self.add(f"consolation:{f}:{i}", "visits 入户探访", "worker", "POST",
                         "/api/v1/visits", {
                             "resident_id": Ref(key), "method": "consolation",
                             "campaign_id": Ref(campaign),
                             "visited_at": self.at(start + timedelta(days=i % 14)),
                             "notes": "节日慰问 / festival consolation"})

    def cases(self) -> None:
        """Cases of Red and Blue cards: assessed, planned, the plan approved by the
        supervisor (督导), services given, a referral for some, most closed."""
        agencies = ("hospital", "civil_affairs", "legal_aid", "womens_federation", "school")
        people = self.of_card("red", "blue")
        for i in range(min(self.n("cases"), len(people))):
            key, _, domain, _ = people[i]
            case = self.add(f"case:{i}", "cases 个案", "worker", "POST", "/api/v1/cases", {
                "resident_id": Ref(key), "domain": domain,
                "problem": self.rnd.choice(("独居老人跌倒后行动不便", "低保家庭子女辍学风险",
                                            "残疾人家庭照护压力大", "高龄老人精神孤独"))})
            path = "/api/v1/cases/{}"
            self.add(f"case:{i}:assess", "cases 个案", "worker", "POST", path + "/assessment",
                     {"summary": "需求评估：生活照料与精神慰藉", "needs": ["daily_care"]},
                     Ref(case))
            self.add(f"case:{i}:plan", "cases 个案", "worker", "POST", path + "/plan",
                     {"goals": ["每周探访一次", "链接医疗资源", "建立邻里支持"]}, Ref(case))
            ask = self.add(f"case:{i}:ask", "cases 个案", "worker", "POST",
                           path + "/plan/approval", {}, Ref(case))
            self.add(f"case:{i}:approve", "cases 个案", "supervisor", "POST", APPROVE,
                     {"comments": "督导意见：计划可行"}, Ref(case), Ref(ask, "request_id"))
            for k in range(2):
                self.add(f"case:{i}:service:{k}", "cases 个案", "worker", "POST",
                         path + "/services", {"served_at": self.at(self.day(60)),
                                              "minutes": self.rnd.choice((45, 60, 90)),
                                              "description": "个案服务"}, Ref(case))
            if i % 3 == 0:
                referral = self.add(f"case:{i}:referral", "cases 个案", "worker", "POST",
                                    path + "/referrals", {
                                        "agency": agencies[i % len(agencies)],
                                        "reason": "转介专业服务 / referred for specialist help",
                                        "due_date": (self.today + timedelta(days=14)).isoformat()},
                                    Ref(case))
                self.add(f"case:{i}:referral:accept", "cases 个案", "worker", "POST",
                         "/api/v1/referrals/{}/accept", {"note": "机构已接收"}, Ref(referral))
            if i % 3 != 2:
                close = self.add(f"case:{i}:close", "cases 个案", "worker", "POST",
                                 path + "/close", {"outcome": "goals_met",
                                                   "evaluation": "目标达成"}, Ref(case))
                self.add(f"case:{i}:close:approve", "cases 个案", "supervisor", "POST",
                         APPROVE, {"comments": "同意结案"}, Ref(case), Ref(close, "request_id"))

    # -- activities -----------------------------------------------------------------------

    def projects(self) -> None:
        self.add("area:culture", "activities 活动", "head", "POST", "/api/v1/activities/areas",
                 {"station_id": self.s.id, "area": "culture", "name": "Culture",
                  "name_zh": "文化"})
        self.project_keys = {}
        for name, area in d.PROJECTS:
            self.project_keys[name] = self.add(
                f"project:{name}", "activities 活动", "head", "POST", "/api/v1/projects", {
                    "station_id": self.s.id, "name": name, "area": area,
                    "starts_on": (self.today - timedelta(days=YEAR_DAYS)).isoformat()})

    def activities(self) -> None:
        """One-off activities and a few groups, with attendance adding up to about the
        station's share of the report's person-times (named residents + a headcount)."""
        groups = [g for g in d.GROUPS][:self.n("groups")]
        sessions = self.n("activities") + len(groups) * self.n("group_sessions")
        per_session = self.n("person_times") / sessions
        by_area = {area: [p for p, a in d.PROJECTS if a == area] for _, area in d.PROJECTS}
        self.activity_keys: list[str] = []
        for i in range(self.n("activities")):
            area = self.rnd.choice(tuple(d.ACTIVITY_TITLES))
            community = self.community()
            title = self.rnd.choice(d.ACTIVITY_TITLES[area])
            body = {"station_id": self.s.id, "community_id": community.id, "area": area,
                    "title": title, "held_at": self.at(self.day())}
            if by_area.get(area):
                body["project_id"] = Ref(self.project_keys[self.rnd.choice(by_area[area])])
            activity = self.add(f"activity:{i}", "activities 活动", "worker", "POST",
                                "/api/v1/activities", body)
            self.activity_keys.append(activity)
            self.attendance(f"activity:{i}", activity, community.id, per_session)
            if i % 4 == 0:
                self.add(f"activity:{i}:feedback", "activities 活动", "worker", "POST",
                         "/api/v1/activities/{}/feedback",
                         {"satisfaction": self.rnd.choice((4, 5, 5)), "comments": "很满意"},
                         Ref(activity))
        for g, (title, area) in enumerate(groups):
            community = self.community()
            group = self.add(f"group:{g}", "activities 活动", "worker", "POST",
                             "/api/v1/activities", {
                                 "station_id": self.s.id, "community_id": community.id,
                                 "area": area, "title": title, "kind": "group"})
            for k in range(self.n("group_sessions")):
                session = self.add(f"group:{g}:session:{k}", "activities 活动", "worker",
                                   "POST", "/api/v1/activities/{}/sessions",
                                   {"session_at": self.at(self.day(300 - 60 * k, 240 - 60 * k)),
                                    "topic": f"第{k + 1}次小组活动"}, Ref(group))
                self.attendance(f"group:{g}:{k}", group, community.id, per_session,
                                session=Ref(session))

    def attendance(self, name: str, activity: str, community: str, mean: float,
                   session: Ref | None = None) -> None:
        here = [r[0] for r in self.residents if r[1] == community]
        named = self.rnd.sample(here, min(len(here), self.rnd.randint(0, 4)))
        headcount = max(5, round(self.rnd.gauss(mean, mean * 0.3)) - len(named))
        body = {"resident_ids": [Ref(k) for k in named], "headcount": headcount}
        if session is not None:
            body["session_id"] = session
        self.add(f"{name}:attendance", "activities 活动", "worker", "POST",
                 "/api/v1/activities/{}/attendance", body, Ref(activity))

    def organizations(self) -> None:
        """Community organizations incubated through the year, some filed (备案) and
        registered, with members (party members most in Xihulu community)."""
        orgs = []
        for i in range(min(self.n("organizations"), len(d.ORGANIZATIONS))):
            name, kind = d.ORGANIZATIONS[i]
            community = self.s.communities[i % len(self.s.communities)]
            born = self.day(YEAR_DAYS, 120)
            key = self.add(f"org:{i}", "organizations 社会组织", "worker", "POST",
                           "/api/v1/organizations", {
                               "station_id": self.s.id, "community_id": community.id,
                               "name": name, "type": kind, "incubated_on": born.isoformat()})
            if i % 3 == 0:
                self.add(f"org:{i}:file", "organizations 社会组织", "worker", "POST",
                         "/api/v1/organizations/{}/status",
                         {"step": "file", "on": (born + timedelta(days=60)).isoformat(),
                          "number": f"备{self.number}{i:03d}"}, Ref(key))
            orgs.append((key, community, born))
        members, party = self.n("members"), self.n("party_members")
        weights = [c.party for _, c, _ in orgs]
        party_of = set(self.rnd.sample(range(members), min(party, members)))
        for m in range(members):
            key, community, born = orgs[m % len(orgs)] if m < len(orgs) else \
                self.rnd.choices(orgs, weights=weights)[0]
            joined = born + timedelta(days=self.rnd.randint(0, max(0, (self.today - born).days)))
            self.add(f"member:{m}", "organizations 社会组织", "worker", "POST",
                     "/api/v1/organizations/{}/members", {
                         "name": self.rnd.choice(d.SURNAMES) + self.rnd.choice(d.GIVEN),
                         "party_member": m in party_of, "joined_on": joined.isoformat()},
                     Ref(key))

    def volunteers(self) -> None:
        people = []
        for v in range(self.n("volunteers")):
            community = self.community()
            people.append(self.add(f"volunteer:{v}", "volunteers 志愿者", "worker", "POST",
                                   "/api/v1/volunteers", {
                                       "station_id": self.s.id, "community_id": community.id,
                                       "name": self.rnd.choice(d.SURNAMES) + self.rnd.choice(d.GIVEN),
                                       "registered_on": self.day(YEAR_DAYS, 200).isoformat()}))
        for k in range(self.n("service_logs")):
            volunteer = people[k % len(people)]
            log = self.add(f"service:{k}", "volunteers 志愿者", "worker", "POST",
                           "/api/v1/volunteers/{}/service", {
                               "served_on": self.day(190).isoformat(),
                               "hours": self.rnd.choice(("2.00", "3.50", "4.00", "1.50")),
                               "description": "活动协助 / helped at an activity",
                               "self_reported": k % 2 == 0},
                           Ref(volunteer))
            if k % 2 == 0:    # told by the volunteer: the supervisor confirms the hours
                self.add(f"service:{k}:confirm", "volunteers 志愿者", "supervisor", "POST",
                         "/api/v1/volunteers/{}/service/{}/confirm", {}, Ref(volunteer),
                         Ref(log))

    # -- resources ----------------------------------------------------------------------

    def resources(self) -> None:
        """Partners, donations adding up to about the station's share of the report's
        RMB (cash and goods valued in RMB), and micro-wishes claimed and delivered."""
        partners = []
        for p in range(min(self.n("partners"), len(d.PARTNERS))):
            name, kind, department = d.PARTNERS[p]
            body = {"station_id": self.s.id, "name": name, "type": kind,
                    "hub": "station" if kind == "government" else "other"}
            if department:
                body["department"] = department
            partners.append(self.add(f"partner:{p}", "resources 资源", "worker", "POST",
                                     "/api/v1/partners", body))
        donations = self.n("donations")
        target = Decimal(self.n("resources_rmb"))
        shares = [self.rnd.uniform(0.3, 1.7) for _ in range(donations)]
        left = target
        for k in range(donations):
            value = (target * Decimal(shares[k] / sum(shares))).quantize(Decimal("1"))
            value = left if k == donations - 1 else min(value, left)
            left -= value
            body = {"station_id": self.s.id, "partner_id": Ref(partners[k % len(partners)]),
                    "value": f"{value}.00", "donated_on": self.day().isoformat()}
            if k % 3 == 0:
                body["kind"] = "cash"
            else:
                item, unit = self.rnd.choice(d.IN_KIND)
                body.update(kind="in_kind", item=item, unit=unit,
                            quantity=self.rnd.randint(5, 50))
            donation = self.add(f"donation:{k}", "resources 资源", "worker", "POST",
                                "/api/v1/donations", body)
            self.allocate(k, donation, body, value)
        for w in range(self.n("wishes")):
            key, community, _, _ = self.rnd.choice(self.residents)
            need = next((n for n, r in self.need_keys if r == key), None)
            body = {"resident_id": Ref(key), "title": self.rnd.choice(d.WISHES),
                    "expires_on": (self.today + timedelta(days=30)).isoformat()}
            if need:
                body["need_id"] = Ref(need)
            wish = self.add(f"wish:{w}", "resources 资源", "worker", "POST", "/api/v1/wishes",
                            body)
            if w % 5 != 4:
                self.add(f"wish:{w}:claim", "resources 资源", "worker", "POST",
                         "/api/v1/wishes/{}/claim",
                         {"partner_id": Ref(partners[w % len(partners)])}, Ref(wish))
                if w % 5 != 3:
                    self.add(f"wish:{w}:deliver", "resources 资源", "worker", "POST",
                             "/api/v1/wishes/{}/deliver", {"note": "上门送达"}, Ref(wish))

    def allocate(self, k: int, donation: str, body: dict, value: Decimal) -> None:
        """The head hands out part of a donation: goods to a Red or Blue card's
        household, cash to one of the station's projects."""
        if body["kind"] == "in_kind":
            key = self.rnd.choice(self.of_card("red", "blue"))[0]
            share = {"target_type": "resident", "target_id": Ref(key),
                     "quantity": min(2, body["quantity"])}
        else:
            project = self.project_keys[self.rnd.choice(tuple(self.project_keys))]
            share = {"target_type": "project", "target_id": Ref(project),
                     "amount": f"{(value / 5).quantize(Decimal('0.01'))}"}
        self.add(f"donation:{k}:allocation", "resources 资源", "head", "POST",
                 "/api/v1/allocations", {"stock_id": Ref(donation, "stock_id"), **share,
                                         "note": "分配至困难家庭与项目 / handed out"})

    # -- the chain and 1+1+1 ----------------------------------------------------------------

    def chain(self) -> None:
        """The five-level chain through the year: the street's meetings, progress reports
        to its leaders, visits to communities, consultations around activities, and
        suggestions tracked until answered."""
        path = f"/api/v1/reports/stations/{self.s.id}"
        for m in range(self.n("street_meetings")):
            self.add(f"street-meeting:{m}", "chain 五级汇报", "head", "POST", path + "/chain", {
                "type": "street_meeting", "on": self.day(YEAR_DAYS - 30 * m, 335 - 30 * m)
                .isoformat(), "central_work": "街道中心工作：民生保障与基层治理"})
            self.add(f"progress:{m}", "chain 五级汇报", "head", "POST", path + "/chain", {
                "type": "progress_report", "on": self.day(YEAR_DAYS - 30 * m, 335 - 30 * m)
                .isoformat(), "leader": "街道分管领导", "summary": "本月社工站工作进展"})
        for v in range(self.n("community_visits")):
            community = self.s.communities[v % len(self.s.communities)]
            self.add(f"community-visit:{v}", "chain 五级汇报", "head", "POST", path + "/chain", {
                "type": "community_visit", "on": self.day().isoformat(),
                "community_id": community.id, "key_work": "社区重点工作：独居老人关爱",
                "suggestions": "建议建立楼栋长联系机制"})
        for c in range(self.n("consultations")):
            activity = self.activity_keys[c % len(self.activity_keys)]
            self.add(f"consultation:{c}", "chain 五级汇报", "worker", "POST", path + "/chain", {
                "type": "activity_consultation", "on": self.day().isoformat(),
                "stage": ("before", "after")[c % 2], "activity_id": Ref(activity),
                "department": self.rnd.choice(("社区居委会", "街道民政办", "街道党建办")),
                "notes": "活动前后与社区沟通 / talked over with the community"})
        answers = ("adopted", "adopted", "pending", "adopted", "declined", "adopted")
        for k in range(self.n("suggestions")):
            proposed = self.day(YEAR_DAYS, 40)
            key = self.add(f"suggestion:{k}", "chain 五级汇报", "head", "POST",
                           path + "/suggestions", {
                               "addressed_to": self.s.street_name,
                               "title": self.rnd.choice(("增设社区长者食堂", "困境儿童周末托管",
                                                         "老旧小区加装扶手", "建立志愿服务积分")),
                               "proposed_on": proposed.isoformat()})
            answer = answers[k % len(answers)]
            if answer != "pending":
                self.add(f"suggestion:{k}:answer", "chain 五级汇报", "head", "POST",
                         "/api/v1/reports/suggestions/{}/answer", {
                             "answer": answer,
                             "answered_on": (proposed + timedelta(days=21)).isoformat()},
                         Ref(key))

    def weekly(self) -> None:
        """1+1+1: a team meeting every week of the last weeks, a supervision every month,
        and each week's report submitted to the street, which accepts it."""
        path = f"/api/v1/reports/stations/{self.s.id}"
        this_monday = self.today - timedelta(days=self.today.weekday())
        for w in range(self.n("weekly_meetings"), 0, -1):
            monday = this_monday - timedelta(weeks=w)
            year, week, _ = monday.isocalendar()
            key = f"{year}-W{week:02d}"
            self.add(f"meeting:{key}", "weekly 周例会", "head", "POST", path + "/meetings", {
                "week": key, "held_on": monday.isoformat(),
                "attendees": [self.users["head"], self.users["worker"], self.users["supervisor"]],
                "minutes": "回顾本周个案与探访，安排下周活动"})
            report = self.add(f"report:{key}", "weekly 周例会", "head", "POST",
                              path + "/reports", {"period": key, "summary": "本周工作小结",
                                                  "plan": "下周工作计划"})
            if w > 1:
                self.add(f"report:{key}:accept", "weekly 周例会", "street", "POST",
                         "/api/v1/reports/submissions/{}/accept", {"comment": "已阅"},
                         Ref(report))
        for m in range(min(12, self.n("street_meetings"))):
            first = (self.today.replace(day=1) - timedelta(days=30 * m)).replace(day=1)
            self.add(f"supervision:{first:%Y-%m}", "weekly 周例会", "supervisor", "POST",
                     path + "/supervisions", {
                         "month": f"{first:%Y-%m}", "held_on": (first + timedelta(days=14))
                         .isoformat() if m else first.isoformat(),
                         "supervisor": self.users["supervisor"], "topics": "个案督导与团队支持"})

