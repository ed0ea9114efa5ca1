"""The five services as separate processes on a private broker and database, and what a
scenario does to them: stop the broker's app, restart PostgreSQL, SIGKILL and restart a
service, stop and start reporting.

Each scenario works in a station of its own (added by the district admin), so the station's
reported figures are that scenario's alone while the services run on across scenarios.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import sqlalchemy as sa

from shared import db
from station import catalog
from shared.stores import open_store
from tests.conftest import RunningServices
from tests.support.auth import TEST_JWT_KEYS, TEST_LOOKUP_KEY, TEST_SERVICE_KEY, People, call

SERVICES = catalog.SERVICES
STREET, DISTRICT = "xihulu", "nanming"


class Plant:
    def __init__(self, rabbit, postgres, data_dir: str):
        self.rabbit, self.postgres, self.data_dir = rabbit, postgres, data_dir
        self.database = f"faults_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(db.normalise_url(postgres.url()), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
        admin.dispose()
        self.env = {**os.environ, "AMQP_URI": rabbit.amqp_uri,
                    "DATABASE_URL": postgres.url(self.database),
                    "STATION_DATA_DIR": data_dir, "RETRY_DELAY_MS": "300",
                    "LOG_LEVEL": "WARNING", "STATION_JWT_KEYS": TEST_JWT_KEYS,
                    "STATION_LOOKUP_KEY": TEST_LOOKUP_KEY,
                    "STATION_SERVICE_KEY": TEST_SERVICE_KEY, "STATION_DEPLOYMENT": ""}
        self.services = RunningServices(self.env, data_dir)
        self.people: People | None = None
        self._stores: dict = {}
        # Poison messages injected so far (event ids): parked for good, by design, and
        # still parked when later scenarios look at the parked queues.
        self.poisons: set[str] = set()

    def start(self) -> "Plant":
        self.services.start(*SERVICES, timeout=180)
        self.people = People(self.env)
        return self

    def close(self) -> None:
        for proc in self.services.procs.values():   # all told at once, then waited for
            if proc.poll() is None:
                proc.terminate()
        self.services.stop()
        for store in self._stores.values():
            store.engine.dispose()
        if self.people:
            self.people.close()

    # -- people and stations ------------------------------------------------------------

    def url(self, service: str) -> str:
        return self.services.url(service)

    def token(self, user: str, role: str, scope: str) -> str:
        return self.people.token(self.url("residents"), user, role, scope)

    def new_station(self, name: str) -> tuple[str, str, str]:
        """A station with one community, and its social worker's token: (station,
        community, token)."""
        admin = self.token("faults-admin", "district_admin", f"district:{DISTRICT}")
        station, community = f"st-{name}", f"cm-{name}"
        for path, body in (("/org/stations", {"street_id": STREET, "id": station,
                                              "name": f"站 {name}"}),
                           ("/org/communities", {"station_id": station, "id": community,
                                                 "name": f"社区 {name}"})):
            status, answer = call(self.url("residents"), "POST", "/api/v1" + path, body, admin)
            assert status in (200, 201), (path, status, answer)
        head = self.token(f"head-{name}", "station_head", f"station:{station}")
        return station, community, head

    # -- the stores, read as an operator's tools read them ------------------------------

    def store(self, name: str):
        if name not in self._stores:
            config = {"DATABASE_URL": self.env["DATABASE_URL"],
                      "STATION_DATA_DIR": self.data_dir}
            self._stores[name] = open_store(name, config, catalog.registry(name),
                                            catalog.projections(name))
        return self._stores[name]

    # -- faults ---------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        self.services.kill(name)

    def restart(self, name: str) -> None:
        self.services.start(name, timeout=180)

    def stop(self, name: str) -> None:
        self.services.stop(name)

    def cli(self, *args: str, timeout: float = 300) -> str:
        """A `station` command as an operator runs it on this plant; its stdout."""
        done = subprocess.run([sys.executable, "-m", "station.cli", *args, "--data-dir",
                               self.data_dir], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        return done.stdout
