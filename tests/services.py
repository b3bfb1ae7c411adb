"""The test session's own database and Redis, created at the start and dropped at the end.

Given DATABASE_URL (CI's PostgreSQL), the suite creates a database of its own on that server;
given REDIS_URL, it uses that Redis database and empties it. Otherwise: a SQLite file and the
embedded Redis in a temporary folder. Every in-process app and every subprocess (workers,
scheduler, demo) reads these through the environment.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import migrations
from runtime.redis import EmbeddedRedis
from runtime.settings import Settings


def create_database(server_url: str | None, folder: Path) -> str:
    """A new, empty database: on the server of ``server_url``, or a SQLite file in ``folder``."""
    if not server_url:
        return f"sqlite:///{folder / f'relance-{uuid.uuid4().hex[:8]}.db'}"
    url = make_url(Settings(database_url=server_url).sqlalchemy_url)
    name = f"relance_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class TestServices:
    folder: Path
    server_database_url: str | None = None
    given_redis_url: str | None = None
    database_url: str = ""
    redis_url: str = ""
    embedded: EmbeddedRedis | None = None
    extra_databases: list[str] = field(default_factory=list)

    def start(self) -> dict[str, str]:
        """Create the database and Redis; returns the environment every test process shares."""
        self.database_url = create_database(self.server_database_url, self.folder)
        migrations.upgrade(Settings(database_url=self.database_url).sqlalchemy_url)
        if self.given_redis_url:
            self.redis_url = self.given_redis_url
        else:
            self.embedded = EmbeddedRedis(self.folder / "redis")
            self.redis_url = self.embedded.ensure_running()
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "RELANCE_ENV": "test",
            "RELANCE_INSTANCE": str(self.folder / "instance"),
            "SECRET_KEY": "test-secret-key",
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }

    def another_database(self) -> str:
        """A further empty database on the same server, dropped with the session."""
        url = create_database(self.server_database_url, self.folder)
        self.extra_databases.append(url)
        return url

    def stop(self) -> None:
        for url in [self.database_url, *self.extra_databases]:
            if url:
                drop_database(Settings(database_url=url).sqlalchemy_url)
        if self.embedded is not None:
            self.embedded.stop()


def from_environment(folder: Path) -> TestServices:
    return TestServices(
        folder=folder,
        server_database_url=os.environ.get("DATABASE_URL") or None,
        given_redis_url=os.environ.get("REDIS_URL") or None,
    )
