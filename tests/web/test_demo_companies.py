"""What the demo connects on each start: nothing that still works, whatever cannot, and one owner
whom both sandboxes' sign-ins reach."""

from __future__ import annotations

from sqlalchemy import func, select

from integration.connections import Connection, ConnectionStatus, LedgerGrant
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.xero.sandbox import XeroSandbox
from runtime.tenancy import AuditEvent, Membership, User, UserIdentity
from web.demo import DemoLedgers
from web.demo_companies import connect_demo_companies, demo_owner

XERO = XeroSandbox(seed="empty")
QUICKBOOKS = QuickBooksSandbox(seed="empty")


def connect(session, xero_restored: bool = True, quickbooks_restored: bool = True) -> list[Connection]:  # type: ignore[no-untyped-def]
    """What a demo start does, with each sandbox restored from its state file or seeded afresh."""
    ledgers = DemoLedgers(XERO, QUICKBOOKS, xero_restored, quickbooks_restored)
    return connect_demo_companies(session, XERO.user.email, ledgers.companies())


def actions(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def grants(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(LedgerGrant))


def test_a_first_start_connects_both_companies_for_one_owner(session) -> None:
    connections = connect(session, False, False)
    session.commit()

    assert sorted(c.provider for c in connections) == ["quickbooks", "xero"]
    owner = session.scalars(select(User)).one()
    assert {m.organisation_id for m in session.scalars(select(Membership))} == {
        c.organisation_id for c in connections
    }
    assert {(i.provider, i.subject) for i in owner.identities} == {
        ("xero", XERO.user.user_id),
        ("quickbooks", QUICKBOOKS.user_id),
    }


def test_a_restart_with_restored_sandboxes_connects_nothing_again(session) -> None:
    connect(session, False, False)
    session.commit()

    connect(session)
    session.commit()

    assert actions(session) == ["connection.connected", "connection.connected"]
    assert grants(session) == 2


def test_a_sandbox_seeded_afresh_or_a_refused_grant_is_connected_again(session) -> None:
    first = {c.provider: c for c in connect(session, False, False)}
    session.commit()
    first["quickbooks"].status = ConnectionStatus.NEEDS_RECONNECT.value
    session.commit()

    again = {c.provider: c for c in connect(session, xero_restored=False)}
    session.commit()

    assert again["xero"].id == first["xero"].id and again["xero"].active
    assert again["quickbooks"].active
    assert actions(session)[2:] == ["connection.reconnected", "connection.reconnected"]


def test_a_company_a_person_disconnected_stays_disconnected(session) -> None:
    first = {c.provider: c for c in connect(session, False, False)}
    first["xero"].status = ConnectionStatus.DISCONNECTED.value
    session.commit()

    connect(session)
    session.commit()

    assert session.get(Connection, first["xero"].id).status == ConnectionStatus.DISCONNECTED.value


def test_a_nameless_person_an_earlier_intuit_sign_in_made_is_folded_into_the_owner(session) -> None:
    stray = User(email="", name="")
    session.add(stray)
    session.add(UserIdentity(user=stray, provider="quickbooks", subject=QUICKBOOKS.user_id))
    session.flush()

    owner = demo_owner(session, XERO.user.email, DemoLedgers(XERO, QUICKBOOKS, True, True).companies())
    session.commit()

    identity = session.scalar(select(UserIdentity).where(UserIdentity.provider == "quickbooks"))
    assert identity.user_id == owner.id != stray.id
