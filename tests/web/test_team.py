"""The team page: inviting by email, accepting the mailed link, changing roles, removing, leaving.

Real parts throughout: the invitation goes through the SMTP server of the ``mailbox`` fixture and
the link in the mail is the one followed; the database is the real one, and every change is read
back from it and from the audit trail.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from runtime import clock
from runtime.tenancy import AuditEvent, Invitation, Membership, Organisation, Role, User
from tests.integration.ledgers import approve
from tests.web.test_connect import callback_path
from tests.web.test_connect import relance as relance  # a fixture
from tests.web.test_connect import xero as xero  # a fixture
from tests.web.test_receivables import sign_in


@pytest.fixture
def cafe(session):  # type: ignore[no-untyped-def]
    """An organisation with its owner, an accountant and a member; and Ana, who is in no team yet."""
    organisation = Organisation(name="Harbour Cafe Ltd", base_currency="NZD", timezone="Pacific/Auckland")
    session.add(organisation)
    session.flush()
    found = {"organisation": organisation.id}
    for role in Role:
        user = User(email=f"{role.value}@harbour.example", name=role.value.capitalize())
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=role.value))
        found[role.value] = user.id
    ana = User(email="Ana.Ngata@Example.com", name="Ana Ngata")
    session.add(ana)
    session.flush()
    found["ana"] = ana.id
    session.commit()
    return found


def csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def team_page(cafe) -> str:  # type: ignore[no-untyped-def]
    return f"/organisations/{cafe['organisation']}/team"


def invite(client, cafe, email: str, role: str = "member"):  # type: ignore[no-untyped-def]
    token = csrf(client, team_page(cafe))
    return client.post(
        f"{team_page(cafe)}/invitations", data={"csrf_token": token, "email": email, "role": role}
    )


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    body = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+(/invitations/\S+)", body).group(1)


def actions(session, organisation_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.organisation_id == organisation_id)
            .order_by(AuditEvent.id)
        )
    )


def test_an_invited_person_follows_the_mailed_link_and_joins_with_the_role(
    app, client, session, cafe, mailbox
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])

    sent = invite(client, cafe, "  ana.ngata@example.com ", "accountant")

    assert sent.status_code == 303
    assert "Invitation sent to ana.ngata@example.com." in client.get(team_page(cafe)).text
    (message,) = mailbox.messages
    assert message["To"] == "ana.ngata@example.com"
    assert message["Subject"] == "Join Harbour Cafe Ltd on Relance"
    assert (
        "invites you to join Harbour Cafe Ltd on Relance as accountant"
        in message.get_body(("plain",)).get_content()
    )
    link = link_in(message)
    assert "ana.ngata@example.com" in client.get(team_page(cafe)).text  # waiting

    ana = app.test_client()
    sign_in(ana, cafe["ana"])
    page = ana.get(link)
    assert page.status_code == 200 and "Accept and join Harbour Cafe Ltd" in page.text
    accepted = ana.post(link, data={"csrf_token": csrf(ana, link)})

    assert accepted.status_code == 303
    session.expire_all()
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == cafe["ana"], Membership.organisation_id == cafe["organisation"]
        )
    )
    assert membership.role == "accountant"
    assert ana.get(team_page(cafe)).status_code == 200
    assert actions(session, cafe["organisation"]) == ["team.invited", "team.joined"]
    # Used: the same link again is a clear page, not a second membership.
    again = ana.get(link)
    assert again.status_code == 410 and "already been used" in again.text


def test_a_signed_out_person_signs_in_first_and_comes_back_to_the_invitation(
    app, client, session, cafe, mailbox
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])
    invite(client, cafe, "ana.ngata@example.com")
    link = link_in(mailbox.messages[0])

    stranger = app.test_client()
    page = stranger.get(link)

    assert page.status_code == 200
    assert "Sign in first" in page.text and "ana.ngata@example.com" in page.text
    with stranger.session_transaction() as kept:
        assert kept["invitation"] == link.rsplit("/", 1)[1]  # connect.callback sends them back to it
    refused = stranger.post(link, data={})
    assert refused.status_code in (302, 400)  # signed out: no membership, whatever the form


def test_the_link_works_only_for_the_address_it_was_sent_to(app, client, session, cafe, mailbox) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])
    invite(client, cafe, "someone.else@example.com")
    link = link_in(mailbox.messages[0])
    ana = app.test_client()
    sign_in(ana, cafe["ana"])

    page = ana.get(link)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = ana.post(link, data={"csrf_token": token})

    assert page.status_code == 403 and "This invitation is for someone.else@example.com" in page.text
    assert refused.status_code == 403 and "ana.ngata@example.com" in refused.text.lower()
    session.expire_all()
    assert session.scalar(select(Membership).where(Membership.user_id == cafe["ana"])) is None


def test_expired_cancelled_and_resent_links_stop_working(app, client, session, cafe, mailbox) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])
    invite(client, cafe, "ana.ngata@example.com")
    first = link_in(mailbox.messages[0])
    invitation_id = session.scalar(select(Invitation.id))
    ana = app.test_client()
    sign_in(ana, cafe["ana"])

    clock.advance(timedelta(days=8))
    sign_in(client, cafe["owner"])  # a week on: new sign-ins
    sign_in(ana, cafe["ana"])
    expired = ana.get(first)
    assert expired.status_code == 410 and "expired" in expired.text
    assert "expired" in client.get(team_page(cafe)).text

    token = csrf(client, team_page(cafe))
    client.post(f"{team_page(cafe)}/invitations/{invitation_id}/resend", data={"csrf_token": token})
    second = link_in(mailbox.messages[1])
    assert second != first
    assert ana.get(first).status_code == 404  # the old link is gone
    assert ana.get(second).status_code == 200

    client.post(f"{team_page(cafe)}/invitations/{invitation_id}/cancel", data={"csrf_token": token})
    cancelled = ana.get(second)
    assert cancelled.status_code == 410 and "cancelled" in cancelled.text
    assert ana.get("/invitations/not-a-token-anyone-was-ever-sent").status_code == 404
    assert actions(session, cafe["organisation"]) == [
        "team.invited",
        "team.invitation_resent",
        "team.invitation_cancelled",
    ]


def test_a_member_can_neither_invite_nor_change_roles(app, client, session, cafe, mailbox) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["member"])
    page = client.get(team_page(cafe))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    invited = client.post(
        f"{team_page(cafe)}/invitations",
        data={"csrf_token": token, "email": "x@example.com", "role": "member"},
    )
    changed = client.post(
        f"{team_page(cafe)}/people/{cafe['accountant']}/role", data={"csrf_token": token, "role": "member"}
    )
    removed = client.post(f"{team_page(cafe)}/people/{cafe['accountant']}/remove", data={"csrf_token": token})

    assert page.status_code == 200 and "Invite someone" not in page.text and "Owner" in page.text
    assert (invited.status_code, changed.status_code, removed.status_code) == (403, 403, 403)
    assert mailbox.messages == []
    assert actions(session, cafe["organisation"]) == []


def test_only_an_owner_makes_owners_and_an_accountant_manages_the_rest(
    client, session, cafe, mailbox
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["accountant"])
    token = csrf(client, team_page(cafe))
    base = team_page(cafe)

    assert (
        client.post(
            f"{base}/invitations", data={"csrf_token": token, "email": "o@example.com", "role": "owner"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/people/{cafe['member']}/role", data={"csrf_token": token, "role": "owner"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/people/{cafe['owner']}/role", data={"csrf_token": token, "role": "member"}
        ).status_code
        == 403
    )
    assert client.post(f"{base}/people/{cafe['owner']}/remove", data={"csrf_token": token}).status_code == 403
    promoted = client.post(
        f"{base}/people/{cafe['member']}/role", data={"csrf_token": token, "role": "accountant"}
    )

    assert promoted.status_code == 303
    session.expire_all()
    assert session.scalar(select(Membership.role).where(Membership.user_id == cafe["member"])) == "accountant"
    assert actions(session, cafe["organisation"]) == ["team.role_changed"]
    event = session.scalar(select(AuditEvent))
    assert (event.subject, event.actor_user_id, event.details) == (
        f"user:{cafe['member']}",
        cafe["accountant"],
        {"before": "member", "after": "accountant"},
    )


def test_the_last_owner_stays_and_others_may_leave(app, client, session, cafe) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])
    token = csrf(client, team_page(cafe))
    base = team_page(cafe)

    demoted = client.post(f"{base}/people/{cafe['owner']}/role", data={"csrf_token": token, "role": "member"})
    left = client.post(f"{base}/leave", data={"csrf_token": token, "confirm": "yes"})
    assert demoted.status_code == 409 and "last owner" in demoted.text
    assert left.status_code == 409 and "last owner" in left.text

    removed = client.post(f"{base}/people/{cafe['member']}/remove", data={"csrf_token": token})
    assert removed.status_code == 303

    accountant = app.test_client()
    sign_in(accountant, cafe["accountant"])
    gone = accountant.post(f"{base}/leave", data={"csrf_token": csrf(accountant, base), "confirm": "yes"})
    assert gone.status_code == 303
    assert accountant.get(base).status_code == 404  # no longer one of its people

    session.expire_all()
    assert set(session.scalars(select(Membership.user_id))) == {cafe["owner"]}
    assert actions(session, cafe["organisation"]) == ["team.removed", "team.left"]


def test_a_bad_address_is_refused_with_a_clear_message(client, session, cafe, mailbox) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])

    bad = invite(client, cafe, "not an address")
    member = invite(client, cafe, "Member@Harbour.example")
    odd_role = invite(client, cafe, "ana@example.com", "emperor")

    assert bad.status_code == 400 and "Give an email address" in bad.text
    assert member.status_code == 400 and "member@harbour.example is already in the team" in member.text
    assert odd_role.status_code == 400 and "Choose a role" in odd_role.text
    assert mailbox.messages == [] and session.scalar(select(Invitation)) is None


def test_signing_in_with_xero_from_an_invitation_comes_back_to_it_and_accepts(
    xero,
    relance,
    session,
    cafe,
    mailbox,  # the fixtures imported above
) -> None:  # type: ignore[no-untyped-def]
    owner = relance.application.test_client()
    sign_in(owner, cafe["owner"])
    invite(owner, cafe, xero.user.email.upper(), "member")  # addresses compare without case
    link = link_in(mailbox.messages[0])

    assert "Sign in with Xero" in relance.get(link).text  # signed out: the token waits in the session
    started = relance.get("/signin/xero")
    location = approve(started.headers["Location"], email=xero.user.email, password=xero.user.password)
    back = relance.get(callback_path(location))

    assert back.status_code == 302 and back.headers["Location"] == link
    page = relance.get(link)
    assert "Accept and join Harbour Cafe Ltd" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert relance.post(link, data={"csrf_token": token}).status_code == 303
    session.expire_all()
    joined = session.scalar(
        select(User)
        .join(Membership)
        .where(
            Membership.organisation_id == cafe["organisation"],
            Membership.role == "member",
            User.id != cafe["member"],
        )
    )
    assert joined.email.lower() == xero.user.email.lower()
    assert "Harbour Cafe Ltd" in relance.get(f"/organisations/{cafe['organisation']}/team").text


def test_the_team_page_and_the_invitation_mail_are_in_french_for_a_french_reader(
    client, session, cafe, mailbox
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}

    page = client.get(team_page(cafe), headers=french)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        f"{team_page(cafe)}/invitations",
        data={"csrf_token": token, "email": "ana@example.com", "role": "member"},
        headers=french,
    )

    assert "Inviter quelqu" in page.text and "Propriétaire" in page.text and "Expert-comptable" in page.text
    assert mailbox.messages[0]["Subject"] == "Rejoignez Harbour Cafe Ltd sur Relance"


def test_invitations_are_limited_to_a_few_a_minute(client, session, cafe, mailbox, redis_client) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, cafe["owner"])
    token = csrf(client, team_page(cafe))

    answers = [
        client.post(
            f"{team_page(cafe)}/invitations",
            data={"csrf_token": token, "email": f"person{n}@example.com", "role": "member"},
        ).status_code
        for n in range(22)
    ]

    assert answers[:20] == [303] * 20 and answers[20:] == [429, 429]
    assert len(mailbox.messages) == 20


def test_a_mail_server_that_does_not_answer_leaves_the_invitation_to_resend(
    client, session, cafe, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from runtime.settings import reload_settings
    from tests.conftest import free_port

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    reload_settings()
    sign_in(client, cafe["owner"])

    sent = invite(client, cafe, "ana@example.com")
    page = client.get(team_page(cafe)).text

    assert sent.status_code == 303
    assert "the mail could not be sent: try Resend in a moment" in page
    assert "ana@example.com" in page and "Resend" in page
