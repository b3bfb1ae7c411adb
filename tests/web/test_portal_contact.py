"""Who gets the reminders: an address the customer names in the portal is used only once an
owner or accountant approves it (then the next reminder goes there, over real SMTP), never when
rejected; and the team's portal panel: the link, revoking it, making one."""

from __future__ import annotations

from sqlalchemy import select

from reminders.attention import AttentionKind, needing_attention
from reminders.models import LedgerNote
from reminders.portal.contacts import AddressRequest, reminder_address
from reminders.portal.links import link_for, token_of
from reminders.team_notices import TeamNotice
from runtime import clock
from runtime.tenancy import Membership, Role, User
from sync.models import Customer
from tests.reminders.books import approve_all, run_jobs
from tests.web.forms import csrf_of as _csrf
from tests.web.test_portal import _opened
from tests.web.test_receivables import sign_in


def _ask(client, email: str, name: str = "") -> None:  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/portal/contact").text)
    answer = client.post("/portal/contact", data={"csrf_token": token, "email": email, "name": name})
    assert answer.status_code == 303, answer.text


def _customer_page(books) -> str:  # type: ignore[no-untyped-def]
    return f"/organisations/{books['harbour']}/customers/{books['customers']['Tui Catering']}"


def test_an_address_asked_for_waits_for_approval_then_is_where_reminders_go(client, session, books) -> None:  # type: ignore[no-untyped-def]
    tui = session.get(Customer, books["customers"]["Tui Catering"])
    link = link_for(session, books["harbour"], tui.id)
    session.commit()
    _opened(client, token_of(link))
    assert "Reminders go to accounts@tui.example." in client.get("/portal/").text
    _ask(client, "ap@tui.example", "Tui payables")
    assert reminder_address(session, tui) == "accounts@tui.example"  # not yet
    assert "waiting for Harbour Cafe Ltd to confirm" in client.get("/portal/contact?asked=1").text
    (notice,) = session.scalars(select(TeamNotice)).all()
    assert "ap@tui.example" in notice.subject
    (note,) = session.scalars(select(LedgerNote)).all()
    assert note.target == "contact" and "ap@tui.example" in note.text
    waiting = needing_attention(session, [books["harbour"]])[books["harbour"]]
    assert [(a.kind, a.count) for a in waiting if a.kind == AttentionKind.ADDRESSES_AWAITING] == [
        (AttentionKind.ADDRESSES_AWAITING, 1)
    ]

    sign_in(client, books["owner"])
    page = client.get(_customer_page(books)).text
    assert "The customer asks for reminders to go to ap@tui.example." in page
    request_id = session.scalar(select(AddressRequest.id))
    decided = client.post(
        f"{_customer_page(books)}/portal/address/{request_id}",
        data={"csrf_token": _csrf(page), "decision": "approve"},
    )
    assert decided.status_code == 303
    session.expire_all()
    assert reminder_address(session, tui) == "ap@tui.example"
    assert len(session.scalars(select(LedgerNote)).all()) == 2  # the request and the approval


def test_a_rejected_address_is_never_used_and_a_new_request_replaces_a_pending_one(
    client, session, books
) -> None:  # type: ignore[no-untyped-def]
    tui = session.get(Customer, books["customers"]["Tui Catering"])
    _opened(client, token_of(link_for(session, books["harbour"], tui.id)))
    session.commit()
    _ask(client, "first@tui.example")
    _ask(client, "second@tui.example")
    statuses = {r.email: r.status for r in session.scalars(select(AddressRequest))}
    assert statuses == {"first@tui.example": "replaced", "second@tui.example": "pending"}
    sign_in(client, books["owner"])
    page = client.get(_customer_page(books)).text
    pending = session.scalar(select(AddressRequest.id).where(AddressRequest.status == "pending"))
    client.post(
        f"{_customer_page(books)}/portal/address/{pending}",
        data={"csrf_token": _csrf(page), "decision": "reject"},
    )
    session.expire_all()
    assert reminder_address(session, tui) == "accounts@tui.example"


