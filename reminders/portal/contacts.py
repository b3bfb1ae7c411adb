"""Who gets the reminders: the customer names an accounts-payable address in the portal, and the
team approves it before anything goes there.

A request is kept (``AddressRequest``: the address and a name, pending until a person of the
organisation approves or rejects it; a new request replaces one still pending). Until approved,
reminders go where they went: the contact's email in the ledger. Once approved, ``reminder_address``
gives it to the send job and to the portal's fresh links: the ledger stays as it is (Relance does
not change a contact's email in the books; the request and the decision are notes on the contact,
so the accountant sees them where they work, and may copy the address into the ledger).

Approving is for owners and accountants (web/roles.py): an address that receives the dunning of a
customer is what a fraudster would change first, so a person who runs the books says yes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from integration.ledger import NoteTarget
from reminders.models import LedgerNote
from reminders.team_notices import TeamNotice, tell_team
from reminders.writeback import NoteStatus, customer_subject
from runtime import clock
from runtime.db import Base
from runtime.tenancy import record
from sync.models import Customer


class AddressStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPLACED = "replaced"  # by a newer request, before anyone decided


class AddressRequest(Base):
    __tablename__ = "address_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(255), default="")
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(12), default=AddressStatus.PENDING.value)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")


def _contact_note(session: Session, customer: Customer, text: str, seed: str) -> LedgerNote:
    """Relance's note on the customer's contact in the ledger, once per ``seed``."""
    key = hashlib.sha256(seed.encode()).hexdigest()[:32]
    found = session.scalar(select(LedgerNote).where(LedgerNote.key == key))
    if found is not None:
        return found
    note = LedgerNote(
        organisation_id=customer.organisation_id,
        customer_id=customer.id,
        key=key,
        text=text,
        target=NoteTarget.CONTACT.value,
        status=NoteStatus.PENDING,
        attempts=0,
        last_error="",
    )
    session.add(note)
    session.flush()
    return note


def pending_request(session: Session, customer: Customer) -> AddressRequest | None:
    return session.scalar(
        select(AddressRequest).where(
            AddressRequest.organisation_id == customer.organisation_id,
            AddressRequest.customer_id == customer.id,
            AddressRequest.status == AddressStatus.PENDING.value,
        )
    )


def approved_address(session: Session, customer: Customer) -> AddressRequest | None:
    """The newest approved request of the customer, if any."""
    return session.scalar(
        select(AddressRequest)
        .where(
            AddressRequest.organisation_id == customer.organisation_id,
            AddressRequest.customer_id == customer.id,
            AddressRequest.status == AddressStatus.APPROVED.value,
        )
        .order_by(AddressRequest.decided_at.desc(), AddressRequest.id.desc())
        .limit(1)
    )


def reminder_address(session: Session, customer: Customer) -> str | None:
    """Where the customer's reminders go: the address the team approved, else the ledger's email."""
    approved = approved_address(session, customer)
    if approved is not None:
        return approved.email
    return (customer.email or "").strip() or None


def request_address(
    session: Session, customer: Customer, email: str, name: str
) -> tuple[AddressRequest, list[LedgerNote], TeamNotice | None]:
    """The customer asks for reminders to go to ``email``: kept pending (a pending one replaced),
    audited, noted on the contact, the team told. The caller commits, then queues the note and
    the notice."""
    session.execute(
        update(AddressRequest)
        .where(
            AddressRequest.organisation_id == customer.organisation_id,
            AddressRequest.customer_id == customer.id,
            AddressRequest.status == AddressStatus.PENDING.value,
        )
        .values(status=AddressStatus.REPLACED.value, decided_at=clock.now())
    )
    kept = AddressRequest(
        organisation_id=customer.organisation_id,
        customer_id=customer.id,
        email=email.strip()[:320],
        name=name.strip()[:255],
        requested_at=clock.now(),
        status=AddressStatus.PENDING.value,
    )
    session.add(kept)
    session.flush()
    who = f"{kept.name} <{kept.email}>" if kept.name else kept.email
    record(
        session,
        customer.organisation_id,
        "portal.address_requested",
        customer_subject(customer.id),
        None,
        request=kept.id,
        email=kept.email,
        name=kept.name,
    )
    note = _contact_note(
        session,
        customer,
        f"Relance: the customer asked, in their portal, for reminders to go to {who}; awaiting approval.",
        f"address:{kept.id}:requested",
    )
    notice = tell_team(
        session,
        customer.organisation_id,
        f"address:{kept.id}:requested",
        "portal.address_requested",
        f"{customer.name} asks for reminders to go to {kept.email}",
        f"{customer.name} asked, in their portal, for reminders to go to {who}.\n"
        "Nothing goes there until one of the organisation's owners or accountants approves it on the "
        "customer's page in Relance.",
        customer.id,
    )
    return kept, [note], notice


def decide(
    session: Session, request: AddressRequest, approve: bool, user_id: int, note: str = ""
) -> list[LedgerNote]:
    """Approve or reject a pending request (the caller commits, then queues the notes); nothing if
    it was decided already."""
    if request.status != AddressStatus.PENDING.value:
        return []
    customer = session.get(Customer, request.customer_id)
    assert customer is not None
    request.status = (AddressStatus.APPROVED if approve else AddressStatus.REJECTED).value
    request.decided_by_user_id, request.decided_at, request.note = user_id, clock.now(), note.strip()[:1000]
    action = "portal.address_approved" if approve else "portal.address_rejected"
    record(
        session,
        request.organisation_id,
        action,
        customer_subject(customer.id),
        user_id,
        request=request.id,
        email=request.email,
        note=request.note,
    )
    words = "approved: reminders now go there" if approve else "rejected: reminders go where they went"
    return [
        _contact_note(
            session,
            customer,
            f"Relance: the address {request.email} the customer asked reminders to go to was {words}.",
            f"address:{request.id}:{request.status}",
        )
    ]


def requests_awaiting(session: Session, organisation_ids: list[int]) -> dict[int, int]:
    """Per organisation, how many addresses wait for a decision."""
    rows = session.execute(
        select(AddressRequest.organisation_id, func.count())
        .where(
            AddressRequest.organisation_id.in_(organisation_ids),
            AddressRequest.status == AddressStatus.PENDING.value,
        )
        .group_by(AddressRequest.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}
