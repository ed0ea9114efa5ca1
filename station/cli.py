"""`station`: the one command for operators, developers and CI.

    station up [--port 8000] [--data-dir DIR]      all services + HTTP edge on one port
    station serve SERVICE [--port P]               one service, as a container runs it
    station events verify|tail|replay              the event stores, for ops and audit

Heavy imports happen inside each command: `serve` must monkey-patch eventlet before
kombu or SQLAlchemy are imported, and the relay must not be patched at all.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

# eventlet announces its deprecation on import, once in every process: noise on each screen.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def _settings(args):
    from shared.config import Settings
    return Settings.from_env(data_dir=getattr(args, "data_dir", None))


def _config(args) -> dict:
    return _settings(args).nameko_config()


def masked_uri(uri: str) -> str:
    """The URI as an operator can print it: the password hidden."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def check_broker(uri: str) -> None:
    """Exit with a message naming the URI if the broker does not answer."""
    import kombu
    try:
        with kombu.Connection(uri, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:
        raise SystemExit(
            f"cannot reach the message broker at {masked_uri(uri)} (AMQP_URI): {exc}\n"
            f"无法连接消息代理 {masked_uri(uri)}（AMQP_URI）。Start RabbitMQ or set AMQP_URI.")


def _already_running(settings, why: str) -> SystemExit:
    return SystemExit(
        f"deployment {settings.deployment or '(unnamed)'!r} is already running on "
        f"{masked_uri(settings.amqp_uri)}: {why}. Stop it, or start this one with another "
        f"--data-dir or STATION_DEPLOYMENT=<name>.\n部署 {settings.deployment!r} 已在运行；"
        f"请先停止它，或用其他 --data-dir 或 STATION_DEPLOYMENT 启动。")


def _lock_name(settings) -> str:
    from shared import deployment
    return deployment.prefixed(settings.deployment or "", "station-up.lock")


def hold_deployment_lock(settings):
    """Hold an exclusive queue for as long as this `station up` runs (the connection is
    returned; closing it, or the process dying, frees the name). A second `station up` of
    the same deployment is refused even while the first is still starting, before its
    services consume their inboxes."""
    import amqp.exceptions
    import kombu
    conn = kombu.Connection(settings.amqp_uri, connect_timeout=5, heartbeat=0)
    try:
        conn.channel().queue_declare(_lock_name(settings), exclusive=True, auto_delete=True)
    except amqp.exceptions.ResourceLocked:
        conn.release()
        raise _already_running(settings, "another `station up` holds its lock") from None
    return conn


def check_not_running(settings) -> None:
    """Exit with a message if a live deployment of the same name runs: a `station up`
    holds its lock (starting or running), or something consumes its inbox queues."""
    import amqp.exceptions
    import kombu

    from shared import topology
    with kombu.Connection(settings.amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(_lock_name(settings), passive=True)
        except amqp.exceptions.ResourceLocked:   # exclusive to another live connection
            raise _already_running(settings, "another `station up` holds its lock") from None
        except Exception:  # no such queue: no `station up` of this deployment
            pass
        finally:
            try:
                channel.close()
            except Exception:
                pass
        for consumer, sources in topology.SUBSCRIPTIONS.items():
            for source in sources:
                name = topology.inbox_name(consumer, source, settings.deployment)
                channel = conn.channel()
                try:
                    consumers = channel.queue_declare(name, passive=True).consumer_count
                except Exception:  # no such queue: nobody consumes it
                    consumers = 0
                finally:
                    try:
                        channel.close()
                    except Exception:
                        pass
                if consumers:
                    raise _already_running(settings, f"its queue {name} has {consumers} "
                                                     f"consumer(s)")


# -- serve / relay / up --------------------------------------------------------------

def cmd_serve(args) -> int:
    import eventlet
    eventlet.monkey_patch()
    import signal
    import time

    from nameko.runners import ServiceRunner

    from shared import deployment, logs
    from station import catalog
    from station.supervise import RelaySupervisor

    settings = _settings(args)
    logs.configure(settings.log_level)
    check_broker(settings.amqp_uri)
    cls = catalog.service_class(args.service)
    deployment.name_rpc_queues(settings.deployment)
    runner = ServiceRunner(settings.nameko_config(f"{settings.bind_host}:{args.port}"))
    runner.add_service(cls)
    runner.start()
    relay = RelaySupervisor([sys.executable, "-m", "station.cli", "relay", args.service,
                             "--data-dir", settings.data_dir, "--supervised"])
    eventlet.spawn_n(relay.run)
    logs.get("station").info("service.started", service=args.service, port=args.port)

    stopping = []

    def shutdown(_signum, _frame):
        # Ctrl-C in a terminal reaches the whole process group and `station up` sends
        # SIGTERM as well: stop once, and kill whatever still runs after a grace period.
        if not stopping:
            stopping.append(time.monotonic())
            logs.get("station").info("service.stopping", service=args.service)
            eventlet.spawn_n(runner.stop)
            eventlet.spawn_after(10, runner.kill)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        runner.wait()
    finally:
        relay.stop()
        if stopping:  # how long a stop takes, to see which service holds `station up` up
            logs.get("station").info("service.stopped", service=args.service,
                                     stop_s=round(time.monotonic() - stopping[0], 2))
    return 0


def cmd_relay(args) -> int:
    import signal

    from shared import logs
    from shared.relay import ConfirmingPublisher, Relay
    from shared.stores import open_store
    from station import catalog

    settings = _settings(args)
    logs.configure(settings.log_level)
    store = open_store(args.service, settings.nameko_config(), catalog.registry(args.service))
    publisher = ConfirmingPublisher(settings.amqp_uri, args.service,
                                    deployment=settings.deployment)
    relay = Relay(store, publisher, args.service, lease_s=settings.relay_lease_s)
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    # Ctrl-C reaches the whole process group at once. Supervised, the relay waits for its
    # service to finish the requests in flight and send SIGTERM, then drains the outbox
    # (Relay.drain): what those last requests committed is published before it exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN if args.supervised else lambda *_: relay.stop())
    _stop_with_parent(relay.stop)
    relay.run()
    return 0


def _stop_with_parent(stop) -> None:
    """The relay belongs to its service's process: if that dies, the relay stops too."""
    import threading
    import time
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        stop()
    threading.Thread(target=watch, daemon=True).start()


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(ports: dict, procs: dict, timeout: float = 240.0) -> bool:
    """Print readiness as it changes (which part of which service fails) until all are ready."""
    import time

    from station import edge_health
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        dead = [name for name, p in procs.items() if p.poll() is not None]
        if dead:
            print(f"  services exited: {', '.join(dead)} / 服务已退出", file=sys.stderr)
            return False
        status, body = edge_health.readiness(ports)
        line = edge_health.describe(body)
        if line != last:
            print(f"  {line}", file=sys.stderr)
            last = line
        if status == 200:
            return True
        time.sleep(1.5)  # each look costs every service a few queries and a broker connection
    return False


def _watch_health(ports: dict, stopping, every_s: float = 10.0) -> None:
    """While up: one line when readiness changes (a database, broker or relay lost, or back)."""
    from station import edge_health
    last = "ok"
    while not stopping.wait(every_s):
        status, body = edge_health.readiness(ports)
        now = "ok" if body["status"] == "ok" else edge_health.describe(body)
        if now != last:
            print(f"health: {'all services ready / 全部就绪' if now == 'ok' else now}",
                  file=sys.stderr, flush=True)
            last = now


def _load_demo(args, port: int, logins: dict, data_dir: str, stopping) -> None:
    """Load the demo district through the API (or resume it, or find it there), then show
    its end screen. Ctrl-C (`stopping` set) ends it after the request in flight: the
    services are stopped only after it, so what was sent is written down and published."""
    from station import demo
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    say(f"loading the demo district (seed {args.random_seed}, scale {args.demo_scale}) "
        f"/ 正在生成演示数据 …")
    try:
        screen = demo.load(port, logins, data_dir, args.random_seed, args.demo_scale,
                           stopping, say)
    except Exception as exc:  # the services are up: say what failed, keep them up
        if isinstance(exc, demo.Interrupted) or stopping.is_set():  # Ctrl-C, maybe mid-request
            say("\n  demo loading stopped; run again to resume / 演示数据生成已中止，再次运行将继续")
            return
        say(f"  demo loading failed / 演示数据生成失败: {type(exc).__name__}: {exc}")
        return
    if screen:
        print(screen, flush=True)


def _scale(text: str) -> float:
    import argparse
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.0 < value <= 2.0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a number above 0 and at most 2 / 应为大于 0、不超过 2 的数")
    return value


def cmd_up(args) -> int:
    import signal
    import subprocess
    import threading

    from station import catalog
    from station.router import Router

    from shared import logs
    settings = _settings(args)
    check_broker(settings.amqp_uri)
    check_not_running(settings)
    lock = hold_deployment_lock(settings)
    from shared.db import private_dir
    private_dir(settings.data_dir)
    # The screen shows progress, the end screen and the summary; each service's log
    # lines (and its relay's) go to a file of its own, and this process's own (a dev key
    # made for the demo's accounts) to station.log, all named in the summary.
    log_dir = os.path.join(os.path.abspath(settings.data_dir), "logs")
    os.makedirs(log_dir, exist_ok=True)
    logs.configure("WARNING", stream=open(os.path.join(log_dir, "station.log"), "a"))
    logins = None
    if args.demo:
        from station import demo
        logins = demo.create_users(settings.nameko_config(), settings.data_dir)
    ports = {name: _free_port() for name in catalog.SERVICES}
    print(f"starting {len(ports)} services / 正在启动服务 …", file=sys.stderr)
    procs = {name: subprocess.Popen([sys.executable, "-m", "station.cli", "serve", name,
                                     "--port", str(p), "--data-dir", settings.data_dir],
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(log_dir, f"{name}.log"), "ab"))
             for name, p in ports.items()}
    router = Router("127.0.0.1", args.port, catalog.ROUTES, ports)
    router.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        if not _wait_healthy(ports, procs):
            print(f"services did not come up / 服务未能启动: see {log_dir}", file=sys.stderr)
            return 1
        if logins:
            _load_demo(args, args.port, logins, settings.data_dir, stopping)
        store = ("PostgreSQL (DATABASE_URL)" if settings.database_url
                 else f"SQLite files in {os.path.abspath(settings.data_dir)}")
        print(f"station is up / 社工站系统已启动\n"
              f"  workbench / 工作台: http://127.0.0.1:{args.port}/dashboard/\n"
              f"  API:     http://127.0.0.1:{args.port}/api/v1/\n"
              f"  docs:    http://127.0.0.1:{args.port}/api/v1/docs\n"
              f"  health:  http://127.0.0.1:{args.port}/api/v1/health\n"
              f"  stores:  {store}\n"
              f"  broker:  {masked_uri(settings.amqp_uri)} (deployment "
              f"{settings.deployment or '-'})\n"
              f"  logs:    {log_dir}\n"
              + (f"  demo logins (user: password): {os.path.join(os.path.abspath(settings.data_dir), 'demo-logins.json')}\n"
                 if logins else "") +
              "Ctrl-C stops it / 按 Ctrl-C 停止", flush=True)
        threading.Thread(target=_watch_health, args=(ports, stopping), daemon=True).start()
        while not stopping.wait(0.5):
            dead = [n for n, p in procs.items() if p.poll() is not None]
            if dead:
                print(f"service exited: {', '.join(dead)} / 服务已退出 (see {log_dir})",
                      file=sys.stderr)
                return 1
        return 0
    finally:
        print("stopping / 正在停止 …", file=sys.stderr)
        router.stop()
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        lock.release()


# -- events ---------------------------------------------------------------------------

def _stores(args):
    """Every store (or `--service`'s). Their commands print a report on stdout: log
    lines (a dev key made, say) go to stderr as JSON, never into the report."""
    from shared import logs
    from shared.stores import open_store
    from station import catalog
    logs.configure("WARNING")
    names = [args.service] if getattr(args, "service", None) else list(catalog.SERVICES)
    config = _config(args)
    return {name: open_store(name, config, catalog.registry(name), catalog.projections(name))
            for name in names}


def cmd_projections_rebuild(args) -> int:
    import json
    from station.audit import rebuild_projections
    result = {}
    for name, store in _stores(args).items():
        if name == "reporting":  # its facts come from every source: station/rebuild_reporting.py
            from station.rebuild_reporting import rebuild
            result[name] = {"events_folded": rebuild(store, _config(args))}
            continue
        count = rebuild_projections(name, store)
        result[name] = {"events_folded": count} if count is not None else {"projections": "none"}
        print(f"{name}: {'no projections' if count is None else f'{count} events folded'}",
              file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0


def cmd_audit_resident(args) -> int:
    import json
    from station.audit import resident_timeline
    from station.keyops import seal_check
    stores = _stores(args)
    timeline = resident_timeline(stores, args.resident_id,
                                 {name: seal_check(name, _config(args)) for name in stores})
    if not timeline["events"]:
        print(f"no events about resident {args.resident_id} / 未找到该居民的任何事件",
              file=sys.stderr)
        return 1
    print(json.dumps(timeline, ensure_ascii=False, indent=2))
    verdict = ("every stream verifies / 哈希链校验通过" if timeline["verified"]
               else "DAMAGED: see streams[].problems / 哈希链校验失败")
    print(f"{len(timeline['events'])} events, {verdict}", file=sys.stderr)
    return 0 if timeline["verified"] else 1


def cmd_events_verify(args) -> int:
    import json
    from station.keyops import seal_check
    report, bad = {}, 0
    for name, store in _stores(args).items():
        problems = store.verify(seal_check=seal_check(name, _config(args)))
        report[name] = {"events": store.last_position(), "problems": problems}
        bad += len(problems)
        print(f"{name}: {'OK' if not problems else f'{len(problems)} damaged stream(s)'}",
              file=sys.stderr)
    print(json.dumps({"ok": bad == 0, "services": report}, ensure_ascii=False, indent=2))
    return 0 if bad == 0 else 1


def cmd_events_tail(args) -> int:
    import json
    import time
    (store,) = _stores(args).values()
    after = args.after if args.after is not None else max(0, store.last_position() - args.limit)
    while True:
        batch = store.read_all(after, args.limit)
        for event in batch:
            print(json.dumps({k: v for k, v in event.to_dict().items() if k != "payload"}
                             | {"payload_keys": sorted(event.payload)}, ensure_ascii=False))
            after = event.position
        if not args.follow:
            return 0
        if not batch:
            time.sleep(0.5)


def cmd_events_replay(args) -> int:
    from shared.relay import Checkpoint
    (store,) = _stores(args).values()
    checkpoint = Checkpoint(store.engine, f"relay:{args.service}")
    before = checkpoint.get()
    checkpoint.set(args.from_position)
    print(f"{args.service}: relay checkpoint {before} -> {args.from_position}; events after it "
          f"will be published again (subscribers drop those they have). / 将重新发布此位置之后的事件")
    return 0


# -- users ----------------------------------------------------------------------------

def cmd_users_add(args) -> int:
    """Add a user; the password is one line on stdin (prompted for on a terminal)."""
    import getpass
    import json

    from shared import logs
    from shared.security import principal, users
    logs.configure("WARNING")  # migrations' INFO lines are noise here
    try:
        principal.check_username(args.username)
        principal.check_role(args.role)
        principal.check_scopes(args.scope or [])
    except principal.InvalidPrincipal as exc:
        print(f"{exc.message}\n{exc.message_zh}", file=sys.stderr)
        return 1
    password = (getpass.getpass("password / 密码: ") if sys.stdin.isatty()
                else sys.stdin.readline().rstrip("\r\n"))
    if not password:
        print("the password is empty: give it as one line on standard input\n"
              "密码为空：请通过标准输入提供一行密码", file=sys.stderr)
        return 1
    try:
        user = users.open_users(_config(args)).add(args.username, password, args.role, args.scope)
    except users.UserExists:
        print(f"user {args.username!r} already exists; nothing was changed\n"
              f"用户 {args.username!r} 已存在，未做任何修改", file=sys.stderr)
        return 2
    print(json.dumps({"username": user.username, "role": user.role, "scopes": list(user.scopes)},
                     ensure_ascii=False))
    return 0


# -- organisation -----------------------------------------------------------------------

def cmd_org(args) -> int:
    """The organisation tree in the residents store (seeded first): show it, or add a node."""
    import json
    import uuid
    from datetime import datetime, timezone

    from services.residents import commands, handlers, queries
    from shared.kit.errors import DomainError
    from shared import logs
    from shared.eventstore import ConcurrencyError
    from shared.stores import open_store
    from station import catalog

    logs.configure("WARNING")
    store = open_store("residents", _config(args), catalog.registry("residents"))
    try:
        now = datetime.now(timezone.utc)
        handlers.seed_org(store, now)
        if args.action == "show":
            print(json.dumps(queries.org_tree(store), ensure_ascii=False, indent=2))
            return 0
        kind = args.action.removeprefix("add-")
        parent = {"street": "district", "station": "street", "community": "station"}[kind]
        node_id = args.id or str(uuid.uuid4())
        command = getattr(commands, "Add" + kind.capitalize())(
            **{f"{kind}_id": node_id, f"{parent}_id": args.parent}, name=args.name, actor="cli")
        handlers.handle(store, command, now)
        print(json.dumps({"id": node_id}))
        return 0
    except DomainError as exc:
        details = "".join(f"\n  {field}: {'; '.join(map(str, msgs))}"
                          for field, msgs in exc.fields.items())
        print(f"{exc.message}\n{exc.message_zh}{details}", file=sys.stderr)
        return 1
    except ConcurrencyError:
        print("the tree changed meanwhile: run the command again\n组织结构已被修改，请重试",
              file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()


# -- parser ---------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="station", description="Social work station services / 社工站服务")
    sub = top.add_subparsers(dest="command", required=True)

    def with_data_dir(p):
        p.add_argument("--data-dir", default=None,
                       help="where SQLite stores live (default ./station-data; STATION_DATA_DIR)")
        return p

    up = with_data_dir(sub.add_parser("up", help="all services and the HTTP edge"))
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--no-demo", dest="demo", action="store_false",
                    help="start without the demo district's users and history")
    up.add_argument("--random-seed", type=int, default=7,
                    help="the demo's seed: the same seed gives the same district (default 7)")
    up.add_argument("--demo-scale", type=_scale, default=1.0,
                    help="the demo's size beside the source report's (default 1.0; tests "
                         "use 0.05)")
    up.set_defaults(func=cmd_up)

    serve = with_data_dir(sub.add_parser("serve", help="one service alone"))
    serve.add_argument("service")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    relay = with_data_dir(sub.add_parser("relay", help="one service's outbox relay"))
    relay.add_argument("service")
    relay.add_argument("--supervised", action="store_true",
                       help="started by `station serve`: stop when it says (SIGTERM), after "
                            "its last requests, not at a Ctrl-C of the whole terminal")
    relay.set_defaults(func=cmd_relay)

    events = sub.add_parser("events", help="the event stores").add_subparsers(dest="action",
                                                                            required=True)
    verify = with_data_dir(events.add_parser("verify", help="check every hash chain and signature"))
    verify.add_argument("--service")
    verify.set_defaults(func=cmd_events_verify)
    from station import keyops
    legacy = with_data_dir(events.add_parser(
        "sign-legacy", help="sign events stored before signing (chains checked first)"))
    legacy.add_argument("--service")
    legacy.set_defaults(func=keyops.cmd_sign_legacy)
    keys = sub.add_parser("keys", help="event signing keys").add_subparsers(dest="action",
                                                                          required=True)
    keys_new = keys.add_parser("new", help="print a fresh key pair for SERVICE (env lines)")
    keys_new.add_argument("service")
    keys_new.set_defaults(func=keyops.cmd_keys_new)
    from station import brokerops
    broker = sub.add_parser("broker", help="the message broker").add_subparsers(
        dest="action", required=True)
    broker_perms = broker.add_parser("permissions",
                                     help="print rabbitmqctl lines: one user per service")
    broker_perms.add_argument("--vhost", default="/")
    broker_perms.set_defaults(func=brokerops.cmd_broker_permissions)
    tail = with_data_dir(events.add_parser("tail", help="print events in global order"))
    tail.add_argument("service")
    tail.add_argument("--after", type=int)
    tail.add_argument("--limit", type=int, default=20)
    tail.add_argument("--follow", "-f", action="store_true")
    tail.set_defaults(func=cmd_events_tail)
    replay = with_data_dir(events.add_parser("replay", help="publish a service's events again"))
    replay.add_argument("service")
    replay.add_argument("--from", dest="from_position", type=int, default=0)
    replay.set_defaults(func=cmd_events_replay)

    users = sub.add_parser("users", help="user accounts").add_subparsers(dest="action",
                                                                      required=True)
    users_add = with_data_dir(users.add_parser(
        "add", help="add a user; password on stdin (exit 2 if the user exists)"))
    users_add.add_argument("username")
    users_add.add_argument("--role", required=True, help="social_worker, supervisor, station_head, "
                           "street_leader, district_admin, auditor or partner_office")
    users_add.add_argument("--scope", action="append", required=True,
                           help="station:<id>, street:<id> or district:<id> (repeatable)")
    users_add.set_defaults(func=cmd_users_add)
    from station import users_cli
    users_cli.register(users, with_data_dir, _config)

    org = sub.add_parser("org", help="the organisation tree").add_subparsers(dest="action",
                                                                          required=True)
    with_data_dir(org.add_parser("show", help="the tree as JSON, as GET /api/v1/org")
                  ).set_defaults(func=cmd_org)
    for kind, parent in (("street", "district"), ("station", "street"), ("community", "station")):
        add = with_data_dir(org.add_parser(f"add-{kind}", help=f"add a {kind} to a {parent}"))
        add.add_argument(f"--{parent}", dest="parent", required=True, help=f"the {parent}'s id")
        add.add_argument("--name", required=True)
        add.add_argument("--id", help="a stable id (a-z, 0-9, - or _); default: a new uuid")
        add.set_defaults(func=cmd_org)

    projections = sub.add_parser("projections", help="read models").add_subparsers(
        dest="action", required=True)
    rebuild = with_data_dir(projections.add_parser("rebuild", help="fold every event again "
                                                   "(stop the services first)"))
    rebuild.add_argument("--service")
    rebuild.set_defaults(func=cmd_projections_rebuild)

    audit = sub.add_parser("audit", help="for auditors").add_subparsers(dest="action",
                                                                      required=True)
    audit_resident = with_data_dir(audit.add_parser(
        "resident", help="one resident's events from every service, with hash-chain checks"))
    audit_resident.add_argument("resident_id")
    audit_resident.set_defaults(func=cmd_audit_resident)

    from station import (backup, config_cmd, db_cmd, deploy_files,  # ops commands:
                         import_cmd, onboard, parked)              # their own modules
    for module in (deploy_files, config_cmd, db_cmd, parked, backup, onboard, import_cmd):
        module.register(sub, with_data_dir)
    from station import inboxes
    inboxes.register(sub, with_data_dir, _config)
    return top


def main(argv=None) -> int:
    from shared.config import ConfigError
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except ConfigError as exc:  # named variables, what they should look like; exit 2
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
