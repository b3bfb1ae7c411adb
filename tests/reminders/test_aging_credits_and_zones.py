"""Unused credit in the aging (credit notes, overpayments, prepayments, unapplied payments) against a
plain Python reference, and "today" taken in the organisation's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.ledger import RecordStatus
from reminders.models import AgingSnapshot
from reminders.receivables.aging import (
    AgingBasis,
    AgingView,
    Buckets,
    aging_report,
    aging_totals,
    organisations_aging,
)
from reminders.receivables.snapshots import take_snapshot
from runtime import clock
from runtime.tenancy import Organisation
from sync.models import Allocation, CreditNote, Invoice, Payment
from tests.reminders.test_aging import AS_OF, STAMP, expected, sales, store

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@dataclass(frozen=True)
class Credit:
    customer: str
    kind: str  # credit_note | overpayment | prepayment | payment
    rate: Decimal
    total: Decimal
    dated_days_before: int  # negative: after the report date
    status: str
    used: tuple[tuple[Decimal, int], ...]  # (amount, days after its date), never more than the total


def _within_total(credit: Credit) -> Credit:
    kept, left = [], credit.total
    for amount, after in credit.used:
        if amount <= left:
            kept.append((amount, after))
            left -= amount
    return Credit(**{**credit.__dict__, "used": tuple(kept)})


credits = st.builds(
    Credit,
    customer=st.sampled_from(["c-1", "c-2", "c-4"]),
    kind=st.sampled_from(["credit_note", "overpayment", "prepayment", "payment"]),
    rate=st.sampled_from([Decimal("1"), Decimal("0.5517")]),
    total=money,
    dated_days_before=st.integers(-10, 200),
    status=st.sampled_from(["active", "active", "active", "voided", "deleted"]),
    used=st.lists(st.tuples(money, st.integers(0, 120)), max_size=3).map(tuple),
).map(_within_total)


def expected_credits(ledger: list[Credit], buckets: Buckets) -> dict[str, list[Decimal]]:
    """What each customer had not used on AS_OF, negative, in the bucket of its own date."""
    result: dict[str, list[Decimal]] = {}
    for credit in ledger:
        dated = AS_OF - timedelta(days=credit.dated_days_before)
        if credit.status != "active" or dated > AS_OF:
            continue
        used = sum((a for a, after in credit.used if dated + timedelta(days=after) <= AS_OF), Decimal(0))
        left = credit.total - used
        if left <= 0:
            continue
        row = result.setdefault(credit.customer, [Decimal(0)] * (len(buckets.edges) + 2))
        row[buckets.index((AS_OF - dated).days)] -= left * credit.rate
    return result


def store_credits(session, organisation_id: int, ledger: list[Credit]) -> None:  # type: ignore[no-untyped-def]
    """The mirror as a sync leaves it: remaining credit as the ledger says today, allocations dated."""
    for number, credit in enumerate(ledger):
        dated = AS_OF - timedelta(days=credit.dated_days_before)
        ledger_id = f"cr-{number}"
        live = credit.status == "active"
        remaining = credit.total - sum((a for a, _ in credit.used), Decimal(0)) if live else Decimal(0)
        common = {
            "organisation_id": organisation_id,
            "ledger_id": ledger_id,
            "customer_ledger_id": credit.customer,
            "currency": "NZD",
            "currency_rate": credit.rate,
            "status": RecordStatus(credit.status).value,
            "ledger_updated_at": STAMP,
        }
        if credit.kind == "credit_note":
            session.add(CreditNote(**common, issued_on=dated, total=credit.total, remaining_credit=remaining))
        else:
            session.add(
                Payment(
                    **common, kind=credit.kind, received_on=dated, amount=credit.total, unapplied=remaining
                )
            )
        for index, (amount, after) in enumerate(credit.used):
            session.add(
                Allocation(
                    organisation_id=organisation_id,
                    source_kind=credit.kind,
                    source_ledger_id=ledger_id,
                    # Invoices outside this ledger: the credit's side is what is under test here.
                    invoice_ledger_id=f"elsewhere-{number}-{index}",
                    amount=amount,
                    applied_on=dated + timedelta(days=after),
                    active=live,
                )
            )
    session.commit()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    invoices=st.lists(sales, max_size=8),
    unused=st.lists(credits, max_size=8),
    edges=st.sampled_from([(30, 60, 90, 120), (7, 14, 30)]),
    basis=st.sampled_from(list(AgingBasis)),
)
def test_unused_credit_nets_off_in_the_bucket_of_its_date(session, invoices, unused, edges, basis) -> None:  # type: ignore[no-untyped-def]
    buckets = Buckets(edges)
    organisation_id = store(session, invoices)
    store_credits(session, organisation_id, unused)

    report = aging_report(session, organisation_id, AS_OF, basis, buckets, credits=True)
    without = aging_report(session, organisation_id, AS_OF, basis, buckets)

    want = {c: list(row) for c, row in expected(invoices, buckets, basis).items()}
    for customer, row in expected_credits(unused, buckets).items():
        mine = want.setdefault(customer, [Decimal(0)] * len(row))
        want[customer] = [a + b for a, b in zip(mine, row, strict=True)]
    got = {c.customer_ledger_id: c.amounts for c in report.customers}
    assert got.keys() == want.keys()
    for customer, row in want.items():
        for mine, theirs in zip(got[customer], row, strict=True):
            assert abs(mine - theirs) <= Decimal("0.02"), customer
    # Without credits: invoices only, as before.
    assert {c.customer_ledger_id for c in without.customers} == set(expected(invoices, buckets, basis))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    invoices=st.lists(sales, max_size=8),
    unused=st.lists(credits, max_size=8),
    days_before=st.lists(st.integers(-5, 120), min_size=1, max_size=4),
    edges=st.sampled_from([(30, 60, 90, 120), (7, 14, 30), (90,)]),
    basis=st.sampled_from(list(AgingBasis)),
)
def test_many_agings_in_one_pass_total_as_each_report_alone(  # type: ignore[no-untyped-def]
    session, invoices, unused, days_before, edges, basis
) -> None:
    """The dashboard's agings (several days, with and without credit) from one query are the
    totals each day's own report gives, to the cent."""
    organisation_id = store(session, invoices)
    store_credits(session, organisation_id, unused)
    views = [
        AgingView(AS_OF - timedelta(days=days), basis, Buckets(edges), credits=n % 2 == 1)
        for n, days in enumerate(days_before)
    ]
    views.append(AgingView(AS_OF, AgingBasis.DUE_DATE, Buckets((90,))))

    together = aging_totals(session, organisation_id, views)

    alone = [
        aging_report(session, organisation_id, view.as_of, view.basis, view.buckets, view.credits).totals
        for view in views
    ]
    assert together == alone

    # Many organisations in one statement (the nightly snapshots'): each its own totals and customers.
    other = store(session, invoices[::2])
    store_credits(session, other, unused[1::2])
    found = organisations_aging(session, [organisation_id, other], views)
    for each in (organisation_id, other):
        reports = [
            aging_report(session, each, view.as_of, view.basis, view.buckets, view.credits) for view in views
        ]
        if each not in found:
            assert all(not report.customers for report in reports)
            continue
        assert found[each].totals == [report.totals for report in reports]
        assert found[each].customers == [len(report.customers) for report in reports]


