"""The schedule pages: the list and what would go out today, a stage edited and planned as edited,
the editor's messages when a value or a message is wrong, the preview for a real customer (and
nothing of Python in it), applying a schedule to other organisations, and tenancy."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from reminders.dispatch.models import ReminderAction
from reminders.models import CollectionSettings
from reminders.schedules.defaults import DEFAULT_SCHEDULE
from reminders.schedules.models import Schedule, Stage, schedule_from
from reminders.schedules.planner import plan_organisation
from runtime.tenancy import AuditEvent, Membership, Organisation, User
from sync.models import Invoice
from tests.web.test_customers import TODAY, books, today  # noqa: F401  (fixtures)
from tests.web.test_receivables import sign_in
from web.headers import ISOLATED_POLICY

EN = {"Accept-Language": "en-NZ"}
FR = {"Accept-Language": "fr-FR"}


@pytest.fixture
def harbour(session, books):  # noqa: F811  # type: ignore[no-untyped-def]
    """Harbour Cafe's books with the default schedule."""
    schedule = schedule_from(DEFAULT_SCHEDULE, books["harbour"], "en", is_default=True)
    session.add(schedule)
    # What the sync keeps for an open invoice with nothing paid: all of it still due.
    session.execute(update(Invoice).where(Invoice.status == "open").values(amount_due=Invoice.total))
    session.commit()
    return {**books, "schedule": schedule.id, "stages": {stage.key: stage.id for stage in schedule.stages}}


def csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(path, headers=EN)
    assert page.status_code == 200, page.text[:300]
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def base(harbour) -> str:  # type: ignore[no-untyped-def]
    return f"/organisations/{harbour['harbour']}/schedules"


def stage_form(session, stage_id: int, **changes):  # type: ignore[no-untyped-def]
    """A stage's form as the page posts it, with ``changes``."""
    stage = session.get(Stage, stage_id)
    values = {
        "name_en": stage.names.get("en", ""),
        "name_fr": stage.names.get("fr", ""),
        "anchor": stage.anchor,
        "days": str(stage.days),
        "until_days": "" if stage.until_days is None else str(stage.until_days),
        "repeat_every": "" if stage.repeat_every is None else str(stage.repeat_every),
        "repeat_times": str(stage.repeat_times),
        "channels": list(stage.channels),
        "min_overdue": str(stage.min_overdue),
        "deadline_days": "" if stage.deadline_days is None else str(stage.deadline_days),
        **{
            name: "y"
            for name in ("attach_statement", "attach_invoices", "needs_approval", "large_accounts_call")
            if getattr(stage, name)
        },
    }
    values.update(changes)
    return {f"stage-{stage_id}-{name}": value for name, value in values.items() if value is not None}


def test_the_list_shows_each_schedule_in_words_and_what_would_go_out_today(client, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])

    page = client.get(base(harbour), headers=EN)

    assert page.status_code == 200
    assert "Default" in page.text and "Every customer no other schedule is for" in page.text
    assert "7 days before due · email · a call for large accounts" in page.text
    assert "1\u201315 days late · email · invoice links" in page.text
    going = page.text[page.text.index('id="today"') :]
    # Tui is 30 days late (the day-28 call), Kea 5 (the inquiry); Moa, 95 days late, gets the
    # past-due notice (to day 119, until the hold notices come); Weta owes nothing.
    for name, number in (("Tui Catering", "INV-0101"), ("Kea Books", "INV-0110"), ("Moa Motors", "INV-0077")):
        assert name in going and number in going
    assert "<li>Polite inquiry: 1</li>" in going and "<li>Call on day 28: 1</li>" in going
    assert "Weta Works" not in going
    # Nothing was written: the outbox is as empty as before.
    assert client.application and not list(harbour_actions(harbour))


def test_what_goes_out_today_still_lists_what_the_planner_already_planned(client, harbour, session) -> None:  # type: ignore[no-untyped-def]
    from reminders.schedules.planner import plan_organisation
    from runtime import clock
    from runtime.tenancy import Organisation

    organisation = session.get(Organisation, harbour["harbour"])
    assert plan_organisation(session, organisation.id, clock.today(organisation.timezone)) > 0
    sign_in(client, harbour["owner"])

    going = client.get(base(harbour), headers=EN).text
    going = going[going.index('id="today"') :]

    assert "Nothing would go out today" not in going
    for name in ("Tui Catering", "Kea Books", "Moa Motors"):
        assert name in going


