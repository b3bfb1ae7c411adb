"""The disputes pages: a person raises a dispute from the customer page, writes on it and resolves
it; the organisation's open disputes are listed; a call recorded as disputed opens one on the
call's oldest invoice; another organisation's dispute is not found; the timeline words each step."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from reminders.attention import needing_attention
from reminders.dispatch.models import ReminderAction
from reminders.disputes import Dispute, DisputeMessage, disputed_invoices
from runtime.tenancy import Role
from sync.models import Customer
from tests.reminders.chasing import open_invoice
from tests.web.test_receivables import sign_in
from tests.web.test_reminders_pages import TODAY, action_of, cafe, token_of

__all__ = ["cafe"]


def _tui(session, harbour: int) -> Customer:  # type: ignore[no-untyped-def]
    return session.scalar(
        select(Customer).where(Customer.organisation_id == harbour, Customer.ledger_id == "c-1")
    )


def test_a_person_raises_answers_and_resolves_a_dispute_from_the_customer_page(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = _tui(session, harbour)
    sign_in(client, people[Role.MEMBER])
    url = f"/organisations/{harbour}/customers/{tui.id}"
    page = client.get(url).text
    assert 'id="disputes"' in page and "Raise a dispute" in page

    client.post(
        f"{url}/disputes", data={"csrf_token": token_of(page), "invoice": "i-1", "reason": "Cold coffee"}
    )
    assert disputed_invoices(session, harbour) == {"i-1"}
    (dispute,) = session.scalars(select(Dispute))
    listed = client.get(f"/organisations/{harbour}/disputes").text
    assert "Tui Catering" in listed and "Cold coffee" in listed
    assert re.search(r"raised by Member, \d{1,2} \w{3} \d{4} \d{2}:\d{2}<", listed)  # as the timeline
    client.post(
        f"/organisations/{harbour}/disputes/{dispute.id}/messages",
        data={"csrf_token": token_of(page), "text": "Sent a voucher", "back": "list"},
    )
    assert [m.text for m in session.scalars(select(DisputeMessage))] == ["Sent a voucher"]
    resolved = client.post(
        f"/organisations/{harbour}/disputes/{dispute.id}/resolve",
        data={"csrf_token": token_of(page), "note": "Customer accepted the voucher"},
        follow_redirects=True,
    )

    assert disputed_invoices(session, harbour) == set()
    session.expire_all()
    assert session.get(Dispute, dispute.id).resolution_note == "Customer accepted the voucher"
    assert "Invoice INV-i-1 disputed by Member" in resolved.text
    assert "Dispute of invoice INV-i-1 resolved by Member" in resolved.text
    assert "Message on the dispute of invoice INV-i-1 from Member" in resolved.text
    assert "Cold coffee" not in client.get(f"/organisations/{harbour}/disputes").text


def test_the_attention_item_for_open_disputes_points_at_their_list(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, _ = cafe
    session.add(
        Dispute(organisation_id=harbour, customer_id=_tui(session, harbour).id, invoice_ledger_id="i-1")
    )
    session.commit()
    (item,) = [a for a in needing_attention(session, [harbour])[harbour] if a.kind == "open_disputes"]
    assert item.url_endpoint == "disputes.index" and item.count == 1


def test_a_call_recorded_as_disputed_opens_a_dispute_on_its_oldest_invoice(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = action_of(session, "Tui Catering")
    open_invoice(session, harbour, "i-0", "c-1", date(2026, 6, 1), "40.00")
    call = ReminderAction(
        organisation_id=harbour, customer_id=tui.customer_id, key="call-1", stage_key="call28",
        stage_name="Call", channel="call", cycle="x", planned_for=TODAY, status="sent",
        text="Ask when Tui Catering pays.", sent_invoice_ledger_ids=["i-1", "i-0"],
    )  # fmt: skip
    session.add(call)
    session.commit()
    sign_in(client, people[Role.MEMBER])
    page = client.get(f"/organisations/{harbour}/calls").text

    client.post(
        f"/organisations/{harbour}/calls/{call.id}/outcome",
        data={"csrf_token": token_of(page), "outcome": "disputed", "note": "Never ordered the muffins"},
    )

    (dispute,) = session.scalars(select(Dispute))
    assert dispute.invoice_ledger_id == "i-0" and dispute.reason == "Never ordered the muffins"
    assert dispute.raised_by_user_id == people[Role.MEMBER]


def test_another_organisations_dispute_is_not_found(client, cafe, session) -> None:  # type: ignore[no-untyped-def]
    harbour, other, people = cafe
    rimu = session.scalar(select(Customer).where(Customer.ledger_id == "c-9"))
    theirs = Dispute(organisation_id=other, customer_id=rimu.id, invoice_ledger_id="i-9", reason="theirs")
    session.add(theirs)
    session.commit()
    sign_in(client, people[Role.OWNER])
    page = client.get(f"/organisations/{harbour}/disputes").text
    assert "theirs" not in page

    answer = client.post(
        f"/organisations/{harbour}/disputes/{theirs.id}/resolve",
        data={"csrf_token": token_of(page), "note": "mine now"},
    )
    assert answer.status_code == 404
    session.expire_all()
    assert session.get(Dispute, theirs.id).resolved_at is None


def test_a_disputed_invoice_is_marked_on_the_customer_page_and_no_promise_may_cover_it(
    client, cafe, session
) -> None:  # type: ignore[no-untyped-def]
    harbour, _, people = cafe
    tui = _tui(session, harbour)
    open_invoice(session, harbour, "i-3", "c-1", date(2026, 6, 20), "60.00")
    session.commit()
    sign_in(client, people[Role.MEMBER])
    url = f"/organisations/{harbour}/customers/{tui.id}"
    page = client.get(url).text
    client.post(
        f"{url}/disputes", data={"csrf_token": token_of(page), "invoice": "i-1", "reason": "Cold coffee"}
    )

    page = client.get(url).text
    refused = client.post(
        f"{url}/promises",
        data={
            "csrf_token": token_of(page),
            "amount": "250.00",
            "promised_on": "2026-07-03",
            "invoices": ["i-1"],
        },
    )

    rows = page.split('class="open-invoices"')[1].split("</table>")[0]
    assert re.search(r"INV-i-1 <span class=\"badge warn\">disputed</span>", rows)
    assert not re.search(r"INV-i-3 <span", rows)
    form = page.split('class="note-box promise-form"')[1].split("</form>")[0]
    assert 'value="i-3"' in form and 'value="i-1"' not in form
    assert refused.status_code == 400 and "disputed invoice" in refused.text
