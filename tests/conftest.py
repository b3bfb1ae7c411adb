"""Fixtures over real parts: the session's own database and Redis, the app, and real
`relance` processes (worker, scheduler, demo) started as subprocesses."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from runtime import clock, jobs
from runtime.db import Base, db
from runtime.settings import Settings, get_settings, reload_settings
from tests.services import TestServices, from_environment

REPO = Path(__file__).resolve().parent.parent
_services: TestServices | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _services
    # What `make install` does (and the package build): the UI's catalogues, compiled from the .po
    # sources, so that a plain `pytest` in any checkout serves French as `make test` does.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(REPO / "web" / "translations"),
        ],
        check=True,
        capture_output=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="relance-tests-"))
    _services = from_environment(folder)
    os.environ.update(_services.start())
    config.stash[_folder_key] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    db.close()  # release pooled connections so the database can be dropped
    if _services is not None:
        _services.stop()
    shutil.rmtree(config.stash.get(_folder_key, ""), ignore_errors=True)


_folder_key = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def services() -> TestServices:
    assert _services is not None
    return _services


@pytest.fixture
def settings() -> Settings:
    return reload_settings()


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from web import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    yield app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url)
    client.flushdb()
    jobs.use_connection(client)  # what this process enqueues goes here
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def session(app) -> Iterator:  # type: ignore[no-untyped-def]
    """The database session; every table is emptied after the test."""
    yield db.session
    db.session.rollback()
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    db.session.remove()


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def relance_command(*args: str) -> list[str]:
    """The `relance` CLI as a subprocess command, run from the repository."""
    return [sys.executable, "-m", "web", *args]


class RelanceProcess(subprocess.Popen):  # type: ignore[type-arg]
    """A `relance …` subprocess whose output goes to a file: a pipe nobody reads fills up and
    blocks the process writing to it."""

    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> str:
        """SIGTERM, wait, and the whole output."""
        if self.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
        self.wait(timeout=timeout)
        return self.output()


@pytest.fixture
def start_process(tmp_path: Path) -> Iterator[Callable[..., RelanceProcess]]:
    """Start `relance …` subprocesses that are stopped (SIGTERM, then SIGKILL) after the test."""
    started: list[RelanceProcess] = []

    def start(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> RelanceProcess:
        environment = {name: value for name, value in os.environ.items() if name not in unset}
        log_path = tmp_path / f"{args[0]}-{len(started)}.log"
        with open(log_path, "w") as log_file:
            process = RelanceProcess(
                relance_command(*args),
                cwd=REPO,
                env={**environment, **(env or {})},
                stdout=log_file,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        process.log_path = log_path
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.05) -> object:
    """Poll ``condition`` until it returns something truthy; fail the test at ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


class Mailbox:
    """A real SMTP server (aiosmtpd) on a loopback port, keeping what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list = []
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                import email
                from email import policy

                mailbox.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> str:
        self.controller.start()
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.controller.stop()


def header_problems(message, public_url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is missing or wrong in a message's Date and Message-ID headers (RFC 5322 3.6.1, 3.6.4)."""
    from email.utils import parsedate_to_datetime
    from urllib.parse import urlsplit

    problems = []
    try:
        if parsedate_to_datetime(str(message["Date"])).tzinfo is None:
            problems.append(f"Date without a zone: {message['Date']}")
    except (TypeError, ValueError):
        problems.append(f"no valid Date header: {message['Date']!r}")
    host = urlsplit(public_url).hostname
    message_id = str(message["Message-ID"] or "")
    if not (message_id.startswith("<") and message_id.endswith(f"@{host}>")):
        problems.append(f"Message-ID not on the PUBLIC_URL host {host}: {message_id!r}")
    return problems


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """Mail sent by Relance lands here; SMTP_URL points at it. Every message received in a test
    must carry a Date and a Message-ID on the PUBLIC_URL host, or the test errors at teardown."""
    box = Mailbox()
    monkeypatch.setenv("SMTP_URL", box.start())
    reload_settings()
    yield box
    box.stop()
    public_url = get_settings().external_url  # as the test left it: it may have set PUBLIC_URL
    problems = [
        f"{message['Subject']}: {problem}"
        for message in box.messages
        for problem in header_problems(message, public_url)
    ]
    assert not problems, problems


@pytest.fixture
def xero(monkeypatch, session, redis_client, mailbox):  # type: ignore[no-untyped-def]
    """An empty Xero organisation in the sandbox, connected over HTTP, with the default schedule
    (tests/reminders/books.py XeroBooks)."""
    from runtime.tenancy import Organisation
    from tests.integration.ledgers import point_at_xero, running_xero, xero_consent
    from tests.reminders.books import XeroBooks
    from tests.reminders.chasing import default_schedule

    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        (connection,) = xero_consent(session, sandbox)
        organisation = session.get(Organisation, connection.organisation_id)
        # UTC, as the owner chose it: the sync keeps it (the sandbox says Auckland), so that "today"
        # is the sandbox's whatever the hour the tests run at.
        organisation.timezone, organisation.timezone_set_by, organisation.country = "UTC", "owner", "NZ"
        session.commit()
        default_schedule(session, organisation.id)
        yield XeroBooks(sandbox, session, organisation.id, connection.id)
