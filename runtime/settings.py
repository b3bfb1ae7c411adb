"""Relance's settings: one typed object, read from the environment once.

Nothing else in Relance reads ``os.environ``. A bare machine needs no setting at all
(SQLite and an embedded Redis in the instance folder, generated development keys);
production (``RELANCE_ENV=production``) refuses to start without its secrets. In development,
while ``relance demo`` runs, the settings it gave its own processes are read too (see
:func:`running_demo`), so that ``relance sync …`` works from a second terminal.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message is one line a person can act on."""


# Every setting a production deployment must provide, by environment variable.
PRODUCTION_REQUIRED = ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL")

# A ledger is configured when its client id is set; then its secret and webhook key must be too.
LEDGER_CREDENTIALS = {
    "Xero": ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_WEBHOOK_KEY"),
    "QuickBooks": ("QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET", "QUICKBOOKS_WEBHOOK_VERIFIER"),
}


class Settings(BaseSettings):
    """Every knob Relance has. Field ``foo_bar`` is environment variable ``FOO_BAR``."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    relance_env: Literal["development", "test", "production"] = "development"
    relance_instance: Path = Field(default=Path("instance"))
    database_url: str | None = None
    redis_url: str | None = None
    # Heroku Redis presents a self-signed certificate: "none" accepts it, as Heroku documents.
    redis_ssl_cert_reqs: Literal["required", "optional", "none"] = "required"
    secret_key: SecretStr | None = None
    token_encryption_key: SecretStr | None = None
    # Keys that sign the customers' portal links, comma-separated, the newest first (rotation:
    # reminders/portal/links.py); unset, SECRET_KEY signs them (rotating it then ends every link).
    portal_link_keys: SecretStr | None = None
    public_url: str | None = None
    smtp_url: str = "smtp://127.0.0.1:8025"
    mail_from: str = "Relance <relance@localhost>"
    xero_client_id: str | None = None
    xero_client_secret: SecretStr | None = None
    xero_webhook_key: SecretStr | None = None
    quickbooks_client_id: str | None = None
    quickbooks_client_secret: SecretStr | None = None
    quickbooks_webhook_verifier: SecretStr | None = None
    # None talks to the real Xero and Intuit hosts; a URL talks to a ledger sandbox that serves
    # every host of that ledger under one base URL (`relance sandbox xero|quickbooks`).
    xero_base_url: str | None = None
    quickbooks_base_url: str | None = None
    xero_scopes: str = (
        "openid profile email offline_access accounting.transactions accounting.contacts "
        "accounting.settings.read accounting.reports.read"
    )
    quickbooks_scopes: str = "com.intuit.quickbooks.accounting openid profile email"
    relance_today: date | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # A sync holds its connection's lock this long past its last page: how long a sync killed
    # mid-way (SIGKILL, a lost machine) keeps the next one waiting.
    sync_lock_seconds: int = 60
    worker_queues: str = "sync,default,low"
    # How long a sign-in lasts, remembered across browser restarts; the server ends it then,
    # whatever the browser keeps.
    remember_me_days: int = Field(default=14, ge=1, le=365)
    # How long a form may stay open before submitting it needs a reload (its CSRF token expires).
    csrf_token_hours: int = Field(default=8, ge=1, le=168)
    # The web process (web/gunicorn_conf.py): worker processes (Heroku sets WEB_CONCURRENCY for
    # the dyno's memory; unset, 2 x cores + 1, at most 8) and threads in each.
    web_concurrency: int | None = Field(default=None, ge=1, le=64)
    web_threads: int = Field(default=8, ge=1, le=64)

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_a_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must start with redis://, rediss:// or unix://")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("has no host")
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError as exc:
            raise ValueError(f"has a bad port ({exc})") from None
        db = parts.path.lstrip("/")
        if parts.scheme != "unix" and db and not db.isdigit():
            raise ValueError(f"names database {db!r}; a Redis database is a number")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        # Heroku still hands out postgres:// URLs; SQLAlchemy wants a dialect and driver.
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgres://")
        elif value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("postgresql+psycopg://", "sqlite://")):
            raise ValueError("must be a postgres:// or sqlite:// URL")
        return value

    @property
    def production(self) -> bool:
        return self.relance_env == "production"

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS: always in production, and wherever Relance is reached by https."""
        return self.production or self.external_url.startswith("https://")

    @property
    def instance_path(self) -> Path:
        return self.relance_instance.resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The database to use: DATABASE_URL, or SQLite in the instance folder."""
        return self.database_url or f"sqlite:///{self.instance_path / 'relance.db'}"

    @property
    def external_url(self) -> str:
        """Where people and ledgers reach this Relance (OAuth redirects, webhooks, links in emails)."""
        return (self.public_url or "http://127.0.0.1:5000").rstrip("/")

    @property
    def queues(self) -> list[str]:
        return [name.strip() for name in self.worker_queues.split(",") if name.strip()]

    def secret(self, name: Literal["secret_key", "token_encryption_key"]) -> str:
        """A secret's value; outside production a missing one is generated once and kept in the instance."""
        value: SecretStr | None = getattr(self, name)
        if value is not None:
            return value.get_secret_value()
        if self.production:  # check() refuses this at start; this guards a code path that skipped it
            raise ConfigurationError(f"{name.upper()} must be set when RELANCE_ENV=production")
        return _development_secret(self.instance_path, name)

    def check(self) -> None:
        """Refuse to run with settings that cannot work; every message names the variable."""
        if self.production:
            missing = [var for var in PRODUCTION_REQUIRED if not getattr(self, var.lower())]
            if missing:
                raise ConfigurationError(f"{', '.join(missing)} must be set when RELANCE_ENV=production")
            configured = [
                ledger for ledger, ids in LEDGER_CREDENTIALS.items() if getattr(self, ids[0].lower())
            ]
            if not configured:
                raise ConfigurationError(
                    "XERO_CLIENT_ID or QUICKBOOKS_CLIENT_ID must be set when RELANCE_ENV=production"
                )
            for ledger in configured:
                missing = [var for var in LEDGER_CREDENTIALS[ledger][1:] if not getattr(self, var.lower())]
                if missing:
                    raise ConfigurationError(f"{', '.join(missing)} must be set to connect {ledger}")
        for name in ("xero_base_url", "quickbooks_base_url"):
            url = getattr(self, name)
            if url and self.production:
                raise ConfigurationError(f"{name.upper()} points at a ledger sandbox; unset it in production")
            if url and urlsplit(url).scheme not in ("http", "https"):
                raise ConfigurationError(f"{name.upper()} must be an http(s) URL")
        if self.token_encryption_key is not None:
            for key in self.token_encryption_key.get_secret_value().split(","):
                try:
                    Fernet(key.strip())
                except ValueError:
                    raise ConfigurationError(
                        "TOKEN_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
                    ) from None


