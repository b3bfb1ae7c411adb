"""Relance's schema, as Alembic migrations: the only place tables come from.

``relance db upgrade`` applies them; ``relance db revision -m "…"`` writes a new one from the
difference between the models and the database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration for ``database_url``, with no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    # ConfigParser interpolation would eat a "%" in an encoded password.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Write a migration for whatever the models have that the database lacks."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
