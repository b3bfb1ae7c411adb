"""The team in a real browser: the owner invites someone by email, the mail arrives, the invited
person opens its link in a browser of their own, signs in with Xero (a second sandbox user) and
joins; the owner's team page lists them and the activity page says what happened."""

from __future__ import annotations

import re

from sqlalchemy import select

from runtime.tenancy import Organisation
from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS


def test_an_owner_invites_an_accountant_who_signs_in_with_xero_and_joins(
    mailbox, browser, page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    base = relance_server.base_url
    page.add_init_script(RECORD_VIOLATIONS)  # and the pages break no rule of the CSP
    sign_in_with_xero(page, base, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, base, xero_demo)
    organisation_id = session.scalar(select(Organisation.id))
    page.goto(f"{base}/organisations/{organisation_id}/team")

    page.get_by_label("Email address").fill("ana.ngata@example.com")
    page.get_by_role("radio", name=re.compile("Accountant")).check()
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("Invitation sent to ana.ngata@example.com.").is_visible()
    assert page.get_by_role("heading", name="Invitations waiting").is_visible()
    (message,) = mailbox.messages
    link = re.search(r"https?://\S+/invitations/\S+", message.get_body(("plain",)).get_content()).group(0)
    assert link.startswith(base)

    xero_demo.directory.add_user("ana.ngata@example.com", "Ana-secret-1")
    theirs = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        invited = theirs.new_page()
        invited.set_default_timeout(15_000)
        invited.goto(link)
        assert invited.get_by_text("Sign in first").is_visible()
        screenshot(invited, "invitation-signed-out")
        invited.get_by_role("link", name=re.compile("Sign in with Xero")).click()
        invited.fill("input[name=email]", "ana.ngata@example.com")
        invited.fill("input[name=password]", "Ana-secret-1")
        invited.get_by_role("button", name="Allow access").click()
        invited.wait_for_url(link)
        invited.get_by_role("button", name=re.compile("Accept and join")).click()
        invited.wait_for_url(f"{base}/organisations/{organisation_id}**")
        assert invited.get_by_text("Welcome to").is_visible()
    finally:
        theirs.close()

    page.goto(f"{base}/organisations/{organisation_id}/team")
    row = page.get_by_role("row").filter(has_text="ana.ngata@example.com")
    assert row.count() == 1 and "Accountant" in row.inner_text()
    assert page.get_by_role("heading", name="Invitations waiting").count() == 0
    screenshot(page, "team")
    assert page.evaluate("window.__violations") == []

    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Activity").click()
    assert page.get_by_text("Invited ana.ngata@example.com as accountant").is_visible()
    assert page.get_by_text("Joined the team as accountant").is_visible()
    page.get_by_label("Kind").select_option("team")
    page.wait_for_url(re.compile(r"kind=team"))
    assert page.get_by_text("2 events").is_visible()
    screenshot(page, "activity")
    assert page.evaluate("window.__violations") == []