def harbour_actions(harbour):  # type: ignore[no-untyped-def]
    from runtime.db import db

    return db.session.scalars(
        select(ReminderAction).where(ReminderAction.organisation_id == harbour["harbour"])
    )


def test_a_stage_edited_is_what_the_planner_plans(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    inquiry = harbour["stages"]["inquiry"]
    token = csrf(client, f"{base(harbour)}/{harbour['schedule']}")

    # Kea owes 40, 5 days late: from now on the inquiry goes by letter, and from 30 overdue only.
    answer = client.post(
        f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}",
        data={"csrf_token": token, **stage_form(session, inquiry, channels=["letter"], min_overdue="30")},
    )
    assert answer.status_code == 302, answer.text[:2000]
    session.expire_all()
    assert session.get(Stage, inquiry).channels == ["letter"]
    assert session.get(Stage, inquiry).min_overdue == Decimal("30")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "schedule.changed"))
    assert event is not None and event.details["stage"] == "inquiry" and "channels" in event.details

    plan_organisation(session, harbour["harbour"], TODAY)
    kea = harbour["customers"]["Kea Books"]
    planned = session.scalars(select(ReminderAction).where(ReminderAction.customer_id == kea)).all()
    assert [(action.stage_key, action.channel) for action in planned] == [("inquiry", "letter")]

    # Raised above what Kea owes: the stage no longer goes to them.
    session.execute(ReminderAction.__table__.delete())
    session.commit()
    client.post(
        f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}",
        data={"csrf_token": token, **stage_form(session, inquiry, min_overdue="50")},
    )
    plan_organisation(session, harbour["harbour"], TODAY)
    assert session.scalars(select(ReminderAction).where(ReminderAction.customer_id == kea)).all() == []


def test_each_stage_of_the_default_saves_as_shown(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    token = csrf(client, f"{base(harbour)}/{harbour['schedule']}")
    for key, stage_id in harbour["stages"].items():
        answer = client.post(
            f"{base(harbour)}/{harbour['schedule']}/stages/{stage_id}",
            data={"csrf_token": token, **stage_form(session, stage_id)},
            headers=EN,
        )
        assert answer.status_code == 302, (key, re.findall(r'class="error"[^>]*>([^<]+)<', answer.text))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"days": "400"}, "a number of days, 0 to 365"),
        ({"days": "20", "until_days": "16"}, "must be more days than the stage starts at"),
        ({"repeat_every": "", "repeat_times": "2"}, "a repeat needs an interval"),
        ({"channels": []}, "choose at least one channel"),
        ({"min_overdue": "-5"}, "an amount of 0 or more"),
        ({"min_overdue": "NaN"}, "give an amount, such as 500"),
    ],
)
def test_a_wrong_stage_is_refused_with_what_is_wrong(client, session, harbour, changes, message) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    inquiry = harbour["stages"]["inquiry"]
    token = csrf(client, f"{base(harbour)}/{harbour['schedule']}")

    answer = client.post(
        f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}",
        data={"csrf_token": token, **stage_form(session, inquiry, **changes)},
        headers=EN,
    )

    assert answer.status_code == 400
    assert message in answer.text
    session.expire_all()
    assert session.get(Stage, inquiry).days == 1 and session.get(Stage, inquiry).channels == ["email"]


