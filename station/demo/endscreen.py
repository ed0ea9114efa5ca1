"""What the demo shows when it is loaded: the reporting service's figures for the demo's
year beside the source report's, the stations side by side, where to look, who to log
in as. Every number is read from the reporting API (the events' fold); none is typed."""
from __future__ import annotations

import time
from datetime import date, timedelta

from services.reporting.periods import Period
from station.demo import district as d
from station.demo.client import Api, Interrupted
from station.demo.plan import YEAR_DAYS, accounts

SERVICES = ("residents", "casework", "activities", "resources", "reporting")


def period(today: date) -> str:
    return Period(today - timedelta(days=YEAR_DAYS), today).key


def computed(head: Api, district: Api, today: date) -> dict:
    """The figures the end screen prints, as the reporting API answers them now."""
    key = period(today)
    base = f"/api/v1/reports/stations/{d.XIHULU.id}"
    fig = head.call("GET", f"{base}/figures?period={key}")["figures"]
    chain = head.call("GET", f"{base}/chain?period={key}")
    side = district.call("GET", f"/api/v1/reports/districts/{d.DISTRICT}/figures"
                                f"?period={key}")["stations"]
    return {
        "period": key,
        "station": {
            "cases": fig["cases"]["opened"], "visits": fig["visits"]["total"],
            "activities": fig["activities"]["held"],
            "person_times": fig["activities"]["person_times"],
            "organizations": fig["organizations"]["organizations"],
            "members": fig["organizations"]["members"],
            "party_members": fig["organizations"]["party_members"],
            "resources_rmb": fig["resources"]["donations_rmb"],
            "weekly_meetings": sum(1 for m in chain["meetings"] if m["kind"] == "minutes"),
            "supervisions": sum(1 for m in chain["meetings"] if m["kind"] == "supervision"),
            "cards": fig["residents"]["by_card"],
        },
        "stations": {s.id: {k: side[s.id][k] for k in (
            "name", "visits", "activities", "person_times", "organizations", "members",
            "resources_rmb")} for s in d.STATIONS if s.id in side},
    }


def settle(port: int, head: Api, district: Api, today: date, stopping=None,
           timeout_s: float = 180.0) -> dict:
    """The figures once every relay and inbox is idle and two reads a moment apart
    agree: reporting has folded all that the loader sent."""
    deadline, last = time.monotonic() + timeout_s, None
    while True:
        if stopping is not None and stopping.is_set():
            raise Interrupted()
        now = computed(head, district, today) if _idle(port) else None
        if now is not None and now == last:
            return now
        if time.monotonic() > deadline:
            return now or computed(head, district, today)
        last = now
        time.sleep(1.5)


def _idle(port: int) -> bool:
    edge = Api(port)
    for name in SERVICES:
        try:
            checks = edge.call("GET", f"/api/v1/{name}/health")["checks"]
        except Exception:
            return False
        if checks["relay"].get("lag"):
            return False
        if any(inbox.get("lag") for inbox in checks.get("inboxes", {}).values()):
            return False
    return True


def _pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    import unicodedata
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    fill = " " * max(0, width - used)
    return fill + text if right else text + fill


def _number(value) -> str:
    if isinstance(value, str) and "." in value:
        return f"{float(value):,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(figures: dict, port: int, logins: dict[str, str], seconds: float | None) -> str:
    s = figures["station"]
    lines = [f"{d.XIHULU.name} · the demo's year {figures['period']} "
             "(computed by the reporting service from the events / 由报表服务根据事件计算)",
             "  " + _pad("", 40) + _pad("report 报告", 14, True) + _pad("demo 演示", 14, True)]
    for key, label, reported in d.REPORT:
        lines.append("  " + _pad(label, 40) + _pad(reported, 14, True)
                     + _pad(_number(s[key]), 14, True))
    cards = s["cards"]
    lines.append("  " + _pad("卡色 cards red/blue/green", 40) + _pad("", 14)
                 + _pad(f"{cards['red']}/{cards['blue']}/{cards['green']}", 14, True))
    lines.append("")
    lines.append(f"stations side by side / 各社工站对比 ({figures['period']}):")
    lines.append(f"  {'station':22}{'visits':>8}{'activities':>11}{'person-times':>13}"
                 f"{'orgs':>6}{'members':>8}{'RMB':>13}")
    for station in figures["stations"].values():
        lines.append(f"  {_pad(station['name'], 22)}{station['visits']:>8}{station['activities']:>11}"
                     f"{station['person_times']:>13,}{station['organizations']:>6}"
                     f"{station['members']:>8}{_number(station['resources_rmb']):>13}")
    lines.append("")
    lines.append(f"workbench / 工作台: http://127.0.0.1:{port}/dashboard/ "
                 "(try demo-worker first, on a phone-sized window / 先用 demo-worker 登录，手机尺寸更佳)")
    lines.append(f"  社工 今日工作 http://127.0.0.1:{port}/dashboard/#/today · "
                 f"督导 待审批 http://127.0.0.1:{port}/dashboard/#/approvals")
    lines.append(f"  站长 周报 http://127.0.0.1:{port}/dashboard/#/weekly · "
                 f"街道/区 待审报表 http://127.0.0.1:{port}/dashboard/#/inbox · "
                 "审计 auditor: the dashboards / 数据看板")
    lines.append("demo log-ins / 演示账号 (user  password  role):")
    for station in d.STATIONS:
        names = accounts(station)
        for role, label in (("worker", "社工 worker"), ("supervisor", "督导 supervisor"),
                            ("head", "站长 head"), ("street", "街道 street leader")):
            if names[role] in logins:
                lines.append(f"  {names[role]:26}{logins[names[role]]:16}{label} · "
                             f"{station.name if role != 'street' else station.street_name}")
    for user, label in (("demo-district", "区民政局 district admin"), ("demo-auditor", "审计 auditor")):
        if user in logins:
            lines.append(f"  {user:26}{logins[user]:16}{label}")
    if seconds is not None:
        lines.append(f"loaded in {seconds:.0f} s / 加载用时 {seconds:.0f} 秒")
    return "\n".join(lines)


def parse(text: str) -> dict[str, str]:
    """The demo column of a rendered end screen, by key: what a test compares with the API."""
    labels = {label: key for key, label, _ in d.REPORT}
    found = {}
    for line in text.splitlines():
        for label, key in labels.items():
            if line.startswith(f"  {label}"):
                found[key] = line.split()[-1]
    return found
