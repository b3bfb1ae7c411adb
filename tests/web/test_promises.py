"""Promises to pay on the customer page: the panel lists them, its form records one (and refuses
a bad one with a 400), an open one can be cancelled, and the grace period is a setting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from reminders.promises import Promise, PromiseStatus, grace_days, promised_invoices
from runtime.tenancy import AuditEvent, Role
from sync.models import Customer
from tests.web.test_receivables import sign_in
from tests.web.test_reminders_pages import (
    TODAY,
    cafe,  # noqa: F401 (the fixture harbour_cafe reads)
    token_of,
)


@pytest.fixture
def harbour_cafe(request):  # type: ignore[no-untyped-def]
    """Harbour Cafe as the reminders pages' tests make it (tests/web/test_reminders_pages.py)."""
    return request.getfixturevalue("cafe")


def _tui(session) -> Customer:  # type: ignore[no-untyped-def]
    return session.scalar(select(Customer).where(Customer.name == "Tui Catering"))


def test_a_promise_recorded_on_the_customer_page_pauses_its_invoice_and_is_listed(
    client, harbour_cafe, session
) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = harbour_cafe
    tui = _tui(session)
    sign_in(client, people[Role.MEMBER])
    url = f"/organisations/{harbour}/customers/{tui.id}"
    page = client.get(url).text
    assert "Record a promise to pay" in page

    answer = client.post(
        f"{url}/promises",
        data={
            "csrf_token": token_of(page),
            "amount": "250.00",
            "promised_on": "2026-07-03",
            "invoices": ["i-1"],
        },
        follow_redirects=True,
    )

    assert answer.status_code == 200
    promise = session.scalar(select(Promise))
    assert (promise.amount, promise.promised_on, promise.until) == (
        Decimal("250.00"), date(2026, 7, 3), date(2026, 7, 6)
    )  # fmt: skip
    assert promised_invoices(session, harbour, TODAY) == {"i-1"}
    assert "reminders paused until" in answer.text
    row = answer.text.split('class="promises"')[1].split("</table>")[0]
    assert "recorded by Member" in row and "a person" not in row  # named, as the timeline does
    assert "reminders for its invoices pause until 6 Jul 2026" in answer.text  # the flash
    assert "Promise to pay NZ$250.00 by 3 Jul 2026" in answer.text.split('id="timeline"')[1]
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.made")).actor_user_id
        == people[Role.MEMBER]
    )


def test_a_promise_for_a_day_gone_or_anothers_invoice_is_refused(client, harbour_cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = harbour_cafe
    tui = _tui(session)
    sign_in(client, people[Role.OWNER])
    url = f"/organisations/{harbour}/customers/{tui.id}"
    token = token_of(client.get(url).text)
    past = client.post(
        f"{url}/promises",
        data={"csrf_token": token, "amount": "10", "promised_on": "2026-06-01", "invoices": ["i-1"]},
    )
    theirs = client.post(
        f"{url}/promises",
        data={"csrf_token": token, "amount": "10", "promised_on": "2026-07-03", "invoices": ["i-2"]},
    )
    nothing = client.post(
        f"{url}/promises",
        data={"csrf_token": token, "amount": "-5", "promised_on": "2026-07-03", "invoices": ["i-1"]},
    )
    assert (past.status_code, theirs.status_code, nothing.status_code) == (400, 400, 400)
    assert session.scalar(select(Promise)) is None


def test_an_open_promise_can_be_cancelled_and_its_invoice_is_chased_again(
    client, harbour_cafe, session
) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = harbour_cafe
    tui = _tui(session)
    sign_in(client, people[Role.MEMBER])
    url = f"/organisations/{harbour}/customers/{tui.id}"
    token = token_of(client.get(url).text)
    client.post(
        f"{url}/promises",
        data={"csrf_token": token, "amount": "250", "promised_on": "2026-07-03", "invoices": ["i-1"]},
    )
    promise = session.scalar(select(Promise))

    client.post(f"{url}/promises/{promise.id}/cancel", data={"csrf_token": token})

    session.expire_all()
    assert session.get(Promise, promise.id).status == PromiseStatus.CANCELLED.value
    assert promised_invoices(session, harbour, TODAY) == set()


def test_the_owner_sets_the_grace_period_and_a_member_may_not(client, harbour_cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = harbour_cafe
    sign_in(client, people[Role.MEMBER])
    assert client.get(f"/organisations/{harbour}/promises/settings").status_code == 403
    sign_in(client, people[Role.OWNER])
    page = client.get(f"/organisations/{harbour}/promises/settings").text
    assert 'value="3"' in page
    client.post(
        f"/organisations/{harbour}/promises/settings", data={"csrf_token": token_of(page), "grace_days": "5"}
    )
    assert grace_days(session, harbour) == 5
    bad = client.post(
        f"/organisations/{harbour}/promises/settings", data={"csrf_token": token_of(page), "grace_days": "99"}
    )
    assert bad.status_code == 400 and grace_days(session, harbour) == 5