def test_the_minimum_is_in_the_organisation_currency(client, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    page = client.get(f"{base(harbour)}/{harbour['schedule']}", headers=EN)
    assert "Minimum overdue amount (NZD)" in page.text


def test_the_only_default_stays_the_default(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    path = f"{base(harbour)}/{harbour['schedule']}"
    token = csrf(client, path)

    answer = client.post(
        path,
        data={"csrf_token": token, "schedule-name": "Gentle", "schedule-minimum_gap_days": "4"},
        headers=EN,
    )

    assert answer.status_code == 400 and "one default schedule" in answer.text
    # A second schedule made the default takes it over.
    client.post(f"{base(harbour)}/new", data={"csrf_token": token})
    second = session.scalar(select(Schedule).where(Schedule.id != harbour["schedule"]))
    assert second is not None and not second.is_default and second.name.startswith("Copy of")
    client.post(
        f"{base(harbour)}/{second.id}",
        data={
            "csrf_token": token,
            "schedule-name": "Large accounts",
            "schedule-minimum_gap_days": "5",
            "schedule-is_default": "y",
            "schedule-segments": "large",
        },
    )
    session.expire_all()
    defaults = session.scalars(select(Schedule.id).where(Schedule.is_default.is_(True))).all()
    assert defaults == [second.id]
    assert session.get(Schedule, second.id).segments == ["large"]


def test_message_problems_are_shown_by_line_in_the_reader_language(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    inquiry = harbour["stages"]["inquiry"]
    path = f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}/messages"
    token = csrf(client, path)
    before = dict(session.get(Stage, inquiry).messages)
    data = {
        "csrf_token": token,
        "subject_en": "About {{ custmer_name }}",
        "body_en": "Hello,\n\nyou owe {{ total_due }\n",
        "subject_fr": "Bonjour",
        "body_fr": "Bonjour",
    }

    english = client.post(path, data=data, headers=EN)
    french = client.post(path, data=data, headers=FR)

    assert english.status_code == 400
    assert "Subject: unknown placeholder “custmer_name”" in english.text
    assert "Body, line 3:" in english.text
    assert "Objet : champ inconnu « custmer_name »" in french.text
    assert "Corps, ligne 3 :" in french.text
    # An email stage without its English message is refused too.
    empty = client.post(path, data={"csrf_token": token, "subject_en": " ", "body_en": ""}, headers=EN)
    assert empty.status_code == 400 and "a stage that emails or writes needs this in English" in empty.text
    session.expire_all()
    assert session.get(Stage, inquiry).messages == before


def test_a_message_saved_is_the_one_previewed(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    inquiry = harbour["stages"]["inquiry"]
    path = f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}"
    token = csrf(client, f"{path}/messages")

    saved = client.post(
        f"{path}/messages",
        data={
            "csrf_token": token,
            "subject_en": "{{ customer_name }}: {{ total_overdue }} overdue",
            "body_en": "Dear {{ contact_name }},\n\n{{ invoices_table }}\n",
            "subject_fr": "{{ customer_name }} : {{ total_overdue }} échus",
            "body_fr": "Madame, Monsieur,\n\n{{ invoices_table }}\n",
        },
    )
    assert saved.status_code == 302, saved.text[:2000]

    # By default, the customer with the largest overdue balance: Moa Motors.
    preview = client.get(f"{path}/preview", headers=EN)
    assert preview.status_code == 200
    subject = re.search(r'id="preview-subject">([^<]*)<', preview.text).group(1)
    assert subject == "Moa Motors: NZ$1,000.00 overdue"
    assert "INV-0077" in preview.text and 'sandbox=""' in preview.text
    # The HTML is a document of its own in a sandboxed frame, never markup of this page; its own
    # policy lets its inline styles apply and nothing in it run or load.
    assert "<table" not in preview.text.split("<iframe")[0].split("<main")[1].replace('<table class="', "")
    frame = re.search(r'<iframe[^>]* src="([^"]+)"', preview.text).group(1).replace("&amp;", "&")
    html = client.get(frame, headers=EN)
    assert html.status_code == 200 and "<table" in html.text and "INV-0077" in html.text
    assert html.headers["Content-Security-Policy"] == ISOLATED_POLICY

    tui = harbour["customers"]["Tui Catering"]
    french = client.get(f"{path}/preview?customer={tui}&language=fr", headers=EN)
    # An escalation names what is late: INV-0102 is not due yet.
    assert "INV-0101" in french.text and "INV-0102" not in french.text
    assert "250,00" in french.text and "échus" in french.text


def test_a_template_reaching_for_python_renders_nothing_of_it(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    inquiry = harbour["stages"]["inquiry"]
    path = f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}"
    attack = "{{ ''.__class__.__mro__ }}|{{ cycler.__init__.__globals__ }}|{{ config }}|{{ self }}"
    token = csrf(client, f"{path}/messages")

    refused = client.post(
        f"{path}/messages", data={"csrf_token": token, "subject_en": "Hi", "body_en": attack}, headers=EN
    )
    assert refused.status_code == 400 and "cannot be used in a message" in refused.text

    # Kept anyway (as an older version of the editor might have): the preview still shows nothing.
    stage = session.get(Stage, inquiry)
    stage.messages = {"en": {"subject": "Hi {{ ''.__class__ }}", "body": attack}}
    session.commit()
    preview = client.get(f"{path}/preview?language=en", headers=EN)
    assert preview.status_code == 200
    for leak in ("&lt;class", "<class", "mro", "__globals__", "SECRET_KEY", "builtins", "TemplateReference"):
        assert leak not in preview.text


def test_a_schedule_applied_to_other_organisations_is_copied_where_the_person_runs_the_books(
    client, session, harbour
) -> None:  # type: ignore[no-untyped-def]
    other = harbour["other"]
    third = Organisation(name="Totara Travel", base_currency="NZD")
    session.add(third)
    session.flush()
    session.add_all(
        [
            Membership(user_id=harbour["owner"], organisation_id=other, role="accountant"),
            Membership(user_id=harbour["owner"], organisation_id=third.id, role="member"),
        ]
    )
    # Kauri has a schedule of the same name (its default), which the copy replaces in place.
    kauri = schedule_from(DEFAULT_SCHEDULE, other, "en", is_default=True)
    kauri.stages = kauri.stages[:1]
    session.add(kauri)
    session.commit()
    sign_in(client, harbour["owner"])
    path = f"{base(harbour)}/{harbour['schedule']}/apply"

    page = client.get(path, headers=EN)
    assert "Kauri Builders" in page.text and "replaces its schedule" in page.text
    form = page.text[page.text.index('<form method="post">') :]
    assert "Totara Travel" not in form  # a member there: not theirs to change
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    refused = client.post(path, data={"csrf_token": token, "organisation": [str(other), str(third.id)]})
    assert refused.status_code == 403
    answer = client.post(path, data={"csrf_token": token, "organisation": [str(other)]})
    assert answer.status_code == 302
    shown = client.get(base(harbour), headers=EN)
    assert "replaced the schedule of the same name in Kauri Builders" in shown.text

    session.expire_all()
    copies = session.scalars(select(Schedule).where(Schedule.organisation_id == other)).all()
    assert [(c.id, c.is_default, c.copied_from_id) for c in copies] == [(kauri.id, True, harbour["schedule"])]
    assert len(copies[0].stages) == len(DEFAULT_SCHEDULE.stages)
    assert session.scalars(select(Schedule).where(Schedule.organisation_id == third.id)).all() == []
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "schedule.applied"))
    assert event.organisation_id == other and event.details["replaced"] is True


