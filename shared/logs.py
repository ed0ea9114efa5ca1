"""structlog set up once per process: JSON lines with bound context, no personal data.

Context (service, correlation_id, event type and position) is bound with
structlog.contextvars so every line of one message's handling carries it.
Never bind a resident's name, ID number, phone or address: log ids only.
"""
from __future__ import annotations

import logging
import sys

import structlog

# Keys whose values are personal data; dropped if anyone binds them by mistake.
PERSONAL_KEYS = frozenset({"name", "id_number", "phone", "address", "birth_date", "notes"})


def _drop_personal(_logger, _method, event_dict):
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


class _StderrLogger:
    """Writes each line to whatever sys.stderr is *now* (test runners swap it)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


class _StderrHandler(logging.StreamHandler):
    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


class _ExpectedAnswers(logging.Filter):
    """Drops nameko's 'error handling worker' traceback for an exception the API answers
    with a 4xx (NotFound, Forbidden, …): shared.web logs it as one `http.refused` line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or "error handling worker" not in str(record.msg):
            return True
        from shared.errors import to_api_error
        from shared.web import ApiHandler
        worker = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if not isinstance(getattr(worker, "entrypoint", None), ApiHandler):
            return True  # RPC and subscribers: their callers get no HTTP answer
        try:
            return to_api_error(exc).status >= 500
        except Exception:  # not an API answer: a real fault, keep its traceback
            return True


def configure(level: str = "INFO", stream=None) -> None:
    """JSON lines to stderr (or to `stream`), for structlog and the libraries' stdlib logs."""
    if stream is None and not any(isinstance(h, _StderrHandler) for h in logging.root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.root.addHandler(handler)
    logging.root.setLevel(level)
    # The web server's access lines carry query strings (?q=<a name>): never at INFO.
    logging.getLogger("nameko.web.server").setLevel(logging.WARNING)
    # Migrations say "Context impl SQLiteImpl" and the like at every start: not news.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))
    containers = logging.getLogger("nameko.containers")
    if not any(isinstance(f, _ExpectedAnswers) for f in containers.filters):
        containers.addFilter(_ExpectedAnswers())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_personal,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=(structlog.PrintLoggerFactory(stream) if stream is not None
                        else lambda *_: _StderrLogger()),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )


def get(name: str | None = None):
    return structlog.get_logger(name)
