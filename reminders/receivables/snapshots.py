"""Daily aging snapshots: one row per organisation per day, taken by a nightly job.

Taking a snapshot twice on the same day replaces it, so the job can be retried or run by hand.
"Today" is the organisation's today, in its own timezone.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from integration.connections import Connection, ConnectionStatus
from reminders.models import DEFAULT_WEEKLY_REPORT_WEEKDAY, AgingSnapshot, CollectionSettings
from reminders.receivables.aging import AgingBasis, Buckets, aging_report
from runtime import clock, jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Organisation

log = get_logger(__name__)


def settings_of(organisation_id: int) -> CollectionSettings:
    """The organisation's collection settings, the defaults if it never chose."""
    found = db.session.get(CollectionSettings, organisation_id)
    return found or CollectionSettings(
        organisation_id=organisation_id,
        aging_edges=[30, 60, 90, 120],
        aging_basis="due_date",
        risk_rules={},
        weekly_report_weekday=DEFAULT_WEEKLY_REPORT_WEEKDAY,
    )


def take_snapshot(organisation_id: int, on: date | None = None) -> int:
    """Job: store the organisation's aging on ``on`` (its today by default); returns the row id."""
    session = db.session()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return 0
    chosen = settings_of(organisation_id)
    day = on or clock.today(organisation.timezone)
    report = aging_report(
        session,
        organisation_id,
        day,
        AgingBasis(chosen.aging_basis),
        Buckets(tuple(chosen.aging_edges)),
        credits=True,  # as the ledger's aged receivables show it
    )
    snapshot = session.scalar(
        select(AgingSnapshot).where(
            AgingSnapshot.organisation_id == organisation_id, AgingSnapshot.taken_on == day
        )
    ) or AgingSnapshot(organisation_id=organisation_id, taken_on=day)
    snapshot.basis = chosen.aging_basis
    snapshot.labels = list(report.labels)
    snapshot.amounts = [str(amount) for amount in report.totals]
    snapshot.total = report.total
    snapshot.customers = len(report.customers)
    snapshot.taken_at = clock.now()
    session.add(snapshot)
    session.commit()
    log.info("aging.snapshot", organisation=organisation_id, day=day.isoformat(), total=str(report.total))
    return snapshot.id


def snapshot_all() -> int:
    """Periodic job: a snapshot job for every organisation with a live connection."""
    ids = db.session.scalars(
        select(Connection.organisation_id).where(Connection.status == ConnectionStatus.ACTIVE.value)
    ).all()
    for organisation_id in ids:
        jobs.enqueue(take_snapshot, organisation_id, queue_name="low")
    return len(ids)
