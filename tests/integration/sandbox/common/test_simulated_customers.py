"""The simulated customers of `relance simulate`: the unprompted tail is calibrated to the
collection agencies' survey (project references, collections.md), answers are repeatable, and
their mailboxes receive over real SMTP."""

from __future__ import annotations

import random
import smtplib
from collections import Counter
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest

from integration.sandbox.common.mailboxes import CustomerMailboxes
from integration.sandbox.common.personas import (
    Persona,
    Reaction,
    collectability,
    reply_to_reminder,
    unprompted_payment,
)


@pytest.mark.parametrize(("days", "surveyed"), [(90, 0.689), (182, 0.513), (365, 0.214)])
def test_the_forgetful_tail_is_collected_as_the_agencies_survey_says(days: int, surveyed: float) -> None:
    assert collectability(days) == pytest.approx(surveyed, abs=0.025)


def test_customers_pay_unasked_as_their_persona_does() -> None:
    issued, due = date(2026, 3, 2), date(2026, 4, 1)
    for seed in range(200):
        prompt = unprompted_payment(Persona.PROMPT, random.Random(seed), issued, due)
        assert prompt is not None and issued < prompt <= date(2026, 4, 11)
        slow = unprompted_payment(Persona.SLOW, random.Random(seed), issued, due)
        assert slow is not None and 5 <= (slow - due).days <= 60
        assert unprompted_payment(Persona.NEVER_PAYS, random.Random(seed), issued, due) is None
    never = sum(
        unprompted_payment(Persona.PAYS_AFTER_REMINDER, random.Random(s), issued, due) is None
        for s in range(2000)
    )
    assert 0.17 < never / 2000 < 0.23  # a fifth of a forgetful customer's invoices wait for a reminder


def test_answers_are_repeatable_and_follow_the_persona() -> None:
    read = date(2026, 5, 4)
    answers = [
        reply_to_reminder(Persona.PAYS_AFTER_REMINDER, random.Random(s), read, False) for s in range(1000)
    ]
    assert answers == [
        reply_to_reminder(Persona.PAYS_AFTER_REMINDER, random.Random(s), read, False) for s in range(1000)
    ]
    reactions = Counter(a.reaction for a in answers)
    assert reactions[Reaction.PAY] > reactions[Reaction.PROMISE] > reactions[Reaction.IGNORE] > 0
    assert all(
        a.promised_for is not None and a.promised_for > read
        for a in answers
        if a.reaction is Reaction.PROMISE
    )
    never = [reply_to_reminder(Persona.NEVER_PAYS, random.Random(s), read, False) for s in range(1000)]
    assert not any(a.reaction is Reaction.PAY for a in never)
    kept = [a.keeps_promise for a in never if a.reaction is Reaction.PROMISE]
    assert sum(kept) < len(kept) / 4  # they promise, and mostly do not keep it
    disputing = Counter(
        reply_to_reminder(Persona.DISPUTES, random.Random(s), read, False).reaction for s in range(200)
    )
    assert disputing.most_common(1)[0][0] is Reaction.DISPUTE
    settled = Counter(
        reply_to_reminder(Persona.DISPUTES, random.Random(s), read, True).reaction for s in range(200)
    )
    assert settled[Reaction.DISPUTE] == 0  # a customer disputes once


def test_each_customer_reads_their_own_mail_once() -> None:
    now = datetime(2026, 5, 4, 9, tzinfo=UTC)
    boxes = CustomerMailboxes(lambda: now).start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "ar@firm.example",
            "AP@Kauri.example",
            "INV-0007 is due",
        )
        message.set_content("Please pay INV-0007.")
        with smtplib.SMTP(*boxes.url.removeprefix("smtp://").split(":")) as smtp:
            smtp.send_message(message, to_addrs=["AP@Kauri.example"])
        assert boxes.read("someone@else.example") == []
        (received,) = boxes.read("ap@kauri.example")
        assert received.subject == "INV-0007 is due" and "INV-0007" in received.text
        assert received.arrived_at == now
        assert boxes.read("ap@kauri.example") == []  # read once
    finally:
        boxes.stop()
