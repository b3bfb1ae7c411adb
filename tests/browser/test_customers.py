"""The customers area in a real browser: from the organisation to its customers, a search that updates
the list in place, a customer's page, and a note that lands in the Xero sandbox's history for that
contact."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from reminders.models import LedgerNote
from sync.models import Customer, Invoice
from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.web.test_connect import run_jobs


def test_an_owner_finds_a_customer_and_writes_a_note_that_reaches_xero(
    page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    base = relance_server.base_url
    sign_in_with_xero(page, base, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, base, xero_demo)
    run_jobs()  # the first sync, by a real RQ worker
    page.reload()

    # The organisation, through the switcher; then Customers in its navigation.
    organisation_name = xero_demo.books.organisation.name
    page.locator("details.switcher summary").click()
    page.locator(".switcher-menu").get_by_role("link", name=organisation_name).click()
    page.locator("nav.areas").get_by_role("link", name="Customers").click()
    page.wait_for_url(re.compile(r".*/customers$"))
    assert page.locator("table.customers tbody tr").count() > 1
    screenshot(page, "customers")

    # The customer who owes the most, found by typing part of their name (htmx, no reload).
    owing = (
        select(Customer)
        .join(Invoice, Invoice.customer_ledger_id == Customer.ledger_id)
        .where(Invoice.status == "open", Invoice.organisation_id == Customer.organisation_id)
        .group_by(Customer.id)
        .order_by(func.sum(Invoice.amount_due).desc())
        .limit(1)
    )
    customer = session.scalar(owing)
    page.get_by_placeholder("Name, email or invoice number").fill(customer.name[:8])
    page.wait_for_url(re.compile(r".*q=.*"))  # hx-push-url: the search is in the address bar
    page.wait_for_function(  # only the customers that match are left in the table
        "needle => { const rows = [...document.querySelectorAll('table.customers tbody tr')];"
        " return rows.length >= 1 && rows.every(row => row.textContent.toLowerCase().includes(needle)); }",
        arg=customer.name[:8].lower(),
    )
    page.locator("table.customers").get_by_role("link", name=customer.name).click()
    page.wait_for_url(re.compile(rf".*/customers/{customer.id}$"))
    assert page.get_by_role("heading", name=customer.name).is_visible()
    assert page.locator("table.open-invoices tbody tr").count() >= 1
    screenshot(page, "customer")

    note = "Rang the accounts team: the invoice is approved and will be paid on Friday."
    page.get_by_label("Add a note").fill(note)
    page.get_by_role("button", name="Save note").click()
    assert page.get_by_text("Note saved.").is_visible()
    assert page.locator("ol.timeline").get_by_text(note).is_visible()
    run_jobs()  # the write-back, by a real RQ worker, against the sandbox over HTTP

    history = xero_demo.books.contacts[customer.ledger_id.lower()].history
    assert [record.details for record in history if record.changes == "Note"] == [note]
    session.expire_all()
    assert session.scalar(select(LedgerNote.status)) == "written"
    page.reload()
    assert page.locator("ol.timeline").get_by_text("in Xero", exact=True).is_visible()
    screenshot(page, "customer-note-written")
