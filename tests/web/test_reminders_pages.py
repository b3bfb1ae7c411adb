"""The reminders pages: the review queue approves (queueing the send), skips and edits; a decision
someone else made first is told, not an error; another organisation's reminder is not found; a
member sees the queue but decides nothing; the call list records outcomes; a customer's pause on
their page is what the planner then respects."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rq.job import Job
from sqlalchemy import select

from reminders.dispatch.models import ActionStatus, ReminderAction
from reminders.dispatch.send import send_job_id
from reminders.models import CollectionSettings
from reminders.promises import Promise
from reminders.schedules.models import CustomerChasing
from reminders.schedules.planner import plan_organisation
from runtime import clock, jobs
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from sync.models import Customer
from tests.reminders.chasing import customer, default_schedule, open_invoice
from tests.web.test_receivables import sign_in

TODAY = date(2026, 6, 30)


@pytest.fixture
def cafe(session, redis_client):  # type: ignore[no-untyped-def]
    """Harbour Cafe in review-before-send, its owner and member, two customers 5 days late, and
    another organisation with a reminder of its own; the planner has run for today."""
    clock.freeze(datetime(2026, 6, 30, 9, tzinfo=UTC))
    harbour = Organisation(name="Harbour Cafe Ltd", base_currency="NZD", timezone="UTC")
    other = Organisation(name="Kauri Builders", base_currency="NZD", timezone="UTC")
    session.add_all([harbour, other])
    session.flush()
    people = {}
    for role in (Role.OWNER, Role.MEMBER):
        user = User(email=f"{role.value}@harbour.example", name=role.value.title())
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organisation_id=harbour.id, role=role.value))
        people[role] = user.id
    session.commit()
    for organisation in (harbour, other):
        default_schedule(session, organisation.id)
    customer(session, harbour.id, "c-1", "Tui Catering")
    customer(session, harbour.id, "c-2", "Moa Motors")
    customer(session, other.id, "c-9", "Rimu Homes")
    open_invoice(session, harbour.id, "i-1", "c-1", date(2026, 6, 25), "250.00")
    open_invoice(session, harbour.id, "i-2", "c-2", date(2026, 6, 25), "80.00")
    open_invoice(session, other.id, "i-9", "c-9", date(2026, 6, 25), "99.00")
    assert plan_organisation(session, harbour.id, TODAY) == 2
    assert plan_organisation(session, other.id, TODAY) == 1
    return harbour.id, other.id, people


def action_of(session, name: str) -> ReminderAction:  # type: ignore[no-untyped-def]
    """The reminder planned for the customer called ``name``, as the database has it now."""
    session.expire_all()
    return session.scalars(
        select(ReminderAction)
        .join(Customer, Customer.id == ReminderAction.customer_id)
        .where(Customer.name == name)
    ).one()


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_the_queue_lists_what_awaits_approval_with_its_invoices(client, cafe) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])

    page = client.get(f"/organisations/{harbour}/reminders").text

    assert "Tui Catering" in page and "Moa Motors" in page and "Rimu Homes" not in page
    assert re.search(r"INV-i-1 \(NZ\$250\.00\)", page) and "Polite inquiry" in page
    assert "Approve selected" in page and "Switch to automatic sending" in page


def test_approving_queues_the_send(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    tui = action_of(session, "Tui Catering")
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)

    done = client.post(
        f"/organisations/{harbour}/reminders/approve", data={"csrf_token": token, "action_id": [tui.id]}
    )

    assert done.status_code == 302
    assert action_of(session, "Tui Catering").status == ActionStatus.APPROVED.value
    assert action_of(session, "Moa Motors").status == ActionStatus.AWAITING_APPROVAL.value
    job = Job.fetch(send_job_id(tui.id), connection=jobs.connection())
    assert job.func_name == "reminders.dispatch.send.send_action" and job.args == (tui.id,)


def test_approve_selected_approves_each_ticked_reminder(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    ids = [
        action.id
        for action in session.scalars(select(ReminderAction).where(ReminderAction.organisation_id == harbour))
    ]
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)

    client.post(f"/organisations/{harbour}/reminders/approve", data={"csrf_token": token, "action_id": ids})

    session.expire_all()
    assert {session.get(ReminderAction, i).status for i in ids} == {ActionStatus.APPROVED.value}
    assert all(Job.exists(send_job_id(i), connection=jobs.connection()) for i in ids)


def test_skipping_keeps_the_reason_and_sends_nothing(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    moa = action_of(session, "Moa Motors")
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)

    client.post(
        f"/organisations/{harbour}/reminders/{moa.id}/skip",
        data={"csrf_token": token, "reason": "paid by phone this morning"},
    )

    moa = action_of(session, "Moa Motors")
    assert moa.status == ActionStatus.SKIPPED.value and moa.reason == "paid by phone this morning"
    assert not Job.exists(send_job_id(moa.id), connection=jobs.connection())
    page = client.get(f"/organisations/{harbour}/reminders").text
    assert "paid by phone this morning" in page  # under today's sent and skipped


def test_a_reminder_already_handled_is_told_not_an_error(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    moa = action_of(session, "Moa Motors")
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)
    client.post(f"/organisations/{harbour}/reminders/{moa.id}/skip", data={"csrf_token": token})

    again = client.post(
        f"/organisations/{harbour}/reminders/approve",
        data={"csrf_token": token, "action_id": [moa.id]},
        follow_redirects=True,
    )

    assert again.status_code == 200
    assert "already handled by someone else" in again.text
    assert action_of(session, "Moa Motors").status == ActionStatus.SKIPPED.value


def test_the_preview_shows_the_message_as_it_would_go(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    tui = action_of(session, "Tui Catering")

    page = client.get(f"/organisations/{harbour}/reminders/{tui.id}").text

    assert "Dear Tui Catering" in page and "ap@example.com" in page
    assert "<iframe" in page and 'sandbox=""' in page  # the HTML only inside a sandboxed frame
    assert "<table" not in page.split("<iframe")[0].split('id="message"')[1]
    frame = client.get(f"/organisations/{harbour}/reminders/{tui.id}?part=html")
    assert "<table" in frame.text and "Tui Catering" in frame.text
    assert "sandbox" in frame.headers["Content-Security-Policy"]


def test_an_edit_with_a_syntax_error_is_refused_with_the_problem(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    tui = action_of(session, "Tui Catering")
    page = client.get(f"/organisations/{harbour}/reminders/{tui.id}").text

    refused = client.post(
        f"/organisations/{harbour}/reminders/{tui.id}/edit",
        data={"csrf_token": token_of(page), "subject": "Hello", "body": "Dear {{ customer_name"},
    )

    assert refused.status_code == 400
    assert 'role="alert"' in refused.text and "line 1" in refused.text.lower()
    assert "Dear {{ customer_name" in refused.text  # the person's draft is kept
    assert action_of(session, "Tui Catering").edited_body is None


def test_an_edit_that_renders_is_what_goes(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    tui = action_of(session, "Tui Catering")
    page = client.get(f"/organisations/{harbour}/reminders/{tui.id}").text

    client.post(
        f"/organisations/{harbour}/reminders/{tui.id}/edit",
        data={
            "csrf_token": token_of(page),
            "subject": "About {{ total_overdue }}",
            "body": "Kia ora {{ customer_name }}",
        },
    )

    assert action_of(session, "Tui Catering").edited_body == "Kia ora {{ customer_name }}"
    assert "Kia ora Tui Catering" in client.get(f"/organisations/{harbour}/reminders/{tui.id}").text


def test_another_organisations_reminder_is_not_found(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    rimu = action_of(session, "Rimu Homes")
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)

    assert client.get(f"/organisations/{harbour}/reminders/{rimu.id}").status_code == 404
    approve = client.post(
        f"/organisations/{harbour}/reminders/approve", data={"csrf_token": token, "action_id": [rimu.id]}
    )
    skip = client.post(f"/organisations/{harbour}/reminders/{rimu.id}/skip", data={"csrf_token": token})

    assert approve.status_code == 404 and skip.status_code == 404
    assert action_of(session, "Rimu Homes").status == ActionStatus.AWAITING_APPROVAL.value


def test_a_member_sees_the_queue_but_cannot_approve_or_change_the_mode(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.MEMBER])
    tui = action_of(session, "Tui Catering")
    page = client.get(f"/organisations/{harbour}/reminders").text
    token = token_of(client.get(f"/organisations/{harbour}/customers").text)

    approve = client.post(
        f"/organisations/{harbour}/reminders/approve", data={"csrf_token": token, "action_id": [tui.id]}
    )
    mode = client.post(
        f"/organisations/{harbour}/reminders/mode", data={"csrf_token": token, "mode": "automatic"}
    )

    assert "Tui Catering" in page and "Approve selected" not in page and "Switch to" not in page
    assert approve.status_code == 403 and mode.status_code == 403
    assert action_of(session, "Tui Catering").status == ActionStatus.AWAITING_APPROVAL.value
    assert session.get(CollectionSettings, harbour) is None


def test_the_owner_switches_to_automatic_sending_on_the_record(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)

    client.post(f"/organisations/{harbour}/reminders/mode", data={"csrf_token": token, "mode": "automatic"})

    session.expire_all()
    assert session.get(CollectionSettings, harbour).sending_mode == "automatic"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.details == {"sending_mode": "automatic"} and event.actor_user_id == people[Role.OWNER]
    # No ledger connection: automatic sending is held, and the page says why.
    assert "no active ledger connection" in client.get(f"/organisations/{harbour}/reminders").text


def test_plan_now_queues_the_planner(client, cafe) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])
    token = token_of(client.get(f"/organisations/{harbour}/reminders").text)

    client.post(f"/organisations/{harbour}/reminders/plan", data={"csrf_token": token})

    job = Job.fetch(f"plan-now-{harbour}", connection=jobs.connection())
    assert job.func_name == "reminders.dispatch.outbox.plan_now" and job.args == (harbour,)


def test_a_call_outcome_is_recorded_from_the_call_list(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    call = ReminderAction(
        organisation_id=harbour, customer_id=tui.customer_id, key="call-1", stage_key="call28",
        stage_name="Call", channel="call", cycle="x", planned_for=TODAY, status="sent",
        text="Ask when Tui Catering pays.", sent_invoice_ledger_ids=["i-1"],
    )  # fmt: skip
    session.add(call)
    session.commit()
    sign_in(client, people[Role.MEMBER])  # members chase too
    page = client.get(f"/organisations/{harbour}/calls").text
    assert "Ask when Tui Catering pays." in page and "$250.00" in page and "5 days late" in page

    client.post(
        f"/organisations/{harbour}/calls/{call.id}/outcome",
        data={
            "csrf_token": token_of(page),
            "outcome": "promised",
            "note": "Friday",
            "amount": "250.00",
            "promised_on": "2026-07-03",
        },
    )
    again = client.post(
        f"/organisations/{harbour}/calls/{call.id}/outcome",
        data={"csrf_token": token_of(page), "outcome": "reached"},
        follow_redirects=True,
    )

    session.expire_all()
    call = session.get(ReminderAction, call.id)
    assert call.outcome == "promised" and call.outcome_note == "Friday"
    promise = session.scalar(select(Promise))
    assert (promise.source, promise.amount, promise.invoice_ledger_ids) == (
        "call",
        Decimal("250.00"),
        ["i-1"],
    )
    assert "already handled by someone else" in again.text
    assert "Ask when Tui Catering pays." not in again.text.split('id="recent-calls"')[0]
    assert "Friday" in again.text.split('id="recent-calls"')[1]


def test_a_paused_customer_is_not_planned(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    for action in session.scalars(select(ReminderAction)):
        session.delete(action)
    session.commit()
    sign_in(client, people[Role.MEMBER])  # every role may pause
    page = client.get(f"/organisations/{harbour}/customers/{tui.customer_id}").text

    saved = client.post(
        f"/organisations/{harbour}/customers/{tui.customer_id}/chasing",
        data={"csrf_token": token_of(page), "paused_until": "2026-07-15", "reason": "owner in hospital"},
    )

    assert saved.status_code == 302
    session.expire_all()
    choice = session.scalars(select(CustomerChasing)).one()
    assert choice.paused_until == date(2026, 7, 15) and choice.reason == "owner in hospital"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer.chasing")).one()
    assert event.details == {"paused_until": "2026-07-15", "reason": "owner in hospital"}
    assert plan_organisation(session, harbour, TODAY) == 1  # Moa only
    planned = session.scalars(select(ReminderAction)).all()
    assert [action.customer_id for action in planned] != [tui.customer_id]
    assert tui.customer_id not in {action.customer_id for action in planned}
    page = client.get(f"/organisations/{harbour}/customers/{tui.customer_id}").text
    assert "paused until" in page and "Reminder choices changed by Member" in page


def test_a_member_cannot_set_do_not_chase(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    sign_in(client, people[Role.MEMBER])
    page = client.get(f"/organisations/{harbour}/customers/{tui.customer_id}").text
    assert 'name="do_not_chase"' not in page

    client.post(
        f"/organisations/{harbour}/customers/{tui.customer_id}/chasing",
        data={"csrf_token": token_of(page), "do_not_chase": "y"},
    )

    assert session.scalars(select(CustomerChasing)).first() is None


def test_the_owner_sets_do_not_chase_and_the_planner_respects_it(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    for action in session.scalars(select(ReminderAction)):
        session.delete(action)
    session.commit()
    sign_in(client, people[Role.OWNER])
    page = client.get(f"/organisations/{harbour}/customers/{tui.customer_id}").text

    client.post(
        f"/organisations/{harbour}/customers/{tui.customer_id}/chasing",
        data={
            "csrf_token": token_of(page),
            "do_not_chase": "y",
            "reason": "in liquidation",
            "language": "fr",
        },
    )

    session.expire_all()
    choice = session.scalars(select(CustomerChasing)).one()
    assert choice.do_not_chase and choice.language == "fr"
    assert plan_organisation(session, harbour, TODAY) == 1
    assert tui.customer_id not in {action.customer_id for action in session.scalars(select(ReminderAction))}


def _letter_pdf(key: str) -> bytes:
    from reminders.dispatch.documents import letter_pdf

    return letter_pdf(
        "Harbour Cafe Ltd", None, None, (), "Tui Catering", ("1 Quay St", "Auckland 1010"),
        TODAY, f"Final demand {key}", "Please pay.", "en",
    )  # fmt: skip


def letter(session, organisation_id: int, customer_id: int, key: str) -> ReminderAction:  # type: ignore[no-untyped-def]
    """A letter as the send job leaves it: written, in the day's batch, not yet posted."""
    found = ReminderAction(
        organisation_id=organisation_id, customer_id=customer_id, key=key, stage_key="final",
        stage_name="Final demand", channel="letter", cycle="x", planned_for=TODAY, status="sent",
        sent_invoice_ledger_ids=["i-1"], letter_pdf=_letter_pdf(key),
    )  # fmt: skip
    session.add(found)
    session.commit()
    return found


