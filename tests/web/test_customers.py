"""The customers area: the list (search, sort, filters, pages), the customer page with its figures and
timeline, and notes written back to the ledger once, never twice."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from rq import SimpleWorker
from sqlalchemy import select

from integration.ledger import InvoiceRecord, InvoiceStatus
from reminders.customers import CustomerFilters, CustomerSort, list_customers
from reminders.holds import CreditHold, HoldReason
from reminders.models import CustomerStanding, LedgerNote
from reminders.risk.classes import RiskClass
from reminders.writeback import record_note, requeue_pending_notes, write_note_to_ledger
from runtime import clock, jobs
from runtime.db import db
from runtime.tenancy import AuditEvent, Membership, Organisation, User, record
from sync.jobs import sync_tenant
from sync.mirror import upsert_invoices
from sync.models import Customer, Payment
from sync.versions import raise_version
from tests.integration.ledgers import demo_quickbooks, demo_xero, quickbooks_consent, xero_consent
from tests.reminders.conftest import STAMP, invoice
from tests.web.test_receivables import sign_in
from web import create_app

TODAY = date(2026, 6, 30)


@pytest.fixture
def today():  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2026, 6, 30, 9, tzinfo=UTC))
    yield TODAY


@pytest.fixture
def books(session, today):  # type: ignore[no-untyped-def]
    """Harbour Cafe with four customers, and another organisation with one."""
    return harbour_books(session)


def harbour_books(session):  # type: ignore[no-untyped-def]
    """Harbour Cafe with four customers, and another organisation with one (on 30 June 2026)."""
    harbour = Organisation(name="Harbour Cafe Ltd", base_currency="NZD", timezone="Pacific/Auckland")
    other = Organisation(name="Kauri Builders", base_currency="NZD")
    owner = User(email="owner@harbour.example", name="Aroha")
    session.add_all([harbour, other, owner])
    session.flush()
    session.add(Membership(user_id=owner.id, organisation_id=harbour.id))
    people = {}
    for ledger_id, name, email in (
        ("c-1", "Tui Catering", "accounts@tui.example"),
        ("c-2", "Moa Motors", "pay@moa.example"),
        ("c-3", "Kea Books", None),
        ("c-4", "Weta Works", "hello@weta.example"),
    ):
        customer = Customer(
            organisation_id=harbour.id, ledger_id=ledger_id, name=name, email=email, ledger_updated_at=STAMP
        )
        session.add(customer)
        people[name] = customer
    session.add(
        Customer(organisation_id=other.id, ledger_id="c-9", name="Rimu Homes", ledger_updated_at=STAMP)
    )
    # Tui owes 250 due 30 days ago and 100 not yet due; Moa owes 1,000, 95 days past due;
    # Kea owes 40, 5 days past due; Weta owes nothing.
    invoice(
        session, harbour.id, "i-1", "c-1", "250.00", date(2026, 5, 1), date(2026, 5, 31), number="INV-0101"
    )
    invoice(
        session, harbour.id, "i-2", "c-1", "100.00", date(2026, 6, 20), date(2026, 7, 20), number="INV-0102"
    )
    invoice(
        session, harbour.id, "i-3", "c-2", "1000.00", date(2026, 3, 1), date(2026, 3, 27), number="INV-0077"
    )
    invoice(
        session, harbour.id, "i-4", "c-3", "40.00", date(2026, 6, 1), date(2026, 6, 25), number="INV-0110"
    )
    invoice(
        session, harbour.id, "i-5", "c-4", "80.00", date(2026, 4, 1), date(2026, 4, 30), number="INV-0090",
        status="paid", paid_on=date(2026, 5, 2),
    )  # fmt: skip
    session.add(
        Payment(
            organisation_id=harbour.id, ledger_id="p-1", kind="payment", customer_ledger_id="c-4",
            received_on=date(2026, 5, 2), amount=Decimal("80.00"), unapplied=Decimal(0), currency="NZD",
            status="active", ledger_updated_at=STAMP,
        )
    )  # fmt: skip
    for ledger_id, risk, segment in (("c-1", 2, "small"), ("c-2", 3, "large"), ("c-3", 1, "small")):
        session.add(
            CustomerStanding(
                organisation_id=harbour.id, customer_ledger_id=ledger_id, risk=risk, segment=segment,
                explanation="usually pays 12 days late", open_balance=Decimal(0), overdue_balance=Decimal(0),
                invoices_paid=5, paid_late=2, average_days_to_pay=Decimal(40),
                average_days_beyond_terms=Decimal(12), assessed_on=TODAY,
            )
        )  # fmt: skip
    session.commit()
    return {
        "harbour": harbour.id,
        "other": other.id,
        "owner": owner.id,
        "customers": {n: c.id for n, c in people.items()},
    }


def names(page_text: str) -> list[str]:
    """The customers listed, in order."""
    return re.findall(r'/customers/\d+">([^<]+)</a>', page_text)


def listing(client, books, query: str = ""):  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    answer = client.get(
        f"/organisations/{books['harbour']}/customers{query}", headers={"Accept-Language": "en-NZ"}
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer


def test_the_list_shows_what_each_customer_owes_most_overdue_first(client, books) -> None:  # type: ignore[no-untyped-def]
    answer = listing(client, books)

    assert names(answer.text) == ["Moa Motors", "Tui Catering", "Kea Books", "Weta Works"]
    assert "$1,000.00" in answer.text and "$350.00" in answer.text and "95 days" in answer.text
    assert "Rimu Homes" not in answer.text  # another organisation's


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("tui", ["Tui Catering"]),
        ("pay@moa", ["Moa Motors"]),
        ("INV-0110", ["Kea Books"]),
        ("0090", ["Weta Works"]),
    ],
)
def test_one_box_searches_names_emails_and_invoice_numbers(client, books, search, found) -> None:  # type: ignore[no-untyped-def]
    assert names(listing(client, books, f"?q={search}").text) == found


def test_a_search_shows_what_the_customers_found_owe_in_all(client, books) -> None:  # type: ignore[no-untyped-def]
    # Found by one invoice's number, Tui still owes both invoices: a search ages only the
    # customers it finds, all of their invoices.
    answer = listing(client, books, "?q=INV-0101")

    assert names(answer.text) == ["Tui Catering"]
    assert "$350.00" in answer.text and "$250.00" in answer.text and "30 days" in answer.text
    assert "$1,000.00" not in answer.text


def test_a_search_takes_percent_and_underscore_literally(client, books) -> None:  # type: ignore[no-untyped-def]
    assert names(listing(client, books, "?q=%25").text) == []
    assert names(listing(client, books, "?q=_").text) == []


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("?sort=name", ["Kea Books", "Moa Motors", "Tui Catering", "Weta Works"]),
        ("?sort=name&direction=desc", ["Weta Works", "Tui Catering", "Moa Motors", "Kea Books"]),
        ("?sort=owed", ["Moa Motors", "Tui Catering", "Kea Books", "Weta Works"]),
        ("?sort=oldest&direction=asc", ["Weta Works", "Kea Books", "Tui Catering", "Moa Motors"]),
        ("?sort=risk", ["Moa Motors", "Tui Catering", "Kea Books", "Weta Works"]),
    ],
)
def test_the_list_sorts(client, books, query, order) -> None:  # type: ignore[no-untyped-def]
    assert names(listing(client, books, query).text) == order


def test_the_list_filters_by_risk_segment_and_age(client, books) -> None:  # type: ignore[no-untyped-def]
    assert names(listing(client, books, "?risk=3").text) == ["Moa Motors"]
    assert names(listing(client, books, "?segment=small&sort=name").text) == ["Kea Books", "Tui Catering"]
    assert names(listing(client, books, "?bucket=4").text) == ["Moa Motors"]  # 91-120 days
    assert names(listing(client, books, "?bucket=1&sort=name").text) == ["Kea Books", "Tui Catering"]  # 1-30


def test_the_list_comes_fifty_to_a_page(client, books, session) -> None:  # type: ignore[no-untyped-def]
    for number in range(60):
        session.add(
            Customer(
                organisation_id=books["harbour"], ledger_id=f"x-{number}", name=f"Zz {number:03}",
                ledger_updated_at=STAMP,
            )
        )  # fmt: skip
    session.commit()

    first = listing(client, books, "?sort=name")
    second = listing(client, books, "?sort=name&page=2")

    assert len(names(first.text)) == 50 and "64 customers" in first.text and "Page 1 of 2" in first.text
    assert names(second.text)[-1] == "Zz 059" and len(names(second.text)) == 14
    assert "page=2" in first.text and "sort=name" in first.text  # the next page keeps the sort


@pytest.fixture
def kept_books(books, session, redis_client):  # type: ignore[no-untyped-def]
    """The books as a sync leaves them: the mirror has a version, so the list's balances are kept.
    Two more customers owe what Kea owes (ties for every sort), one is on hold."""
    harbour = books["harbour"]
    for ledger_id, name, number in (("c-5", "kea Bakery", "INV-0111"), ("c-6", "Aardvark Ltd", "INV-0112")):
        session.add(
            Customer(organisation_id=harbour, ledger_id=ledger_id, name=name, ledger_updated_at=STAMP)
        )
        invoice(
            session,
            harbour,
            f"i-{ledger_id}",
            ledger_id,
            "40.00",
            date(2026, 6, 1),
            date(2026, 6, 25),
            number=number,
        )
    session.flush()
    session.add(
        CreditHold(
            organisation_id=harbour, customer_id=books["customers"]["Tui Catering"], reason=HoldReason.PERSON
        )
    )
    raise_version(session, harbour)
    session.commit()
    return books


FILTERS = [
    CustomerFilters(sort=sort, descending=descending) for sort in CustomerSort for descending in (True, False)
] + [
    CustomerFilters(search="kea"),
    CustomerFilters(search="INV-01", sort=CustomerSort.NAME, descending=False),
    CustomerFilters(risk=RiskClass(2)),
    CustomerFilters(segment="small", sort=CustomerSort.OLDEST),
    CustomerFilters(bucket=1, sort=CustomerSort.OWED, descending=False),
    CustomerFilters(bucket=0),
    CustomerFilters(on_hold=True),
    CustomerFilters(page=2),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_kept_balances_list_exactly_what_the_query_lists(
    kept_books, session, redis_client, filters
) -> None:  # type: ignore[no-untyped-def]
    organisation = session.get(Organisation, kept_books["harbour"])

    kept = list_customers(session, organisation, filters)
    jobs.use_connection(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    try:
        queried = list_customers(session, organisation, filters)
    finally:
        jobs.use_connection(redis_client)

    assert list(redis_client.scan_iter("relance:figures:*:customers:*"))  # the first came from Redis
    assert kept == queried


def test_a_mirror_change_shows_in_the_list_at_the_next_request(
    client, kept_books, session, redis_client
) -> None:  # type: ignore[no-untyped-def]
    before = listing(client, kept_books)
    upsert_invoices(
        session,
        kept_books["harbour"],
        [
            InvoiceRecord(
                ledger_id="i-new", number="INV-0200", contact_ledger_id="c-3", status=InvoiceStatus.OPEN,
                currency="NZD", issued_on=date(2026, 5, 1), due_on=date(2026, 6, 1), total=Decimal("500.00"),
                amount_due=Decimal("500.00"), amount_paid=Decimal(0), amount_credited=Decimal(0),
                updated_at=datetime(2026, 6, 29, tzinfo=UTC),
            )
        ],
    )  # fmt: skip
    session.commit()

    after = listing(client, kept_books)

    assert names(before.text)[:3] == ["Moa Motors", "Tui Catering", "Aardvark Ltd"]
    assert names(after.text)[:3] == ["Moa Motors", "Kea Books", "Tui Catering"]
    assert "$540.00" in after.text and "$540.00" not in before.text
    assert len(list(redis_client.scan_iter("relance:figures:*:customers:*"))) == 2  # one per version


@pytest.mark.parametrize(
    "query",
    [
        "?sort=drop%20table",
        "?page=-1",
        "?page=99999999999999999999",
        "?page=%D9%A3",
        "?risk=9&segment=%00&bucket=99999999999999",
        "?q=" + "x" * 5000,
        "?q=%00%27%22",
        "?direction=sideways&bucket=%EF%BC%91",
    ],
)
def test_a_hostile_query_string_is_ignored_cleanly(client, books, query) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])

    answer = client.get(f"/organisations/{books['harbour']}/customers{query}")

    assert answer.status_code in (200, 400)


def test_another_organisations_customers_are_not_found(client, books, session) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    theirs = session.scalar(select(Customer.id).where(Customer.organisation_id == books["other"]))

    assert client.get(f"/organisations/{books['other']}/customers").status_code == 404
    assert client.get(f"/organisations/{books['harbour']}/customers/{theirs}").status_code == 404
    assert client.get(f"/organisations/{books['other']}/customers/{theirs}").status_code == 404
    assert client.post(f"/organisations/{books['harbour']}/customers/{theirs}/notes").status_code in (
        400,
        404,
    )


def test_the_customer_page_shows_the_account_and_the_standing(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    tui = books["customers"]["Tui Catering"]

    page = client.get(
        f"/organisations/{books['harbour']}/customers/{tui}", headers={"Accept-Language": "en-NZ"}
    )

    assert page.status_code == 200
    assert "accounts@tui.example" in page.text
    assert re.search(r'id="owed">\$350\.00<', page.text) and re.search(r'id="overdue">\$250\.00<', page.text)
    assert "INV-0101" in page.text and "INV-0102" in page.text and "not yet due" in page.text
    assert "usually pays 12 days late" in page.text and "Medium" in page.text


def test_the_timeline_is_newest_first_with_the_audit_trail_among_the_mirror(client, books, session) -> None:  # type: ignore[no-untyped-def]
    weta = session.get(Customer, books["customers"]["Weta Works"])
    record(
        session, books["harbour"], "customer.unworded", f"customer:{weta.id}", books["owner"], amount="80.00"
    )
    session.commit()
    session.get(AuditEvent, session.scalar(select(AuditEvent.id))).occurred_at = datetime(
        2026, 5, 10, 1, tzinfo=UTC
    )
    session.commit()
    sign_in(client, books["owner"])

    page = client.get(
        f"/organisations/{books['harbour']}/customers/{weta.id}", headers={"Accept-Language": "en-NZ"}
    )

    timeline = page.text[page.text.index('class="timeline"') :]
    lines = [
        timeline.index("customer.unworded"),  # 10 May: an event the timeline has no words for, shown plainly
        timeline.index("Payment of $80.00 received"),  # 2 May
        timeline.index("Invoice INV-0090 issued for $80.00"),  # 1 April
    ]
    assert lines == sorted(lines) and "amount: 80.00" in timeline


def test_a_note_must_have_text_and_fit(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    tui = books["customers"]["Tui Catering"]
    url = f"/organisations/{books['harbour']}/customers/{tui}/notes"
    client.application.config["WTF_CSRF_ENABLED"] = False

    empty = client.post(url, data={"text": "   ", "key": "a" * 32})
    long = client.post(url, data={"text": "x" * 2001, "key": "b" * 32})
    no_key = client.post(url, data={"text": "hello", "key": "../../etc"})

    assert empty.status_code == 400 and "Write the note first." in empty.text
    assert long.status_code == 400 and "at most 2000 characters" in long.text
    assert no_key.status_code == 400
    assert db.session.scalar(select(LedgerNote)) is None


def test_a_note_needs_the_csrf_token(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    tui = books["customers"]["Tui Catering"]

    answer = client.post(
        f"/organisations/{books['harbour']}/customers/{tui}/notes", data={"text": "hello", "key": "c" * 32}
    )

    assert answer.status_code == 400 and db.session.scalar(select(LedgerNote)) is None


# The note written back to Xero, against the sandbox over HTTP, by a real RQ worker.


@pytest.fixture
def xero_books(monkeypatch, session, redis_client):  # type: ignore[no-untyped-def]
    with demo_xero(monkeypatch) as sandbox:
        (connection,) = xero_consent(session, sandbox)
        sync_tenant(connection.id)
        owner = User(email="owner@demo.example", name="Demo Owner")
        session.add(owner)
        session.flush()
        session.add(Membership(user_id=owner.id, organisation_id=connection.organisation_id))
        session.commit()
        app = create_app(reload_settings_for_test())
        app.config.update(TESTING=True)
        yield sandbox, connection.organisation_id, owner.id, app.test_client()


def reload_settings_for_test():  # type: ignore[no-untyped-def]
    from runtime.settings import get_settings

    return get_settings()


def run_jobs() -> None:
    SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.connection()).work(burst=True)


def contact_notes(sandbox, ledger_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        record.details
        for record in sandbox.books.contacts[ledger_id.lower()].history
        if record.changes == "Note"
    ]


def test_a_note_is_kept_queued_and_written_to_xero_once(xero_books, session) -> None:  # type: ignore[no-untyped-def]
    sandbox, organisation_id, owner_id, relance = xero_books
    customer = session.scalar(
        select(Customer).where(Customer.organisation_id == organisation_id).order_by(Customer.name).limit(1)
    )
    sign_in(relance, owner_id)
    url = f"/organisations/{organisation_id}/customers/{customer.id}"
    page = relance.get(url)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page.text).group(1)
    text = "Called Sam: will pay INV-0001 on Friday. " + "More detail. " * 30  # over Xero's 250 characters

    saved = relance.post(f"{url}/notes", data={"csrf_token": csrf, "key": key, "text": text})
    # A double click: the same form twice.
    again = relance.post(f"{url}/notes", data={"csrf_token": csrf, "key": key, "text": text})

    assert saved.status_code == 302 and again.status_code == 302
    note = session.scalar(select(LedgerNote))
    assert session.scalar(select(LedgerNote.id).where(LedgerNote.id != note.id)) is None
    assert note.status == "pending" and jobs.queue("default").count == 1
    event = session.get(AuditEvent, note.audit_event_id)
    assert event.action == "customer.note" and event.actor_user_id == owner_id
    assert "being written to Xero" in relance.get(url).text

    run_jobs()
    session.expire_all()

    written = contact_notes(sandbox, customer.ledger_id)
    assert len(written) > 1 and written[0].startswith("(1/") and "Called Sam" in written[0]
    assert session.get(LedgerNote, note.id).status == "written"
    assert "in Xero" in relance.get(url).text

    jobs.queue("default").enqueue(write_note_to_ledger, note.id)  # the job run a second time
    run_jobs()
    assert contact_notes(sandbox, customer.ledger_id) == written


def test_a_note_xero_refuses_stays_on_the_timeline_as_failed(xero_books, session) -> None:  # type: ignore[no-untyped-def]
    _, organisation_id, owner_id, relance = xero_books
    customer = session.scalar(select(Customer).where(Customer.organisation_id == organisation_id).limit(1))
    customer.ledger_id = "00000000-0000-0000-0000-000000000000"  # a contact Xero does not have
    session.commit()
    sign_in(relance, owner_id)
    url = f"/organisations/{organisation_id}/customers/{customer.id}"
    page = relance.get(url)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page.text).group(1)
    relance.post(f"{url}/notes", data={"csrf_token": csrf, "key": key, "text": "Left a voicemail."})
    note_id = session.scalar(select(LedgerNote.id))

    with pytest.raises(Exception):  # noqa: B017  # outside RQ no retry is left: this is the last attempt
        write_note_to_ledger(note_id)
    session.expire_all()

    note = session.get(LedgerNote, note_id)
    assert note.status == "failed" and note.attempts == 1 and note.last_error
    assert "not written to Xero: failed" in relance.get(url).text
    assert timedelta(0) <= clock.now() - note.created_at < timedelta(minutes=5)


def test_a_note_whose_job_was_lost_is_queued_again_by_the_sweep(books, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    tui = session.get(Customer, books["customers"]["Tui Catering"])
    record_note(session, tui, books["owner"], "Sent a statement by post.", "d" * 32)
    session.commit()

    assert requeue_pending_notes() == 0  # just kept: its own job is on its way
    clock.advance(timedelta(minutes=11))
    assert requeue_pending_notes() == 1
    assert requeue_pending_notes() == 0  # it waits on the queue: not queued twice
    assert jobs.queue("default").count == 1


def test_a_note_reaches_quickbooks_as_a_note_on_the_customer(monkeypatch, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        sync_tenant(connection.id)
        owner = User(email="owner@qbo.example", name="QuickBooks Owner")
        session.add(owner)
        session.flush()
        session.add(Membership(user_id=owner.id, organisation_id=connection.organisation_id))
        session.commit()
        app = create_app(reload_settings_for_test())
        app.config.update(TESTING=True)
        relance = app.test_client()
        customer = session.scalar(
            select(Customer).where(Customer.organisation_id == connection.organisation_id).limit(1)
        )
        sign_in(relance, owner.id)
        url = f"/organisations/{connection.organisation_id}/customers/{customer.id}"
        page = relance.get(url)
        assert "written to QuickBooks as a note on the contact" in page.text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page.text).group(1)

        relance.post(f"{url}/notes", data={"csrf_token": csrf, "key": key, "text": "Statement sent by post."})
        run_jobs()

        notes = [
            attachable.body["Note"]
            for attachable in sandbox.company(connection.tenant_id).live("Attachable")
            if attachable.body["AttachableRef"][0]["EntityRef"]
            == {"type": "Customer", "value": customer.ledger_id}
        ]
        assert notes == ["Statement sent by post."]
        assert "in QuickBooks" in relance.get(url).text
