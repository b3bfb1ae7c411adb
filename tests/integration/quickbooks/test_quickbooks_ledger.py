"""QuickBooksLedger against the local QuickBooks sandbox over real HTTP."""

from __future__ import annotations

import inspect
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from integration.ledger import (
    InvoiceStatus,
    LedgerRejected,
    LedgerUnauthorized,
    LedgerUnavailable,
    NoteTarget,
    PaymentKind,
    RecordStatus,
)
from integration.quickbooks.client import QuickBooksLedger
from integration.sandbox.common.change_filter import ChangeFilter
from integration.sandbox.quickbooks import QuickBooksSandbox, ThrottlePolicy
from integration.sandbox.quickbooks.strictness import Strictness
from runtime import clock

QUERY = "/v3/company/{realmId}/query"
BATCH = "/v3/company/{realmId}/batch"
CDC = "/v3/company/{realmId}/cdc"


def flat(pages) -> list:
    return [record for page in pages for record in page]


def customer(company, name: str, **fields):
    return company.create("Customer", {"DisplayName": name, **fields})


def invoice(company, customer_id: str, amount: str, at=None, **fields):
    body = {
        "CustomerRef": {"value": customer_id},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal(amount),
                "Description": "Services",
                "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
            }
        ],
        **fields,
    }
    return company.create("Invoice", body, at=at)