def test_a_malformed_address_is_refused_with_its_reason(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _opened(client, token_of(link_for(session, books["harbour"], books["customers"]["Tui Catering"])))
    session.commit()
    token = _csrf(client.get("/portal/contact").text)
    for hostile in ("not an address", "a@", "x" * 400 + "@example.com", ""):
        answer = client.post("/portal/contact", data={"csrf_token": token, "email": hostile})
        assert answer.status_code == 422 and 'class="error"' in answer.text
    assert session.scalars(select(AddressRequest)).all() == []


def test_a_member_sees_the_request_but_only_owners_and_accountants_approve(client, session, books) -> None:  # type: ignore[no-untyped-def]
    member = User(email="member@harbour.example", name="Member")
    session.add(member)
    session.flush()
    session.add(Membership(user_id=member.id, organisation_id=books["harbour"], role=Role.MEMBER.value))
    kept = AddressRequest(
        organisation_id=books["harbour"],
        customer_id=books["customers"]["Tui Catering"],
        email="ap@tui.example",
    )
    session.add(kept)
    session.commit()
    sign_in(client, member.id)
    page = client.get(_customer_page(books)).text
    assert "An owner or accountant approves it." in page
    answer = client.post(
        f"{_customer_page(books)}/portal/address/{kept.id}",
        data={"csrf_token": _csrf(page), "decision": "approve"},
    )
    assert answer.status_code == 403


def test_the_panel_shows_the_link_and_revoking_ends_an_open_portal_at_once(
    app, client, session, books
) -> None:  # type: ignore[no-untyped-def]
    link = link_for(session, books["harbour"], books["customers"]["Tui Catering"])
    session.commit()
    customer_browser = app.test_client()
    _opened(customer_browser, token_of(link))
    assert customer_browser.get("/portal/").status_code == 200

    sign_in(client, books["owner"])
    page = client.get(_customer_page(books)).text
    assert token_of(link) in page and "Opened on 1 days" not in page
    assert "Last opened" in page
    revoked = client.post(f"{_customer_page(books)}/portal/revoke", data={"csrf_token": _csrf(page)})
    assert revoked.status_code == 303
    assert customer_browser.get("/portal/").status_code == 404
    page = client.get(_customer_page(books)).text
    assert "No live link" in page
    client.post(f"{_customer_page(books)}/portal/link", data={"csrf_token": _csrf(page)})
    assert "works until" in client.get(_customer_page(books)).text


def test_another_organisations_people_cannot_reach_the_panels_routes(client, session, books) -> None:  # type: ignore[no-untyped-def]
    stranger = User(email="someone@kauri.example", name="Kauri")
    session.add(stranger)
    session.flush()
    session.add(Membership(user_id=stranger.id, organisation_id=books["other"], role=Role.OWNER.value))
    session.commit()
    sign_in(client, stranger.id)
    token = _csrf(client.get(f"/organisations/{books['other']}").text)
    for path in ("portal/revoke", "portal/link"):
        assert client.post(f"{_customer_page(books)}/{path}", data={"csrf_token": token}).status_code == 404


def test_once_approved_the_next_reminder_goes_to_that_address(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    contact = xero.customer("Rimu Builders", "accounts@rimu.example")
    xero.invoice(contact, "410.00", days_late=8)
    xero.sync()
    customer = xero.session.scalar(select(Customer).where(Customer.ledger_id == contact))
    xero.session.add(
        AddressRequest(
            organisation_id=xero.organisation_id, customer_id=customer.id, email="payables@rimu.example",
            status="approved", decided_at=clock.now(),
        )
    )  # fmt: skip
    xero.session.commit()
    assert xero.plan() == 1
    approve_all(xero)
    run_jobs()
    (message,) = mailbox.messages
    assert message["To"] == "payables@rimu.example"
