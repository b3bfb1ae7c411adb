"""Paying from the portal: the ledger's own payment page (asked of the sandbox over HTTP once, then
kept), the bank details with the invoice numbers as the reference, and the portal's settings."""

from __future__ import annotations

from sqlalchemy import select

from reminders.portal.links import PortalSettings, link_for, token_of
from reminders.portal.payment_links import PaymentLink, is_web_address, keep_links
from runtime.tenancy import AuditEvent, Membership, Role, User
from sync.models import Customer, Invoice
from tests.web.forms import csrf_of as _csrf
from tests.web.test_portal import _opened
from tests.web.test_receivables import sign_in

ONLINE_INVOICE = "/Invoices/{invoice_id}/OnlineInvoice"


def test_pay_online_opens_the_ledgers_page_asked_once_then_kept(client, xero) -> None:  # type: ignore[no-untyped-def]
    contact = xero.customer("Kauri Joinery", "accounts@kauri.example")
    owed = xero.invoice(contact, "410.00", days_late=8)
    xero.sync()
    customer = xero.session.scalar(select(Customer).where(Customer.ledger_id == contact))
    invoice_id = xero.session.scalar(select(Invoice.id).where(Invoice.ledger_id == owed))
    link = link_for(xero.session, xero.organisation_id, customer.id)
    xero.session.commit()
    _opened(client, token_of(link))
    assert "Pay online" in client.get("/portal/").text

    first = client.get(f"/portal/invoices/{invoice_id}/pay")
    assert first.status_code == 303
    assert first.headers["Location"].startswith(xero.sandbox.base_url)  # the sandbox's online invoice
    second = client.get(f"/portal/invoices/{invoice_id}/pay")
    assert second.headers["Location"] == first.headers["Location"]
    assert xero.sandbox.request_log.count(endpoint=ONLINE_INVOICE) == 1  # the second asked nothing


def test_a_ledger_without_a_page_leaves_the_bank_transfer_never_an_error(client, session, books) -> None:  # type: ignore[no-untyped-def]
    session.add(
        PortalSettings(organisation_id=books["harbour"], bank_details="Harbour Cafe Ltd\n12-3456-7890123-00")
    )
    session.commit()
    link = link_for(session, books["harbour"], books["customers"]["Tui Catering"])
    session.commit()
    _opened(client, token_of(link))
    account = client.get("/portal/").text
    assert "12-3456-7890123-00" in account and "Reference: INV-0101, INV-0102" in account
    invoice_id = session.scalar(select(Invoice.id).where(Invoice.number == "INV-0101"))
    page = client.get(f"/portal/invoices/{invoice_id}/pay")  # no ledger connected at all
    assert page.status_code == 200
    assert "not available" in page.text and "12-3456-7890123-00" in page.text and "INV-0101" in page.text


def test_only_web_addresses_are_kept_or_followed(session, books) -> None:  # type: ignore[no-untyped-def]
    assert is_web_address("https://in.xero.com/abc")
    for hostile in (
        "javascript:alert(1)",
        "//evil.example",
        "data:text/html,x",
        "https://",
        "",
        None,
        "ftp://x",
    ):
        assert not is_web_address(hostile)
    keep_links(session, books["harbour"], {"i-1": "javascript:alert(1)", "i-2": "https://pay.example/i-2"})
    session.commit()
    assert [k.invoice_ledger_id for k in session.scalars(select(PaymentLink))] == ["i-2"]


def test_the_portals_settings_are_validated_saved_and_audited(client, session, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    url = f"/organisations/{books['harbour']}/settings/portal"
    page = client.get(url)
    assert page.status_code == 200 and "A link lasts (days)" in page.text
    token = _csrf(page.text)
    refused = client.post(
        url, data={"csrf_token": token, "link_days": "0", "promise_window_days": "500", "bank_details": ""}
    )
    assert (
        refused.status_code == 400
        and "From 1 to 365 days." in refused.text
        and "From 1 to 120 days." in refused.text
    )
    assert session.get(PortalSettings, books["harbour"]) is None
    saved = client.post(
        url,
        data={
            "csrf_token": token,
            "link_days": "30",
            "promise_window_days": "14",
            "bank_details": "IBAN FR76 3000",
        },
    )
    assert saved.status_code == 303
    kept = session.get(PortalSettings, books["harbour"])
    assert (kept.link_days, kept.promise_window_days, kept.bank_details) == (30, 14, "IBAN FR76 3000")
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.portal")) is not None
    assert "Customer portal" in client.get(f"/organisations/{books['harbour']}/settings").text


def test_a_member_cannot_change_the_portals_settings(client, session, books) -> None:  # type: ignore[no-untyped-def]
    member = User(email="member@harbour.example", name="Member")
    session.add(member)
    session.flush()
    session.add(Membership(user_id=member.id, organisation_id=books["harbour"], role=Role.MEMBER.value))
    session.commit()
    sign_in(client, member.id)
    assert client.get(f"/organisations/{books['harbour']}/settings/portal").status_code == 403