def pay(company, customer_id: str, total: str, lines=(), at=None):
    body = {
        "CustomerRef": {"value": customer_id},
        "TotalAmt": Decimal(total),
        "Line": [
            {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": txn_id, "TxnType": kind}]}
            for txn_id, kind, amount in lines
        ],
    }
    return company.create("Payment", body, at=at)


def calls_to(sandbox, endpoint: str) -> int:
    return sandbox.request_log.count(endpoint=endpoint)


# Changed since ------------------------------------------------------------------------------------


def test_first_read_of_2500_invoices_takes_two_batch_calls(ledger, qbo_sandbox, company):
    """The count with the first page (of 999: see BATCHED_PAGE), then the pages that remain in one call."""
    buyer = customer(company, "Bulk Buyer")
    start = qbo_sandbox.clock.now() - timedelta(hours=2)
    for n in range(2500):
        invoice(company, buyer.id, "10", at=start + timedelta(seconds=n))

    pages = list(ledger.changed_invoices(None))

    records = flat(pages)
    assert len(pages) == 3 and len(pages[0]) == 999
    assert len(records) == len({r.ledger_id for r in records}) == 2500
    assert (calls_to(qbo_sandbox, BATCH), calls_to(qbo_sandbox, QUERY)) == (2, 0) and ledger.calls == 2


def test_a_page_that_shares_one_second_moves_on_by_startposition(ledger, qbo_sandbox, company):
    buyer = customer(company, "Imported Customer")
    moment = qbo_sandbox.clock.now() - timedelta(hours=1)
    for _ in range(1500):
        invoice(company, buyer.id, "10", at=moment)  # a bulk import: one LastUpdatedTime for all

    records = flat(ledger.changed_invoices(None))

    assert len({r.ledger_id for r in records}) == 1500
    assert (calls_to(qbo_sandbox, BATCH), calls_to(qbo_sandbox, QUERY)) == (2, 0)


def test_recent_changes_come_from_one_cdc_call_with_deletions(ledger, qbo_sandbox, company):
    buyer = customer(company, "Changing Customer")
    earlier = qbo_sandbox.clock.now() - timedelta(hours=3)
    kept = invoice(company, buyer.id, "10", at=earlier)
    dropped = invoice(company, buyer.id, "20", at=earlier)
    since = qbo_sandbox.clock.now() - timedelta(hours=1)
    company.delete("Invoice", {"Id": dropped.id, "SyncToken": str(dropped.sync_token)})
    new = invoice(company, buyer.id, "30")

    records = {r.ledger_id: r for r in flat(ledger.changed_invoices(since))}

    assert set(records) == {dropped.id, new.id} and kept.id not in records
    assert records[dropped.id].status is InvoiceStatus.DELETED
    assert records[new.id].total == Decimal("30")
    assert (calls_to(qbo_sandbox, CDC), calls_to(qbo_sandbox, QUERY)) == (1, 0)


def test_changes_older_than_cdc_look_back_are_queried(ledger, qbo_sandbox, company):
    buyer = customer(company, "Old Customer")
    invoice(company, buyer.id, "10")

    records = flat(ledger.changed_invoices(clock.now() - timedelta(days=45)))

    assert len(records) == 1
    assert (calls_to(qbo_sandbox, CDC), calls_to(qbo_sandbox, BATCH)) == (0, 1)


def test_inactive_customers_are_read_as_inactive(ledger, company):
    active = customer(company, "Active Ltd", PrimaryEmailAddr={"Address": "ap@active.test"})
    gone = customer(company, "Gone Ltd")
    company.update(
        "Customer", {"Id": gone.id, "SyncToken": str(gone.sync_token), "sparse": True, "Active": False}
    )

    records = {r.ledger_id: r for r in flat(ledger.changed_contacts(None))}

    assert (records[active.id].active, records[active.id].email) == (True, "ap@active.test")
    assert records[gone.id].active is False


def test_postal_address_is_the_bill_address(ledger, company):
    billed = customer(
        company,
        "Ocean Drive Surf",
        BillAddr={
            "Line1": "Accounts payable",
            "Line2": "12 Ocean Dr.",
            "City": "Half Moon Bay",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94019",
            "Country": "USA",
        },
    )
    free_form = customer(
        company,
        "Sonnenschein Family Store",
        BillAddr={
            "Line1": "Russ Sonnenschein",
            "Line2": "5647 Cypress Hill Ave.",
            "Line3": "Middlefield, CA  94303",
        },
    )
    nowhere = customer(company, "No Address Inc")

    records = {r.ledger_id: r for r in flat(ledger.changed_contacts(None))}

    assert records[billed.id].postal_address == (
        "Accounts payable",
        "12 Ocean Dr.",
        "Half Moon Bay, CA 94019",
        "USA",
    )
    # Typed free-form in QuickBooks (quickbooks-details.md 3.1): the lines as they are.
    assert records[free_form.id].postal_address == (
        "Russ Sonnenschein",
        "5647 Cypress Hill Ave.",
        "Middlefield, CA  94303",
    )
    assert records[nowhere.id].postal_address == ()


def test_merged_away_customer_comes_back_deleted(ledger, qbo_sandbox, company):
    survivor = customer(company, "Survivor Ltd")
    duplicate = customer(company, "Survivor Limited")
    since = qbo_sandbox.clock.now() - timedelta(minutes=5)
    company.merge_customers(duplicate.id, survivor.id)

    records = {r.ledger_id: r for r in flat(ledger.changed_contacts(since))}

    assert records[duplicate.id].deleted and not records[duplicate.id].active
    assert records[survivor.id].active and not records[survivor.id].deleted


# By id --------------------------------------------------------------------------------------------


def test_invoices_by_id_is_one_query_for_many_ids(ledger, qbo_sandbox, company):
    buyer = customer(company, "Many Invoices")
    ids = [invoice(company, buyer.id, "5").id for _ in range(30)]

    records = ledger.invoices_by_id([*ids, ids[0], "999999"])

    assert sorted(r.ledger_id for r in records) == sorted(ids)
    assert calls_to(qbo_sandbox, QUERY) == 1


def test_contacts_by_id_includes_inactive_customers(ledger, qbo_sandbox, company):
    first = customer(company, "First")
    gone = customer(company, "It's Gone")  # an apostrophe in a name must not break the query
    company.update(
        "Customer", {"Id": gone.id, "SyncToken": str(gone.sync_token), "sparse": True, "Active": False}
    )

    records = ledger.contacts_by_id([first.id, gone.id])

    assert {r.ledger_id: r.active for r in records} == {first.id: True, gone.id: False}


# Mapping ------------------------------------------------------------------------------------------


def test_partial_payment_leaves_the_balance_open(ledger, company):
    buyer = customer(company, "Part Payer")
    owed = invoice(company, buyer.id, "100.00")
    payment = pay(company, buyer.id, "40.00", [(owed.id, "Invoice", "40.00")])

    [record] = ledger.invoices_by_id([owed.id])
    [paid] = flat(ledger.changed_payments(None))

    assert (record.status, record.total, record.amount_paid, record.amount_due) == (
        InvoiceStatus.OPEN,
        Decimal("100"),
        Decimal("40"),
        Decimal("60"),
    )
    assert (paid.ledger_id, paid.kind, paid.amount, paid.unapplied) == (
        payment.id,
        PaymentKind.PAYMENT,
        Decimal("40"),
        Decimal("0"),
    )
    assert [(a.invoice_ledger_id, a.amount) for a in paid.allocations] == [(owed.id, Decimal("40"))]


def test_credit_memo_applied_through_a_payment(ledger, company):
    buyer = customer(company, "Returned Goods")
    owed = invoice(company, buyer.id, "100.00")
    memo = company.create(
        "CreditMemo",
        {
            "CustomerRef": {"value": buyer.id},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": Decimal("50"),
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    pay(company, buyer.id, "0", [(owed.id, "Invoice", "20"), (memo.id, "CreditMemo", "20")])

    [note] = flat(ledger.changed_credit_notes(None))
    [record] = ledger.invoices_by_id([owed.id])
    [application] = flat(ledger.changed_payments(None))

    assert (note.ledger_id, note.status, note.total, note.remaining_credit) == (
        memo.id,
        RecordStatus.ACTIVE,
        Decimal("50"),
        Decimal("30"),
    )
    assert record.amount_due == Decimal("80")
    assert (application.amount, [(a.invoice_ledger_id, a.amount) for a in application.allocations]) == (
        Decimal("0"),
        [(owed.id, Decimal("20"))],
    )


def test_unapplied_money_is_an_overpayment_or_a_prepayment(ledger, company):
    buyer = customer(company, "Generous Payer")
    owed = invoice(company, buyer.id, "100.00")
    over = pay(company, buyer.id, "150.00", [(owed.id, "Invoice", "100.00")])
    ahead = pay(company, buyer.id, "80.00")

    records = {r.ledger_id: r for r in flat(ledger.changed_payments(None))}

    assert (records[over.id].kind, records[over.id].unapplied) == (PaymentKind.OVERPAYMENT, Decimal("50"))
    assert (records[ahead.id].kind, records[ahead.id].unapplied, records[ahead.id].allocations) == (
        PaymentKind.PREPAYMENT,
        Decimal("80"),
        (),
    )
    assert ledger.invoices_by_id([owed.id])[0].status is InvoiceStatus.PAID


def test_foreign_currency_invoice_keeps_its_exchange_rate(ledger, company):
    buyer = customer(company, "Paris Client")
    owed = invoice(company, buyer.id, "100.00", CurrencyRef={"value": "EUR"}, ExchangeRate=Decimal("1.0825"))

    [record] = ledger.invoices_by_id([owed.id])

    assert (record.currency, record.currency_rate) == ("EUR", Decimal("1.0825"))


def test_voided_and_deleted_transactions(ledger, qbo_sandbox, company):
    buyer = customer(company, "Changed Mind")
    voided = invoice(company, buyer.id, "10")
    company.void("Invoice", {"Id": voided.id, "SyncToken": str(voided.sync_token)})
    owed = invoice(company, buyer.id, "10")
    refunded = pay(company, buyer.id, "5", [(owed.id, "Invoice", "5")])
    company.void("Payment", {"Id": refunded.id, "SyncToken": str(refunded.sync_token)})
    mistake = pay(company, buyer.id, "7")
    company.delete("Payment", {"Id": mistake.id, "SyncToken": str(mistake.sync_token)})
    since = qbo_sandbox.clock.now() - timedelta(minutes=5)

    invoices = {r.ledger_id: r for r in flat(ledger.changed_invoices(since))}
    payments = {r.ledger_id: r for r in flat(ledger.changed_payments(since))}

    assert (invoices[voided.id].status, invoices[voided.id].amount_due) == (InvoiceStatus.VOIDED, 0)
    assert invoices[owed.id].status is InvoiceStatus.OPEN and invoices[owed.id].amount_due == Decimal("10")
    assert (payments[refunded.id].status, payments[refunded.id].allocations) == (RecordStatus.VOIDED, ())
    assert payments[mistake.id].status is RecordStatus.DELETED


# Write side ---------------------------------------------------------------------------------------


def test_payment_link_only_for_invoices_payable_online(ledger, company):
    buyer = customer(company, "Online Payer", PrimaryEmailAddr={"Address": "pay@online.test"})
    payable = invoice(company, buyer.id, "10", AllowOnlineCreditCardPayment=True)
    offline = invoice(company, buyer.id, "10")

    link = ledger.payment_link(payable.id)

    assert link is not None and "/connect/portal/app/CommerceNetwork/view/" in link
    assert ledger.payment_link(offline.id) is None
    assert ledger.payment_link("424242") is None


def test_notes_are_attachables_on_invoice_and_customer(ledger, company):
    buyer = customer(company, "Noted Customer")
    owed = invoice(company, buyer.id, "10")

    ledger.write_note(NoteTarget.INVOICE, owed.id, "Reminder 1 sent by Relance")
    ledger.write_note(NoteTarget.CONTACT, buyer.id, "Promised to pay on Friday")

    notes = {
        (
            a.body["AttachableRef"][0]["EntityRef"]["type"],
            a.body["AttachableRef"][0]["EntityRef"]["value"],
        ): a.body["Note"]
        for a in company.live("Attachable")
    }
    assert notes == {
        ("Invoice", owed.id): "Reminder 1 sent by Relance",
        ("Customer", buyer.id): "Promised to pay on Friday",
    }


def test_hold_marks_the_customer_notes_and_release_restores_them(ledger, qbo_sandbox, company):
    buyer = customer(company, "Late Payer", Notes="Prefers email.")

    ledger.put_on_hold(buyer.id)
    ledger.put_on_hold(buyer.id)  # already on hold: nothing more is written
    held = company.get("Customer", buyer.id).body["Notes"]
    ledger.release_hold(buyer.id)
    ledger.release_hold(buyer.id)

    assert held == f"[Relance: on hold since {clock.today().isoformat()}]\nPrefers email."
    assert company.get("Customer", buyer.id).body["Notes"] == "Prefers email."
    history = [a.body["Note"] for a in company.live("Attachable")]
    assert len(history) == 2 and "credit hold" in history[0] and "released" in history[1]


def test_hold_survives_a_customer_edited_between_read_and_update(ledger, company, monkeypatch):
    buyer = customer(company, "Busy Customer")
    read = ledger.read
    edited = []

    def read_while_the_accountant_edits(entity, ledger_id, **params):
        answer = read(entity, ledger_id, **params)
        if not edited:
            current = company.get("Customer", ledger_id)
            company.update(
                "Customer",
                {
                    "Id": ledger_id,
                    "SyncToken": str(current.sync_token),
                    "sparse": True,
                    "CompanyName": "Busy Co",
                },
            )
            edited.append(ledger_id)
        return answer

    monkeypatch.setattr(ledger, "read", read_while_the_accountant_edits)

    ledger.put_on_hold(buyer.id)

    stored = company.get("Customer", buyer.id).body
    assert stored["Notes"].startswith("[Relance: on hold since") and stored["CompanyName"] == "Busy Co"


def test_release_of_a_customer_with_no_other_notes_clears_them(ledger, company):
    buyer = customer(company, "Quiet Customer")

    ledger.put_on_hold(buyer.id)
    ledger.release_hold(buyer.id)

    assert not company.get("Customer", buyer.id).body.get("Notes")
    assert company.get("Customer", buyer.id).body["DisplayName"] == "Quiet Customer"


def test_late_fee_invoice_has_one_line_on_the_fee_item(ledger, company):
    buyer = customer(company, "Fee Payer")

    record = ledger.create_late_fee_invoice(
        buyer.id, Decimal("25.00"), "USD", "Late payment fee on 1001", date(2027, 1, 15)
    )

    stored = company.get("Invoice", record.ledger_id).body
    lines = [line for line in stored["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert len(lines) == 1 and lines[0]["SalesItemLineDetail"]["ItemRef"]["value"] == "1"
    assert lines[0]["Description"] == "Late payment fee on 1001"
    assert (record.status, record.total, record.due_on) == (
        InvoiceStatus.OPEN,
        Decimal("25"),
        date(2027, 1, 15),
    )


def test_late_fee_item_is_found_or_created_once(make_ledger, company):
    buyer = customer(company, "Fee Payer")
    first, later = make_ledger(late_fee_item_id=None), make_ledger(late_fee_item_id=None)

    first.create_late_fee_invoice(buyer.id, Decimal("25.00"), "USD", "fee", date(2027, 1, 15))
    first.create_late_fee_invoice(buyer.id, Decimal("30.00"), "USD", "fee", date(2027, 1, 15))
    later.create_late_fee_invoice(buyer.id, Decimal("35.00"), "USD", "fee", date(2027, 1, 15))

    items = [item for item in company.live("Item") if item.body["Name"] == "Late payment fee"]
    assert len(items) == 1 and items[0].body["Type"] == "Service"
    income = company.get("Account", items[0].body["IncomeAccountRef"]["value"])
    assert income.body["AccountType"] == "Income"
    assert {
        line["SalesItemLineDetail"]["ItemRef"]["value"]
        for i in company.live("Invoice")
        for line in i.body["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    } == {items[0].id}


def test_an_inactive_late_fee_item_is_made_active_again_not_duplicated(make_ledger, company):
    buyer = customer(company, "Fee Payer")
    make_ledger(late_fee_item_id=None).create_late_fee_invoice(
        buyer.id, Decimal("25.00"), "USD", "fee", date(2027, 1, 15)
    )
    item = next(i for i in company.live("Item") if i.body["Name"] == "Late payment fee")
    company.update(
        "Item", {"Id": item.id, "SyncToken": str(item.sync_token), "sparse": True, "Active": False}
    )

    make_ledger(late_fee_item_id=None).create_late_fee_invoice(
        buyer.id, Decimal("30.00"), "USD", "fee", date(2027, 1, 15)
    )

    items = [i for i in company.live("Item") if i.body["Name"] == "Late payment fee"]
    assert [(i.id, i.body["Active"]) for i in items] == [(item.id, True)]


def test_credit_memo_is_applied_so_the_invoice_balance_falls_to_zero(ledger, company):
    buyer = customer(company, "Early Payer")
    bill = invoice(company, buyer.id, "100.00")
    pay(company, buyer.id, "97.00", [(bill.id, "Invoice", "97.00")])

    record = ledger.create_credit_note(buyer.id, bill.id, Decimal("3.00"), "USD", "Early-payment discount")

    assert company.get("Invoice", bill.id).body["Balance"] == Decimal("0")
    memo = company.get("CreditMemo", record.ledger_id).body
    assert (memo["TotalAmt"], memo["RemainingCredit"]) == (Decimal("3.00"), Decimal("0"))
    assert memo["Line"][0]["Description"] == "Early-payment discount"
    assert (record.total, record.remaining_credit) == (Decimal("3"), Decimal("0"))
    assert [(a.invoice_ledger_id, a.amount) for a in record.allocations] == [(bill.id, Decimal("3.00"))]


def test_a_credit_memo_retried_with_its_key_is_raised_and_applied_once(make_ledger, company):
    buyer = customer(company, "Early Payer")
    bill = invoice(company, buyer.id, "100.00")
    pay(company, buyer.id, "97.00", [(bill.id, "Invoice", "97.00")])
    key = "b" * 32

    first = make_ledger().create_credit_note(buyer.id, bill.id, Decimal("3.00"), "USD", "discount", key)
    again = make_ledger().create_credit_note(buyer.id, bill.id, Decimal("3.00"), "USD", "discount", key)

    assert again.ledger_id == first.ledger_id
    assert len(company.live("CreditMemo")) == 1
    assert len([p for p in company.live("Payment") if p.body["TotalAmt"] == 0]) == 1
    assert company.get("Invoice", bill.id).body["Balance"] == Decimal("0")


def test_validation_fault_is_rejected_with_intuits_message(ledger):
    with pytest.raises(LedgerRejected, match="Invalid Reference Id"):
        ledger.create_late_fee_invoice("424242", Decimal("5"), "USD", "fee", date(2027, 1, 1))


# Errors -------------------------------------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_the_call_retried(make_ledger, qbo_sandbox, realm_id, company):
    fresh = []

    def on_unauthorized() -> str:
        fresh.append(qbo_sandbox.connect(realm_id).access_token)
        return fresh[-1]

    ledger = make_ledger(on_unauthorized=on_unauthorized)
    customer(company, "Anyone")
    qbo_sandbox.tokens.expire_access_tokens(realm_id)

    records = flat(ledger.changed_contacts(None))

    assert len(records) == 1 and len(fresh) == 1
    assert [e.status for e in qbo_sandbox.request_log.entries()] == [401, 200]
    assert ledger.calls == 2


def test_token_refused_after_refresh_raises_without_the_token(make_ledger, qbo_sandbox, realm_id):
    ledger = make_ledger(on_unauthorized=lambda: "still-not-a-valid-token")
    qbo_sandbox.tokens.expire_access_tokens(realm_id)

    with pytest.raises(LedgerUnauthorized) as raised:
        ledger.contacts_by_id(["1"])

    assert "still-not-a-valid-token" not in str(raised.value)
    assert qbo_sandbox.request_log.count(status=401) == 2


def test_token_of_another_company_is_unauthorized(make_ledger, qbo_sandbox):
    other_realm = qbo_sandbox.realm_ids[1]
    ledger = make_ledger(realm_id=other_realm)  # the token is for the first realm

    with pytest.raises(LedgerUnauthorized):
        ledger.invoices_by_id(["1"])


def test_throttling_storm_slows_the_read_but_does_not_fail(ledger, qbo_sandbox, company):
    customer(company, "Patient Customer")
    qbo_sandbox.faults.rate_limit_storm(times=2, retry_after=1)
    started = time.monotonic()

    records = flat(ledger.changed_contacts(None))

    assert len(records) == 1
    assert time.monotonic() - started >= 1.5
    assert qbo_sandbox.request_log.count(status=429) == 2 and ledger.calls == 3


def test_without_a_limiter_a_429_sleeps(make_ledger, qbo_sandbox):
    slept = []
    ledger = make_ledger(limiter=None, sleep=slept.append)
    qbo_sandbox.faults.rate_limit_storm(times=3, retry_after=4)

    assert ledger.invoices_by_id(["1"]) == []
    assert slept == [4.0, 4.0, 4.0]


def test_server_error_is_ledger_unavailable(ledger, qbo_sandbox):
    qbo_sandbox.faults.fail_with_server_error(times=1)

    with pytest.raises(LedgerUnavailable):
        list(ledger.changed_invoices(None))


def test_unreachable_ledger_is_ledger_unavailable(make_ledger):
    ledger = make_ledger(api_url="http://127.0.0.1:9")

    with pytest.raises(LedgerUnavailable):
        ledger.invoices_by_id(["1"])


def test_it_answers_every_method_of_the_ledger_interface():
    from integration.ledger import Ledger
    from integration.quickbooks.client import QuickBooksLedger

    methods = [
        name for name, member in inspect.getmembers(Ledger, inspect.isfunction) if not name.startswith("_")
    ]
    for name in methods:
        expected = list(inspect.signature(getattr(Ledger, name)).parameters)
        assert list(inspect.signature(getattr(QuickBooksLedger, name)).parameters) == expected, name
    assert len(methods) == 13 and QuickBooksLedger.max_page_size == 1000


# Under the strictest reading of what Intuit documents -------------------------------------------


@pytest.fixture
def strict_sandbox(monkeypatch: pytest.MonkeyPatch):
    """A QuickBooks sandbox that refuses a second ORDERBY key and whose change filter keeps only
    later seconds than the bound's."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    strictness = Strictness(change_filter=ChangeFilter.EXCLUSIVE, one_sort_key=True)
    throttle = ThrottlePolicy(per_minute=10**6, concurrent=100, batch_per_minute=10**6)
    with QuickBooksSandbox(seed="empty", throttle=throttle, strictness=strictness) as sandbox:
        yield sandbox


def test_every_read_works_where_a_second_sort_key_is_refused(strict_sandbox):
    realm = strict_sandbox.realm_ids[0]
    company = strict_sandbox.company(realm)
    token = strict_sandbox.connect(realm).access_token
    ledger = QuickBooksLedger(realm, strict_sandbox.base_url, lambda: token)
    buyer = customer(company, "Strict Buyer")
    start = strict_sandbox.clock.now() - timedelta(hours=2)
    spread = [invoice(company, buyer.id, "10", at=start + timedelta(seconds=n)).id for n in range(1200)]
    imported = [invoice(company, buyer.id, "20", at=start + timedelta(hours=1)).id for _ in range(1300)]
    paid = pay(company, buyer.id, "10", lines=[(spread[0], "Invoice", "10")])

    invoices = flat(ledger.changed_invoices(None))

    assert {r.ledger_id for r in invoices} == set(spread) | set(imported)
    assert [r.ledger_id for r in flat(ledger.changed_payments(None))] == [paid.id]
    assert [r.ledger_id for r in flat(ledger.changed_contacts(None))] == [buyer.id]
    assert flat(ledger.changed_credit_notes(None)) == []
    assert len(ledger.invoices_by_id(spread[:5])) == 5
