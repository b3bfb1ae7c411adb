"""What needs a person, per organisation: the seam the practice view and the dashboard read.

Each kind of thing a person must act on is one ``AttentionKind`` with one query over all the
organisations asked about (an accountant with fifty clients costs one query per kind, not fifty).
Kinds whose data comes with a later issue are named here, documented, and yield nothing until that
issue fills them: no placeholder numbers.

``label`` is the English sentence (for logs and emails); the web translates by ``kind``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.connections import Connection, ConnectionStatus
from reminders.dispatch.outbox import awaiting_counts, going_today
from reminders.disputes import Dispute
from reminders.fees.models import FeeStatus, LateFee
from reminders.promises import ATTENTION_DAYS, Promise, PromiseStatus
from runtime import clock
from runtime.tenancy import Organisation
from sync.models import SyncCursor
from sync.status import still_filling


class AttentionKind(StrEnum):
    # The ledger refused the connection's grant: someone must connect again.
    NEEDS_RECONNECT = "needs_reconnect"
    # The last sync of a kind of record failed (it is retried; a person may need to look).
    SYNC_FAILED = "sync_failed"
    # The first sync is still reading the ledger: figures are partial until it ends.
    FIRST_SYNC_RUNNING = "first_sync_running"
    # The ledger did not say which time zone the organisation is in: "today" may be wrong.
    ZONE_UNKNOWN = "zone_unknown"
    # Reminders waiting for a person: to approve, or a send that was interrupted to settle.
    AWAITING_APPROVAL = "awaiting_approval"
    # Disputes opened and not closed (raising them from the pages: issue #16).
    OPEN_DISPUTES = "open_disputes"
    # Promises to pay whose day (and grace period) passed without the money, in the last 30 days.
    BROKEN_PROMISES = "broken_promises"
    # Late fees proposed and waiting for a person on the review page (reminders/fees/).
    FEES_AWAITING_REVIEW = "fees_awaiting_review"
    # Accounts-payable addresses customers asked for in the portal, waiting for a person's yes.
    ADDRESSES_AWAITING = "addresses_awaiting"


@dataclass(frozen=True)
class Attention:
    """``count`` things of ``kind`` in one organisation; ``url_endpoint`` is where to act on them
    (a staff-app endpoint taking the ``organisation_id``)."""

    kind: AttentionKind
    count: int
    label: str
    url_endpoint: str


LABELS: dict[AttentionKind, str] = {
    AttentionKind.NEEDS_RECONNECT: "The ledger connection needs reconnecting",
    AttentionKind.SYNC_FAILED: "The last sync failed",
    AttentionKind.FIRST_SYNC_RUNNING: "The first sync is still running",
    AttentionKind.ZONE_UNKNOWN: "The time zone is not known",
    AttentionKind.AWAITING_APPROVAL: "Reminders awaiting approval",
    AttentionKind.OPEN_DISPUTES: "Open disputes",
    AttentionKind.BROKEN_PROMISES: "Broken promises to pay",
    AttentionKind.FEES_AWAITING_REVIEW: "Late fees awaiting review",
    AttentionKind.ADDRESSES_AWAITING: "Reminder addresses awaiting approval",
}

ENDPOINTS: dict[AttentionKind, str] = {
    AttentionKind.NEEDS_RECONNECT: "dashboard.organisation",
    AttentionKind.SYNC_FAILED: "dashboard.organisation",
    AttentionKind.FIRST_SYNC_RUNNING: "dashboard.organisation",
    AttentionKind.ZONE_UNKNOWN: "settings.edit",
    AttentionKind.AWAITING_APPROVAL: "reminders.review",
    AttentionKind.OPEN_DISPUTES: "disputes.index",
    AttentionKind.BROKEN_PROMISES: "customers.index",
    AttentionKind.FEES_AWAITING_REVIEW: "reminders.review",
    AttentionKind.ADDRESSES_AWAITING: "customers.index",
}

Counts = dict[int, int]


def _needs_reconnect(session: Session, ids: list[int]) -> Counts:
    rows = session.execute(
        select(Connection.organisation_id, func.count())
        .where(
            Connection.organisation_id.in_(ids),
            Connection.status == ConnectionStatus.NEEDS_RECONNECT.value,
        )
        .group_by(Connection.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def _sync_failed(session: Session, ids: list[int]) -> Counts:
    # Counted only on connections still active: a lost connection is "needs reconnect" instead.
    rows = session.execute(
        select(Connection.organisation_id, func.count())
        .join(SyncCursor, SyncCursor.connection_id == Connection.id)
        .where(
            Connection.organisation_id.in_(ids),
            Connection.status == ConnectionStatus.ACTIVE.value,
            SyncCursor.last_error != "",
        )
        .group_by(Connection.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def _first_sync_running(session: Session, ids: list[int]) -> Counts:
    # Only where it can run: a lost connection's unfinished first sync waits for the reconnect.
    live = list(
        session.scalars(
            select(Connection.organisation_id).where(
                Connection.organisation_id.in_(ids), Connection.status == ConnectionStatus.ACTIVE.value
            )
        )
    )
    return dict.fromkeys(still_filling(session, live), 1)


def _zone_unknown(session: Session, ids: list[int]) -> Counts:
    # Only once the ledger was asked: before the first facts arrive, nothing is known yet.
    return dict.fromkeys(
        session.scalars(
            select(Organisation.id).where(
                Organisation.id.in_(ids),
                Organisation.timezone_set_by == "default",
                Organisation.facts_refreshed_at.is_not(None),
            )
        ),
        1,
    )


def _awaiting_approval(session: Session, ids: list[int]) -> Counts:
    return awaiting_counts(session, ids)


def _open_disputes(session: Session, ids: list[int]) -> Counts:
    rows = session.execute(
        select(Dispute.organisation_id, func.count())
        .where(Dispute.organisation_id.in_(ids), Dispute.resolved_at.is_(None))
        .group_by(Dispute.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def _broken_promises(session: Session, ids: list[int]) -> Counts:
    # Recent ones only: a break a month old was acted on (the escalation went, the team was told).
    since = clock.today() - timedelta(days=ATTENTION_DAYS)
    rows = session.execute(
        select(Promise.organisation_id, func.count())
        .where(
            Promise.organisation_id.in_(ids),
            Promise.status == PromiseStatus.BROKEN.value,
            Promise.outcome_on >= since,
        )
        .group_by(Promise.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def _not_yet(session: Session, ids: list[int]) -> Counts:
    """A kind whose records a later issue brings: nothing to count yet."""
    return {}


def _fees_awaiting_review(session: Session, ids: list[int]) -> Counts:
    rows = session.execute(
        select(LateFee.organisation_id, func.count())
        .where(LateFee.organisation_id.in_(ids), LateFee.status == FeeStatus.PROPOSED.value)
        .group_by(LateFee.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def _addresses_awaiting(session: Session, ids: list[int]) -> Counts:
    from reminders.portal.contacts import requests_awaiting

    return requests_awaiting(session, ids)


QUERIES: dict[AttentionKind, Callable[[Session, list[int]], Counts]] = {
    AttentionKind.NEEDS_RECONNECT: _needs_reconnect,
    AttentionKind.SYNC_FAILED: _sync_failed,
    AttentionKind.FIRST_SYNC_RUNNING: _first_sync_running,
    AttentionKind.ZONE_UNKNOWN: _zone_unknown,
    AttentionKind.AWAITING_APPROVAL: _awaiting_approval,
    AttentionKind.OPEN_DISPUTES: _open_disputes,
    AttentionKind.BROKEN_PROMISES: _broken_promises,
    AttentionKind.FEES_AWAITING_REVIEW: _fees_awaiting_review,
    AttentionKind.ADDRESSES_AWAITING: _addresses_awaiting,
}


def needing_attention(session: Session, organisation_ids: Iterable[int]) -> dict[int, list[Attention]]:
    """Per organisation, what needs a person, in the order of ``AttentionKind``; an organisation
    with nothing to do has an empty list."""
    ids = list(organisation_ids)
    found: dict[int, list[Attention]] = defaultdict(list)
    if not ids:
        return {}
    for kind in AttentionKind:
        for organisation_id, count in QUERIES[kind](session, ids).items():
            if count:
                found[organisation_id].append(Attention(kind, count, LABELS[kind], ENDPOINTS[kind]))
    return {organisation_id: found.get(organisation_id, []) for organisation_id in ids}


def going_out_today(session: Session, organisation_ids: Iterable[int]) -> dict[int, int] | None:
    """How many reminders each organisation has for its today that have not finished going
    (awaiting approval, ready, or sent today)."""
    return going_today(session, list(organisation_ids))