def _development_secret(instance: Path, name: str) -> str:
    """Generate a development secret once and keep it, so sessions and tokens survive restarts."""
    path = instance / f".{name}"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = Fernet.generate_key().decode() if name == "token_encryption_key" else secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


# Written by `relance demo` into the instance folder: the environment it gives web, worker and
# scheduler (sandbox URLs, app credentials, webhook keys, the embedded Redis).
DEMO_ENVIRONMENT_FILE = "demo.env"
_DEMO_PID = "RELANCE_DEMO_PID"


@dataclass(frozen=True)
class RunningDemo:
    """A `relance demo` that is running on an instance folder, and the settings it handed out."""

    pid: int
    environment: dict[str, str]


def _is_our_process(pid: int) -> bool:
    """Whether a process of this user has this id (signal 0 asks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: the id was reused, the demo that wrote the file is gone
        return False
    return True


def running_demo(instance: Path) -> RunningDemo | None:
    """The demo running on this instance, from its environment file; None when no demo runs.

    The demo removes the file when it stops; a file left by a demo that was killed names a
    process that is gone, and is ignored.
    """
    path = instance / DEMO_ENVIRONMENT_FILE
    try:
        text = path.read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None
    values = {}
    for line in text.splitlines():
        name, separator, value = line.partition("=")
        if separator and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    pid = values.pop(_DEMO_PID, "")
    if not pid.isdigit() or not _is_our_process(int(pid)):
        return None
    return RunningDemo(int(pid), values)


def write_demo_environment(instance: Path, environment: dict[str, str], pid: int) -> Path:
    """Write the demo's environment file, readable by its owner only (it holds app secrets)."""
    lines = [
        "# Written by `relance demo` for `relance` commands in another terminal (development only);",
        "# removed when the demo stops, ignored if the demo is gone.",
        f"{_DEMO_PID}={pid}",
    ]
    for name, value in environment.items():
        if "\n" in value or "\r" in value:
            raise ValueError(f"{name} holds a line break")
        lines.append(f"{name.upper()}={value}")
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / DEMO_ENVIRONMENT_FILE
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    os.chmod(partial, 0o600)  # even if an older partial file had other permissions
    os.replace(partial, path)
    return path


