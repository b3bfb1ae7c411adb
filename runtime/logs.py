"""Structured logs: one line per event, on stdout, with secrets taken out.

Relance's own code logs events (``log.info("sync.done", connection=…, records=…)``);
libraries' plain log records (RQ, gunicorn, Alembic) come out as the same lines.
A request or a job binds its id once and every line it writes carries it.

Production (and the tests, which read them) get JSON lines. In development a person reads the
console, so the lines are readable instead (``readable=True``: time, level, event, key=value)
and the libraries' step-by-step narration at INFO is left out (their warnings still show).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextlib import suppress
from datetime import datetime
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

# A key whose name says it holds a credential is never written, whatever its value.
SECRET_KEY_PATTERN = re.compile(
    r"(token|secret|password|passwd|authorization|cookie|api[_-]?key|signature|verifier|code_verifier)",
    re.IGNORECASE,
)
# Credentials that can hide inside free text: URL passwords, bearer tokens, OAuth parameters.
SECRET_TEXT_PATTERNS = (
    (re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9\-._~+/=]+"), r"\1 [redacted]"),
    (re.compile(r"(://[^:/@\s]+):[^@/\s]+@"), r"\1:[redacted]@"),
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|id_token|code|client_secret|code_verifier)=[^&\s\"']+"
        ),
        r"\1=[redacted]",
    ),
)
REDACTED = "[redacted]"
# Werkzeug's access lines duplicate our request lines; Alembic announces its plugins at INFO.
# Libraries that narrate every step at INFO: their warnings still come through.
QUIET_LOGGERS = ("werkzeug", "alembic.runtime.plugins", "weasyprint", "fontTools", "mail.log")
# What the console leaves out at INFO in development: RQ says three lines per job and the cron
# scheduler one per enqueue (Relance's job.done and job.failed say what matters once), gunicorn's
# access lines repeat Relance's request lines, and Alembic narrates its start on every process.
DEVELOPMENT_QUIET_LOGGERS = (
    "rq.worker",
    "rq.cron",
    "rq.scheduler",
    "gunicorn.access",
    "alembic.runtime.migration",
)


def redact_text(text: str) -> str:
    """Remove credentials from free text (exception messages, URLs)."""
    for pattern, replacement in SECRET_TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: Any, key: str = "") -> Any:
    if key and SECRET_KEY_PATTERN.search(key) and value is not None:
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the last thing before rendering, so nothing skips it."""
    return {key: _redact(value, key) for key, value in event_dict.items()}


# An X-Request-ID a client may give its request (a proxy's), else the request gets its own.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(incoming: str) -> str:
    """The request's id: the one its X-Request-ID gave, if fit to log, else a new one."""
    return incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _local_time(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """The console's time of day, in the machine's zone (the JSON lines keep full UTC instants)."""
    stamp = event_dict.get("timestamp")
    if isinstance(stamp, str):
        with suppress(ValueError):
            event_dict["timestamp"] = datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    return event_dict


def _formatter(readable: bool = False) -> logging.Formatter:
    renderer: Any
    if readable:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stdout.isatty(), pad_event_to=0, pad_level=False, sort_keys=False
        )
    else:
        renderer = structlog.processors.JSONRenderer(sort_keys=False, default=str)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            *([_local_time] if readable else []),
            renderer,
        ],
    )


class _LibraryNarration(logging.Filter):
    """Drops the INFO lines of DEVELOPMENT_QUIET_LOGGERS. A handler's filter, because RQ sets its
    logger's level itself when a worker starts."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not any(
            record.name == name or record.name.startswith(name + ".") for name in DEVELOPMENT_QUIET_LOGGERS
        )


class StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stdout is at the time of the record (test capture swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(level: str = "INFO", readable: bool = False) -> None:
    """Send every log record, ours and libraries', to stdout: JSON lines, or readable ones for a
    person at a development console."""
    configure_structlog()
    handler = StdoutHandler()
    handler.setFormatter(_formatter(readable))
    if readable:
        handler.addFilter(_LibraryNarration())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def json_formatter() -> logging.Formatter:
    """The formatter that renders libraries' records as our JSON lines (for gunicorn's dictConfig)."""
    configure_structlog()
    return _formatter()


def readable_formatter() -> logging.Formatter:
    """The formatter of development's readable lines (for gunicorn's dictConfig)."""
    configure_structlog()
    return _formatter(readable=True)


def gunicorn_logconfig(readable: bool = False) -> dict[str, Any]:
    """A logging.config dict that makes gunicorn's own lines like ours (JSON, or readable)."""
    quiet = {
        **dict.fromkeys(QUIET_LOGGERS, "WARNING"),
        **(dict.fromkeys(DEVELOPMENT_QUIET_LOGGERS, "WARNING") if readable else {}),
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "lines": {"()": "runtime.logs.readable_formatter" if readable else "runtime.logs.json_formatter"}
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "lines", "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": ["stdout"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            # Relance writes its own line per request (web/__init__.py: with the request id, the
            # path redacted); gunicorn writes access lines whenever a logconfig is given, which
            # was a second JSON line per request: a tenth of a webhook delivery's time.
            "gunicorn.access": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
            **{name: {"level": level} for name, level in quiet.items() if name != "gunicorn.access"},
        },
    }
