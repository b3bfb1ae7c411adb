"""The database: one engine per process, a session per request or job, and the column types
that keep money exact and time aware.

The schema comes only from Alembic migrations (``relance db upgrade``); nothing here creates
tables. Sessions are scoped: web requests and jobs each get a fresh one and remove it when done.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from sqlalchemy import ColumnElement, DateTime, MetaData, Numeric, Table, create_engine, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from runtime.settings import ConfigurationError

# SQLite has no decimal type: SQLAlchemy reads its REAL values back as Decimal rounded to the
# column's scale, exact for amounts below 10^11 at four places. PostgreSQL stores NUMERIC exactly.
warnings.filterwarnings(
    "ignore", message=r".*does \*not\* support Decimal objects natively", category=exc.SAWarning
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on PostgreSQL and on SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Relance stores timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Four decimal places: Xero unit amounts have four, and three-decimal currencies exist.
Money = Annotated[Decimal, mapped_column(Numeric(19, 4))]
Timestamp = Annotated[datetime, mapped_column(UTCDateTime())]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every Relance model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Numeric(19, 4)}

    if TYPE_CHECKING:
        # Every Relance model is mapped to a Table of its own (SQLAlchemy types it as any FromClause).
        __table__: ClassVar[Table]


def display_url(url: str | URL) -> str:
    """A database URL fit for a log line or an error: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def build_engine(url: str, *, pool: bool = True, pool_size: int = 5) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so web, worker and scheduler share it.

    ``pool_size`` connections are kept open: as many as the process's threads use at once (a web
    worker's WEB_THREADS). Past it SQLAlchemy opens overflow connections and closes each one when
    it is returned: under load that is a new PostgreSQL backend per request (a fork on the
    server), which took half of the machine's CPU at 400 webhook deliveries a second."""
    parsed = make_url(url)
    options: dict[str, Any] = {"future": True, "pool_size": pool_size} if pool else {"future": True}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"timeout": 30}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        options["connect_args"] = {"connect_timeout": 5}
        options["pool_pre_ping"] = True
    if not pool:
        options["poolclass"] = NullPool
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """The process's engine and scoped session factory, bound once settings are known."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def bind(self, url: str, pool_size: int = 5) -> None:
        """Point the process at ``url`` (again, for tests that switch databases), keeping
        ``pool_size`` connections open (see build_engine)."""
        if self._engine is not None:
            self.session.remove()
            self._engine.dispose()
        self._engine = build_engine(url, pool_size=pool_size)
        self.session.configure(bind=self._engine)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the database is not bound yet: call runtime.db.db.bind() (create_app does)")
        return self._engine

    def after_fork(self) -> None:
        """Drop connections inherited from a parent process; they belong to the parent."""
        self.session.remove()
        if self._engine is not None:
            self._engine.dispose(close=False)

    def close(self) -> None:
        """Close every pooled connection (the end of a process or of a test session)."""
        self.session.remove()
        if self._engine is not None:
            self._engine.dispose()

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


db = Database()


def session() -> Session:
    """The current request's or job's session."""
    return db.session()


def check_reachable(url: str) -> None:
    """Fail with one clear line when the database at ``url`` cannot be reached."""
    engine = build_engine(url, pool=False)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except exc.DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigurationError(f"cannot reach the database at {display_url(url)}: {reason}") from None
    finally:
        engine.dispose()


UPSERT_CHUNK = 500  # rows per statement: stays under SQLite's bound-parameter limit for wide rows


def dialect_insert(session: Session) -> Callable[[Table], postgresql.Insert | sqlite.Insert]:
    """The INSERT that knows ON CONFLICT, for the database the session is bound to."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def upsert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    only_if: Any = None,
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, a chunk of rows per statement, on both databases.

    ``only_if(table, excluded)`` returns the condition under which an existing row is replaced.
    """
    if not rows:
        return
    # The rows as parameters of one statement (executemany), not as a VALUES list: a VALUES of n
    # rows is a new statement for every n, compiled and kept in SQLAlchemy's statement cache,
    # which a long sync filled with hundreds of large ones (most of a first sync's memory).
    statement = dialect_insert(session)(table)
    condition: ColumnElement[bool] | None = only_if(table, statement.excluded) if only_if else None
    upserting = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in rows[0] if name not in (*keys, "id")},
        where=condition,
    )
    for start in range(0, len(rows), UPSERT_CHUNK):
        session.execute(upserting, rows[start : start + UPSERT_CHUNK])
