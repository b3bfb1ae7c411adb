"""Late fees in the web app: the owner turns them on in their settings page (audited), the fees the
day step proposes wait in a section of the review page, and approving one queues its raise; a
member can do neither."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from rq.job import Job
from sqlalchemy import select

from reminders.fees.models import FeeStatus, FeeTerms, LateFee
from reminders.fees.raising import raise_job_id
from runtime import clock, jobs
from runtime.tenancy import AuditEvent, Role
from sync.models import Customer
from tests.web.test_receivables import sign_in
from tests.web.test_settings import harbour  # noqa: F401  (the fixture)


def token_of(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found, page
    return found.group(1)


def test_the_owner_turns_late_fees_on_and_the_change_is_audited(client, session, harbour) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings/late-fees"
    page = client.get(path)
    assert page.status_code == 200 and "Late fees and interest" in page.text
    assert "late-fees" in client.get(f"/organisations/{organisation_id}/settings").text
    answer = client.post(
        path,
        data={
            "csrf_token": token_of(page.text),
            "enabled": "y",
            "preset": "uk_late_payment_act",
            "grace_days": "0",
            "percent_a_month": "2",
            "fixed_fee": "0",
            "reference_rate": "4.00",
            "reference_rate_on": "2026-06-30",
            "review": "y",
            "payment_days": "14",
        },
    )
    assert answer.status_code == 302
    session.expire_all()
    terms = session.get(FeeTerms, organisation_id)
    assert terms.enabled and terms.preset == "uk_late_payment_act" and terms.reference_rate == Decimal(4)
    assert terms.reference_rate_on == date(2026, 6, 30)
    # Kept with its date, so debts of an earlier half-year keep the rate of their reference day.
    assert [(day, Decimal(rate)) for day, rate in terms.reference_rates] == [("2026-06-30", Decimal(4))]
    assert session.scalar(select(AuditEvent).where(AuditEvent.subject == "late fees")) is not None


def test_a_refused_value_saves_nothing(client, session, harbour) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings/late-fees"
    data = {"csrf_token": token_of(client.get(path).text), "enabled": "y", "preset": "percentage"}
    answer = client.post(
        path,
        data={
            **data,
            "percent_a_month": "250",
            "grace_days": "0",
            "fixed_fee": "0",
            "reference_rate": "0",
            "payment_days": "14",
        },
    )
    assert answer.status_code == 400
    for not_a_number in ("NaN", "Infinity", "-sNaN"):
        answer = client.post(
            path,
            data={
                **data,
                "percent_a_month": not_a_number,
                "grace_days": "0",
                "fixed_fee": "0",
                "reference_rate": "0",
                "payment_days": "14",
            },
        )
        assert answer.status_code == 400
    assert session.get(FeeTerms, organisation_id) is None


def test_a_proposed_fee_waits_on_the_review_page_and_approving_it_queues_its_raise(
    client,
    session,
    redis_client,
    harbour,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    customer = Customer(
        organisation_id=organisation_id, ledger_id="c-1", name="Kauri Builders", ledger_updated_at=clock.now()
    )
    session.add(customer)
    session.flush()
    fee = LateFee(
        organisation_id=organisation_id,
        customer_id=customer.id,
        invoice_ledger_id="i-1",
        invoice_number="INV-0001",
        kind="fixed",
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        currency="NZD",
        amount=Decimal(25),
        balance=Decimal(800),
    )
    session.add(fee)
    session.commit()

    sign_in(client, people[Role.MEMBER])
    review = client.get(f"/organisations/{organisation_id}/reminders")
    assert "INV-0001" in review.text
    assert "NZ$25.00" in review.text  # money as the app writes it
    from reminders.attention import AttentionKind, needing_attention

    waiting = needing_attention(session, [organisation_id])[organisation_id]
    assert [(a.kind, a.count) for a in waiting if a.kind == AttentionKind.FEES_AWAITING_REVIEW] == [
        (AttentionKind.FEES_AWAITING_REVIEW, 1)
    ]
    refused = client.post(
        f"/organisations/{organisation_id}/late-fees/{fee.id}/approve",
        data={"csrf_token": token_of(review.text)},
    )
    assert refused.status_code == 403

    sign_in(client, people[Role.OWNER])
    review = client.get(f"/organisations/{organisation_id}/reminders")
    assert f'id="late-fee-{fee.id}"' in review.text
    answer = client.post(
        f"/organisations/{organisation_id}/late-fees/{fee.id}/approve",
        data={"csrf_token": token_of(review.text)},
    )
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(LateFee, fee.id).status == FeeStatus.APPROVED.value
    assert Job.fetch(raise_job_id(fee.id), connection=jobs.connection()).get_status() == "queued"


def test_the_customer_timeline_words_a_raised_fee(client, session, harbour) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from runtime.tenancy import record

    organisation_id, people = harbour
    customer = Customer(
        organisation_id=organisation_id, ledger_id="c-1", name="Kauri Builders", ledger_updated_at=clock.now()
    )
    session.add(customer)
    session.flush()
    record(
        session,
        organisation_id,
        "fee.raised",
        f"customer:{customer.id}",
        None,
        amount="25.00",
        currency="NZD",
        invoice="INV-0001",
        fee_invoice="INV-0042",
    )
    session.commit()
    sign_in(client, people[Role.OWNER])
    page = client.get(f"/organisations/{organisation_id}/customers/{customer.id}").text
    assert "Late fee of NZ$25.00 on invoice INV-0001 raised in the ledger as invoice INV-0042" in page
