"""XeroLedger against the local Xero sandbox over real HTTP: paging, ids, mapping, writes, errors."""

from __future__ import annotations

import inspect
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from integration.ledger import (
    InvoiceStatus,
    LedgerRateLimited,
    LedgerRejected,
    LedgerUnauthorized,
    LedgerUnavailable,
    NoteTarget,
    PaymentKind,
    RecordStatus,
)
from integration.rate_limit import RateLimits, TenantRateLimiter, Window
from integration.sandbox.xero import XeroLimits
from integration.sandbox.xero.simulation import raise_credit, raise_invoice
from integration.xero import mapping
from integration.xero.writes import HOLD_GROUP, NOTE_LIMIT


def invoice_calls(sandbox) -> int:
    return sandbox.request_log.count(endpoint="/Invoices", method="GET")


def flat(pages) -> list:
    return [record for page in pages for record in page]


# Changed since ------------------------------------------------------------------------------------


def test_initial_read_of_2500_invoices_takes_three_calls_of_1000(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Bulk Buyer Ltd")
    for _ in range(2500):
        xero_sandbox.create_invoice(contact.contact_id, Decimal("10"))

    pages = list(ledger.changed_invoices(None))

    records = flat(pages)
    assert len(pages) == 3 and len(pages[0]) == 1000
    assert len(records) == len({record.ledger_id for record in records}) == 2500  # boundary rows once
    assert invoice_calls(xero_sandbox) == 3
    assert ledger.calls == 3


def test_changed_since_returns_only_what_changed_after_it(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Steady Customer")
    old = [xero_sandbox.create_invoice(contact.contact_id, Decimal("50")) for _ in range(20)]
    xero_sandbox.advance_clock(timedelta(seconds=2), simulate=False)
    since = xero_sandbox.clock.now()
    xero_sandbox.advance_clock(timedelta(seconds=2), simulate=False)
    xero_sandbox.pay_invoice(old[3].invoice_id, Decimal("10"))
    new = [xero_sandbox.create_invoice(contact.contact_id, Decimal("70")) for _ in range(4)]

    records = flat(ledger.changed_invoices(since))

    assert {r.ledger_id for r in records} == {old[3].invoice_id} | {i.invoice_id for i in new}
    assert [r.updated_at for r in records] == sorted(r.updated_at for r in records)


def test_invoice_edited_during_paging_is_still_read(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Busy Customer")
    invoices = [xero_sandbox.create_invoice(contact.contact_id, Decimal("10")) for _ in range(2100)]
    pages = ledger.changed_invoices(None)

    first = next(pages)
    xero_sandbox.pay_invoice(invoices[5].invoice_id, Decimal("1"))  # moves to the end of the order
    rest = flat(pages)

    assert len(first) == 1000
    assert {r.ledger_id for r in first + rest} == {i.invoice_id for i in invoices}


def test_bills_are_not_sales_invoices(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Supplier And Customer")
    sale = xero_sandbox.create_invoice(contact.contact_id, Decimal("100"))
    bill = raise_invoice(xero_sandbox.books, contact.contact_id, Decimal("40"))
    bill.type = "ACCPAY"
    xero_sandbox.books.save_invoice(bill, created=False)

    assert [r.ledger_id for r in flat(ledger.changed_invoices(None))] == [sale.invoice_id]
    assert ledger.invoices_by_id([sale.invoice_id, bill.invoice_id])[0].ledger_id == sale.invoice_id
    assert len(ledger.invoices_by_id([sale.invoice_id, bill.invoice_id])) == 1


def test_archived_contacts_come_back_inactive(ledger, xero_sandbox):
    active = xero_sandbox.create_contact("Still Trading", email="ap@trading.test")
    archived = xero_sandbox.create_contact("Closed Down")
    archived.status = "ARCHIVED"
    xero_sandbox.books.save_contact(archived, created=False)

    records = {r.ledger_id: r for r in flat(ledger.changed_contacts(None))}

    assert records[active.contact_id].active and records[active.contact_id].email == "ap@trading.test"
    assert not records[archived.contact_id].active


# By id --------------------------------------------------------------------------------------------


def test_invoices_by_id_asks_for_fifty_ids_per_call(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Many Invoices")
    ids = [xero_sandbox.create_invoice(contact.contact_id, Decimal("5")).invoice_id for _ in range(120)]

    records = ledger.invoices_by_id([*ids, ids[0], "00000000-0000-0000-0000-000000000000"])

    assert sorted(r.ledger_id for r in records) == sorted(ids)
    assert invoice_calls(xero_sandbox) == 3  # 121 distinct ids: 50 + 50 + 21


def test_contacts_by_id_includes_archived_ones(ledger, xero_sandbox):
    first = xero_sandbox.create_contact("First Customer")
    gone = xero_sandbox.create_contact("Gone Customer")
    gone.status = "ARCHIVED"
    xero_sandbox.books.save_contact(gone, created=False)
    xero_sandbox.create_contact("Not Asked For")

    records = ledger.contacts_by_id([first.contact_id, gone.contact_id])

    assert {r.ledger_id: r.active for r in records} == {first.contact_id: True, gone.contact_id: False}
    assert xero_sandbox.request_log.count(endpoint="/Contacts", method="GET") == 1


# Mapping ------------------------------------------------------------------------------------------


def test_postal_address_is_the_po_box_and_else_the_street_address(ledger, xero_sandbox):
    boxed = xero_sandbox.create_contact("Boxed Mail Ltd")
    boxed.street, boxed.postal = ("12 Queen St", "Auckland", "1010"), ("PO Box 5521", "Auckland", "1141")
    xero_sandbox.books.save_contact(boxed, created=False)
    street = xero_sandbox.create_contact("Street Only Ltd")
    street.street = ("4 Beach Rd", "Nelson", "7010")
    xero_sandbox.books.save_contact(street, created=False)
    nowhere = xero_sandbox.create_contact("No Address Ltd")

    records = {r.ledger_id: r for r in flat(ledger.changed_contacts(None))}

    assert records[boxed.contact_id].postal_address == ("PO Box 5521", "Auckland 1141", "New Zealand")
    assert records[street.contact_id].postal_address == ("4 Beach Rd", "Nelson 7010", "New Zealand")
    assert records[nowhere.contact_id].postal_address == ()


def test_postal_address_keeps_every_line_and_writes_the_locality_the_countrys_way():
    def address(**fields):
        return {
            "ContactID": "5cc8cf28-567e-4d43-b287-687cfcaec47c",
            "Name": "Katherine Warren",
            "UpdatedDateUTC": "/Date(1503348544227+0000)/",
            "Addresses": [
                {"AddressType": "STREET", "City": "", "Region": "", "PostalCode": "", "Country": ""},
                {"AddressType": "POBOX", **fields},
            ],
        }

    # Xero's own example Contact (xero-details.md 4.2): a POBOX with no line, in the United States.
    assert mapping.contact_record(
        address(AddressLine1="", City="Palo Alto", Region="CA", PostalCode="94020", Country="United States")
    ).postal_address == ("Palo Alto, CA 94020", "United States")
    assert mapping.contact_record(
        address(
            AddressLine1="Service comptable",
            AddressLine2="10 rue de la Paix",
            City="Paris",
            PostalCode="75002",
            Country="France",
        )
    ).postal_address == ("Service comptable", "10 rue de la Paix", "75002 Paris", "France")
    assert mapping.contact_record(
        address(AddressLine1="1 High Street", City="Bath", PostalCode="BA1 1AA", Country="United Kingdom")
    ).postal_address == ("1 High Street", "Bath", "BA1 1AA", "United Kingdom")
    assert mapping.contact_record(address(Country="New Zealand")).postal_address == ()


def test_partial_payment_leaves_the_rest_due(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Part Payer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("100"))  # 115.00 with GST
    payment = xero_sandbox.pay_invoice(invoice.invoice_id, Decimal("40.00"), paid_on=date(2026, 3, 2))

    [record] = ledger.invoices_by_id([invoice.invoice_id])
    [paid] = flat(ledger.changed_payments(None))

    assert (record.status, record.total, record.amount_paid, record.amount_due) == (
        InvoiceStatus.OPEN,
        Decimal("115.00"),
        Decimal("40.00"),
        Decimal("75.00"),
    )
    assert paid.ledger_id == payment.payment_id and paid.kind is PaymentKind.PAYMENT
    assert paid.contact_ledger_id == contact.contact_id and paid.received_on == date(2026, 3, 2)
    assert [(a.invoice_ledger_id, a.amount) for a in paid.allocations] == [
        (invoice.invoice_id, Decimal("40.00"))
    ]


def test_fully_paid_invoice_is_paid_on_its_last_payment_date(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Prompt Payer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("20"))
    xero_sandbox.pay_invoice(invoice.invoice_id, paid_on=date(2026, 4, 1))

    [record] = ledger.invoices_by_id([invoice.invoice_id])

    assert (record.status, record.amount_due, record.fully_paid_on) == (
        InvoiceStatus.PAID,
        0,
        date(2026, 4, 1),
    )


def test_credit_note_allocation_shows_on_note_and_invoice(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Returned Goods")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("100"))
    credit = xero_sandbox.create_credit("CreditNote", contact.contact_id, Decimal("50"))
    xero_sandbox.books.allocate(
        credit, xero_sandbox.books.find_invoice(invoice.invoice_id), Decimal("20"), date(2026, 5, 1)
    )

    [note] = flat(ledger.changed_credit_notes(None))
    [record] = ledger.invoices_by_id([invoice.invoice_id])

    assert (note.ledger_id, note.status, note.total, note.remaining_credit) == (
        credit.credit_id,
        RecordStatus.ACTIVE,
        Decimal("50.00"),
        Decimal("30.00"),
    )
    assert [(a.invoice_ledger_id, a.amount, a.applied_on) for a in note.allocations] == [
        (invoice.invoice_id, Decimal("20.00"), date(2026, 5, 1))
    ]
    assert (record.amount_credited, record.amount_due) == (Decimal("20.00"), Decimal("95.00"))


def test_overpayments_and_prepayments_are_received_money_with_unapplied_credit(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Pays Ahead")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("100"))
    over = xero_sandbox.create_credit("Overpayment", contact.contact_id, Decimal("80"))
    xero_sandbox.books.allocate(
        over, xero_sandbox.books.find_invoice(invoice.invoice_id), Decimal("30"), date(2026, 6, 1)
    )
    pre = xero_sandbox.create_credit("Prepayment", contact.contact_id, Decimal("200"))
    spent = raise_credit(xero_sandbox.books, "Overpayment", contact.contact_id, Decimal("9"))
    spent.type = "SPEND-OVERPAYMENT"  # money paid out to a supplier: not Relance's business
    xero_sandbox.books.save_credit(spent, created=False)

    records = {r.ledger_id: r for r in flat(ledger.changed_payments(None))}

    assert set(records) == {over.credit_id, pre.credit_id}
    overpayment, prepayment = records[over.credit_id], records[pre.credit_id]
    assert (overpayment.kind, overpayment.amount, overpayment.unapplied) == (
        PaymentKind.OVERPAYMENT,
        Decimal("80.00"),
        Decimal("50.00"),
    )
    assert [(a.invoice_ledger_id, a.amount) for a in overpayment.allocations] == [
        (invoice.invoice_id, Decimal("30.00"))
    ]
    assert (prepayment.kind, prepayment.unapplied, prepayment.allocations) == (
        PaymentKind.PREPAYMENT,
        Decimal("200.00"),
        (),
    )


def test_foreign_currency_invoice_carries_base_units_per_foreign_unit(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Sydney Customer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("100"), currency="AUD")
    invoice.currency_rate = Decimal("1.25")  # 1 NZD buys 1.25 AUD in Xero's terms
    xero_sandbox.books.save_invoice(invoice, created=False)

    [record] = ledger.invoices_by_id([invoice.invoice_id])

    assert (record.currency, record.currency_rate) == ("AUD", Decimal("0.8"))


def test_voided_and_deleted_records_come_with_their_status(ledger, xero_sandbox):
    books = xero_sandbox.books
    contact = xero_sandbox.create_contact("Changed Mind")
    voided = raise_invoice(books, contact.contact_id, Decimal("10"), status="VOIDED")
    deleted = raise_invoice(books, contact.contact_id, Decimal("10"), status="DELETED")
    draft = raise_invoice(books, contact.contact_id, Decimal("10"), status="DRAFT")
    paid = xero_sandbox.create_invoice(contact.contact_id, Decimal("10"))
    payment = xero_sandbox.pay_invoice(paid.invoice_id)
    books.delete_payment(books.payments[payment.payment_id])
    credit = xero_sandbox.create_credit("CreditNote", contact.contact_id, Decimal("5"))
    credit.status = "VOIDED"
    books.save_credit(credit, created=False)

    statuses = {r.ledger_id: r.status for r in flat(ledger.changed_invoices(None))}
    [payment_record] = flat(ledger.changed_payments(None))
    [credit_record] = flat(ledger.changed_credit_notes(None))

    assert statuses[voided.invoice_id] is InvoiceStatus.VOIDED
    assert statuses[deleted.invoice_id] is InvoiceStatus.DELETED
    assert statuses[draft.invoice_id] is InvoiceStatus.DRAFT
    assert statuses[paid.invoice_id] is InvoiceStatus.OPEN
    assert (payment_record.status, payment_record.allocations) == (RecordStatus.DELETED, ())
    assert credit_record.status is RecordStatus.VOIDED


# Write side ---------------------------------------------------------------------------------------


def test_payment_link_is_the_online_invoice_and_none_for_a_draft(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Online Payer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("10"))
    draft = raise_invoice(xero_sandbox.books, contact.contact_id, Decimal("10"), status="DRAFT")

    link = ledger.payment_link(invoice.invoice_id)

    assert link == f"{xero_sandbox.base_url}/in/{invoice.invoice_id.replace('-', '')}"
    assert ledger.payment_link(draft.invoice_id) is None


def test_notes_land_in_invoice_and_contact_history(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Noted Customer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("10"))

    ledger.write_note(NoteTarget.INVOICE, invoice.invoice_id, "Reminder 1 sent by Relance")
    ledger.write_note(NoteTarget.CONTACT, contact.contact_id, "Promised to pay on Friday")

    assert [h.details for h in xero_sandbox.books.find_invoice(invoice.invoice_id).history] == [
        "Reminder 1 sent by Relance"
    ]
    assert [h.details for h in xero_sandbox.books.contacts[contact.contact_id].history] == [
        "Promised to pay on Friday"
    ]


def test_a_long_note_becomes_numbered_notes_of_at_most_250_characters(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Talkative Customer")
    text = " ".join(f"word{n}" for n in range(120))  # 849 characters

    ledger.write_note(NoteTarget.CONTACT, contact.contact_id, text)

    notes = [h.details for h in xero_sandbox.books.contacts[contact.contact_id].history]
    assert len(notes) == 4 and all(len(note) <= NOTE_LIMIT for note in notes)
    assert [note.split(" ", 1)[0] for note in notes] == ["(1/4)", "(2/4)", "(3/4)", "(4/4)"]
    assert " ".join(note.split(" ", 1)[1] for note in notes) == text
    assert xero_sandbox.request_log.count(endpoint="/Contacts/{record_id}/History", method="PUT") == 1


def test_hold_adds_to_one_group_and_release_removes(ledger, xero_sandbox):
    first = xero_sandbox.create_contact("Late Payer")
    second = xero_sandbox.create_contact("Later Payer")

    ledger.put_on_hold(first.contact_id)
    ledger.put_on_hold(second.contact_id)
    [group] = xero_sandbox.books.groups.values()
    assert (group.name, sorted(group.contact_ids)) == (
        HOLD_GROUP,
        sorted([first.contact_id, second.contact_id]),
    )

    ledger.release_hold(first.contact_id)
    ledger.release_hold(first.contact_id)  # already released: nothing to do

    assert group.contact_ids == [second.contact_id]
    assert xero_sandbox.request_log.count(endpoint="/ContactGroups", method="PUT") == 1


def test_hold_group_made_earlier_is_reused(make_ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Repeat Offender")
    make_ledger().put_on_hold(contact.contact_id)

    make_ledger().release_hold(contact.contact_id)

    [group] = xero_sandbox.books.groups.values()
    assert group.contact_ids == []


def test_late_fee_invoice_is_authorised_with_one_line(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Fee Payer")

    record = ledger.create_late_fee_invoice(
        contact.contact_id, Decimal("25.00"), "NZD", "Late payment fee on INV-0001", date(2027, 1, 15)
    )

    stored = xero_sandbox.books.find_invoice(record.ledger_id)
    assert (stored.status, stored.type, len(stored.line_items)) == ("AUTHORISED", "ACCREC", 1)
    assert stored.line_items[0].description == "Late payment fee on INV-0001"
    assert (record.status, record.total, record.amount_due, record.due_on) == (
        InvoiceStatus.OPEN,
        Decimal("25.00"),
        Decimal("25.00"),
        date(2027, 1, 15),
    )


def test_credit_note_is_approved_and_allocated_so_the_invoice_owes_nothing(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Early Payer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("100.00"))  # 115.00 with GST
    xero_sandbox.pay_invoice(invoice.invoice_id, Decimal("112.00"))

    record = ledger.create_credit_note(
        contact.contact_id, invoice.invoice_id, Decimal("3.00"), "NZD", "Early-payment discount"
    )

    stored = xero_sandbox.books.find_invoice(invoice.invoice_id)
    assert (stored.amount_due, stored.amount_credited, stored.status) == (
        Decimal("0"),
        Decimal("3.00"),
        "PAID",
    )
    [credit] = [c for c in xero_sandbox.books.credits.values() if c.kind == "CreditNote"]
    assert (credit.type, credit.status, credit.total) == ("ACCRECCREDIT", "PAID", Decimal("3.00"))
    assert (record.ledger_id, record.total, record.remaining_credit) == (
        credit.credit_id,
        Decimal("3.00"),
        Decimal("0"),
    )
    assert [(a.invoice_ledger_id, a.amount) for a in record.allocations] == [
        (invoice.invoice_id, Decimal("3.00"))
    ]


def test_a_credit_note_retried_with_its_key_is_raised_once(make_ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Early Payer")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("100.00"))  # 115.00 with GST
    xero_sandbox.pay_invoice(invoice.invoice_id, Decimal("112.00"))
    key = "a" * 32

    first = make_ledger().create_credit_note(
        contact.contact_id, invoice.invoice_id, Decimal("3.00"), "NZD", "discount", key
    )
    again = make_ledger().create_credit_note(
        contact.contact_id, invoice.invoice_id, Decimal("3.00"), "NZD", "discount", key
    )

    assert again.ledger_id == first.ledger_id
    assert len([c for c in xero_sandbox.books.credits.values() if c.kind == "CreditNote"]) == 1
    assert xero_sandbox.books.find_invoice(invoice.invoice_id).amount_credited == Decimal("3.00")


def test_validation_error_is_rejected_with_xeros_message(ledger):
    with pytest.raises(LedgerRejected, match="could not be found"):
        ledger.create_late_fee_invoice(
            "2b0c7d8e-0000-4000-8000-000000000000", Decimal("5"), "NZD", "fee", date(2027, 1, 1)
        )


# Errors -------------------------------------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_the_call_retried(make_ledger, xero_sandbox):
    fresh = []

    def on_unauthorized() -> str:
        fresh.append(xero_sandbox.connect()["access_token"])
        return fresh[-1]

    ledger = make_ledger(on_unauthorized=on_unauthorized)
    xero_sandbox.create_contact("Anyone")
    xero_sandbox.expire_access_tokens()

    records = flat(ledger.changed_contacts(None))

    assert len(records) == 1 and len(fresh) == 1
    assert [e.status for e in xero_sandbox.request_log.entries()] == [401, 200]
    assert ledger.calls == 2


def test_token_refused_after_refresh_raises_without_the_token(make_ledger, xero_sandbox):
    ledger = make_ledger(on_unauthorized=lambda: "still-not-a-valid-token")
    xero_sandbox.expire_access_tokens()

    with pytest.raises(LedgerUnauthorized) as raised:
        ledger.contacts_by_id(["a"])

    assert "still-not-a-valid-token" not in str(raised.value)
    assert xero_sandbox.request_log.count(status=401) == 2


def test_rate_limit_storm_slows_the_read_but_does_not_fail(ledger, xero_sandbox):
    contact = xero_sandbox.create_contact("Patient Customer")
    xero_sandbox.create_invoice(contact.contact_id, Decimal("10"))
    xero_sandbox.faults.rate_limit_storm(times=2, retry_after=1)
    started = time.monotonic()

    records = flat(ledger.changed_invoices(None))

    assert len(records) == 1
    assert time.monotonic() - started >= 1.5  # waited out Retry-After twice, in the shared limiter
    assert xero_sandbox.request_log.count(status=429) == 2 and ledger.calls == 3


def test_without_a_limiter_a_429_sleeps_retry_after(make_ledger, xero_sandbox):
    slept = []
    ledger = make_ledger(limiter=None, sleep=slept.append)
    xero_sandbox.faults.rate_limit_storm(times=3, retry_after=7)

    assert ledger.contacts_by_id(["5f6a0000-0000-4000-8000-000000000000"]) == []
    assert slept == [7.0, 7.0, 7.0]


def test_daily_limit_raises_rate_limited_and_pauses_the_tenant(ledger, xero_sandbox, redis_client):
    xero_sandbox.faults.rate_limit_storm(times=1, retry_after=3600, problem="day")

    with pytest.raises(LedgerRateLimited) as raised:
        ledger.contacts_by_id(["5f6a0000-0000-4000-8000-000000000000"])

    assert (raised.value.retry_after, raised.value.problem) == (3600, "day")
    slot, wait = TenantRateLimiter(redis_client, "xero", xero_sandbox.tenant_id).try_acquire()
    assert slot is None and wait > 3000


def test_server_error_is_ledger_unavailable(ledger, xero_sandbox):
    xero_sandbox.faults.fail_with_server_error(times=1)

    with pytest.raises(LedgerUnavailable):
        list(ledger.changed_contacts(None))


def test_unreachable_ledger_is_ledger_unavailable(make_ledger, xero_sandbox):
    ledger = make_ledger(api_url="http://127.0.0.1:9")  # discard port: nothing listens

    with pytest.raises(LedgerUnavailable):
        ledger.contacts_by_id(["x"])


def test_the_shared_limiter_keeps_calls_inside_xeros_minute_limit(make_ledger, xero_sandbox, redis_client):
    # Shrunk to seconds: the sandbox allows 3 calls a "minute" of 1 s; the limiter allows 3 per 1.1 s.
    xero_sandbox.set_limits(XeroLimits(per_minute=3, minute_seconds=1.0))
    limits = RateLimits(windows=(Window(3, 1.1),), concurrent=5)
    ledger = make_ledger(limiter=TenantRateLimiter(redis_client, "xero", xero_sandbox.tenant_id, limits))
    contact = xero_sandbox.create_contact("Many Invoices")
    ids = [xero_sandbox.create_invoice(contact.contact_id, Decimal("5")).invoice_id for _ in range(300)]

    records = ledger.invoices_by_id(ids)

    assert len(records) == 300 and ledger.calls == 6
    assert xero_sandbox.request_log.count(status=429) == 0


def test_hold_group_deleted_in_xero_is_made_again(ledger, xero_sandbox):
    first = xero_sandbox.create_contact("Held Once")
    second = xero_sandbox.create_contact("Held Later")
    ledger.put_on_hold(first.contact_id)
    xero_sandbox.books.groups.clear()  # the accountant deleted the group

    ledger.put_on_hold(second.contact_id)

    [group] = xero_sandbox.books.groups.values()
    assert (group.name, group.contact_ids) == (HOLD_GROUP, [second.contact_id])


def test_it_answers_every_method_of_the_ledger_interface():
    from integration.ledger import Ledger
    from integration.xero.client import XeroLedger

    methods = [
        name for name, member in inspect.getmembers(Ledger, inspect.isfunction) if not name.startswith("_")
    ]
    for name in methods:
        expected = list(inspect.signature(getattr(Ledger, name)).parameters)
        assert list(inspect.signature(getattr(XeroLedger, name)).parameters) == expected, name
    assert len(methods) == 13 and XeroLedger.max_page_size == 1000
