"""Daily aging snapshots: one row per organisation per day, taken by a nightly job.

Taking a snapshot twice on the same day replaces it, so the job can be retried or run by hand.
"Today" is the organisation's today, in its own timezone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from integration.connections import Connection, ConnectionStatus
from reminders.models import DEFAULT_WEEKLY_REPORT_WEEKDAY, AgingSnapshot, CollectionSettings
from reminders.receivables.aging import AgingBasis, AgingView, Buckets, organisations_aging
from runtime import clock, jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Organisation

log = get_logger(__name__)
# Organisations per snapshot job: a few statements of a few hundred thousand invoices each.
SNAPSHOT_CHUNK = 200


def settings_of(organisation_id: int) -> CollectionSettings:
    """The organisation's collection settings, the defaults if it never chose."""
    return db.session.get(CollectionSettings, organisation_id) or _default_settings(organisation_id)


def _default_settings(organisation_id: int) -> CollectionSettings:
    return CollectionSettings(
        organisation_id=organisation_id,
        aging_edges=[30, 60, 90, 120],
        aging_basis="due_date",
        risk_rules={},
        weekly_report_weekday=DEFAULT_WEEKLY_REPORT_WEEKDAY,
    )


def take_snapshot(organisation_id: int, on: date | None = None) -> int:
    """Store the organisation's aging on ``on`` (its today by default); returns the row id."""
    return take_snapshots([organisation_id], on).get(organisation_id, 0)


def take_snapshots(organisation_ids: Sequence[int], on: date | None = None) -> dict[int, int]:
    """Job: store each organisation's aging on ``on`` (each one's own today by default); returns
    the row ids. Organisations that share a day, a basis and buckets are aged in one statement
    (reminders/receivables/aging.py ``organisations_aging``): a thousand organisations are a
    handful of passes over the invoices, not a thousand queries."""
    session = db.session()
    alike: dict[tuple[date, str, tuple[int, ...]], list[int]] = defaultdict(list)
    chosen_by = {
        chosen.organisation_id: chosen
        for chosen in session.scalars(
            select(CollectionSettings).where(CollectionSettings.organisation_id.in_(organisation_ids))
        )
    }
    for organisation in session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids))):
        chosen = chosen_by.get(organisation.id) or _default_settings(organisation.id)
        day = on or clock.today(organisation.timezone)
        alike[(day, chosen.aging_basis, tuple(chosen.aging_edges))].append(organisation.id)
    taken: dict[int, AgingSnapshot] = {}
    for (day, basis, edges), ids in alike.items():
        buckets = Buckets(edges)
        # Credits netted, as the ledger's aged receivables show it.
        view = AgingView(day, AgingBasis(basis), buckets, credits=True)
        found = organisations_aging(session, ids, [view])
        existing = {
            snapshot.organisation_id: snapshot
            for snapshot in session.scalars(
                select(AgingSnapshot).where(
                    AgingSnapshot.organisation_id.in_(ids), AgingSnapshot.taken_on == day
                )
            )
        }
        for organisation_id in ids:
            aging = found.get(organisation_id)
            totals = aging.totals[0] if aging is not None else [Decimal(0)] * len(buckets.labels)
            snapshot = existing.get(organisation_id) or AgingSnapshot(
                organisation_id=organisation_id, taken_on=day
            )
            snapshot.basis = basis
            snapshot.labels = list(buckets.labels)
            snapshot.amounts = [str(amount) for amount in totals]
            snapshot.total = sum(totals, Decimal(0))
            snapshot.customers = aging.customers[0] if aging is not None else 0
            snapshot.taken_at = clock.now()
            session.add(snapshot)
            taken[organisation_id] = snapshot
            log.info(
                "aging.snapshot", organisation=organisation_id, day=day.isoformat(), total=str(snapshot.total)
            )
    session.commit()
    return {organisation_id: snapshot.id for organisation_id, snapshot in taken.items()}


def snapshot_all() -> int:
    """Periodic job: snapshot jobs for every organisation with a live connection, SNAPSHOT_CHUNK
    organisations a job (a failed job is retried for its own organisations only)."""
    ids = sorted(
        set(
            db.session.scalars(
                select(Connection.organisation_id).where(Connection.status == ConnectionStatus.ACTIVE.value)
            )
        )
    )
    for start in range(0, len(ids), SNAPSHOT_CHUNK):
        jobs.enqueue(take_snapshots, ids[start : start + SNAPSHOT_CHUNK], queue_name="low")
    return len(ids)