ZONES = [
    "Pacific/Kiritimati",
    "Pacific/Auckland",
    "Europe/London",
    "UTC",
    "America/Los_Angeles",
    "Pacific/Pago_Pago",
]
DUE = date(2028, 2, 29)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(ZONES), hours=st.integers(-40, 64))
def test_the_nightly_snapshot_ages_by_the_organisations_own_today(session, zone, hours) -> None:  # type: ignore[no-untyped-def]
    """Near midnight an invoice due "today" is current in Auckland and already late in Honolulu:
    each organisation's snapshot is dated and aged by its own calendar, not the server's."""
    organisation = Organisation(name="Zoned Ltd", timezone=zone)
    session.add(organisation)
    session.flush()
    session.add(
        Invoice(
            organisation_id=organisation.id,
            ledger_id="inv-1",
            customer_ledger_id="c-1",
            status="open",
            currency="NZD",
            issued_on=DUE - timedelta(days=30),
            due_on=DUE,
            total=Decimal("100.00"),
            amount_due=Decimal("100.00"),
            amount_paid=Decimal(0),
            amount_credited=Decimal(0),
            ledger_updated_at=STAMP,
        )
    )
    session.commit()
    moment = datetime(2028, 2, 29, tzinfo=UTC) + timedelta(hours=hours)
    local_day = moment.astimezone(ZoneInfo(zone)).date()
    clock.travel_to(moment)
    try:
        snapshot = session.get(AgingSnapshot, take_snapshot(organisation.id))
    finally:
        clock.reset()

    assert snapshot.taken_on == local_day
    late = (local_day - DUE).days
    want = [Decimal(0)] * 6
    want[Buckets().index(late)] = Decimal("100.00")
    assert [Decimal(a) for a in snapshot.amounts] == want


def test_credit_used_on_the_report_day_is_used_and_a_day_earlier_it_was_not(session) -> None:  # type: ignore[no-untyped-def]
    organisation_id = store(session, [])
    note = Credit(
        "c-1", "credit_note", Decimal(1), Decimal("100.00"), 10, "active", ((Decimal("40.00"), 10),)
    )
    over = Credit("c-1", "overpayment", Decimal(1), Decimal("50.00"), 45, "active", ((Decimal("50.00"), 45),))
    store_credits(session, organisation_id, [note, over])

    on_the_day = aging_report(session, organisation_id, AS_OF, credits=True)
    day_before = aging_report(session, organisation_id, AS_OF - timedelta(days=1), credits=True)

    assert on_the_day.customers[0].amounts[1] == Decimal("-60.00")
    assert on_the_day.total == Decimal("-60.00")
    # The day before: the whole note (9 days old) and the whole overpayment (44 days old).
    assert day_before.customers[0].amounts[1] == Decimal("-100.00")
    assert day_before.customers[0].amounts[2] == Decimal("-50.00")
    assert day_before.customers[0].invoices == 0
