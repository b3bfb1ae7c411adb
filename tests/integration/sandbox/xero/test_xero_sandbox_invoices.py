"""Invoices through xero-python: create, read, update, filters, paging at 1000, If-Modified-Since, IDs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from xero_clients import sdk_client
from xero_python.accounting import AccountingApi, Contact, Invoice, Invoices, LineAmountTypes, LineItem
from xero_python.exceptions import AccountingBadRequestException, NotFoundException


def sales_invoice(contact_id: str, amount: str = "100.00", status: str = "AUTHORISED", **extra) -> Invoice:
    return Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        status=status,
        date=date(2026, 11, 1),
        due_date=date(2026, 11, 30),
        line_amount_types=LineAmountTypes.EXCLUSIVE,
        line_items=[
            LineItem(
                description="Gutter cleaning",
                quantity=Decimal(1),
                unit_amount=Decimal(amount),
                account_code="200",
            )
        ],
        **extra,
    )


@pytest.fixture
def customer(xero_sandbox):
    return xero_sandbox.create_contact("Harbour Plumbing Ltd")


def test_created_invoice_reads_back_with_xero_fields(xero_sandbox, xero_accounting, customer):
    created = xero_accounting.create_invoices(
        xero_sandbox.tenant_id, Invoices(invoices=[sales_invoice(customer.contact_id, reference="PO-7")])
    ).invoices[0]

    fetched = xero_accounting.get_invoice(xero_sandbox.tenant_id, created.invoice_id).invoices[0]

    assert fetched.invoice_number == "INV-0001"
    assert fetched.status == "AUTHORISED"
    assert fetched.total == Decimal("115.00")  # 15% GST on top
    assert fetched.amount_due == Decimal("115.00")
    assert fetched.due_date == date(2026, 11, 30)
    assert fetched.contact.name == "Harbour Plumbing Ltd"
    assert fetched.updated_date_utc.tzinfo is not None
    assert fetched.line_items[0].line_amount == Decimal("100.00")


def test_invoice_json_uses_ms_dates_and_the_envelope(xero_sandbox, xero_token, customer):
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("50"))
    answer = requests.get(
        f"{xero_sandbox.urls.accounting_api}/Invoices/{invoice.invoice_id}",
        timeout=5,
        headers={
            "Authorization": f"Bearer {xero_token['access_token']}",
            "xero-tenant-id": xero_sandbox.tenant_id,
            "Accept": "application/json",
        },
    )
    body = answer.json()
    assert {"Id", "Status", "ProviderName", "DateTimeUTC", "Invoices"} <= set(body)
    assert body["Status"] == "OK"
    assert body["Invoices"][0]["Date"].startswith("/Date(") and body["Invoices"][0]["Date"].endswith(
        "+0000)/"
    )
    assert '"Total": 57.50' in answer.text  # money is written exactly, two decimals


def test_unknown_invoice_is_xeros_plain_text_404(xero_sandbox, xero_accounting):
    with pytest.raises(NotFoundException):
        xero_accounting.get_invoice(xero_sandbox.tenant_id, "00000000-0000-0000-0000-000000000000")


def test_paging_at_1000_returns_the_pagination_object(xero_sandbox, xero_accounting, customer):
    for _ in range(2500):
        xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))

    pages = [
        xero_accounting.get_invoices(xero_sandbox.tenant_id, page=n, page_size=1000) for n in (1, 2, 3, 4)
    ]

    assert [len(p.invoices) for p in pages] == [1000, 1000, 500, 0]
    assert pages[0].pagination.item_count == 2500
    assert pages[0].pagination.page_count == 3
    assert pages[0].pagination.page_size == 1000
    numbers = [i.invoice_number for p in pages for i in p.invoices]
    assert len(set(numbers)) == 2500
    assert xero_sandbox.request_log.count(tenant=xero_sandbox.tenant_id, endpoint="/Invoices") == 4


def test_page_size_is_capped_at_1000_and_defaults_to_100(xero_sandbox, xero_accounting, customer):
    for _ in range(1200):
        xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))
    assert len(xero_accounting.get_invoices(xero_sandbox.tenant_id, page=1, page_size=5000).invoices) == 1000
    assert len(xero_accounting.get_invoices(xero_sandbox.tenant_id, page=1).invoices) == 100


def test_where_filters_combine_with_and_and_or(xero_sandbox, xero_accounting, customer):
    other = xero_sandbox.create_contact("Kauri Joinery")
    old = xero_sandbox.create_invoice(customer.contact_id, Decimal("10"), issued=date(2024, 5, 1))
    new = xero_sandbox.create_invoice(other.contact_id, Decimal("20"), issued=date(2026, 5, 1))
    paid = xero_sandbox.create_invoice(other.contact_id, Decimal("30"), issued=date(2026, 6, 1))
    xero_sandbox.pay_invoice(paid.invoice_id)
    tenant = xero_sandbox.tenant_id

    def numbers(where: str) -> set[str]:
        return {i.invoice_number for i in xero_accounting.get_invoices(tenant, where=where).invoices}

    assert numbers('Status=="AUTHORISED"') == {old.invoice_number, new.invoice_number}
    assert numbers(f'Contact.ContactID==guid("{other.contact_id}")') == {
        new.invoice_number,
        paid.invoice_number,
    }
    assert numbers('Type=="ACCREC" AND Date>=DateTime(2026, 01, 01)') == {
        new.invoice_number,
        paid.invoice_number,
    }
    assert numbers("AmountDue > 15") == {new.invoice_number}
    assert numbers('Status=="PAID" OR AmountDue < 15') == {paid.invoice_number, old.invoice_number}
    assert numbers('Type=="ACCPAY"') == set()


def test_unparseable_where_is_a_400(xero_sandbox, xero_accounting):
    with pytest.raises(AccountingBadRequestException) as raised:
        xero_accounting.get_invoices(xero_sandbox.tenant_id, where='NoSuchField=="x"')
    assert raised.value.error_data["Type"] == "QueryParseException"


def test_ids_numbers_contacts_and_statuses_filters(xero_sandbox, xero_accounting, customer):
    other = xero_sandbox.create_contact("Summit Design Studio")
    invoices = [xero_sandbox.create_invoice(c.contact_id, Decimal("10")) for c in (customer, other, customer)]
    xero_sandbox.pay_invoice(invoices[2].invoice_id)
    tenant = xero_sandbox.tenant_id

    by_ids = xero_accounting.get_invoices(tenant, i_ds=[invoices[0].invoice_id, invoices[1].invoice_id])
    by_numbers = xero_accounting.get_invoices(tenant, invoice_numbers=[invoices[1].invoice_number])
    by_contacts = xero_accounting.get_invoices(tenant, contact_i_ds=[customer.contact_id])
    by_statuses = xero_accounting.get_invoices(tenant, statuses=["PAID"])

    assert {str(i.invoice_id) for i in by_ids.invoices} == {invoices[0].invoice_id, invoices[1].invoice_id}
    assert [i.invoice_number for i in by_numbers.invoices] == [invoices[1].invoice_number]
    assert len(by_contacts.invoices) == 2
    assert [str(i.invoice_id) for i in by_statuses.invoices] == [invoices[2].invoice_id]


def test_if_modified_since_returns_only_changed_invoices(xero_sandbox, xero_accounting, customer):
    first = xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))
    second = xero_sandbox.create_invoice(customer.contact_id, Decimal("20"))
    xero_sandbox.clock.advance(timedelta(minutes=5))
    bookmark = xero_sandbox.clock.now()
    xero_sandbox.clock.advance(timedelta(seconds=1))
    third = xero_sandbox.create_invoice(customer.contact_id, Decimal("30"))
    xero_sandbox.pay_invoice(first.invoice_id, Decimal("5"))

    changed = xero_accounting.get_invoices(xero_sandbox.tenant_id, if_modified_since=bookmark).invoices

    assert {str(i.invoice_id) for i in changed} == {first.invoice_id, third.invoice_id}
    assert second.invoice_id not in {str(i.invoice_id) for i in changed}


def test_if_modified_since_accepts_rfc_1123(xero_sandbox, xero_token, customer):
    xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))
    later = (xero_sandbox.clock.now() + timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    answer = requests.get(
        f"{xero_sandbox.urls.accounting_api}/Invoices",
        timeout=5,
        headers={
            "Authorization": f"Bearer {xero_token['access_token']}",
            "xero-tenant-id": xero_sandbox.tenant_id,
            "Accept": "application/json",
            "If-Modified-Since": later,
        },
    )
    assert answer.json()["Invoices"] == []


def test_order_and_summary_only(xero_sandbox, xero_accounting, customer):
    for amount in ("30", "10", "20"):
        xero_sandbox.create_invoice(customer.contact_id, Decimal(amount))
    ordered = xero_accounting.get_invoices(xero_sandbox.tenant_id, order="Total DESC", page=1).invoices
    summary = xero_accounting.get_invoices(xero_sandbox.tenant_id, summary_only=True).invoices

    assert [i.total for i in ordered] == [Decimal("34.50"), Decimal("23.00"), Decimal("11.50")]
    assert ordered[0].line_items
    assert all(not i.line_items for i in summary)


def test_draft_is_approved_then_voided_with_post(xero_sandbox, xero_accounting, customer):
    draft = xero_accounting.create_invoices(
        xero_sandbox.tenant_id, Invoices(invoices=[sales_invoice(customer.contact_id, status="DRAFT")])
    ).invoices[0]
    assert draft.status == "DRAFT"

    approved = xero_accounting.update_invoice(
        xero_sandbox.tenant_id, draft.invoice_id, Invoices(invoices=[Invoice(status="AUTHORISED")])
    ).invoices[0]
    voided = xero_accounting.update_invoice(
        xero_sandbox.tenant_id, draft.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")])
    ).invoices[0]

    assert approved.status == "AUTHORISED"
    assert voided.status == "VOIDED"
    assert voided.amount_due == Decimal("0.00")


def test_paid_invoice_cannot_be_edited(xero_sandbox, xero_accounting, customer):
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))
    xero_sandbox.pay_invoice(invoice.invoice_id)
    with pytest.raises(AccountingBadRequestException) as raised:
        xero_accounting.update_invoice(
            xero_sandbox.tenant_id, invoice.invoice_id, Invoices(invoices=[Invoice(reference="changed")])
        )
    assert "cannot be edited" in raised.value.reason


def test_duplicate_number_is_a_validation_exception_with_elements(xero_sandbox, xero_accounting, customer):
    xero_accounting.create_invoices(
        xero_sandbox.tenant_id,
        Invoices(invoices=[sales_invoice(customer.contact_id, invoice_number="INV-9")]),
    )
    with pytest.raises(AccountingBadRequestException) as raised:
        xero_accounting.create_invoices(
            xero_sandbox.tenant_id,
            Invoices(invoices=[sales_invoice(customer.contact_id, invoice_number="INV-9")]),
        )
    error = raised.value.error_data
    assert error["Type"] == "ValidationException"
    assert error["ErrorNumber"] == 10
    assert error["Elements"][0]["ValidationErrors"][0]["Message"] == "Invoice # must be unique."


def test_summarize_errors_false_saves_the_valid_ones(xero_sandbox, xero_accounting, customer):
    answer = xero_accounting.create_invoices(
        xero_sandbox.tenant_id,
        Invoices(invoices=[sales_invoice(customer.contact_id), Invoice(type="ACCREC", status="AUTHORISED")]),
        summarize_errors=False,
    )

    assert answer.invoices[0].status_attribute_string == "OK"
    assert answer.invoices[1].has_errors is True
    assert "Contact" in answer.invoices[1].validation_errors[0].message
    assert len(xero_sandbox.books.invoices) == 1


def test_post_without_id_creates_and_idempotency_key_replays(xero_sandbox, xero_token, customer):
    headers = {
        "Authorization": f"Bearer {xero_token['access_token']}",
        "xero-tenant-id": xero_sandbox.tenant_id,
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Idempotency-Key": "k-1",
    }
    body = json.dumps(
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": customer.contact_id},
                    "Date": "2026-11-01",
                    "DueDate": "/Date(1767139200000)/",
                    "Status": "AUTHORISED",
                    "LineItems": [{"Description": "x", "Quantity": 2, "UnitAmount": 5}],
                }
            ]
        }
    )
    first = requests.post(
        f"{xero_sandbox.urls.accounting_api}/Invoices", data=body, headers=headers, timeout=5
    )
    again = requests.post(
        f"{xero_sandbox.urls.accounting_api}/Invoices", data=body, headers=headers, timeout=5
    )

    assert first.status_code == again.status_code == 200
    assert first.json()["Invoices"][0]["InvoiceID"] == again.json()["Invoices"][0]["InvoiceID"]
    assert first.json()["Invoices"][0]["DueDate"] == "/Date(1767139200000+0000)/"
    assert len(xero_sandbox.books.invoices) == 1


def test_a_new_contact_name_on_an_invoice_creates_the_contact(xero_sandbox, xero_accounting):
    created = xero_accounting.create_invoices(
        xero_sandbox.tenant_id,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(name="Walk-in Customer"),
                    status="DRAFT",
                    line_items=[
                        LineItem(description="Coffee", quantity=Decimal(1), unit_amount=Decimal("4.5"))
                    ],
                )
            ]
        ),
    ).invoices[0]
    assert created.contact.name == "Walk-in Customer"
    assert any(c.name == "Walk-in Customer" for c in xero_sandbox.books.contacts.values())


def test_updated_date_follows_the_sandbox_clock(xero_sandbox_factory):
    from xero_clients import fast_settings

    sandbox = xero_sandbox_factory(
        settings=fast_settings(start=datetime(2027, 1, 15, 12, 0, tzinfo=UTC), frozen_clock=True)
    )
    customer = sandbox.create_contact("Frozen Time Ltd")
    invoice = sandbox.create_invoice(customer.contact_id, Decimal("10"))
    api = AccountingApi(sdk_client(sandbox, sandbox.connect()), base_url=sandbox.urls.accounting_api)

    fetched = api.get_invoice(sandbox.tenant_id, invoice.invoice_id).invoices[0]

    assert fetched.updated_date_utc == datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    assert fetched.date == date(2027, 1, 15)


def test_search_term_created_by_my_app_and_unitdp(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    mine = xero_accounting.create_invoices(
        tenant,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(contact_id=customer.contact_id),
                    status="AUTHORISED",
                    reference="Spring clean-up",
                    line_items=[
                        LineItem(description="Hedges", quantity=Decimal(3), unit_amount=Decimal("12.3456"))
                    ],
                )
            ]
        ),
    ).invoices[0]
    xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))  # raised in Xero itself, not by the app

    found = xero_accounting.get_invoices(tenant, search_term="spring").invoices
    created_by_app = xero_accounting.get_invoices(tenant, created_by_my_app=True).invoices
    four_places = xero_accounting.get_invoice(tenant, mine.invoice_id, unitdp=4).invoices[0]

    assert [str(i.invoice_id) for i in found] == [str(mine.invoice_id)]
    assert [str(i.invoice_id) for i in created_by_app] == [str(mine.invoice_id)]
    assert four_places.line_items[0].unit_amount == Decimal("12.3456")
    assert four_places.line_items[0].line_amount == Decimal("37.04")


def test_update_or_create_updates_by_id_and_put_refuses_existing_ids(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))

    updated = xero_accounting.update_or_create_invoices(
        tenant, Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, reference="Updated by POST")])
    ).invoices[0]
    with pytest.raises(AccountingBadRequestException):
        xero_accounting.create_invoices(
            tenant, Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, reference="PUT")])
        )

    assert updated.reference == "Updated by POST"
    assert len(xero_sandbox.books.invoices) == 1
