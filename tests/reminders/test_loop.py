"""The collections loop's seams: what the sync saw change reaches the reminders once, and a notice
to the team is sent exactly once, whoever sends it and however often."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from reminders import loop
from reminders.schedules.models import CustomerChasing
from reminders.team_notices import NoticeStatus, TeamNotice, queue_notices, send_team_notice, tell_team
from runtime.tenancy import Membership, Role, User
from sync.changes import AccountChange, take_changes
from sync.models import Customer
from tests.reminders.books import run_jobs


def test_a_payment_the_sync_sees_names_its_customer_to_the_reminders_once(xero, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    paying = xero.customer("Paying Ltd")
    quiet = xero.customer("Quiet Ltd")
    invoice = xero.invoice(paying, "250.00", days_late=10)
    xero.invoice(quiet, "90.00", days_late=10)
    xero.sync()
    xero.session.execute(AccountChange.__table__.delete())
    xero.session.commit()

    xero.sandbox.clock.advance(timedelta(hours=1))
    xero.sandbox.pay_invoice(invoice, Decimal("250.00"))
    xero.sync()

    seen: list[list[str]] = []
    monkeypatch.setattr(
        loop,
        "change_steps",
        lambda: [lambda s, o, customers: seen.append([c.ledger_id for c in customers]) or []],
    )
    assert loop.react_to_account_changes() >= 1
    assert len(seen) == 1 and paying in seen[0]
    assert loop.react_to_account_changes() == 0  # taken: not seen again
    assert len(seen) == 1


def test_a_change_noted_while_the_reaction_works_is_kept_for_the_next_run(xero) -> None:  # type: ignore[no-untyped-def]
    from sync.changes import note_changes

    session = xero.session
    note_changes(session, xero.organisation_id, ["c-1"])
    session.commit()
    assert take_changes(session, xero.organisation_id) == {"c-1"}
    session.rollback()  # the reaction failed: the change is not lost
    assert take_changes(session, xero.organisation_id) == {"c-1"}
    session.commit()
    assert take_changes(session, xero.organisation_id) == set()


def _owner_and_manager(session, organisation_id: int) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    owner = User(email="owner@harbour.example", name="Olive")
    manager = User(email="manager@harbour.example", name="Max")
    session.add_all([owner, manager])
    session.flush()
    session.add_all(
        [
            Membership(user_id=owner.id, organisation_id=organisation_id, role=Role.OWNER.value),
            Membership(user_id=manager.id, organisation_id=organisation_id, role=Role.MEMBER.value),
        ]
    )
    session.commit()
    return owner.email, manager.email, manager.id


def test_a_notice_goes_to_the_owners_and_the_account_manager_once(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    session = xero.session
    contact = xero.customer("Managed Ltd")
    xero.invoice(contact, "10.00", days_late=1)
    xero.sync()
    customer = session.scalar(select(Customer).where(Customer.ledger_id == contact))
    owner, manager, manager_id = _owner_and_manager(session, xero.organisation_id)
    session.add(
        CustomerChasing(
            organisation_id=xero.organisation_id, customer_id=customer.id, account_manager_user_id=manager_id
        )
    )
    session.commit()

    first = tell_team(
        session, xero.organisation_id, "hold.placed:1", "hold.placed", "On hold", "Why.", customer.id
    )
    again = tell_team(
        session, xero.organisation_id, "hold.placed:1", "hold.placed", "On hold", "Why.", customer.id
    )
    session.commit()
    assert first is not None and again is None
    assert set(first.recipients) >= {owner, manager}

    queue_notices([first, first])
    run_jobs()
    results = []
    workers = [threading.Thread(target=lambda: results.append(send_team_notice(first.id))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert results == [False, False]  # the queued job sent it; neither later run sends again
    assert [m["Subject"] for m in mailbox.messages] == ["On hold"]
    session.expire_all()
    assert session.get(TeamNotice, first.id).status == NoticeStatus.SENT
