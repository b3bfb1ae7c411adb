"""Collection settings in the web app: owners and accountants change them through a CSRF-protected
form, a wrong value is refused with its reason and nothing saved, every change is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from reminders.models import CollectionSettings
from reminders.receivables.snapshots import settings_of
from reminders.risk.standing import rules_of
from runtime import clock
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
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    assert token, page
    return {
        "csrf_token": token.group(1),
        "timezone": "",
        "aging_basis": "due_date",
        "aging_edges": "30, 60, 90, 120",
        "weekly_report_weekday": "0",
        "large_account_threshold": "",
        "min_history": "3",
        "late_days_medium": "7",
        "late_days_high": "30",
        "worsening_days": "10",
        "long_term_months": "24",
    }


def test_an_owner_chooses_buckets_the_report_day_and_risk_rules(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = form_of(client, path)
    data.update(
        aging_edges="15, 30, 60",
        weekly_report_weekday="4",
        large_account_threshold="5000",
        late_days_high="45",
    )

    answer = client.post(path, data=data)

    assert answer.status_code == 302
    session.expire_all()
    saved = session.get(CollectionSettings, organisation_id)
    assert (saved.aging_edges, saved.weekly_report_weekday) == ([15, 30, 60], 4)
    rules = rules_of(saved)
    assert (rules.late_days_high, rules.large_account_threshold) == (45, Decimal("5000"))
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.actor_user_id == people[Role.OWNER]
    assert "Collection settings saved." in client.get(path).text


def test_wrong_values_are_refused_with_their_reason_and_nothing_is_saved(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = form_of(client, path)
    data.update(aging_edges="60, 30", late_days_medium="20", late_days_high="10")

    answer = client.post(path, data=data)

    assert answer.status_code == 400
    assert "increasing numbers of days" in answer.text and "must be more days than medium risk" in answer.text
    assert 'value="60, 30"' in answer.text  # what was typed stays in the form
    session.expire_all()
    assert session.get(CollectionSettings, organisation_id) is None
    assert settings_of(organisation_id).aging_edges == [30, 60, 90, 120]


def test_the_form_needs_its_csrf_token(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = form_of(client, path)
    del data["csrf_token"]

    assert client.post(path, data=data).status_code == 400
    session.expire_all()
    assert session.get(CollectionSettings, organisation_id) is None


def test_a_colleague_may_not_change_them_and_strangers_do_not_see_them(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    stranger = User(email="someone@elsewhere.example")
    session.add(stranger)
    session.commit()

    sign_in(client, people[Role.MEMBER])
    assert client.get(f"/organisations/{organisation_id}/settings").status_code == 403
    sign_in(client, stranger.id)
    assert client.get(f"/organisations/{organisation_id}/settings").status_code == 404


def test_the_owner_sets_the_zone_and_today_follows_it(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = form_of(client, path)
    data["timezone"] = "Pacific/Chatham"

    assert client.post(path, data=data).status_code == 302

    session.expire_all()
    organisation = session.get(Organisation, organisation_id)
    assert (organisation.timezone, organisation.timezone_set_by) == ("Pacific/Chatham", "owner")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.details["timezone"] == "Pacific/Chatham"
    # 12:00 UTC on 30 June is already 00:45 on 1 July in the Chatham Islands.
    clock.travel_to(datetime(2026, 6, 30, 12, 0, tzinfo=UTC))
    try:
        page = client.get(f"/organisations/{organisation_id}/aged-receivables").text
    finally:
        clock.reset()
    assert "at 1 July 2026" in page


def test_a_zone_that_does_not_exist_is_refused(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    for hostile in ("Mars/Olympus_Mons", "../../etc/passwd", "Europe/London\x00"):
        data = form_of(client, path)
        data["timezone"] = hostile

        answer = client.post(path, data=data)

        assert answer.status_code == 400 and "choose a time zone from the list" in answer.text
    session.expire_all()
    assert session.get(Organisation, organisation_id).timezone == "UTC"


def test_choosing_the_ledgers_zone_again_reads_it_at_the_next_sync(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    organisation = session.get(Organisation, organisation_id)
    organisation.timezone, organisation.timezone_set_by = "Europe/Paris", "owner"
    session.commit()
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"

    assert client.post(path, data=form_of(client, path)).status_code == 302

    session.expire_all()
    organisation = session.get(Organisation, organisation_id)
    assert organisation.timezone_set_by == "default" and organisation.facts_refreshed_at is None


def test_the_home_page_asks_for_a_zone_the_ledger_did_not_settle(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    organisation = session.get(Organisation, organisation_id)
    organisation.facts_refreshed_at = clock.now()  # read from the ledger, which named no zone
    session.commit()
    sign_in(client, people[Role.OWNER])

    assert "choose it in Settings" in client.get("/").text

    organisation = session.get(Organisation, organisation_id)
    organisation.timezone, organisation.timezone_set_by = "Pacific/Auckland", "ledger"
    session.commit()
    assert "choose it in Settings" not in client.get("/").text
