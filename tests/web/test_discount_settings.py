"""The early-payment discount terms' settings page: off by default, turned on by an owner through a
CSRF-protected form, refused with its reason when the terms make no sense, closed to members."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from reminders.discounts import DiscountTerms
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from tests.web.test_receivables import sign_in


@pytest.fixture
def harbour(session):  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Harbour Cafe Ltd", base_currency="NZD")
    session.add(organisation)
    session.flush()
    people = {}
    for role in (Role.OWNER, Role.MEMBER):
        user = User(email=f"{role.value}@harbour.example", name=role.value)
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=role.value))
        people[role] = user.id
    session.commit()
    return organisation.id, people


def form_of(client, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get(path).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    return {
        "csrf_token": token.group(1),
        "percent": "2",
        "days": "10",
        "net_days": "30",
        "applies_to": "matching",
    }


def test_an_owner_turns_on_3_10_net_30_for_every_invoice(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings/discounts"
    assert "Early-payment discounts" in client.get(f"/organisations/{organisation_id}/settings").text
    data = form_of(client, path)
    data.update(enabled="y", percent="3", applies_to="all")

    assert client.post(path, data=data).status_code == 302

    session.expire_all()
    terms = session.scalars(select(DiscountTerms)).one()
    assert (terms.enabled, terms.percent, terms.days, terms.net_days, terms.applies_to) == (
        True,
        Decimal("3.00"),
        10,
        30,
        "all",
    )
    assert terms.label == "3/10 net 30"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "discount.terms")).one()
    assert event.actor_user_id == people[Role.OWNER]
    assert "Discount terms saved." in client.get(path).text


def test_a_discount_that_outlasts_the_due_date_or_is_not_a_number_is_refused(
    client, session, harbour
) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings/discounts"
    for change in ({"days": "30"}, {"percent": "NaN"}, {"percent": "80"}, {"applies_to": "<script>"}):
        data = {**form_of(client, path), "enabled": "y", **change}

        assert client.post(path, data=data).status_code == 400, change

    session.expire_all()
    assert session.scalars(select(DiscountTerms)).all() == []


def test_members_may_not_change_the_terms(client, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.MEMBER])

    assert client.get(f"/organisations/{organisation_id}/settings/discounts").status_code == 403


def test_the_customer_page_words_a_settled_discount(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from runtime.tenancy import record
    from sync.models import Customer

    organisation_id, people = harbour
    customer = Customer(
        organisation_id=organisation_id,
        ledger_id="c-1",
        name="Early Bird Ltd",
        ledger_updated_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    session.add(customer)
    session.flush()
    record(
        session,
        organisation_id,
        "discount.settled",
        f"customer:{customer.id}",
        None,
        invoice="INV-0042",
        paid="111.5500",
        credited="3.4500",
        currency="NZD",
        credit_note="CN-0001",
    )
    session.commit()
    sign_in(client, people[Role.OWNER])

    page = client.get(f"/organisations/{organisation_id}/customers/{customer.id}").text

    assert "Invoice INV-0042 paid at the early-payment price" in page
    assert "credited by credit note CN-0001" in page
