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


def configure(level: str = "INFO", stream=None) -> None:
    logging.basicConfig(level=level, stream=stream or sys.stderr, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_personal,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )


def get(name: str | None = None):
    return structlog.get_logger(name)