def remove_demo_environment(instance: Path, pid: int) -> None:
    """Remove the demo's environment file, if it is still this demo's."""
    found = running_demo(instance)
    if found is not None and found.pid == pid:
        (instance / DEMO_ENVIRONMENT_FILE).unlink(missing_ok=True)


def _with_running_demo(settings: Settings) -> Settings:
    """In development only, settings a running demo gave its processes fill what the environment
    leaves unset. Production and tests never read the file; a variable that is set always wins."""
    if settings.relance_env != "development":
        return settings
    demo = running_demo(settings.instance_path)
    if demo is None:
        return settings
    fields = set(Settings.model_fields)
    # Strings as the environment gives them: the fields parse them as they parse the environment's.
    borrowed: dict[str, Any] = {
        name.lower(): value
        for name, value in demo.environment.items()
        if name.lower() in fields and name not in os.environ and name.lower() not in os.environ
    }
    return Settings(**borrowed) if borrowed else settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment on first use."""
    try:
        settings = _with_running_demo(Settings())
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigurationError(f"{variable} {first['msg'].removeprefix('Value error, ')}") from None
    settings.check()
    _allow_plain_http_to_loopback_sandboxes(settings)
    return settings


def _allow_plain_http_to_loopback_sandboxes(settings: Settings) -> None:
    """oauthlib refuses http:// endpoints unless OAUTHLIB_INSECURE_TRANSPORT is set. A ledger
    sandbox on this machine speaks plain http on loopback; nothing else ever gets that leave,
    and production refuses sandbox URLs altogether (see check())."""
    sandboxes = [url for url in (settings.xero_base_url, settings.quickbooks_base_url) if url]
    loopback = all(urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1") for url in sandboxes)
    if sandboxes and loopback and not settings.production:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def reload_settings() -> Settings:
    """Read the environment again (tests and the demo change it between runs)."""
    get_settings.cache_clear()
    return get_settings()


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a child process of Relance's: ours, with ``overrides`` set."""
    return {**os.environ, **{name.upper(): value for name, value in overrides.items()}}


@contextmanager
def environment_of(values: dict[str, str], unset: tuple[str, ...] = ()) -> Iterator[Settings]:
    """Run a block under these settings (environment variables), then put the process's own back:
    for a process that runs a whole Relance of its own for a while (`relance simulate`)."""
    saved = {name: os.environ.get(name) for name in [*values, *unset]}
    os.environ.update(values)
    for name in unset:
        os.environ.pop(name, None)
    try:
        yield reload_settings()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reload_settings()
