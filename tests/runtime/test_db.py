"""The schema comes from migrations only, and they agree with the models; money and time
survive the database exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, Numeric, func, inspect, select
from sqlalchemy.exc import StatementError

import migrations
from migrations.models import metadata
from runtime.db import build_engine
from runtime.settings import Settings
from runtime.tenancy import Organisation


def test_models_and_migrations_agree(settings) -> None:
    engine = build_engine(settings.sqlalchemy_url, pool=False)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()

    assert differences == []


def test_migrations_go_down_and_up_again(services) -> None:
    url = Settings(database_url=services.another_database()).sqlalchemy_url

    migrations.upgrade(url)
    migrations.downgrade(url, "base")
    engine = build_engine(url, pool=False)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(url)
    assert "organisations" in inspect(engine).get_table_names()
    engine.dispose()


def test_every_money_column_is_numeric_and_every_timestamp_aware() -> None:
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Numeric):
                assert column.type.asdecimal, f"{table.name}.{column.name} would come back as float"
            elif isinstance(column.type, DateTime):
                pytest.fail(f"{table.name}.{column.name} is a DateTime; use UTCDateTime")


def test_timestamps_come_back_aware_utc(session) -> None:
    created = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=13)))
    session.add(Organisation(name="Kiwi Kitchens", timezone="Pacific/Auckland", created_at=created))
    session.commit()
    session.expire_all()

    stored = session.scalars(select(Organisation)).one().created_at

    assert stored == created
    assert stored.tzinfo == UTC


def test_a_naive_timestamp_is_refused(session) -> None:
    session.add(Organisation(name="Naive Ltd", created_at=datetime(2026, 3, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
    session.rollback()


def test_money_round_trips_exactly(session) -> None:
    from sqlalchemy import Column, MetaData, Table, insert

    from runtime.db import Base

    assert Base.type_annotation_map[Decimal].asdecimal
    scratch = MetaData()
    amounts = Table("scratch_amounts", scratch, Column("amount", Base.type_annotation_map[Decimal]))
    engine = session.get_bind()
    scratch.create_all(engine)  # a throwaway table, not part of the schema
    try:
        values = [Decimal("0.1"), Decimal("0.2"), Decimal("12345678901.2345"), Decimal("-0.0001")]
        with engine.begin() as connection:
            connection.execute(insert(amounts), [{"amount": value} for value in values])
            stored = connection.execute(select(amounts.c.amount)).scalars().all()
            total = connection.execute(select(func.sum(amounts.c.amount))).scalar_one()
        assert stored == values
        assert all(isinstance(value, Decimal) for value in stored)
        assert total == Decimal("12345678901.5344")
    finally:
        scratch.drop_all(engine)