def test_members_see_the_schedules_but_do_not_change_them(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    member = User(email="sam@harbour.example", name="Sam")
    session.add(member)
    session.flush()
    session.add(Membership(user_id=member.id, organisation_id=harbour["harbour"], role="member"))
    session.commit()
    sign_in(client, member.id)
    inquiry = harbour["stages"]["inquiry"]

    listing = client.get(base(harbour), headers=EN)
    assert listing.status_code == 200 and "What would go out today" in listing.text
    assert "New schedule" not in listing.text
    assert client.get(f"{base(harbour)}/{harbour['schedule']}").status_code == 403
    assert client.get(f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}/preview").status_code == 200
    token = csrf(client, base(harbour))
    removing = client.post(
        f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}/remove", data={"csrf_token": token}
    )
    assert removing.status_code == 403


def test_another_organisation_schedule_is_not_found(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    theirs = schedule_from(DEFAULT_SCHEDULE, harbour["other"], "en", is_default=True)
    session.add(theirs)
    session.commit()
    sign_in(client, harbour["owner"])
    their_stage = theirs.stages[0].id

    assert client.get(f"{base(harbour)}/{theirs.id}").status_code == 404
    assert client.get(f"{base(harbour)}/{theirs.id}/stages/{their_stage}/preview").status_code == 404
    assert (
        client.get(f"{base(harbour)}/{harbour['schedule']}/stages/{their_stage}/messages").status_code == 404
    )
    rimu = session.scalar(select(Organisation.id).where(Organisation.id == harbour["other"]))
    assert client.get(f"/organisations/{rimu}/schedules").status_code == 404
    inquiry = harbour["stages"]["inquiry"]
    other_customer = 10**6
    assert (
        client.get(
            f"{base(harbour)}/{harbour['schedule']}/stages/{inquiry}/preview?customer={other_customer}"
        ).status_code
        == 404
    )


def test_stages_are_added_moved_and_removed(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    path = f"{base(harbour)}/{harbour['schedule']}"
    token = csrf(client, path)
    keys = lambda: [s.key for s in session.get(Schedule, harbour["schedule"]).stages]  # noqa: E731
    first = keys()

    client.post(f"{path}/stages", data={"csrf_token": token})
    session.expire_all()
    assert keys() == [*first, f"stage-{len(first) + 1}"]
    inquiry = harbour["stages"]["inquiry"]
    client.post(f"{path}/stages/{inquiry}/move", data={"csrf_token": token, "direction": "up"})
    session.expire_all()
    assert keys()[:2] == ["inquiry", first[0]]
    client.post(f"{path}/stages/{inquiry}/remove", data={"csrf_token": token})
    session.expire_all()
    assert "inquiry" not in keys() and session.get(Stage, inquiry) is None


def test_reminder_settings_are_kept_and_checked(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, harbour["owner"])
    path = f"/organisations/{harbour['harbour']}/settings"
    page = client.get(path, headers=EN)
    assert "A newly connected organisation starts in review" in page.text
    assert "Pacific/Auckland" in page.text
    form = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page.text))
    form.update({"aging_basis": "due_date", "weekly_report_weekday": "0", "timezone": ""})
    form.update({"sending_mode": "automatic", "send_time": "25:00", "fresh_sync_hours": "0"})

    wrong = client.post(path, data=form, headers=EN)
    assert wrong.status_code == 400
    assert "write a time of day as HH:MM" in wrong.text and "a number of hours, 1 to 168" in wrong.text

    form.update({"send_time": "08:30", "fresh_sync_hours": "12"})
    assert client.post(path, data=form).status_code == 302
    kept = session.get(CollectionSettings, harbour["harbour"])
    assert (kept.sending_mode, kept.send_time, kept.fresh_sync_hours) == ("automatic", "08:30", 12)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.changed"))
    assert event.details["sending_mode"] == "automatic" and event.details["send_time"] == "08:30"


