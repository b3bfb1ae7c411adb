"""Collection settings in the web app: owners and accountants change them through a CSRF-protected
form, a wrong value is refused with its reason and nothing saved, every change is audited."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from reminders.logos import check_logo, keep_logo
from reminders.models import CollectionSettings, OrganisationLogo
from reminders.receivables.snapshots import settings_of
from reminders.risk.standing import rules_of
from runtime import clock
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from tests.web.test_receivables import sign_in


def png(width: int = 120, height: int = 40, image_format: str = "PNG") -> bytes:
    """A real image: a green band, as an organisation's logo might be."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (26, 107, 79)).save(out, format=image_format)
    return out.getvalue()


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
    assert "Settings saved." in client.get(path).text


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


def _post(client, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data=data, content_type="multipart/form-data")


def test_an_owner_sets_who_the_reminders_come_from(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = form_of(client, path)
    data.update(sender_name="  Harbour Cafe accounts ", reply_to="accounts@harbour.example")

    assert client.post(path, data=data).status_code == 302

    session.expire_all()
    saved = session.get(CollectionSettings, organisation_id)
    assert (saved.sender_name, saved.reply_to) == ("Harbour Cafe accounts", "accounts@harbour.example")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.details["sender_name"] == "Harbour Cafe accounts"
    assert event.details["reply_to"] == "accounts@harbour.example"
    page = client.get(path).text
    assert 'value="Harbour Cafe accounts"' in page and 'value="accounts@harbour.example"' in page


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("reply_to", "accounts at harbour", "write one email address"),
        ("reply_to", "a@harbour.example, b@harbour.example", "write one email address"),
        ("reply_to", "accounts@harbour.example\r\nBcc: everyone@example.com", "write one email address"),
        ("sender_name", "Harbour\r\nBcc: everyone@example.com", "write the name on one line"),
        ("sender_name", "H" * 101, "100 characters"),
    ],
)
def test_a_sender_that_could_not_be_sent_from_is_refused_beside_its_field(
    client, session, harbour, field: str, value: str, reason: str
) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = form_of(client, path)
    data[field] = value

    answer = client.post(path, data=data)

    assert answer.status_code == 400
    assert re.search(rf'<p id="{field}-error" class="error" role="alert">[^<]*{reason}', answer.text)
    assert f'aria-describedby="{field}-error {field}-help"' in answer.text
    session.expire_all()
    assert session.get(CollectionSettings, organisation_id) is None


def test_each_setting_says_what_it_means_and_the_threshold_its_currency(client, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])

    page = client.get(f"/organisations/{organisation_id}/settings").text

    assert "Large accounts owe at least (NZD)" in page
    assert "An amount in NZD, the organisation&#39;s base currency" in page
    for field in ("sender_name", "reply_to", "logo", "timezone", "aging_edges", "late_days_high"):
        assert f'<p id="{field}-help" class="help">' in page, field
    assert page.count("<fieldset") == 5


@pytest.mark.parametrize("image_format, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_an_owner_uploads_a_logo_and_sees_it(
    client, session, harbour, image_format: str, content_type: str
) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    image = png(image_format=image_format)
    data = {**form_of(client, path), "logo": (io.BytesIO(image), "logo.bin", "application/octet-stream")}

    assert _post(client, path, data).status_code == 302

    page = client.get(path).text
    source = re.search(r'<img class="logo-preview" src="([^"]+)"', page)
    assert source and "The logo of Harbour Cafe Ltd" in page
    shown = client.get(source.group(1).replace("&amp;", "&"))
    assert shown.status_code == 200 and shown.data == image
    assert shown.mimetype == content_type  # what its bytes are, not what the browser said
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in shown.headers["Cache-Control"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.details["logo"] == f"{content_type}, 120x40, {len(image)} bytes"


def test_a_colleague_sees_the_logo_and_a_stranger_does_not(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    keep_logo(session, organisation_id, check_logo(png()))
    stranger = User(email="someone@elsewhere.example")
    session.add(stranger)
    session.commit()

    sign_in(client, people[Role.MEMBER])
    assert client.get(f"/organisations/{organisation_id}/logo").status_code == 200
    sign_in(client, stranger.id)
    assert client.get(f"/organisations/{organisation_id}/logo").status_code == 404


def test_the_owner_removes_the_logo(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    keep_logo(session, organisation_id, check_logo(png()))
    session.commit()
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"

    assert _post(client, path, {**form_of(client, path), "remove_logo": "y"}).status_code == 302

    session.expire_all()
    assert session.get(OrganisationLogo, organisation_id) is None
    assert client.get(f"/organisations/{organisation_id}/logo").status_code == 404
    assert "logo-preview" not in client.get(path).text
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.details["logo"] == "removed"


def _noise(side: int) -> bytes:
    """A PNG that does not compress: random pixels, about 3 bytes a pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", None),  # no file chosen: nothing changes, no error
        (b"GIF89a" + b"\x00" * 100, "the file is not a PNG or JPEG image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PNG or JPEG"),
        (b"%PDF-1.7 not a logo at all", "the file is not a PNG or JPEG image"),
        (png()[:60], "the file is not a readable PNG image"),  # the signature, then cut short
        (b"\xff\xd8\xff\xe0 but no more", "the file is not a readable JPEG image"),
        (png(4001, 10), "4001 by 10 pixels; 4000 on a side at most"),
        (_noise(300), "KB; a logo may be 200 KB at most"),
    ],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_beside_its_field(
    client, session, harbour, content: bytes, reason: str | None
) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = {
        **form_of(client, path),
        "logo": (io.BytesIO(content), "logo.png" if content else "", "image/png"),
    }

    answer = _post(client, path, data)

    session.expire_all()
    assert session.get(OrganisationLogo, organisation_id) is None
    if reason is None:
        assert answer.status_code == 302
        return
    assert answer.status_code == 400
    error = re.search(r'<p id="logo-error" class="error" role="alert">([^<]*)</p>', answer.text)
    assert error and reason in error.group(1)


def test_an_upload_past_the_size_of_a_form_is_a_clear_413(client, session, harbour) -> None:  # type: ignore[no-untyped-def]
    organisation_id, people = harbour
    sign_in(client, people[Role.OWNER])
    path = f"/organisations/{organisation_id}/settings"
    data = {
        **form_of(client, path),
        "logo": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2_000_000), "huge.png"),
    }

    answer = _post(client, path, data)

    assert answer.status_code == 413 and answer.mimetype == "text/html"
    assert "That is too large" in answer.text and "a logo may be 200 KB" in answer.text
    session.expire_all()
    assert session.get(OrganisationLogo, organisation_id) is None
