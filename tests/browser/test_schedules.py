"""The schedules area in a real browser: the organisation's schedules and what would go out today,
a stage's message edited (a mistake shown by line, then fixed), and the stage previewed for the
customer who owes the most, from the mirror of the Xero sandbox's demo company."""

from __future__ import annotations

import re

from reminders.dispatch.outbox import give_default_schedules
from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.web.test_connect import run_jobs


def test_an_owner_edits_a_stage_message_and_previews_it(page, relance_server, xero_demo, session) -> None:  # type: ignore[no-untyped-def]
    base = relance_server.base_url
    sign_in_with_xero(page, base, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, base, xero_demo)
    run_jobs()  # the first sync, by a real RQ worker
    assert give_default_schedules(session) == 1  # what the scheduler does for a connected organisation

    organisation_name = xero_demo.books.organisation.name
    page.reload()
    page.locator("details.switcher summary").click()
    page.locator(".switcher-menu").get_by_role("link", name=organisation_name).click()
    page.locator("nav.areas").get_by_role("link", name="Schedules").click()
    page.wait_for_url(re.compile(r".*/schedules$"))
    assert page.get_by_role("heading", name="What would go out today").is_visible()
    assert (
        page.locator("table.schedules")
        .get_by_text("1\u201315 days late · email · invoice links")
        .is_visible()
    )
    going = page.locator("table.going tbody tr").count()
    assert going > 0 or page.get_by_text("Nothing would go out today.").is_visible()
    screenshot(page, "schedules")

    page.locator("table.schedules").get_by_role("link", name="Standard collections").click()
    inquiry = page.locator("div.stage", has=page.get_by_role("heading", name="Polite inquiry"))
    assert inquiry.get_by_label("Name in English").input_value() == "Polite inquiry"
    screenshot(page, "schedule")
    inquiry.get_by_role("link", name="Messages").click()
    page.wait_for_url(re.compile(r".*/messages$"))

    subject = page.get_by_label("Subject in English")
    subject.fill("{{ customer_name }}, about {{ invoice_numbers }")
    page.get_by_role("button", name="Save the messages").click()
    assert page.get_by_text("The messages were not saved: see below.").is_visible()
    assert page.get_by_text(re.compile(r"Subject, line 1:")).is_visible()
    screenshot(page, "schedule-messages-problem")

    page.get_by_label("Subject in English").fill("")
    page.get_by_label("Subject in English").click()
    page.locator("[data-placeholder=customer_name]").click()  # click-to-insert
    page.get_by_label("Subject in English").press("End")
    page.get_by_label("Subject in English").type(", about {{ invoice_numbers }}")
    assert page.get_by_label("Subject in English").input_value() == (
        "{{ customer_name }}, about {{ invoice_numbers }}"
    )
    page.get_by_role("button", name="Save the messages").click()
    assert page.get_by_text("Schedule saved.").is_visible()

    page.get_by_role("link", name="Preview for a customer").click()
    page.wait_for_url(re.compile(r".*/preview$"))
    customer = page.locator("select[name=customer] option:checked").inner_text()
    shown = page.locator("#preview-subject").inner_text()
    assert shown.startswith(f"{customer}, about ")
    assert page.locator("iframe.preview-html").get_attribute("sandbox") == ""
    html = page.frame_locator("iframe.preview-html")
    assert html.locator("table").count() >= 1
    assert f"Dear {customer}" in html.locator("body").inner_text()
    page.locator("iframe.preview-html").scroll_into_view_if_needed()  # painted once in view
    screenshot(page, "schedule-preview")

    page.locator("main select[name=language]").select_option("fr")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*language=fr.*"))
    assert page.locator("#preview-text").inner_text().strip() != ""
    screenshot(page, "schedule-preview-fr")


def test_an_owner_backtests_the_schedule_before_it_goes_live(
    page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    """The demo company's two years of history: the schedule list's backtest link shows what the
    default schedule would have sent, stage by stage, and whom it would have chased most."""
    from sqlalchemy import func, select

    from reminders.dispatch.models import ReminderAction

    base = relance_server.base_url
    sign_in_with_xero(page, base, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, base, xero_demo)
    run_jobs()
    assert give_default_schedules(session) == 1
    page.reload()
    page.locator("details.switcher summary").click()
    page.locator(".switcher-menu").get_by_role("link", name=xero_demo.books.organisation.name).click()
    page.locator("nav.areas").get_by_role("link", name="Schedules").click()
    page.get_by_role("link", name="Backtest: what it would have done over the last 12 months").first.click()
    page.wait_for_url(re.compile(r".*/backtest$"))
    assert page.get_by_role("heading", name=re.compile("would have done")).is_visible()
    messages = int(page.locator('[data-figure="messages"] .value').inner_text())
    assert messages > 0
    assert page.get_by_role("heading", name="The customers it would have chased most").is_visible()
    assert page.locator("table").first.get_by_text("Polite inquiry").is_visible()
    screenshot(page, "schedule-backtest")
    page.locator("footer select[name=language]").select_option("fr")
    page.locator("footer").get_by_role("button", name="Change").click()
    assert page.get_by_role("heading", name=re.compile("aurait fait")).is_visible()
    assert page.get_by_role(
        "heading", name=re.compile("^Les clients qu.il aurait le plus relancés$")
    ).is_visible()
    screenshot(page, "schedule-backtest-fr")
    assert session.scalar(select(func.count()).select_from(ReminderAction)) == 0  # nothing planned
