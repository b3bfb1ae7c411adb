"""The reminders pages in a real browser: the review queue of the Xero demo company after the planner
ran, a message's preview (its HTML inside a sandboxed frame), approving it from there, and a call
task's outcome recorded from the call list and read back on the customer's timeline."""

from __future__ import annotations

import re

from sqlalchemy import select

from reminders.dispatch import outbox
from reminders.dispatch.models import ActionStatus, ReminderAction
from reminders.schedules.planner import plan_organisation
from runtime import clock
from runtime.tenancy import Organisation
from tests.browser.conftest import approve_in_xero, screenshot, sign_in_with_xero
from tests.web.test_connect import run_jobs


def test_an_owner_previews_and_approves_a_reminder_then_records_a_call(
    page, relance_server, xero_demo, session
) -> None:  # type: ignore[no-untyped-def]
    base = relance_server.base_url
    sign_in_with_xero(page, base, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, base, xero_demo)
    run_jobs()  # the first sync, by a real RQ worker
    # What the scheduler does at the send time: the default schedule, in review-before-send.
    assert outbox.give_default_schedules(session) == 1
    organisation = session.scalars(select(Organisation)).one()
    assert plan_organisation(session, organisation.id, clock.today(organisation.timezone)) > 0

    page.goto(f"{base}/organisations/{organisation.id}")
    page.locator("nav.areas").get_by_role("link", name="Reminders").click()
    page.wait_for_url(re.compile(r".*/reminders$"))
    rows = page.locator("#awaiting tbody tr")
    assert rows.count() >= 1
    assert page.get_by_role("button", name="Approve selected").first.is_visible()
    assert page.get_by_role("button", name="Approve all").is_visible()
    screenshot(page, "reminders-review")

    first = rows.first
    action_id = int((first.get_attribute("id") or "").removeprefix("action-"))
    customer_name = first.locator("td").nth(1).inner_text()
    first.get_by_role("link", name="Preview").click()
    page.wait_for_url(re.compile(rf".*/reminders/{action_id}$"))
    assert customer_name in page.locator("#preview-text").inner_text()
    page.locator("#message details summary").click()
    frame = page.frame_locator("iframe.message-html")
    assert customer_name in frame.locator("body").inner_text()  # the HTML renders, sandboxed
    screenshot(page, "reminders-preview")

    page.get_by_role("button", name="Approve and send now").click()
    page.wait_for_url(re.compile(rf".*/reminders/{action_id}$"))
    assert page.get_by_text(re.compile(r"Approved: 1\.")).is_visible()
    session.expire_all()
    action = session.get(ReminderAction, action_id)
    assert action.status == ActionStatus.APPROVED.value and action.decided_at is not None
    page.get_by_role("link", name="Back to the review queue").click()
    assert page.locator(f"#awaiting #action-{action_id}").count() == 0
    screenshot(page, "reminders-after-approval")

    # A call task on the call list (as the send job leaves it), and its outcome.
    call = ReminderAction(
        organisation_id=organisation.id, customer_id=action.customer_id, key="browser-call",
        stage_key="call", stage_name="Weekly call", channel="call", cycle="browser",
        planned_for=clock.today(organisation.timezone), status=ActionStatus.SENT.value,
        text="Ask when the overdue invoices will be paid.",
        sent_invoice_ledger_ids=list(action.invoice_ledger_ids),
    )  # fmt: skip
    session.add(call)
    session.commit()
    page.locator("nav.areas").get_by_role("link", name="Calls").click()
    page.wait_for_url(re.compile(r".*/calls$"))
    task = page.locator(f"#call-{call.id}")
    assert task.get_by_text("Ask when the overdue invoices will be paid.").is_visible()
    screenshot(page, "reminders-calls")
    task.get_by_label("No answer").check()
    task.get_by_label("Note").fill("Voicemail; will try Thursday.")
    task.get_by_role("button", name="Record the call").click()
    page.wait_for_url(re.compile(r".*/calls$"))
    assert page.get_by_text("Call recorded: No answer.").is_visible()
    assert page.locator("#recent-calls").get_by_text("Voicemail; will try Thursday.").is_visible()
    screenshot(page, "reminders-call-recorded")
    session.expire_all()
    assert session.get(ReminderAction, call.id).outcome == "no_answer"

    page.locator("#recent-calls").get_by_role("link", name=customer_name).click()
    timeline = page.locator("ol.timeline")
    assert timeline.get_by_text(re.compile(r'Call "Weekly call" by .*: no answer')).is_visible()
    assert timeline.get_by_text(re.compile(r"Reminder \".*\" approved by ")).first.is_visible()
    screenshot(page, "reminders-customer")
