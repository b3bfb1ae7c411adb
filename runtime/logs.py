"""Structured logs: one JSON line per event, on stdout, with secrets taken out.

Relance's own code logs events (``log.info("sync.done", connection=…, records=…)``);
libraries' plain log records (RQ, gunicorn, Alembic) come out as the same JSON lines.
A request or a job binds its id once and every line it writes carries it.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

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


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last thing before rendering, so nothing skips it."""
    return {key: _redact(value, key) for key, value in event_dict.items()}


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


def _formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.processors.JSONRenderer(sort_keys=False, default=str),
        ],
    )


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time of the record (test capture swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure(level: str = "INFO") -> None:
    """Send every log record, ours and libraries', to stdout as JSON lines."""
    configure_structlog()
    handler = StdoutHandler()
    handler.setFormatter(_formatter())
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


def gunicorn_logconfig() -> dict[str, Any]:
    """A logging.config dict that makes gunicorn's own lines JSON like ours."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "runtime.logs.json_formatter"}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": ["stdout"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        },
    }
