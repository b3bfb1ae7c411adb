"""The dashboard's, the practice view's and the customer list's figures kept in Redis: the same as
computed, and new as soon as the mirror, the day or the buckets change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import redis

from integration.ledger import (
    Allocation,
    InvoiceRecord,
    InvoiceStatus,
    PaymentKind,
    PaymentRecord,
    RecordStatus,
)
from reminders.models import CollectionSettings
from reminders.receivables.aging import AgingBasis, Buckets
from reminders.receivables.customer_balances import CustomerBalance, customer_balances
from reminders.receivables.kept_figures import (
    dashboard_figures,
    kept_customer_balances,
    kept_practice_figures,
)
from reminders.receivables.overview import overview_and_aging, practice_figures
from runtime import jobs
from runtime.tenancy import Organisation
from sync.mirror import upsert_invoices, upsert_payments
from sync.versions import mirror_versions
from tests.reminders.conftest import invoice

TODAY = date(2026, 6, 30)
UPDATED = datetime(2026, 6, 29, tzinfo=UTC)


def record(ledger_id: str, total: str, issued: date, due: date) -> InvoiceRecord:
    return InvoiceRecord(
        ledger_id=ledger_id,
        number=ledger_id.upper(),
        contact_ledger_id="c-1",
        status=InvoiceStatus.OPEN,
        currency="NZD",
        issued_on=issued,
        due_on=due,
        total=Decimal(total),
        amount_due=Decimal(total),
        amount_paid=Decimal(0),
        amount_credited=Decimal(0),
        updated_at=UPDATED,
    )


@pytest.fixture
def mirrored(session, organisation, redis_client) -> int:  # type: ignore[no-untyped-def]
    """An organisation whose mirror a sync wrote: two invoices, one overdue since May."""
    upsert_invoices(
        session,
        organisation,
        [
            record("i-1", "250.00", date(2026, 4, 1), date(2026, 5, 1)),
            record("i-2", "100.00", date(2026, 6, 20), date(2026, 7, 20)),
        ],
    )
    session.commit()
    return organisation


def kept_keys(redis_client: redis.Redis, kind: str) -> list[bytes]:
    return list(redis_client.scan_iter(f"relance:figures:*:{kind}:*"))


def test_kept_dashboard_figures_are_the_computed_ones(session, mirrored, redis_client) -> None:  # type: ignore[no-untyped-def]
    computed = overview_and_aging(session, mirrored, TODAY)

    first = dashboard_figures(session, mirrored, TODAY)
    assert len(kept_keys(redis_client, "dashboard")) == 1
    again = dashboard_figures(session, mirrored, TODAY)

    assert first == computed and again == computed
    assert again[0].today.owed == Decimal("350.00") and again[0].today.overdue == Decimal("250.00")


def test_an_invoice_a_webhook_brings_shows_at_once(session, mirrored, redis_client) -> None:  # type: ignore[no-untyped-def]
    before, _ = dashboard_figures(session, mirrored, TODAY)

    upsert_invoices(session, mirrored, [record("i-3", "40.00", date(2026, 6, 25), date(2026, 7, 25))])
    session.commit()
    after, _ = dashboard_figures(session, mirrored, TODAY)

    assert before.today.owed == Decimal("350.00") and after.today.owed == Decimal("390.00")


def test_a_payment_mirrored_later_shows_at_once(session, mirrored, redis_client) -> None:  # type: ignore[no-untyped-def]
    kept_practice_figures(session, {mirrored: TODAY})
    dashboard_figures(session, mirrored, TODAY)

    payment = PaymentRecord(
        ledger_id="p-1",
        kind=PaymentKind.PAYMENT,
        contact_ledger_id="c-1",
        received_on=TODAY,
        amount=Decimal("250.00"),
        currency="NZD",
        status=RecordStatus.ACTIVE,
        updated_at=UPDATED,
        allocations=(Allocation("i-1", Decimal("250.00"), TODAY),),
    )
    upsert_payments(session, mirrored, [payment])
    session.commit()

    overview, _ = dashboard_figures(session, mirrored, TODAY)
    practice = kept_practice_figures(session, {mirrored: TODAY})[mirrored]
    assert overview.today.owed == practice.owed == Decimal("100.00")
    assert overview.today.overdue == practice.overdue == Decimal("0.00")


def test_every_mirror_write_raises_the_version(session, mirrored) -> None:  # type: ignore[no-untyped-def]
    before = mirror_versions(session, [mirrored])[mirrored]
    upsert_invoices(session, mirrored, [record("i-1", "250.00", date(2026, 4, 1), date(2026, 5, 1))])
    session.commit()

    assert mirror_versions(session, [mirrored])[mirrored] != before


def test_the_figures_move_at_midnight_with_nothing_synced(session, mirrored, redis_client) -> None:  # type: ignore[no-untyped-def]
    today, _ = dashboard_figures(session, mirrored, TODAY)
    practice_today = kept_practice_figures(session, {mirrored: TODAY})[mirrored]
    later = TODAY + timedelta(days=21)  # i-2 is then a day past due

    tomorrow, _ = dashboard_figures(session, mirrored, later)
    practice_later = kept_practice_figures(session, {mirrored: later})[mirrored]

    assert today.today.overdue == practice_today.overdue == Decimal("250.00")
    assert tomorrow.today.overdue == practice_later.overdue == Decimal("350.00")


def test_new_buckets_give_the_new_aging(session, mirrored, redis_client) -> None:  # type: ignore[no-untyped-def]
    _, default = dashboard_figures(session, mirrored, TODAY)
    session.add(CollectionSettings(organisation_id=mirrored, aging_edges=[45, 90]))
    session.commit()

    _, chosen = dashboard_figures(session, mirrored, TODAY)

    assert default.labels == ("current", "1-30", "31-60", "61-90", "91-120", "over 120")
    assert chosen.labels == ("current", "1-45", "46-90", "over 90")
    assert chosen.totals == [Decimal("100.00"), Decimal("0.00"), Decimal("250.00"), Decimal("0.00")]


def test_the_practice_view_keeps_each_organisation_and_computes_only_the_others(  # type: ignore[no-untyped-def]
    session, mirrored, redis_client
) -> None:
    other = Organisation(name="Kauri Builders")
    session.add(other)
    session.commit()
    upsert_invoices(session, other.id, [record("k-1", "80.00", date(2026, 3, 1), date(2026, 3, 31))])
    session.commit()
    todays = {mirrored: TODAY, other.id: TODAY}
    computed = practice_figures(session, todays)

    first = kept_practice_figures(session, todays)
    assert len(kept_keys(redis_client, "practice")) == 2
    upsert_invoices(session, other.id, [record("k-2", "20.00", date(2026, 6, 1), date(2026, 7, 1))])
    session.commit()
    again = kept_practice_figures(session, todays)

    assert first == computed
    assert again[mirrored] == computed[mirrored]
    assert again[other.id].owed == Decimal("100.00") and again[other.id].overdue == Decimal("80.00")


def test_a_mirror_never_written_by_a_sync_is_computed_each_time(session, organisation, redis_client) -> None:  # type: ignore[no-untyped-def]
    invoice(session, organisation, "i-1", "c-1", "60.00", date(2026, 5, 1), date(2026, 5, 31))
    session.commit()

    overview, _ = dashboard_figures(session, organisation, TODAY)
    practice = kept_practice_figures(session, {organisation: TODAY})

    assert overview.today.owed == practice[organisation].owed == Decimal("60.00")
    assert kept_keys(redis_client, "*") == []


def test_without_redis_the_figures_are_computed(session, mirrored) -> None:  # type: ignore[no-untyped-def]
    previous = jobs.connection()
    jobs.use_connection(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    try:
        overview, _ = dashboard_figures(session, mirrored, TODAY)
        practice = kept_practice_figures(session, {mirrored: TODAY})
    finally:
        jobs.use_connection(previous)

    assert overview.today.owed == practice[mirrored].owed == Decimal("350.00")


def test_kept_customer_balances_are_the_computed_ones(session, mirrored, redis_client) -> None:  # type: ignore[no-untyped-def]
    aging = (session, mirrored, TODAY, AgingBasis.DUE_DATE, Buckets())
    computed = customer_balances(*aging)

    first = kept_customer_balances(*aging)
    assert len(kept_keys(redis_client, "customers")) == 1
    again = kept_customer_balances(*aging)

    assert first == computed and again == computed
    assert again == {"c-1": CustomerBalance(Decimal("350.00"), Decimal("250.00"), 60, 2)}


def test_customer_balances_move_with_the_mirror_the_day_and_the_buckets(
    session, mirrored, redis_client
) -> None:  # type: ignore[no-untyped-def]
    kept_customer_balances(session, mirrored, TODAY, AgingBasis.DUE_DATE, Buckets())
    upsert_invoices(session, mirrored, [record("i-3", "40.00", date(2026, 6, 1), date(2026, 6, 10))])
    session.commit()

    changed = kept_customer_balances(session, mirrored, TODAY, AgingBasis.DUE_DATE, Buckets())
    later = kept_customer_balances(
        session, mirrored, TODAY + timedelta(days=30), AgingBasis.DUE_DATE, Buckets()
    )
    rebucketed = kept_customer_balances(session, mirrored, TODAY, AgingBasis.DUE_DATE, Buckets((90,)))

    assert changed is not None and changed["c-1"].owed == Decimal("390.00")
    assert later is not None and later["c-1"].oldest_days == 90 and later["c-1"].bucket == 3
    assert rebucketed is not None and rebucketed["c-1"].bucket == 1
    assert len(kept_keys(redis_client, "customers")) == 4


def test_customer_balances_are_not_kept_without_redis_or_a_mirror_version(
    session, organisation, mirrored
) -> None:  # type: ignore[no-untyped-def]
    other = Organisation(name="Never synced Ltd", base_currency="NZD")
    session.add(other)
    session.commit()
    previous = jobs.connection()
    jobs.use_connection(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    try:
        without_redis = kept_customer_balances(session, mirrored, TODAY, AgingBasis.DUE_DATE, Buckets())
    finally:
        jobs.use_connection(previous)

    assert without_redis is None
    assert kept_customer_balances(session, other.id, TODAY, AgingBasis.DUE_DATE, Buckets()) is None


def test_a_kept_document_is_computed_once_per_mirror_version_and_parts(
    session, mirrored, redis_client
) -> None:  # type: ignore[no-untyped-def]
    from reminders.handoff import _past_the_age_rows
    from reminders.receivables.kept_figures import kept_document

    computed: list[int] = []

    def compute(age: int = 30) -> list[list[object]]:
        computed.append(age)
        return [[1, "Tui", True, "250.00", 60]]

    assert kept_document(session, mirrored, "past-the-age", (TODAY, 30), compute) == [
        [1, "Tui", True, "250.00", 60]
    ]
    assert kept_document(session, mirrored, "past-the-age", (TODAY, 30), compute) == [
        [1, "Tui", True, "250.00", 60]
    ]
    assert computed == [30]  # the second read was Redis's
    kept_document(session, mirrored, "past-the-age", (TODAY, 90), lambda: compute(90))  # another age
    upsert_invoices(session, mirrored, [record("i-3", "40.00", date(2026, 3, 1), date(2026, 3, 31))])
    session.commit()
    kept_document(session, mirrored, "past-the-age", (TODAY, 30), compute)  # the mirror changed
    assert computed == [30, 90, 30]
    # The hand-off card's rows: the customers at least the age past due (none in the mirror here).
    assert _past_the_age_rows(session, mirrored, TODAY, 30) == []
