"""Write-back to the ledger: what Relance's people write in Relance, put where the accountant works.

Today: the notes people write on a customer's page, written to the ledger as notes on the contact
(Xero History and Notes, a QuickBooks note on the customer). Later (reminder schedules and
dispatch; promises, disputes, holds): what Relance did, turned into notes the same way.

A note is kept (``LedgerNote``, with its audit event) in the request that takes it, and the job
``write_note_to_ledger`` writes it: once, never twice, never lost. The job holds the note's row
locked while it calls the ledger, writes only a pending note, and marks it written in the
transaction it commits after the call, so a second run (or a second worker) finds it written and
does nothing. A call that fails is counted and retried by RQ; when the retries are spent the note
stays, failed, with the reason, for the timeline to show. Only the Ledger interface is used: the
wire formats stay in integration/.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from rq import get_current_job
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integration.connections import Connection, ledger_for
from integration.ledger import NoteTarget
from reminders.models import LedgerNote
from runtime import clock, jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import record
from sync.models import Customer

log = get_logger(__name__)

NOTE_ACTION = "customer.note"
# How long a pending note is left to the job its request queued before the sweep queues it again.
PENDING_GRACE = timedelta(minutes=10)
LONGEST_NOTE = 2000
# A note's key is made with the form it is written in: 32 hexadecimal digits (a UUID's).
KEY_FORMAT = re.compile(r"[0-9a-f]{32}")


class NoteStatus:
    PENDING = "pending"
    WRITTEN = "written"
    FAILED = "failed"


def subject_of(customer: Customer) -> str:
    """How the audit trail names a customer."""
    return customer_subject(customer.id)


def customer_subject(customer_id: int) -> str:
    """How the audit trail names the customer ``customer_id``."""
    return f"customer:{customer_id}"


def record_note(
    session: Session, customer: Customer, author_user_id: int, text: str, key: str
) -> tuple[LedgerNote, bool]:
    """Keep a note on ``customer`` by its author, to be written to the ledger; (note, new).

    A note whose ``key`` is already kept is that note (``new`` False): the same form sent twice
    is one note. The caller commits, then queues ``write_note_to_ledger`` for a new note.
    """
    if not KEY_FORMAT.fullmatch(key):
        raise ValueError("a note's key is 32 hexadecimal digits")
    found = session.scalar(select(LedgerNote).where(LedgerNote.key == key))
    if found is not None:
        return found, False
    event = record(
        session, customer.organisation_id, NOTE_ACTION, subject_of(customer), author_user_id, text=text
    )
    note = LedgerNote(
        organisation_id=customer.organisation_id,
        customer_id=customer.id,
        key=key,
        text=text,
        status=NoteStatus.PENDING,
        attempts=0,
        last_error="",
    )
    try:
        with session.begin_nested():
            session.flush()
            note.audit_event_id = event.id
            session.add(note)
            session.flush()
    except IntegrityError:
        # The same form, sent twice at once: the other request kept it.
        kept = session.scalar(select(LedgerNote).where(LedgerNote.key == key))
        if kept is None:
            raise
        return kept, False
    return note, True


def record_invoice_notes(
    session: Session, customer: Customer, invoice_ledger_ids: list[str], text: str, seed: str
) -> list[LedgerNote]:
    """Keep Relance's note ``text`` for each of ``invoice_ledger_ids`` of ``customer``, to be
    written to the ledger on each invoice; the caller commits, then queues their writes.

    ``seed`` names what the notes record (a reminder's outbox key): the same seed and invoice are
    one note, however many times this is called. Returns the notes new to this call.
    """
    made: list[LedgerNote] = []
    for invoice_ledger_id in invoice_ledger_ids:
        key = hashlib.sha256(f"{seed}|{invoice_ledger_id}".encode()).hexdigest()[:32]
        if session.scalar(select(LedgerNote.id).where(LedgerNote.key == key)) is not None:
            continue
        note = LedgerNote(
            organisation_id=customer.organisation_id,
            customer_id=customer.id,
            key=key,
            text=text,
            target=NoteTarget.INVOICE.value,
            invoice_ledger_id=invoice_ledger_id,
            status=NoteStatus.PENDING,
            attempts=0,
            last_error="",
        )
        session.add(note)
        made.append(note)
    session.flush()
    return made


def queue_writes(notes: list[LedgerNote]) -> None:
    """Queue the write of each note (after the transaction that kept them committed)."""
    for note in notes:
        jobs.enqueue_once(write_note_to_ledger, note.id, job_id=note_job_id(note))


def note_job_id(note: LedgerNote) -> str:
    """One queued write per note: queuing it again while it waits does nothing."""
    return f"ledger-note-{note.id}"


def write_note_to_ledger(note_id: int) -> None:
    """Write one kept note to the ledger as a note on the customer's contact, if it is still pending."""
    session = db.session
    note = session.scalar(select(LedgerNote).where(LedgerNote.id == note_id).with_for_update())
    if note is None or note.status != NoteStatus.PENDING:
        session.rollback()
        return
    customer = session.get(Customer, note.customer_id)
    connection = session.scalar(
        select(Connection)
        .where(Connection.organisation_id == note.organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )
    try:
        if customer is None or customer.organisation_id != note.organisation_id:
            raise LookupError("the customer is no longer in the mirror")
        if connection is None:
            raise LookupError("the organisation has no ledger connection")
        ledger = ledger_for(connection, jobs.connection())
        if note.target == NoteTarget.INVOICE.value and note.invoice_ledger_id:
            ledger.write_note(NoteTarget.INVOICE, note.invoice_ledger_id, note.text)
        else:
            ledger.write_note(NoteTarget.CONTACT, customer.ledger_id, note.text)
    except Exception as error:
        session.rollback()
        _count_failure(note_id, error)
        raise
    note.status = NoteStatus.WRITTEN
    note.attempts += 1
    note.last_error = ""
    note.written_at = clock.now()
    session.commit()
    log.info("writeback.note_written", note=note_id, organisation=note.organisation_id)


def requeue_pending_notes() -> int:
    """Queue the write of every note still pending a while after it was kept, unless its job waits.

    The safety net under the request that queued it: a note kept while Redis was away, or whose
    job was lost, is written all the same. Returns how many were queued.
    """
    since = clock.now() - PENDING_GRACE
    pending = db.session.scalars(
        select(LedgerNote).where(LedgerNote.status == NoteStatus.PENDING, LedgerNote.created_at < since)
    ).all()
    queued = 0
    for note in pending:
        if jobs.enqueue_once(write_note_to_ledger, note.id, job_id=note_job_id(note)) is not None:
            queued += 1
    return queued


def _count_failure(note_id: int, error: Exception) -> None:
    """Say on the note that this attempt failed, and why; failed for good once no retry is left."""
    session = db.session
    note = session.scalar(select(LedgerNote).where(LedgerNote.id == note_id).with_for_update())
    if note is None or note.status != NoteStatus.PENDING:
        session.rollback()
        return
    job = get_current_job()
    retries_left = job.retries_left if job is not None else None
    note.attempts += 1
    note.last_error = (str(error) or type(error).__name__)[:500]
    if not retries_left:
        note.status = NoteStatus.FAILED
    session.commit()
    log.warning(
        "writeback.note_failed",
        note=note_id,
        attempts=note.attempts,
        error=type(error).__name__,
        last=not retries_left,
    )
