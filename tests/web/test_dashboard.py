"""The practice view and an organisation's dashboard: the figures the reminders modules compute,
sorted and searched on the server, what needs a person, and "Sync now"."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from integration.connections import Connection
from reminders.attention import AttentionKind, going_out_today, needing_attention
from reminders.receivables.figures import key_figures
from reminders.receivables.overview import overview
from reminders.receivables.snapshots import take_snapshot
from reminders.risk.standing import assess_organisation
from runtime import clock, jobs
from runtime.tenancy import Membership, Organisation, Role, User
from sync.models import Customer
from tests.reminders.conftest import STAMP, invoice
from tests.web import test_receivables
from tests.web.test_receivables import sign_in

TODAY = date(2026, 7, 1)
ENGLISH = {"Accept-Language": "en-GB"}
people = test_receivables.people  # two organisations, each with its owner and one customer


@pytest.fixture(autouse=True)
def on_the_first_of_july():  # type: ignore[no-untyped-def]
    clock.freeze(TODAY)
    yield
    clock.reset()


@pytest.fixture
def accountant(session, people):  # type: ignore[no-untyped-def]
    """The Harbour owner is also the accountant of Kauri Builders, which owes more and later."""
    harbour, user_id = people["Harbour Cafe Ltd"]
    kauri, _ = people["Kauri Builders"]
    session.add(Membership(user_id=user_id, organisation_id=kauri, role=Role.ACCOUNTANT.value))
    session.add(
        Customer(organisation_id=kauri, ledger_id="c-2", name="Totara Homes", ledger_updated_at=STAMP)
    )
    invoice(session, kauri, "i-2", "c-2", "4000.00", date(2026, 1, 2), date(2026, 2, 1))  # 150 days late
    invoice(
        session, kauri, "i-3", "c-2", "600.00", date(2026, 6, 28), date(2026, 7, 28)
    )  # this week, not due
    session.commit()
    return {"harbour": harbour, "kauri": kauri, "user_id": user_id}


def cells(page: str, figure: str) -> list[str]:
    """The text of each practice-view cell of one figure, top to bottom."""
    found = re.findall(rf'data-figure="{figure}">(.*?)</td>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


def names(page: str) -> list[str]:
    return re.findall(r'<a class="organisation" href="[^"]+">([^<]+)</a>', page)


def test_the_dashboard_shows_the_figures_the_figures_module_computes(client, accountant, session) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])
    figures = key_figures(session, accountant["kauri"], TODAY)

    page = client.get(f"/organisations/{accountant['kauri']}", headers=ENGLISH).text

    assert "NZ$4,850.00" in page  # owed: 250 + 4000 + 600
    assert figures.dso is not None and f"{figures.dso} days" in page
    assert figures.cei is not None and f"{figures.cei} %" in page
    over_90 = re.search(r'data-figure="over_90">.*?class="value">([^<]+)<', page, re.S)
    assert over_90 and over_90.group(1) == "NZ$4,000.00"


def test_the_tiles_say_how_each_figure_changed_in_a_week(client, accountant, session) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])
    week = overview(session, accountant["kauri"], TODAY)
    assert week.today.owed - week.week_ago.owed == 600

    page = client.get(f"/organisations/{accountant['kauri']}", headers=ENGLISH).text

    owed = re.search(r'data-figure="owed">(.*?)</div>\s*</?div', page, re.S)
    assert owed and "▲ NZ$600.00 from a week ago" in page
    assert "unchanged from a week ago" in page  # overdue did not move


def test_the_aging_chart_and_the_plain_words_without_snapshots(client, accountant) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])

    page = client.get(f"/organisations/{accountant['kauri']}", headers=ENGLISH).text

    assert 'data-chart="aging-chart"' in page and '<script type="application/json" id="aging-chart">' in page
    assert "The trend needs at least two daily snapshots; 0 have been taken so far" in page


def test_the_customers_to_act_on_first_come_from_their_standings(client, accountant) -> None:  # type: ignore[no-untyped-def]
    assess_organisation(accountant["kauri"])
    sign_in(client, accountant["user_id"])

    page = client.get(f"/organisations/{accountant['kauri']}", headers=ENGLISH).text

    largest = page.split('id="largest-overdue"')[1].split('id="highest-risk"')[0]
    assert largest.index("Totara Homes") < largest.index("Rimu Homes")
    assert "NZ$4,000.00" in largest


def test_the_practice_view_has_a_row_per_organisation_sorted_on_the_server(client, accountant) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])

    by_name = client.get("/", headers=ENGLISH).text
    by_owed = client.get("/?sort=owed&dir=desc", headers=ENGLISH).text
    by_owed_up = client.get("/?sort=owed&dir=asc", headers=ENGLISH).text

    assert names(by_name) == ["Harbour Cafe Ltd", "Kauri Builders"]
    assert cells(by_name, "owed") == ["NZ$250.00", "NZ$4,850.00"]
    assert cells(by_name, "over_90") == ["NZ$0.00", "NZ$4,000.00"]
    assert names(by_owed) == ["Kauri Builders", "Harbour Cafe Ltd"]
    assert names(by_owed_up) == ["Harbour Cafe Ltd", "Kauri Builders"]
    assert 'href="/?sort=owed&amp;dir=asc"' in by_owed  # the active column's header turns the order round


def test_the_practice_view_searches_by_name(client, accountant) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])

    found = client.get("/?q=kauri", headers=ENGLISH).text
    nothing = client.get("/?q=100%25", headers=ENGLISH).text

    assert names(found) == ["Kauri Builders"]
    assert names(nothing) == [] and "No organisation\u2019s name contains \u201c100%\u201d." in nothing


@pytest.mark.parametrize("query", ["sort=password", "dir=sideways", "q=" + "x" * 101])
def test_a_sort_or_search_that_makes_no_sense_is_a_clear_400(client, accountant, query) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])
    assert client.get(f"/?{query}").status_code == 400


def test_what_goes_out_today_counts_each_organisations_reminders_for_its_today(
    client, accountant, session
) -> None:  # type: ignore[no-untyped-def]
    from reminders.dispatch.models import ReminderAction
    from runtime import clock
    from tests.reminders.chasing import customer

    kauri = session.get(Organisation, accountant["kauri"])
    owes = customer(session, kauri.id, "c-going")
    for index, status in enumerate(("awaiting_approval", "sent", "skipped")):
        session.add(
            ReminderAction(
                organisation_id=kauri.id,
                customer_id=owes.id,
                key=f"k{index}",
                stage_key="inquiry",
                stage_name="Polite inquiry",
                channel="email",
                cycle="",
                planned_for=clock.today(kauri.timezone),
                status=status,
            )
        )
    session.commit()
    sign_in(client, accountant["user_id"])
    page = client.get("/", headers=ENGLISH).text
    counts = going_out_today(session, [accountant["kauri"]])
    assert counts == {accountant["kauri"]: 2}  # the skipped one is not going out
    assert sorted(cells(page, "going_out")) == ["0", "2"]


def test_what_needs_a_person_lists_a_lost_connection_and_an_unknown_zone(client, accountant, session) -> None:  # type: ignore[no-untyped-def]
    session.add(
        Connection(
            organisation_id=accountant["kauri"],
            provider="xero",
            tenant_id="t-1",
            tenant_name="Kauri",
            status="needs_reconnect",
        )
    )
    kauri = session.get(Organisation, accountant["kauri"])
    kauri.timezone_set_by, kauri.facts_refreshed_at = "default", STAMP
    session.commit()
    sign_in(client, accountant["user_id"])

    found = needing_attention(session, [accountant["harbour"], accountant["kauri"]])
    page = client.get("/?sort=attention&dir=desc", headers=ENGLISH).text

    assert found[accountant["harbour"]] == []
    assert [item.kind for item in found[accountant["kauri"]]] == [
        AttentionKind.NEEDS_RECONNECT,
        AttentionKind.ZONE_UNKNOWN,
    ]
    assert names(page)[0] == "Kauri Builders"
    assert cells(page, "attention")[0] == "Reconnect the ledger Time zone not known"
    assert cells(page, "attention")[1] == ""


def test_a_person_with_one_organisation_sees_its_row(client, people) -> None:  # type: ignore[no-untyped-def]
    _, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)
    page = client.get("/", headers=ENGLISH).text
    assert names(page) == ["Harbour Cafe Ltd"]
    assert 'name="q"' not in page  # nothing to search among


def test_a_person_with_no_organisation_is_asked_to_connect_a_ledger(client, session) -> None:  # type: ignore[no-untyped-def]
    user = User(email="new@example.com", name="New")
    session.add(user)
    session.commit()
    sign_in(client, user.id)
    page = client.get("/", headers=ENGLISH).text
    assert "Connect your ledger to start" in page and 'id="practice"' not in page


def connect(session, organisation_id: int, status: str = "active") -> Connection:  # type: ignore[no-untyped-def]
    connection = Connection(
        organisation_id=organisation_id, provider="xero", tenant_id="t-9", tenant_name="Kauri", status=status
    )
    session.add(connection)
    session.commit()
    return connection


def csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_sync_now_queues_one_sync_however_often_it_is_pressed(
    client, accountant, session, redis_client
) -> None:  # type: ignore[no-untyped-def]
    connection = connect(session, accountant["kauri"])
    sign_in(client, accountant["user_id"])
    dashboard = f"/organisations/{accountant['kauri']}"
    token = csrf(client.get(dashboard).text)

    first = client.post(f"{dashboard}/sync", data={"csrf_token": token})
    second = client.post(f"{dashboard}/sync", data={"csrf_token": token}, follow_redirects=True)

    assert first.status_code == 303 and first.headers["Location"] == dashboard
    assert "A sync is already queued or running." in second.text
    waiting = jobs.queue("sync").jobs
    assert [(job.func_name, job.args) for job in waiting] == [("sync.jobs.sync_tenant", (connection.id,))]


def test_sync_now_needs_the_csrf_token(client, accountant, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    connect(session, accountant["kauri"])
    sign_in(client, accountant["user_id"])
    assert client.post(f"/organisations/{accountant['kauri']}/sync").status_code == 400
    assert jobs.queue("sync").count == 0


def test_a_lost_connection_has_no_sync_button_and_says_why(client, accountant, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    connect(session, accountant["kauri"], status="needs_reconnect")
    sign_in(client, accountant["user_id"])
    dashboard = f"/organisations/{accountant['kauri']}"
    page = client.get(dashboard, headers=ENGLISH).text

    pressed = client.post(f"{dashboard}/sync", data={"csrf_token": csrf(page)})

    assert "Sync now" not in page and "reconnect it before Relance can sync again" in page
    assert pressed.status_code == 303 and jobs.queue("sync").count == 0


def test_another_organisations_dashboard_is_not_found(client, people) -> None:  # type: ignore[no-untyped-def]
    _, user_id = people["Harbour Cafe Ltd"]
    kauri, _ = people["Kauri Builders"]
    sign_in(client, user_id)
    assert client.get(f"/organisations/{kauri}").status_code == 404
    assert client.post(f"/organisations/{kauri}/sync").status_code in (400, 404)


def test_the_practice_views_dso_and_its_change_are_the_key_figures(client, accountant, session) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, accountant["user_id"])
    today = [key_figures(session, accountant[name], TODAY) for name in ("harbour", "kauri")]
    week = overview(session, accountant["kauri"], TODAY)

    page = client.get("/", headers=ENGLISH).text

    assert cells(page, "dso") == [f"{figures.dso:,} days" for figures in today]
    assert week.dso_change is not None and week.dso_change < 0  # this week's sales bring DSO down
    assert cells(page, "dso_change")[1] == f"▼ {-week.dso_change:,}"  # grouped as the reader writes it


def test_the_trend_is_drawn_from_the_daily_snapshots(client, accountant) -> None:  # type: ignore[no-untyped-def]
    for day in (date(2026, 6, 29), date(2026, 6, 30), TODAY):
        take_snapshot(accountant["kauri"], on=day)
    sign_in(client, accountant["user_id"])

    page = client.get(f"/organisations/{accountant['kauri']}", headers=ENGLISH).text

    config = json.loads(
        page.split('<script type="application/json" id="trend-chart">')[1].split("</script>")[0]
    )
    assert config["data"]["labels"] == ["2026-06-29", "2026-06-30", "2026-07-01"]
    over_120 = next(dataset for dataset in config["data"]["datasets"] if dataset["label"] == "Over 120 days")
    assert over_120["data"] == ["4000.00", "4000.00", "4000.00"]  # exact, as strings
    assert "The trend needs at least two" not in page


def test_a_member_may_sync_too(client, accountant, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    connect(session, accountant["kauri"])
    member = User(email="member@kauri.example", name="Member")
    session.add(member)
    session.flush()
    session.add(Membership(user_id=member.id, organisation_id=accountant["kauri"], role=Role.MEMBER.value))
    session.commit()
    sign_in(client, member.id)
    dashboard = f"/organisations/{accountant['kauri']}"

    pressed = client.post(f"{dashboard}/sync", data={"csrf_token": csrf(client.get(dashboard).text)})

    assert pressed.status_code == 303 and jobs.queue("sync").count == 1


def test_an_invoice_a_webhook_brings_shows_on_both_pages_at_once(
    client, accountant, session, redis_client
) -> None:  # type: ignore[no-untyped-def]
    from sync.mirror import upsert_invoices
    from tests.reminders.test_kept_figures import record

    sign_in(client, accountant["user_id"])
    kauri = accountant["kauri"]
    upsert_invoices(session, kauri, [record("i-4", "150.00", date(2026, 6, 1), date(2026, 6, 30))])
    session.commit()
    before = client.get(f"/organisations/{kauri}", headers=ENGLISH).text
    practice_before = client.get("/", headers=ENGLISH).text
    assert list(redis_client.scan_iter("relance:figures:*"))  # both pages' figures are kept

    upsert_invoices(session, kauri, [record("i-5", "50.00", date(2026, 6, 30), date(2026, 7, 30))])
    session.commit()
    after = client.get(f"/organisations/{kauri}", headers=ENGLISH).text
    practice_after = client.get("/", headers=ENGLISH).text

    assert "NZ$5,000.00" in before and "NZ$5,050.00" in after  # 4,850 + 150, then + 50
    assert cells(practice_before, "owed")[1] == "NZ$5,000.00"
    assert cells(practice_after, "owed")[1] == "NZ$5,050.00"


def test_the_dashboard_says_what_needs_a_person_and_links_to_where_it_is_done(
    client, accountant, session
) -> None:  # type: ignore[no-untyped-def]
    from reminders.disputes import Dispute

    customer = session.query(Customer).filter_by(organisation_id=accountant["kauri"], ledger_id="c-2").one()
    session.add(
        Dispute(organisation_id=accountant["kauri"], customer_id=customer.id, invoice_ledger_id="i-2")
    )
    session.commit()
    sign_in(client, accountant["user_id"])

    kauri = client.get(f"/organisations/{accountant['kauri']}", headers=ENGLISH).text
    harbour = client.get(f"/organisations/{accountant['harbour']}", headers=ENGLISH).text

    card = re.search(r'id="needs-a-person">(.*?)</div>', kauri, re.S)
    assert card is not None
    assert f'href="/organisations/{accountant["kauri"]}/disputes"' in card.group(1)
    assert "Open disputes" in card.group(1)
    assert 'id="needs-a-person"' not in harbour


def test_the_practice_view_and_the_dashboard_agree_to_the_cent_in_a_foreign_currency(
    session, accountant
) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from reminders.receivables.overview import practice_figures
    from sync.models import Invoice

    harbour = accountant["harbour"]
    for n in (1, 2):  # each converts to 10.005: rounded per customer 10.00 each, the sum once 20.01
        session.add(
            Customer(organisation_id=harbour, ledger_id=f"usd-{n}", name=f"US {n}", ledger_updated_at=STAMP)
        )
        invoice(session, harbour, f"usd-i-{n}", f"usd-{n}", "10.00", date(2026, 5, 1), date(2026, 5, 31))
        session.flush()
        row = session.query(Invoice).filter_by(ledger_id=f"usd-i-{n}").one()
        row.currency, row.currency_rate = "USD", Decimal("1.0005")
    session.commit()

    dashboard = overview(session, harbour, TODAY).today
    practice = practice_figures(session, {harbour: TODAY})[harbour]

    assert (practice.owed, practice.overdue, practice.over_90) == (
        dashboard.owed,
        dashboard.overdue,
        dashboard.over_90,
    )
