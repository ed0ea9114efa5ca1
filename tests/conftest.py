"""Fixtures for the real broker and database.

AMQP_URI and DATABASE_URL name them when set (CI sets both); otherwise testcontainers
starts them where a Docker engine exists; otherwise the local defaults of this machine
kind are used. Each test gets its own RabbitMQ virtual host (when rabbitmqctl is at hand)
and its own PostgreSQL database, so tests never see each other's queues or rows.
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from shared import db, migrations

LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _docker_available() -> bool:
    try:
        import docker
        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def broker_uri():
    if os.environ.get("AMQP_URI"):
        yield os.environ["AMQP_URI"]
    elif _docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer
        with RabbitMqContainer("rabbitmq:3.13") as rabbit:
            params = rabbit.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
    else:
        yield LOCAL_AMQP


@pytest.fixture(scope="session")
def postgres_url():
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
    elif _docker_available():
        from testcontainers.postgres import PostgresContainer
        with PostgresContainer("postgres:15") as pg:
            yield pg.get_connection_url()
    else:
        yield LOCAL_PG


def rabbitmqctl(*args: str, attempts: int = 4) -> None:
    """rabbitmqctl, tried again a few times: on a loaded machine the CLI sometimes fails to
    reach the node in time (exit 64/69/75) although the broker is fine."""
    import time
    for attempt in range(attempts):
        done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=60)
        if done.returncode == 0:
            return
        if args[0] == "delete_vhost" and b"does not exist" in done.stderr + done.stdout:
            return
        time.sleep(1 + 2 * attempt)
    raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)


def _scratch_vhost(broker_uri: str):
    """A fresh virtual host on the real broker (the URI to it), deleted afterwards."""
    if not shutil.which("rabbitmqctl"):
        yield broker_uri
        return
    vhost = f"test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    user = urlsplit(broker_uri).username or "guest"
    rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    parts = urlsplit(broker_uri)
    yield urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def amqp_uri(broker_uri):
    """A fresh virtual host on the real broker, deleted afterwards."""
    yield from _scratch_vhost(broker_uri)


@pytest.fixture(scope="module")
def module_amqp_uri(broker_uri):
    """One virtual host for a module's tests that share services, deleted afterwards."""
    yield from _scratch_vhost(broker_uri)


@pytest.fixture
def database_url(postgres_url):
    """A fresh PostgreSQL database on the real server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db.normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    parts = urlsplit(postgres_url)
    yield urlunsplit(parts._replace(path="/" + name))
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path):
    """A migrated store engine on each backend (the contract suites run on both)."""
    if request.param == "sqlite":
        eng = db.make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        url = request.getfixturevalue("database_url")
        eng = db.make_engine(url, schema="svc")
    migrations.upgrade(eng)
    yield eng
    eng.dispose()


# -- running services as their containers would ---------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServices:
    """Services started with `station serve NAME` in subprocesses, on the real broker."""

    def __init__(self, env: dict, data_dir: str):
        self.env, self.data_dir = env, data_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def start(self, *names: str, timeout: float = 60.0) -> "RunningServices":
        import sys
        import time
        import urllib.request
        for name in names:
            port = free_port()
            log = open(os.path.join(self.data_dir, f"{name}.log"), "ab")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "station.cli", "serve", name, "--port", str(port),
                 "--data-dir", self.data_dir], env=self.env, stdout=log, stderr=log)
            self.ports[name] = port
        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: see {self.data_dir}/{name}.log")
                try:
                    urllib.request.urlopen(f"{self.url(name)}/api/v1/{name}/ping", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{name} did not answer ping")
                    time.sleep(0.2)
        for name in names:
            self.wait_consuming(name, deadline)
        return self

    def wait_consuming(self, name: str, deadline: float) -> None:
        """Wait until `name` consumes each of its inbox queues. Its HTTP answers before its
        event consumers attach; a test that reads the broker (who consumes what?) or
        publishes straight away must not race that."""
        import time

        import kombu

        from shared import deployment, topology
        prefix = self.env.get("STATION_DEPLOYMENT")
        if prefix is None:
            prefix = deployment.derive(self.data_dir, self.env.get("DATABASE_URL"))
        queues = [topology.inbox_name(name, source, prefix)
                  for source in topology.SUBSCRIPTIONS.get(name, ())]
        with kombu.Connection(self.env["AMQP_URI"], connect_timeout=5) as conn:
            for queue in queues:
                while True:
                    channel = conn.channel()
                    try:
                        if channel.queue_declare(queue, passive=True).consumer_count:
                            break
                    except Exception:  # not declared yet
                        pass
                    finally:
                        try:
                            channel.close()
                        except Exception:
                            pass
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{name} did not consume {queue}")
                    time.sleep(0.2)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self, *names: str) -> None:
        for name in names or list(self.procs):
            proc = self.procs.pop(name, None)
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def kill(self, name: str) -> None:
        """SIGKILL: no graceful stop, unacked messages go back to the queue."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()


@pytest.fixture
def service_env(amqp_uri, tmp_path, request):
    """Environment for service subprocesses: this test's vhost; SQLite files in tmp_path,
    or this test's PostgreSQL database when the test asks for `database_url` too; the
    suite's signing, lookup and service keys, shared with the tests (tests/support/auth.py)."""
    from tests.support.auth import TEST_JWT_KEYS, TEST_LOOKUP_KEY, TEST_SERVICE_KEY
    env = {**os.environ, "AMQP_URI": amqp_uri, "STATION_DATA_DIR": str(tmp_path),
           "RETRY_DELAY_MS": "300", "LOG_LEVEL": "WARNING",
           "STATION_JWT_KEYS": TEST_JWT_KEYS, "STATION_LOOKUP_KEY": TEST_LOOKUP_KEY,
           "STATION_SERVICE_KEY": TEST_SERVICE_KEY,
           # Unprefixed broker names (shared.deployment): the vhost is this test's alone.
           "STATION_DEPLOYMENT": ""}
    env.pop("DATABASE_URL", None)
    if "database_url" in request.fixturenames:
        env["DATABASE_URL"] = request.getfixturevalue("database_url")
    return env


@pytest.fixture
def services(service_env, tmp_path):
    running = RunningServices(service_env, str(tmp_path))
    yield running
    running.stop()


def pytest_collection_modifyitems(config, items):
    """Modules that start a whole demo station (`whole_station`) go first, spread out.

    The parallel run hands out one file at a time in this order (scripts/test.sh passes
    --no-loadscope-reorder; xdist's default puts files with few tests, which these are,
    last). First, so that the longest files never make the run's tail; spread (two,
    then one after every two others), so that workers seldom wait for one of the two
    station slots (tests.support.slots)."""
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)
    heavy = [f for f, its in files.items() if its[0].get_closest_marker("whole_station")]
    light = [f for f in files if f not in heavy]
    order, later = heavy[:2], iter(heavy[2:])
    for i, name in enumerate(light):
        order.append(name)
        if i % 2 == 1:
            order.extend(itertools.islice(later, 1))
    order.extend(later)
    items[:] = [item for name in order for item in files[name]]
