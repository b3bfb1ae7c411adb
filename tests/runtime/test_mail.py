"""Relance's mail is dated and identified as RFC 5322 asks, whatever sends it."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from runtime import clock, mail
from runtime.settings import reload_settings
from tests.conftest import header_problems


def test_a_message_is_dated_by_the_clock_and_identified_on_the_public_host(monkeypatch, mailbox) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PUBLIC_URL", "https://credit.acme.example/")
    reload_settings()
    moment = datetime(2026, 6, 29, 7, 0, 12, tzinfo=UTC)

    with clock.frozen_at(moment):
        mail.send(mail.compose(["owner@harbour.example"], "Hello", "Kia ora"))
        mail.send(mail.compose(["owner@harbour.example"], "Hello again", "Kia ora"))

    first, second = mailbox.messages
    assert parsedate_to_datetime(first["Date"]) == moment
    assert first["Message-ID"].endswith("@credit.acme.example>")
    assert first["Message-ID"] != second["Message-ID"]


def test_a_message_built_without_compose_is_dated_and_identified_when_sent(mailbox) -> None:  # type: ignore[no-untyped-def]
    from email.message import EmailMessage

    built = EmailMessage()
    built["To"], built["Subject"] = "owner@harbour.example", "Built by hand"
    built.set_content("Kia ora")

    mail.send(built)

    (received,) = mailbox.messages
    assert header_problems(received, reload_settings().external_url) == []


def test_a_message_without_the_headers_is_reported() -> None:
    from email.message import EmailMessage

    bare = EmailMessage()
    bare["Message-ID"] = "<1.2@relance>"

    assert header_problems(bare, "https://credit.acme.example") == [
        "no valid Date header: None",
        "Message-ID not on the PUBLIC_URL host credit.acme.example: '<1.2@relance>'",
    ]
