"""The customers' portal in a real browser, sized like a phone: a reminder arrives over SMTP, the
customer follows its link, sees what they owe, promises a date for one invoice and disputes the
other (with a photo), and the reminders then pause for both; the same page in French."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from integration.sandbox.common.server import SandboxServer
from reminders.dispatch import outbox
from reminders.disputes import Dispute, disputed_invoices
from reminders.promises import Promise, promised_invoices
from runtime import clock
from runtime.settings import reload_settings
from runtime.tenancy import Organisation
from sync.models import Invoice
from tests.browser.conftest import screenshot
from tests.conftest import free_port
from tests.integration.ledgers import point_at_xero, running_xero, xero_consent
from tests.reminders.books import XeroBooks, approve_all, run_jobs
from web import create_app

PHONE = {"width": 390, "height": 844}
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(200)


@pytest.fixture
def portal_books(monkeypatch, session, redis_client, mailbox) -> Iterator[tuple[XeroBooks, str]]:  # type: ignore[no-untyped-def]
    """A Xero organisation with the shipped default schedule, and Relance served at its PUBLIC_URL."""
    port = free_port()
    monkeypatch.setenv("PUBLIC_URL", f"http://127.0.0.1:{port}")
    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        server = SandboxServer(create_app(reload_settings()), port=port).start()
        try:
            (connection,) = xero_consent(session, sandbox)
            organisation = session.get(Organisation, connection.organisation_id)
            organisation.timezone, organisation.timezone_set_by, organisation.country = "UTC", "owner", "NZ"
            session.commit()
            yield XeroBooks(sandbox, session, organisation.id, connection.id), server.base_url
        finally:
            server.stop()


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_customer_follows_the_reminders_link_promises_a_date_and_disputes_an_invoice(
    phone, portal_books, mailbox
) -> None:  # type: ignore[no-untyped-def]
    xero, base = portal_books
    contact = xero.customer("Kauri Joinery", "accounts@kauri.example")
    first = xero.invoice(contact, "410.00", days_late=10)
    second = xero.invoice(contact, "90.00", days_late=8)
    xero.sync()
    assert outbox.give_default_schedules(xero.session) == 1  # what the demo companies get
    assert xero.plan() >= 1
    approve_all(xero)
    run_jobs()

    (message,) = mailbox.messages
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"(http://127\.0\.0\.1:\d+/portal/l/\S+)", text)
    assert link is not None, text
    numbers = {i.ledger_id: (i.id, i.number) for i in xero.session.scalars(select(Invoice))}

    phone.goto(link.group(1))
    assert phone.url == f"{base}/portal/"  # the token is gone from the address
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Your account with")
    for ledger_id in (first, second):
        assert phone.locator(f"#invoice-{numbers[ledger_id][0]}").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    screenshot(phone, "portal-account-phone")

    # A date for the first invoice.
    phone.locator(f"#invoice-{numbers[first][0]}").get_by_role(
        "link", name=re.compile("^Promise a date")
    ).click()
    promised_on = clock.today() + timedelta(days=10)
    phone.get_by_label("I will pay by").fill(promised_on.isoformat())
    screenshot(phone, "portal-promise-phone")
    phone.get_by_role("button", name="Promise to pay by this date").click()
    assert phone.get_by_role("heading", name="Thank you: your promise is recorded").is_visible()
    assert phone.get_by_text("What happens next").is_visible()
    screenshot(phone, "portal-promised-phone")

    # A dispute of the second, with a photo.
    phone.get_by_role("link", name="Back to your account").click()
    assert phone.get_by_text(re.compile("You promised to pay")).is_visible()
    promised_card = phone.locator(f"#invoice-{numbers[first][0]}")
    assert (
        promised_card.get_by_role("link", name=re.compile("^Promise a date")).count() == 0
    )  # promised already
    assert promised_card.get_by_role("link", name=re.compile("^Pay online")).count() == 1
    phone.locator(f"#invoice-{numbers[second][0]}").get_by_role("link", name=re.compile("^Dispute")).click()
    phone.get_by_label("What is wrong?").select_option("damaged")
    phone.get_by_label("Tell us more").fill("Two of the chairs arrived broken.")
    phone.get_by_label(re.compile("A file")).set_input_files(
        {"name": "chairs.png", "mimeType": "image/png", "buffer": PHOTO}
    )
    phone.get_by_role("button", name="Send the dispute").click()
    assert phone.get_by_text(re.compile("has your dispute")).is_visible()
    assert phone.get_by_text("Open: we are looking into it").is_visible()
    screenshot(phone, "portal-disputed-phone")

    # The reminders pause for both: nothing to chase a week on, when the weekly statement is due.
    session = xero.session
    session.expire_all()
    assert session.scalar(select(Promise.source)) == "customer"
    assert session.scalar(select(Dispute.raised_by)) == "customer"
    clock.advance(timedelta(days=7))
    today = clock.today()
    assert first in promised_invoices(session, xero.organisation_id, today)
    assert second in disputed_invoices(session, xero.organisation_id)
    before = len(xero.actions())
    xero.plan()
    assert len(xero.actions()) == before
    run_jobs()  # the notes of the promise and the dispute reach the ledger
    assert any("promise to pay" in note for note in xero.invoice_notes(first))
    assert any("disputed" in note.lower() for note in xero.invoice_notes(second))

    # The same account in French, from the footer.
    phone.get_by_role("link", name="Back to your account").click()
    disputed_card = phone.locator(f"#invoice-{numbers[second][0]}")
    assert disputed_card.get_by_role("link", name=re.compile("^Dispute")).count() == 0
    under_disputes = phone.get_by_role("link", name=f"Invoice {numbers[second][1]}", exact=True)
    assert under_disputes.is_visible()
    phone.get_by_role("button", name="Français").click()
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Votre compte chez")
    screenshot(phone, "portal-account-phone-fr")


def test_a_tampered_link_shows_nothing_in_the_browser(phone, portal_books, mailbox) -> None:  # type: ignore[no-untyped-def]
    _, base = portal_books
    phone.goto(f"{base}/portal/l/WzEsImFiYyJd.forged")
    assert phone.get_by_role("heading", name="This link does not open an account").is_visible()
    screenshot(phone, "portal-closed-phone")
