"""Checks a process makes before it starts serving: settings, database, Redis, schema.

Each failure is a ConfigurationError with one line that says what to fix.
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from migrations import alembic_config
from runtime import db as relance_db
from runtime import redis as relance_redis
from runtime.settings import ConfigurationError, Settings, get_settings


def check_services(settings: Settings) -> None:
    """The database and Redis answer (the embedded Redis is started if it is ours to start)."""
    relance_db.check_reachable(settings.sqlalchemy_url)
    relance_redis.check_reachable(relance_redis.connect(settings))


def check_schema(settings: Settings) -> None:
    """The database has every migration this code expects."""
    head = ScriptDirectory.from_config(alembic_config(settings.sqlalchemy_url)).get_current_head()
    engine = relance_db.build_engine(settings.sqlalchemy_url, pool=False)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if current != head:
        raise ConfigurationError(
            f"the database is at migration {current or 'none'} and this Relance needs {head}: "
            "run `relance db upgrade`"
        )


def preflight(settings: Settings | None = None) -> Flask:
    """Check everything, then build the app."""
    from web import create_app

    settings = settings or get_settings()
    check_services(settings)
    check_schema(settings)
    return create_app(settings)
