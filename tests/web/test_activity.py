"""The activity page: the organisation's audit trail in words, newest first, filtered and paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runtime.tenancy import AuditEvent, Membership, Organisation, User
from sync.models import Customer
from tests.web.test_receivables import STAMP, sign_in


@pytest.fixture
def trail(session):  # type: ignore[no-untyped-def]
    """Harbour Cafe's trail (its owner, a member, a customer) and another organisation's."""
    cafe = Organisation(name="Harbour Cafe Ltd", base_currency="NZD", timezone="Pacific/Auckland")
    other = Organisation(name="Kauri Builders", base_currency="NZD", timezone="Pacific/Auckland")
    owner = User(email="owner@harbour.example", name="Aroha Owner")
    member = User(email="member@harbour.example", name="Mere Member")
    session.add_all([cafe, other, owner, member])
    session.flush()
    session.add_all(
        [
            Membership(user_id=owner.id, organisation_id=cafe.id, role="owner"),
            Membership(user_id=member.id, organisation_id=cafe.id, role="member"),
            Membership(user_id=owner.id, organisation_id=other.id, role="owner"),
        ]
    )
    tui = Customer(organisation_id=cafe.id, ledger_id="c-1", name="Tui Catering", ledger_updated_at=STAMP)
    session.add(tui)
    session.flush()
    start = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)  # 09:30 on 2 June in Auckland

    def event(
        minutes: int, organisation: Organisation, action: str, subject: str = "", actor=None, **details
    ):  # type: ignore[no-untyped-def]
        session.add(
            AuditEvent(
                organisation_id=organisation.id,
                occurred_at=start + timedelta(minutes=minutes),
                action=action,
                subject=subject,
                actor_user_id=actor.id if actor else None,
                details=details,
            )
        )

    event(0, cafe, "connection.connected", "connection:1", owner, provider="xero", tenant="Harbour Cafe Ltd")
    event(1, cafe, "settings.changed", "collection settings", owner, aging_edges="30, 60")
    event(2, cafe, "hold.placed", f"customer:{tui.id}", member, reason="disputed")
    event(3, cafe, "reminder.sent", f"customer:{tui.id}")
    event(4, cafe, "team.invited", "invitation:1", owner, email="ana@example.com", role="accountant")
    event(5, other, "settings.changed", "collection settings", owner, secret="kauri only")
    for minute in range(60):  # enough for two pages
        event(10 + minute, cafe, "sync.done", "connection:1")
    session.commit()
    return {"cafe": cafe.id, "other": other.id, "owner": owner.id, "member": member.id, "tui": tui.id}


def page(client, trail, **query):  # type: ignore[no-untyped-def]
    return client.get(f"/organisations/{trail['cafe']}/activity", query_string=query)


def test_every_role_reads_the_trail_in_words_newest_first_in_the_organisations_zone(client, trail) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, trail["member"])

    shown = page(client, trail, kind="team").text + page(client, trail, kind="connection").text

    assert "Invited ana@example.com as accountant" in shown
    assert "Connected Harbour Cafe Ltd in Xero" in shown
    assert "Aroha Owner" in shown
    assert "9:30" in shown and "2 Jun 2026" in shown.replace(",", "")  # Auckland's time, not UTC's
    everything = page(client, trail).text
    assert "65 events" in everything
    first_row = everything.split("<tbody>")[1].split("</tr>")[0]
    assert "Sync: done" in first_row and "10:39" in first_row  # the newest


def test_filters_by_person_kind_and_customer(client, trail) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, trail["owner"])

    by_member = page(client, trail, person=trail["member"]).text
    holds = page(client, trail, kind="hold").text
    tui = page(client, trail, customer=trail["tui"]).text

    assert "1 event" in by_member and "Holds: placed" in by_member and "Sync: done" not in by_member
    assert "1 event" in holds and "Mere Member" in holds
    assert "2 events" in tui and "Reminders: sent" in tui and "Holds: placed" in tui and "Tui Catering" in tui
    assert "Relance" in tui  # the reminder was Relance's own act
    settings = page(client, trail, kind="settings").text
    assert "Changed the collection settings" in settings and "1 event" in settings


def test_pages_hold_fifty_newest_first(client, trail) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, trail["owner"])

    first = page(client, trail).text
    second = page(client, trail, page=2).text

    assert "65 events" in first and "Page 1 of 2" in first
    assert first.count("Sync: done") == 50 and "Connected" not in first
    assert "Page 2 of 2" in second and "Connected Harbour Cafe Ltd in Xero" in second
    assert second.index("Invited ana@example.com") < second.index("Connected Harbour Cafe Ltd")
    assert "Page 2 of 2" in page(client, trail, page=999).text  # past the end: the last page


def test_another_organisations_activity_is_invisible(client, trail) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, trail["member"])

    theirs = client.get(f"/organisations/{trail['other']}/activity")
    mine = page(client, trail, kind="settings").text

    assert theirs.status_code == 404
    assert "kauri only" not in mine and "1 event" in mine


@pytest.mark.parametrize(
    "query",
    [{"person": "x"}, {"kind": "<script>"}, {"customer": "99999999999"}, {"page": "-1"}, {"page": "1e9"}],
)
def test_filters_that_name_nothing_show_everything(client, trail, query) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, trail["owner"])

    shown = page(client, trail, **query)

    assert shown.status_code == 200 and "65 events" in shown.text