def test_letters_ticked_are_marked_posted(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    first, second = (letter(session, harbour, tui.customer_id, key) for key in ("l-1", "l-2"))
    sign_in(client, people[Role.MEMBER])  # whoever does the post
    page = client.get(f"/organisations/{harbour}/letters").text
    assert page.count('name="action_id"') == 2

    client.post(
        f"/organisations/{harbour}/letters/posted",
        data={"csrf_token": token_of(page), "action_id": [first.id]},
    )

    session.expire_all()
    assert session.get(ReminderAction, first.id).posted_at is not None
    assert session.get(ReminderAction, second.id).posted_at is None
    assert client.get(f"/organisations/{harbour}/letters").text.count('name="action_id"') == 1
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "reminder.posted")).one()


def test_the_print_batch_is_one_pdf_of_the_letters_to_post(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from pypdf import PdfReader

    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    letter(session, harbour, tui.customer_id, "l-1")
    letter(session, harbour, tui.customer_id, "l-2")
    sign_in(client, people[Role.MEMBER])

    batch = client.get(f"/organisations/{harbour}/letters/batch.pdf")

    assert batch.status_code == 200 and batch.mimetype == "application/pdf"
    text = [page.extract_text() for page in PdfReader(BytesIO(batch.data)).pages]
    # Each letter starts on an odd page (printed on both sides), in the order they were written.
    assert "Final demand l-1" in text[0] and "Final demand l-2" in text[2]


def test_the_practice_view_links_reminders_awaiting_approval_to_the_queue(client, cafe) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    sign_in(client, people[Role.OWNER])

    home = client.get("/", headers={"Accept-Language": "en"}).text

    assert f'href="/organisations/{harbour}/reminders"' in home