def test_the_backtest_page_says_what_the_schedule_would_have_done(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    """Harbour Cafe's year: its overdue invoices would have been chased; nothing is planned."""
    from reminders.schedules.backtest import backtest

    sign_in(client, harbour["owner"])
    path = f"{base(harbour)}/{harbour['schedule']}/backtest"
    expected = backtest(session, harbour["harbour"], harbour["schedule"], TODAY)
    assert expected.messages > 0

    page = client.get(path, headers=EN)

    assert page.status_code == 200
    name = session.get(Schedule, harbour["schedule"]).name
    assert f"What “{name}” would have done" in page.text
    figures = dict(
        re.findall(
            r'data-figure="([a-z-]+)"><div class="label">[^<]+</div><div class="value">(\d+)<', page.text
        )
    )
    assert figures == {
        "messages": str(expected.messages),
        "customers": str(expected.customers_reached),
        "invoices": str(expected.invoices_named),
        "paid-soon": str(expected.paid_within_a_week),
    }
    for stage in expected.stages:
        assert stage.name in page.text
    assert session.scalars(select(ReminderAction)).all() == []  # nothing planned
    assert "Worked out at" in page.text
    assert f'href="{base(harbour)}/{harbour["schedule"]}"' in page.text  # the owner may change it
    assert f"Ce que « {name} » aurait fait" in client.get(path, headers=FR).text
    # Another organisation's schedule is not found from here.
    theirs = schedule_from(DEFAULT_SCHEDULE, harbour["other"], "en", is_default=True)
    session.add(theirs)
    session.commit()
    assert client.get(f"{base(harbour)}/{theirs.id}/backtest", headers=EN).status_code == 404
    assert client.get(
        f"/organisations/{harbour['other']}/schedules/{theirs.id}/backtest", headers=EN
    ).status_code in (403, 404)
    # The schedule list links to it.
    assert f'href="{path}"' in client.get(base(harbour), headers=EN).text


def test_large_books_are_backtested_by_a_job_while_the_page_waits(
    client, session, harbour, redis_client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Over INLINE_INVOICES the page queues one job (however often it is opened), says it is
    working and refreshes itself; a real worker works it out and the page then shows it, kept.
    "Work it out again" drops what was kept."""
    from reminders.schedules import backtest_runs
    from tests.reminders.books import run_jobs

    monkeypatch.setattr(backtest_runs, "INLINE_INVOICES", 0)
    sign_in(client, harbour["owner"])
    path = f"{base(harbour)}/{harbour['schedule']}/backtest"

    first = client.get(path, headers=EN)
    again = client.get(path, headers=EN)
    assert first.status_code == again.status_code == 200
    assert 'id="backtest-working"' in first.text and 'http-equiv="refresh"' in first.text
    assert sum(1 for _ in redis_client.scan_iter("rq:job:backtest-*")) == 1  # one job for both

    run_jobs()
    shown = client.get(path, headers=EN)
    assert 'id="backtest-working"' not in shown.text and 'data-figure="messages"' in shown.text
    assert sum(1 for _ in redis_client.scan_iter("relance:backtest:*")) == 1

    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.text).group(1)
    assert client.post(path, data={}, headers=EN).status_code == 400  # no CSRF token, nothing dropped
    assert client.post(path, data={"csrf_token": token}, headers=EN).status_code == 303
    assert sum(1 for _ in redis_client.scan_iter("relance:backtest:*")) == 0
    assert 'id="backtest-working"' in client.get(path, headers=EN).text  # queued again
