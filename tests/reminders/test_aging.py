"""Aging arithmetic, in SQL, against a plain Python reference over generated ledgers:
partial payments, credit notes, overpayments, several currencies, invoices due today, leap days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.ledger import InvoiceStatus
from reminders.receivables.aging import AgingBasis, Buckets, aging_report
from runtime.tenancy import Organisation
from sync.models import Allocation, Invoice

AS_OF = date(2028, 2, 29)  # a leap day
STAMP = datetime(2028, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Paid:
    amount: Decimal
    days_after_issue: int
    kind: str


@dataclass(frozen=True)
class Sale:
    customer: str
    currency: str
    rate: Decimal
    total: Decimal
    issued_days_before: int  # negative: issued after the report date
    terms: int
    status: str
    paid: tuple[Paid, ...]


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)
sales = st.builds(
    Sale,
    customer=st.sampled_from(["c-1", "c-2", "c-3"]),
    currency=st.sampled_from(["NZD", "AUD", "EUR"]),
    rate=st.sampled_from([Decimal("1"), Decimal("1.0825"), Decimal("0.5517")]),
    total=money,
    issued_days_before=st.integers(-10, 400),
    terms=st.sampled_from([0, 7, 14, 30, 60]),
    status=st.sampled_from(["open", "open", "open", "paid", "voided", "draft"]),
    paid=st.lists(
        st.builds(
            Paid,
            amount=money,
            days_after_issue=st.integers(0, 200),
            kind=st.sampled_from(["payment", "credit_note", "overpayment"]),
        ),
        max_size=3,
    ).map(tuple),
)


def expected(ledger: list[Sale], buckets: Buckets, basis: AgingBasis) -> dict[str, list[Decimal]]:
    """The reference: the same rules, one invoice at a time, in plain Python."""
    result: dict[str, list[Decimal]] = {}
    for sale in ledger:
        issued = AS_OF - timedelta(days=sale.issued_days_before)
        if sale.status not in ("open", "paid") or issued > AS_OF:
            continue
        applied = sum(
            (p.amount for p in sale.paid if issued + timedelta(days=p.days_after_issue) <= AS_OF), Decimal(0)
        )
        balance = sale.total - applied
        if balance <= 0:
            continue
        start = issued if basis == AgingBasis.INVOICE_DATE else issued + timedelta(days=sale.terms)
        row = result.setdefault(sale.customer, [Decimal(0)] * (len(buckets.edges) + 2))
        row[buckets.index((AS_OF - start).days)] += balance * sale.rate
    return {
        customer: [amount.quantize(Decimal("0.01")) for amount in row] for customer, row in result.items()
    }


def store(session, ledger: list[Sale]) -> int:  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Generated Ltd")
    session.add(organisation)
    session.flush()
    for number, sale in enumerate(ledger):
        issued = AS_OF - timedelta(days=sale.issued_days_before)
        invoice_id = f"inv-{number}"
        session.add(
            Invoice(
                organisation_id=organisation.id,
                ledger_id=invoice_id,
                customer_ledger_id=sale.customer,
                status=InvoiceStatus(sale.status).value,
                currency=sale.currency,
                currency_rate=sale.rate,
                issued_on=issued,
                due_on=issued + timedelta(days=sale.terms),
                total=sale.total,
                amount_due=Decimal(0),
                amount_paid=Decimal(0),
                amount_credited=Decimal(0),
                ledger_updated_at=STAMP,
            )
        )
        for index, paid in enumerate(sale.paid):
            session.add(
                Allocation(
                    organisation_id=organisation.id,
                    source_kind=paid.kind,
                    source_ledger_id=f"{invoice_id}-{index}",
                    invoice_ledger_id=invoice_id,
                    amount=paid.amount,
                    applied_on=issued + timedelta(days=paid.days_after_issue),
                )
            )
    session.commit()
    return organisation.id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ledger=st.lists(sales, max_size=12),
    edges=st.sampled_from([(30, 60, 90, 120), (7, 14, 30), (45,)]),
    basis=st.sampled_from(list(AgingBasis)),
)
def test_sql_aging_matches_the_reference(session, ledger, edges, basis) -> None:  # type: ignore[no-untyped-def]
    buckets = Buckets(edges)
    organisation_id = store(session, ledger)

    report = aging_report(session, organisation_id, AS_OF, basis, buckets)

    got = {c.customer_ledger_id: c.amounts for c in report.customers}
    want = expected(ledger, buckets, basis)
    assert got.keys() == want.keys()
    for customer in want:
        for bucket, (mine, theirs) in enumerate(zip(got[customer], want[customer], strict=True)):
            # Rounded per bucket: cents may differ by the rounding of the sum of conversions.
            assert abs(mine - theirs) <= Decimal("0.01"), (customer, report.labels[bucket])


def test_due_today_is_current_and_tomorrow_it_is_one_day_late(session) -> None:
    sale = Sale("c-1", "NZD", Decimal(1), Decimal("100.00"), 30, 30, "open", ())
    organisation_id = store(session, [sale])

    today = aging_report(session, organisation_id, AS_OF)
    tomorrow = aging_report(session, organisation_id, AS_OF + timedelta(days=1))

    assert today.customers[0].amounts[0] == Decimal("100.00")
    assert tomorrow.customers[0].amounts[1] == Decimal("100.00")
    assert today.labels == ("current", "1-30", "31-60", "61-90", "91-120", "over 120")


def test_a_payment_after_the_report_date_does_not_count_yet(session) -> None:
    sale = Sale(
        "c-1", "NZD", Decimal(1), Decimal("100.00"), 10, 0, "open", (Paid(Decimal("60.00"), 20, "payment"),)
    )
    organisation_id = store(session, [sale])

    assert aging_report(session, organisation_id, AS_OF).total == Decimal("100.00")
    assert aging_report(session, organisation_id, AS_OF + timedelta(days=10)).total == Decimal("40.00")


def test_bucket_edges_must_make_sense() -> None:
    with pytest.raises(ValueError, match="increasing"):
        Buckets((60, 30))


def test_a_daily_snapshot_keeps_the_days_aging_and_a_second_run_replaces_it(session) -> None:
    from sqlalchemy import select

    from reminders.models import AgingSnapshot, CollectionSettings
    from reminders.receivables.snapshots import take_snapshot

    sale = Sale("c-1", "NZD", Decimal(1), Decimal("100.00"), 40, 30, "open", ())
    organisation_id = store(session, [sale])
    session.add(
        CollectionSettings(organisation_id=organisation_id, aging_edges=[7, 14], aging_basis="due_date")
    )
    session.commit()

    take_snapshot(organisation_id, AS_OF)
    take_snapshot(organisation_id, AS_OF)  # a retried job
    take_snapshot(organisation_id, AS_OF + timedelta(days=5))

    snapshots = session.scalars(select(AgingSnapshot).order_by(AgingSnapshot.taken_on)).all()
    assert [s.taken_on for s in snapshots] == [AS_OF, AS_OF + timedelta(days=5)]
    assert snapshots[0].by_bucket == {
        "current": Decimal("0.00"),
        "1-7": Decimal("0.00"),
        "8-14": Decimal("100.00"),  # due 10 days before AS_OF
        "over 14": Decimal("0.00"),
    }
    assert snapshots[1].by_bucket["over 14"] == Decimal("100.00")  # the trend: it is getting older
    assert snapshots[0].total == Decimal("100.00") and snapshots[0].customers == 1


def test_the_nightly_job_queues_a_snapshot_per_connected_organisation(session, redis_client) -> None:
    from integration.connections import Connection
    from reminders.receivables.snapshots import snapshot_all
    from runtime import jobs

    live, gone = Organisation(name="Live Ltd"), Organisation(name="Gone Ltd")
    session.add_all(
        [
            Connection(organisation=live, provider="xero", tenant_id="t-live"),
            Connection(organisation=gone, provider="xero", tenant_id="t-gone", status="disconnected"),
        ]
    )
    session.commit()

    assert snapshot_all() == 1
    assert [job.args for job in jobs.queue("low").jobs] == [([live.id],)]
