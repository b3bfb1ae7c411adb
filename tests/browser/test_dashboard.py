"""The practice view and an organisation's dashboard in a real browser: an accountant with two
organisations sees both with their figures, opens one, its charts are drawn by Chart.js, and the
switcher takes them to the other."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from runtime.tenancy import Membership, Organisation, Role, User
from sync.models import Customer
from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.reminders.conftest import STAMP, invoice
from tests.web.test_connect import run_jobs


def test_an_accountant_goes_from_the_practice_view_to_each_organisation(
    page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    sign_in_with_xero(page, relance_server.base_url, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, relance_server.base_url, xero_demo)
    run_jobs()  # the first sync, by a real RQ worker
    # The same person also keeps the books of a second organisation, which owes in euros.
    user = session.scalars(select(User)).one()
    other = Organisation(name="Atelier Lumière", base_currency="EUR", timezone="Europe/Paris")
    session.add(other)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=other.id, role=Role.ACCOUNTANT.value))
    session.add(
        Customer(organisation_id=other.id, ledger_id="c-1", name="Boulangerie", ledger_updated_at=STAMP)
    )
    invoice(session, other.id, "i-1", "c-1", "1200.00", date(2026, 1, 5), date(2026, 2, 4))
    session.commit()
    xero_name = xero_demo.books.organisation.name

    page.goto(relance_server.base_url + "/")
    rows = page.locator("table.practice tbody tr")
    assert rows.count() == 2
    assert re.search(r"NZ\$[\d,]+\.\d\d", rows.filter(has_text=xero_name).inner_text())
    assert "€1,200.00" in rows.filter(has_text="Atelier Lumière").inner_text()
    screenshot(page, "practice-view")

    # Typing searches as one types (htmx), and the address says what was searched.
    page.get_by_role("searchbox").press_sequentially("atelier")
    page.wait_for_url(re.compile(r"q=atelier"))
    expect(page.locator("table.practice tbody tr")).to_have_count(1)
    assert page.get_by_role("searchbox").input_value() == "atelier"  # the box was not swapped out
    page.get_by_role("searchbox").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.practice tbody tr")).to_have_count(2)

    page.locator("table.practice").get_by_role("link", name=xero_name).click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    assert page.get_by_role("heading", name=xero_name).is_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('[data-chart=aging-chart]'))"
    )
    bars = page.evaluate(
        "() => Chart.getChart(document.querySelector('[data-chart=aging-chart]')).data.datasets[0].data.length"
    )
    assert bars >= 3  # current, the organisation's buckets, over the last one
    assert page.get_by_role("button", name="Sync now").is_visible()
    screenshot(page, "organisation-dashboard")

    page.get_by_role("button", name="Sync now").click()
    assert page.get_by_role("status").inner_text().startswith("A sync is")

    page.locator("[data-switcher] summary").click()
    page.locator("[data-switcher]").get_by_role("link", name="Atelier Lumière").click()
    expect(page.get_by_role("heading", name="Atelier Lumière")).to_be_visible()
    assert page.locator("[data-figure=overdue] .value").inner_text() == "€1,200.00"
