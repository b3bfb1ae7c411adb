"""The aged receivables inside the app and the organisation's settings, in a real browser: the
report with the app's navigation, its day changed through the control, sorted by total; then the
settings, where the owner uploads a logo and sees it."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.web.test_connect import run_jobs
from tests.web.test_settings import png


def _amount(text: str) -> Decimal:
    """ "NZ$1,234.50" -> 1234.50 (and a minus kept)."""
    return Decimal(re.sub(r"[^\d.-]", "", text) or "0")


def test_an_owner_reads_the_report_changes_its_day_sorts_it_and_sets_a_logo(
    page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    sign_in_with_xero(page, relance_server.base_url, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, relance_server.base_url, xero_demo)
    run_jobs()  # the first sync, by a real RQ worker
    page.reload()
    page.locator("main").get_by_role("link", name="Aged receivables").first.click()

    # The app's page: its navigation, the total first, the controls.
    areas = page.get_by_role("navigation", name="Organisation")
    assert areas.get_by_role("link", name="Aged receivables").get_attribute("aria-current") == "page"
    assert areas.get_by_role("link", name="Settings").is_visible()
    assert re.search(r"NZ\$[\d,]+\.\d\d", page.locator(".tile .value").first.inner_text())
    screenshot(page, "aged-receivables")

    # Another day, through the control.
    page.get_by_label("As of").fill("2001-01-31")
    page.get_by_role("button", name="Show the report").click()
    page.wait_for_url(re.compile(r"as_of=2001-01-31"))
    assert page.get_by_text("Nothing is owed on this date.").is_visible()
    assert "as_of=2001-01-31" in (page.get_by_role("link", name="Download CSV").get_attribute("href") or "")
    page.go_back()
    page.wait_for_url(re.compile(r"/aged-receivables$"))
    page.reload()

    # Sorted by total: largest first.
    page.locator("thead").get_by_role("link", name="Total").click()
    page.wait_for_url(re.compile(r"sort=total&order=desc"))
    totals = [
        _amount(cell)
        for cell in page.locator("table.receivables > tbody > tr > td:last-child").all_inner_texts()
    ]
    assert len(totals) > 1 and totals == sorted(totals, reverse=True)
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Total")

    # The settings: a logo uploaded, then seen.
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Settings").click()
    assert page.get_by_text("An amount in NZD").is_visible()
    page.get_by_label("Sender name").fill("Demo Company accounts")
    page.get_by_label("Reply-to address").fill("accounts@demo.example")
    page.get_by_label("Logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png(240, 80)}]
    )
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Settings saved.").is_visible()
    logo = page.get_by_role("img", name=re.compile("^The logo of "))
    assert logo.is_visible()
    assert logo.evaluate("image => image.complete && image.naturalWidth") == 240
    assert page.get_by_label("Reply-to address").input_value() == "accounts@demo.example"
    screenshot(page, "settings")

    # A wrong address is refused beside its field.
    page.get_by_label("Reply-to address").fill("accounts at demo")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#reply_to-error").inner_text().startswith("write one email address")
    screenshot(page, "settings-refused")
