"""The pages a person meets first, in a real browser: sign in through Xero's pages, the list of
organisations, the aged receivables report in the organisation's currency, the settings."""

from __future__ import annotations

import re

from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.web.test_connect import run_jobs


def test_an_owner_signs_in_connects_xero_and_reads_the_report_in_nz_dollars(
    page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    sign_in_with_xero(page, relance_server.base_url, xero_demo)
    screenshot(page, "first-sign-in")
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, relance_server.base_url, xero_demo)
    assert page.get_by_text("First sync in progress").is_visible()
    screenshot(page, "connected")
    run_jobs()  # the first sync the connection queued, by a real RQ worker

    page.reload()
    screenshot(page, "home")
    assert page.locator("main").get_by_text(xero_demo.books.organisation.name).first.is_visible()
    assert page.get_by_text("First sync in progress").count() == 0
    page.locator("main").get_by_role("link", name="Aged receivables").first.click()
    screenshot(page, "aged-receivables")
    assert re.search(r"NZ\$[\d,]+\.\d\d", page.content())
    page.go_back()
    page.locator("main").get_by_role("link", name="Settings").first.click()
    screenshot(page, "settings")
    assert page.get_by_label("Time zone").input_value() == ""  # follows the ledger
    assert "Pacific/Auckland" in page.get_by_label("Time zone").inner_text()
