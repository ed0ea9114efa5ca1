"""A private RabbitMQ node and a private PostgreSQL cluster for the fault suite.

The machine's broker and database serve every other test and engineer: a fault scenario
may stop or restart only instances of its own. Both are started from the distribution's
binaries on free ports with their data in a temporary directory, and stopped (and their
directories removed) by `close()`, which the fixtures call even when a test fails.

Two quirks of this machine kind are handled here, once:
- RabbitMQ's wrapper scripts switch to the `rabbitmq` user and read its Erlang cookie;
  the node is run as root instead, with HOME in the temporary directory holding a cookie
  of its own, so `rabbitmqctl -n NODE` talks to it and to nothing else.
- PostgreSQL refuses root, and its tools write to /dev/null, which only root may write
  here: they run as `postgres` in a private mount namespace where a null device of the
  temporary directory is bound over /dev/null (the machine's /dev/null is untouched).
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

RABBIT_BIN = "/usr/lib/rabbitmq/bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> str | None:
    """Why private instances cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "private broker and database need root (runuser, mount namespace)"
    if not os.path.exists(f"{RABBIT_BIN}/rabbitmq-server"):
        return "rabbitmq-server not installed"
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL server binaries not installed"
    return None


class PrivateRabbit:
    """One RabbitMQ node of our own: `amqp_uri`, `stop_app()`, `start_app()`, `close()`."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="faults-rabbit-")
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        cookie = os.path.join(home, ".erlang.cookie")
        with open(cookie, "w") as out:
            out.write(secrets.token_hex(16).upper())
        os.chmod(cookie, 0o400)
        open(os.path.join(self.dir, "plugins"), "w").close()
        self.port = free_port()
        self.node = f"faults-{secrets.token_hex(4)}@localhost"
        self.env = {**os.environ, "HOME": home, "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(self.port),
                    "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_MNESIA_BASE": os.path.join(self.dir, "mnesia"),
                    "RABBITMQ_LOG_BASE": os.path.join(self.dir, "log"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.dir, "plugins"),
                    "RABBITMQ_PID_FILE": os.path.join(self.dir, "pid"),
                    "RABBITMQ_CONFIG_FILE": os.path.join(self.dir, "none"),
                    "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.dir, "none.config"),
                    # No busy-waiting schedulers (a 2-core machine shared by many): the
                    # node and each CLI call leave the CPU to the services under test;
                    # the CLI's VM with one scheduler boots faster.
                    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                        "+sbwt none +sbwtdcpu none +sbwtdio none",
                    "RABBITMQ_CTL_ERL_ARGS": "+S 1:1 +A 1 +sbwt none +sbwtdcpu none "
                                             "+sbwtdio none"}
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.started = False

    def ctl(self, *args: str, timeout: float = 600, check: bool = True):
        return subprocess.run([f"{RABBIT_BIN}/rabbitmqctl", "-q", "-n", self.node, *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=check)

    def start(self, timeout: float = 600) -> "PrivateRabbit":
        subprocess.run([f"{RABBIT_BIN}/rabbitmq-server", "-detached"], env=self.env,
                       check=True, capture_output=True, timeout=300)
        self.started = True
        self.await_startup(timeout)
        return self

    def await_startup(self, timeout: float = 600) -> None:
        """Until the node runs the broker (the CLI fails while epmd does not know it yet).
        The CLI boots an Erlang VM of its own: on a loaded machine that takes minutes."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.ctl("await_startup", "--timeout", "60", check=False)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"private RabbitMQ did not start: {done.stderr[-500:]}")
            time.sleep(0.5)

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        """Returns once the app runs (`start_app` waits for it): no second CLI call."""
        self.ctl("start_app")

    def close(self) -> None:
        if self.started:
            self.ctl("stop", check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """One PostgreSQL cluster of our own (trust auth): `url(db)`, `restart()`, `close()`."""

    def __init__(self):
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.dir = tempfile.mkdtemp(prefix="faults-pg-")
        os.chmod(self.dir, 0o755)
        self.null = os.path.join(self.dir, "null")
        os.mknod(self.null, 0o666 | 0o020000, os.makedev(1, 3))
        os.chmod(self.null, 0o666)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c full_page_writes=off -c max_connections=400")
        self.started = False

    def _as_postgres(self, *argv: str, timeout: float = 300, check: bool = True):
        inner = " ".join(f"'{a}'" for a in argv)
        script = f"mount --bind '{self.null}' /dev/null && exec runuser -u postgres -- {inner}"
        return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                              text=True, timeout=timeout, check=check)

    def pg_ctl(self, *args: str, check: bool = True):
        return self._as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-l", self.log,
                                 "-w", "-t", "120", *args, check=check)

    def start(self) -> "PrivatePostgres":
        self._as_postgres(f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U",
                          "postgres", "-E", "UTF8", "--no-sync")
        self.pg_ctl("-o", self.options, "start")
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def restart(self) -> None:
        """Fast shutdown (every connection cut, as a crash or a failover does) and start."""
        self.pg_ctl("-m", "fast", "-o", self.options, "restart")

    def close(self) -> None:
        if self.started:
            self.pg_ctl("-m", "immediate", "stop", check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)
