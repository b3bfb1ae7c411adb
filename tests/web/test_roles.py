"""Roles that bind: every route of the app, walked from its URL map, answers each kind of person
(nobody signed in, a stranger, and the organisation's owner, accountant and member) as the one
matrix in web/roles.py says."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from integration.connections import Connection, ConnectionStatus, Provider, Tenant, record_consent
from integration.connections.oauth import TokenSet
from reminders.dispatch.models import ReminderAction
from reminders.disputes import Dispute
from reminders.fees.models import LateFee
from reminders.logos import check_logo, keep_logo
from reminders.portal.attachments import attach, check_file
from reminders.portal.contacts import AddressRequest
from reminders.promises import Promise
from reminders.schedules.defaults import DEFAULT_SCHEDULE
from reminders.schedules.models import Schedule, schedule_from
from runtime import clock, jobs, team
from runtime.db import db
from runtime.tenancy import Membership, Organisation, Role, User
from sync.models import Customer
from tests.web.test_receivables import sign_in
from tests.web.test_settings import png
from web.roles import JOBS, ROUTES

PERSONS = ("nobody", "stranger", Role.OWNER, Role.ACCOUNTANT, Role.MEMBER)


@pytest.fixture
def harbour(session, redis_client):  # type: ignore[no-untyped-def]
    """An organisation connected to Xero, its owner, accountant and member, and a stranger."""
    people: dict[object, int] = {}
    for person in PERSONS[1:]:
        name = person.value if isinstance(person, Role) else person
        user = User(email=f"{name}@harbour.example", name=name)
        session.add(user)
        session.flush()
        people[person] = user.id
    tokens = TokenSet(
        access_token="access",
        refresh_token="refresh",
        access_expires_at=clock.now() + timedelta(hours=1),
        scopes=(),
    )
    owner = session.get(User, people[Role.OWNER])
    connection = record_consent(session, Provider.XERO, tokens, [Tenant("t-1", "Harbour Cafe Ltd")], owner)[0]
    for role in (Role.ACCOUNTANT, Role.MEMBER):
        session.add(
            Membership(user_id=people[role], organisation_id=connection.organisation_id, role=role.value)
        )
    keep_logo(session, connection.organisation_id, check_logo(png()))  # its address answers
    # A customer, for the routes about one.
    session.add(
        Customer(
            organisation_id=connection.organisation_id,
            ledger_id="c-1",
            name="Tui Catering",
            ledger_updated_at=clock.now(),
        )
    )
    session.flush()
    # A reminder awaiting approval, for the routes about one.
    session.add(
        ReminderAction(
            organisation_id=connection.organisation_id,
            customer_id=session.scalars(select(Customer.id)).one(),
            key="c1:s1:test:r0:email",
            stage_key="inquiry",
            stage_name="Polite inquiry",
            channel="email",
            cycle="test",
            planned_for=clock.today(),
            status="awaiting_approval",
        )
    )
    # A promise to pay, for the routes about one.
    session.add(
        Promise(
            organisation_id=connection.organisation_id,
            customer_id=session.scalars(select(Customer.id)).one(),
            amount=Decimal("10.00"), currency="NZD", promised_on=clock.today(), until=clock.today(),
        )
    )  # fmt: skip
    # A late fee waiting for approval, for the routes about one.
    session.add(
        LateFee(
            organisation_id=connection.organisation_id,
            customer_id=session.scalars(select(Customer.id)).one(),
            invoice_ledger_id="i-1",
            kind="fixed",
            period_start=clock.today(),
            period_end=clock.today(),
            currency="NZD",
            amount=Decimal(25),
            balance=Decimal(100),
        )
    )
    # Someone for the team's routes to act on, and an invitation waiting.
    colleague = User(email="colleague@harbour.example", name="colleague")
    session.add(colleague)
    session.flush()
    session.add(Membership(user_id=colleague.id, organisation_id=connection.organisation_id, role="member"))
    invitation, _token = team.invite(
        session, connection.organisation_id, "new@harbour.example", Role.MEMBER, people[Role.OWNER]
    )
    people["colleague"], people["invitation"] = colleague.id, invitation.id
    # A schedule, for the routes about one and its stages.
    session.add(schedule_from(DEFAULT_SCHEDULE, connection.organisation_id, "en", is_default=True))
    session.commit()
    return connection.organisation_id, connection.id, people


def _a_dispute(organisation_id: int) -> int:
    """An open dispute of the organisation, raised on its first customer if there is none."""
    found = db.session.scalar(
        select(Dispute.id).where(Dispute.organisation_id == organisation_id, Dispute.resolved_at.is_(None))
    )
    if found is None:
        customer_id = db.session.scalar(
            select(Customer.id).where(Customer.organisation_id == organisation_id)
        )
        dispute = Dispute(
            organisation_id=organisation_id, customer_id=customer_id, invoice_ledger_id="i-roles"
        )
        db.session.add(dispute)
        db.session.commit()
        found = dispute.id
    return found


def url_of(rule, organisation_id: int, people: dict | None = None) -> str:  # type: ignore[no-untyped-def]
    people = people or {}
    values = {
        "organisation_id": organisation_id,
        "provider": "xero",
        "filename": "relance.css",
        "user_id": people.get("colleague", 1),
        "invitation_id": people.get("invitation", 1),
        "token": "no-such-invitation-token-at-all",
        "invoice_id": 1,  # the portal's: no link in this browser's session, so 404 whoever asks
    }
    if "action_id" in rule.arguments:
        values["action_id"] = db.session.scalar(
            select(ReminderAction.id).where(ReminderAction.organisation_id == organisation_id)
        )
    if "promise_id" in rule.arguments:
        values["promise_id"] = db.session.scalar(
            select(Promise.id).where(Promise.organisation_id == organisation_id)
        )
    if "fee_id" in rule.arguments:
        values["fee_id"] = db.session.scalar(
            select(LateFee.id).where(LateFee.organisation_id == organisation_id)
        )
    if "customer_id" in rule.arguments:
        values["customer_id"] = db.session.scalar(
            select(Customer.id).where(Customer.organisation_id == organisation_id)
        )
    if "dispute_id" in rule.arguments:
        values["dispute_id"] = _a_dispute(organisation_id)
    if "request_id" in rule.arguments:
        kept = AddressRequest(
            organisation_id=organisation_id, customer_id=values["customer_id"], email="ap@example.com"
        )
        db.session.add(kept)
        db.session.commit()
        values["request_id"] = kept.id
    if "file_id" in rule.arguments:
        checked = check_file("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(16))
        values["file_id"] = attach(db.session(), values["dispute_id"], organisation_id, checked).id
        db.session.commit()
    if "schedule_id" in rule.arguments:
        schedule = db.session.scalar(select(Schedule).where(Schedule.organisation_id == organisation_id))
        values["schedule_id"] = schedule.id
        # The stage a route removes is not the one the routes after it open.
        stages = [stage.id for stage in schedule.stages]
        values["stage_id"] = stages[-1] if rule.endpoint == "schedules.remove_stage" else stages[0]
    return rule.build({name: values[name] for name in rule.arguments})[1]


def answer(app, rule, person, organisation_id: int, people: dict):  # type: ignore[no-untyped-def]
    """What ``person`` gets from ``rule``, in a browser of their own (signing out ends its session)."""
    browser = app.test_client()
    if person != "nobody":
        sign_in(browser, people[person])
    method = "GET" if "GET" in rule.methods else "POST"
    return browser.open(url_of(rule, organisation_id, people), method=method)


def sent_to_sign_in(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and "/signin" in response.headers["Location"]


def test_every_route_has_an_entry_in_the_role_matrix(app) -> None:  # type: ignore[no-untyped-def]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    assert endpoints - ROUTES.keys() == set(), "routes nobody said who may use"
    assert ROUTES.keys() - endpoints == set(), "entries for routes that no longer exist"


def test_every_job_in_the_matrix_is_a_job_that_exists() -> None:
    for dotted in JOBS:
        module, _, name = dotted.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), dotted


@pytest.mark.parametrize("person", PERSONS, ids=str)
def test_every_route_answers_each_person_as_the_matrix_says(app, harbour, person) -> None:  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False  # the role is what is tested here; CSRF has its own tests
    organisation_id, _, people = harbour
    wrong = []
    for rule in app.url_map.iter_rules():
        access = ROUTES[rule.endpoint]
        got = answer(app, rule, person, organisation_id, people)
        if person == "nobody":
            expected_ok = sent_to_sign_in(got) if access.signed_in else not sent_to_sign_in(got)
        elif access.organisation_scoped and person == "stranger":
            expected_ok = got.status_code == 404
        elif access.organisation_scoped:
            allowed = person in access.roles
            expected_ok = (
                (got.status_code not in (403, 404) and not sent_to_sign_in(got))
                if allowed
                else (got.status_code == 403)
            )
        else:
            expected_ok = got.status_code != 403 and not (
                rule.endpoint == "dashboard.home" and sent_to_sign_in(got)
            )
        if not expected_ok:
            wrong.append(f"{rule.rule} {rule.endpoint}: {got.status_code} {got.headers.get('Location', '')}")
    assert wrong == []


def test_a_member_cannot_disconnect_the_ledger(app, harbour, session) -> None:  # type: ignore[no-untyped-def]
    organisation_id, connection_id, people = harbour
    member = app.test_client()
    sign_in(member, people[Role.MEMBER])
    page = member.get("/").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    refused = member.post(f"/organisations/{organisation_id}/disconnect", data={"csrf_token": token})

    assert refused.status_code == 403
    session.expire_all()
    assert session.get(Connection, connection_id).status == ConnectionStatus.ACTIVE.value
    assert jobs.queue("default").count == 0, "the ledger is not told anything"


def test_an_accountant_can_disconnect_the_ledger(app, harbour, session) -> None:  # type: ignore[no-untyped-def]
    organisation_id, _, people = harbour
    accountant = app.test_client()
    sign_in(accountant, people[Role.ACCOUNTANT])
    page = accountant.get(f"/organisations/{organisation_id}/disconnect").text  # the confirmation page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    done = accountant.post(
        f"/organisations/{organisation_id}/disconnect", data={"csrf_token": token, "confirm": "yes"}
    )

    assert done.status_code == 302
    assert session.scalars(select(Connection)).one().status == ConnectionStatus.DISCONNECTED.value
    assert [job.func_name for job in jobs.queue("default").jobs] == [
        "integration.connections.lifecycle.tell_ledger_disconnected"
    ]


def test_the_home_page_shows_a_member_no_settings_and_no_disconnect(client, session) -> None:  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Harbour Cafe Ltd")
    session.add(organisation)
    session.flush()
    session.add(
        Connection(organisation_id=organisation.id, provider="xero", tenant_id="t-1", tenant_name="Harbour")
    )
    people = {}
    for role in (Role.OWNER, Role.MEMBER):
        user = User(email=f"{role.value}@harbour.example")
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=role.value))
        people[role] = user.id
    session.commit()

    sign_in(client, people[Role.MEMBER])
    member_sees = client.get("/").text
    sign_in(client, people[Role.OWNER])
    owner_sees = client.get("/").text

    assert "Aged receivables" in member_sees
    assert (
        ">Settings<" not in member_sees
        and ">Disconnect<" not in member_sees
        and "Reconnect" not in member_sees
    )
    assert ">Settings<" in owner_sees and ">Disconnect<" in owner_sees
