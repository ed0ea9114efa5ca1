"""Run one nameko service class in this process, as `station serve` does for the real
services:  python -m tests.support.run MODULE:CLASS [PORT]
(AMQP_URI and the rest from the environment; with PORT its web server listens on
127.0.0.1:PORT; prints "ready" once started)."""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import importlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from shared import deployment, logs  # noqa: E402
from shared.config import Settings  # noqa: E402


def main(target: str, port: int | None = None) -> None:
    module, _, cls_name = target.partition(":")
    cls = getattr(importlib.import_module(module), cls_name)
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    deployment.name_rpc_queues(settings.deployment)
    runner = ServiceRunner(settings.nameko_config(f"127.0.0.1:{port}" if port else None))
    runner.add_service(cls)
    runner.start()
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    print("ready", flush=True)
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
