"""Customers, invoices, payments, credit memos and notes through python-quickbooks, as against Intuit."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException, UnsupportedException
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef, EmailAddress, LinkedTxn, Ref
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.term import Term

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)

OFFSET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
ENVELOPE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def make_customer(qb, name: str = "Amy's Bird Sanctuary") -> Customer:
    customer = Customer()
    customer.DisplayName = name
    customer.PrimaryEmailAddr = EmailAddress()
    customer.PrimaryEmailAddr.Address = "amy@example.com"
    return customer.save(qb=qb)


def make_invoice(qb, customer: Customer, amount: str = "275.50", **fields) -> Invoice:
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.Description = "Rock Fountain"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = "1"
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    for key, value in fields.items():
        setattr(invoice, key, value)
    return invoice.save(qb=qb)


def make_payment(qb, customer: Customer, invoice: Invoice, amount: str) -> Payment:
    line = PaymentLine()
    line.Amount = Decimal(amount)
    link = LinkedTxn()
    link.TxnId = invoice.Id
    link.TxnType = "Invoice"
    line.LinkedTxn = [link]
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = Decimal(amount)
    payment.Line = [line]
    return payment.save(qb=qb)


def test_created_customer_reads_back_with_intuit_metadata(qb, qbo_api):
    created = make_customer(qb)

    assert created.Id and created.SyncToken == "0"
    raw = qbo_api.get(f"{qbo_api.company_url}/customer/{created.Id}", params={"minorversion": 75}).json()
    assert set(raw) == {"Customer", "time"}
    assert ENVELOPE_TIME.match(raw["time"])
    body = raw["Customer"]
    assert body["DisplayName"] == "Amy's Bird Sanctuary"
    assert body["domain"] == "QBO" and body["sparse"] is False and body["Active"] is True
    assert OFFSET_TIME.match(body["MetaData"]["CreateTime"])
    assert OFFSET_TIME.match(body["MetaData"]["LastUpdatedTime"])
    assert Customer.get(created.Id, qb=qb).DisplayName == "Amy's Bird Sanctuary"


def test_duplicate_customer_name_is_refused(qb):
    make_customer(qb)
    with pytest.raises(QuickbooksException) as refused:
        make_customer(qb)
    assert refused.value.error_code == 6240


def test_invoice_totals_due_date_and_doc_number_are_computed(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "275.50", TxnDate="2026-11-02")

    assert Decimal(str(invoice.TotalAmt)) == Decimal("275.50")
    assert Decimal(str(invoice.Balance)) == Decimal("275.50")
    assert invoice.DueDate == "2026-12-02"  # the company's default term is Net 30
    assert invoice.SalesTermRef.name == "Net 30"
    assert invoice.DocNumber == "1001"
    assert invoice.BillEmail.Address == "amy@example.com"
    assert [line.DetailType for line in invoice.Line] == ["SalesItemLineDetail", "SubTotalLineDetail"]


def test_invoice_due_date_follows_an_explicit_term(qb):
    customer = make_customer(qb)
    net15 = Term.filter(Name="Net 15", qb=qb)[0]
    invoice = make_invoice(qb, customer, TxnDate="2026-01-10", SalesTermRef=net15.to_ref())
    assert invoice.DueDate == "2026-01-25"


def test_money_keeps_every_cent(qb, qbo_sandbox, qbo_realm_id):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "0.10")
    make_invoice(qb, customer, "0.20")
    stored = qbo_sandbox.company(qbo_realm_id).get("Invoice", invoice.Id)
    assert stored.body["TotalAmt"] == Decimal("0.10")
    assert qbo_sandbox.company(qbo_realm_id).get("Customer", customer.Id).body["Balance"] == Decimal("0.30")


def test_sparse_update_changes_one_field_and_bumps_sync_token(qb, qbo_api):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer)
    body = {
        "Id": invoice.Id,
        "SyncToken": invoice.SyncToken,
        "sparse": True,
        "PrivateNote": "Call before visiting",
    }

    answer = qb.update_object("Invoice", json.dumps(body))["Invoice"]

    assert answer["SyncToken"] == "1"
    assert answer["PrivateNote"] == "Call before visiting"
    assert answer["TotalAmt"] == 275.5 and answer["CustomerRef"]["value"] == customer.Id


def test_full_update_from_a_read_object_keeps_balances_right(qb):
    customer = make_customer(qb)
    invoice = Invoice.get(make_invoice(qb, customer).Id, qb=qb)
    invoice.PrivateNote = "Full update"
    invoice.Line[0].Amount = 300

    saved = invoice.save(qb=qb)

    assert saved.SyncToken == "1"
    assert Decimal(str(saved.TotalAmt)) == Decimal("300") == Decimal(str(saved.Balance))
    assert saved.PrivateNote == "Full update"


def test_stale_sync_token_gets_intuit_5010(qb, qbo_api):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer)
    qb.update_object(
        "Invoice", json.dumps({"Id": invoice.Id, "SyncToken": "0", "sparse": True, "PrivateNote": "a"})
    )

    stale = qbo_api.post(
        f"{qbo_api.company_url}/invoice",
        params={"minorversion": 75},
        json={"Id": invoice.Id, "SyncToken": "0", "sparse": True, "PrivateNote": "b"},
    )

    assert stale.status_code == 400
    fault = stale.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "5010"
    assert fault["Error"][0]["Message"] == "Stale Object Error"
    assert ENVELOPE_TIME.match(stale.json()["time"])
    with pytest.raises(QuickbooksException) as raised:
        invoice.save(qb=qb)  # python-quickbooks still holds SyncToken 0
    assert raised.value.error_code == 5010


def test_unknown_id_is_object_not_found(qb):
    with pytest.raises(ObjectNotFoundException) as missing:
        Invoice.get("9999", qb=qb)
    assert missing.value.error_code == 610


def test_unknown_entity_in_the_path_is_unsupported(qbo_api):
    answer = qbo_api.get(f"{qbo_api.company_url}/spaceship/1", params={"minorversion": 75})
    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] == "500" and error["Message"] == "Unsupported Operation"
    assert "Could not find resource for relative" in error["Detail"]


def test_payment_lowers_invoice_balance_and_links_both_ways(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "200.00")

    payment = make_payment(qb, customer, invoice, "75.25")

    reread = Invoice.get(invoice.Id, qb=qb)
    assert Decimal(str(reread.Balance)) == Decimal("124.75")
    assert reread.SyncToken == "1"
    assert [(link.TxnId, link.TxnType) for link in reread.LinkedTxn] == [(payment.Id, "Payment")]
    assert Decimal(str(Customer.get(customer.Id, qb=qb).Balance)) == Decimal("124.75")


def test_overpaying_an_invoice_is_a_business_validation_error(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "50.00")
    with pytest.raises(QuickbooksException) as refused:
        make_payment(qb, customer, invoice, "60.00")
    assert refused.value.error_code == 6000


def test_voiding_a_payment_restores_the_invoice_balance(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "80.00")
    payment = make_payment(qb, customer, invoice, "80.00")
    assert Decimal(str(Invoice.get(invoice.Id, qb=qb).Balance)) == 0

    payment.void(qb=qb)  # python-quickbooks: POST /payment?operation=update&include=void

    assert Decimal(str(Invoice.get(invoice.Id, qb=qb).Balance)) == Decimal("80.00")
    voided = Payment.get(payment.Id, qb=qb)
    assert Decimal(str(voided.TotalAmt)) == 0 and voided.PrivateNote.startswith("Voided")


def test_voided_invoice_has_zero_amounts(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "42.00")
    invoice.void(qb=qb)
    voided = Invoice.get(invoice.Id, qb=qb)
    assert Decimal(str(voided.TotalAmt)) == 0 and Decimal(str(voided.Balance)) == 0
    assert voided.PrivateNote == "Voided"


def test_deleted_invoice_is_gone_but_answers_with_status_deleted(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer)
    answer = invoice.delete(qb=qb)
    assert answer["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": invoice.Id}
    with pytest.raises(ObjectNotFoundException):
        Invoice.get(invoice.Id, qb=qb)


def test_invoice_with_payments_cannot_be_deleted(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "10.00")
    make_payment(qb, customer, invoice, "5.00")
    with pytest.raises(QuickbooksException) as refused:
        Invoice.get(invoice.Id, qb=qb).delete(qb=qb)
    assert refused.value.error_code == 6000


def test_credit_memo_applied_through_a_payment_reduces_the_invoice(qb, qbo_sandbox, qbo_realm_id):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "100.00")
    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    line = SalesItemLine()
    line.Amount = Decimal("30.00")
    line.SalesItemLineDetail = SalesItemLineDetail()
    memo.Line = [line]
    memo = memo.save(qb=qb)
    assert Decimal(str(memo.RemainingCredit)) == Decimal("30.00")
    body = {
        "CustomerRef": {"value": customer.Id},
        "TotalAmt": 0,
        "Line": [
            {"Amount": 30, "LinkedTxn": [{"TxnId": invoice.Id, "TxnType": "Invoice"}]},
            {"Amount": 30, "LinkedTxn": [{"TxnId": memo.Id, "TxnType": "CreditMemo"}]},
        ],
    }

    qb.create_object("Payment", json.dumps(body))

    assert Decimal(str(Invoice.get(invoice.Id, qb=qb).Balance)) == Decimal("70.00")
    assert Decimal(str(CreditMemo.get(memo.Id, qb=qb).RemainingCredit)) == 0


def test_notes_attach_to_an_invoice_and_a_customer(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer)
    for kind, target in (("Invoice", invoice.Id), ("Customer", customer.Id)):
        note = Attachable()
        ref = AttachableRef()
        ref.EntityRef = Ref()
        ref.EntityRef.type = kind
        ref.EntityRef.value = target
        note.AttachableRef = [ref]
        note.Note = f"Reminder 1 sent for {kind} {target}"
        saved = note.save(qb=qb)
        assert len(saved.Id) == 18
        assert saved.AttachableRef[0].EntityRef.value == target

    found = Attachable.where(
        f"AttachableRef.EntityRef.Type = 'invoice' AND AttachableRef.EntityRef.value = '{invoice.Id}'", qb=qb
    )
    assert [n.Note for n in found] == [f"Reminder 1 sent for Invoice {invoice.Id}"]


def test_note_on_a_missing_invoice_is_an_invalid_reference(qb):
    with pytest.raises(QuickbooksException) as refused:
        qb.create_object(
            "Attachable",
            json.dumps({"Note": "x", "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": "404"}}]}),
        )
    assert refused.value.error_code == 2500


def test_invoice_link_only_with_include_and_online_payment(qb):
    customer = make_customer(qb)
    payable = make_invoice(qb, customer, AllowOnlineCreditCardPayment=True)
    plain = make_invoice(qb, customer)

    linked = Invoice.get(payable.Id, qb=qb, params={"include": "invoiceLink"})
    assert linked.InvoiceLink.startswith("http://127.0.0.1:")
    assert "/connect/portal/app/CommerceNetwork/view/scs-v1-" in linked.InvoiceLink
    assert not getattr(Invoice.get(plain.Id, qb=qb, params={"include": "invoiceLink"}), "InvoiceLink", "")
    assert not getattr(Invoice.get(payable.Id, qb=qb), "InvoiceLink", "")
    import requests

    page = requests.get(linked.InvoiceLink, timeout=5)
    assert page.status_code == 200 and "Balance due 275.50" in page.text


def test_sending_an_invoice_marks_it_emailed(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer)
    invoice.send(qb=qb)
    sent = Invoice.get(invoice.Id, qb=qb)
    assert sent.EmailStatus == "EmailSent" and sent.DeliveryInfo.DeliveryType == "Email"
    assert sent.download_pdf(qb=qb).startswith(b"%PDF-")


def test_company_info_and_preferences(qb, qbo_realm_id):
    info = CompanyInfo.get(qbo_realm_id, qb=qb)
    assert info.CompanyName == "Sandbox Company_US_1"
    prefs = Preferences.get(qb=qb)
    assert prefs.SalesFormsPrefs.DefaultTerms.value == "3"


def test_customers_cannot_be_deleted(qb):
    customer = make_customer(qb)
    with pytest.raises(UnsupportedException):
        qb.delete_object("Customer", json.dumps({"Id": customer.Id, "SyncToken": customer.SyncToken}))


def test_requestid_replays_the_first_answer(qb, qbo_sandbox, qbo_realm_id):
    customer = make_customer(qb)
    body = json.dumps(
        {
            "CustomerRef": {"value": customer.Id},
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        }
    )
    first = qb.create_object("Invoice", body, request_id="relance-7")
    again = qb.create_object("Invoice", body, request_id="relance-7")
    assert first["Invoice"]["Id"] == again["Invoice"]["Id"]
    assert len(qbo_sandbox.company(qbo_realm_id).live("Invoice")) == 1


def test_sparse_update_from_a_fresh_python_quickbooks_object_keeps_the_lines(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "64.00")
    patch = Invoice()
    patch.Id, patch.SyncToken, patch.sparse = invoice.Id, invoice.SyncToken, True
    patch.PrivateNote = "hello"

    saved = patch.save(qb=qb)  # sends Line: [], DueDate: "", TotalAmt: "" … (details §3.7)

    assert saved.PrivateNote == "hello"
    assert Decimal(str(saved.TotalAmt)) == Decimal("64.00") and saved.DueDate == invoice.DueDate


def test_full_updates_of_read_payment_and_customer_round_trip(qb):
    customer = make_customer(qb)
    invoice = make_invoice(qb, customer, "90.00")
    payment = Payment.get(make_payment(qb, customer, invoice, "30.00").Id, qb=qb)
    payment.PaymentRefNum = "CHK-1001"
    assert payment.save(qb=qb).SyncToken == "1"
    assert Decimal(str(Invoice.get(invoice.Id, qb=qb).Balance)) == Decimal("60.00")

    reread = Customer.get(customer.Id, qb=qb)
    reread.Notes = "Prefers e-mail"
    saved = reread.save(qb=qb)
    assert saved.Notes == "Prefers e-mail" and Decimal(str(saved.Balance)) == Decimal("60.00")
