"""Each customer's standing (risk class and payment behaviour), kept up to date by jobs.

Schedules, credit holds and the web app read ``CustomerStanding`` rows instead of recomputing
risk on every request. An organisation is reassessed shortly after a sync changes its mirror
(``assess_changed``, every minute, watching ``SyncCursor.last_change_at``) and every night
(``assess_all``), because dates move overnight: an invoice falls due, a late payment leaves
the twelve-month window, and classes change with nothing synced.

Reassessing replaces the organisation's standings as a whole: customers no longer assessed
(paid up, nothing settled in the last year) lose theirs. Running it twice does no harm.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, or_, select

from integration.connections import Connection, ConnectionStatus
from reminders.models import CollectionSettings, CustomerStanding
from reminders.receivables.snapshots import settings_of
from reminders.risk.classes import Evidence, RiskRules, assess_customers
from runtime import clock, jobs
from runtime.db import db, upsert
from runtime.logs import get_logger
from runtime.tenancy import Organisation
from sync.models import SyncCursor

log = get_logger(__name__)

ZERO = Decimal("0.00")
CHUNK = 500  # customers per DELETE: well under SQLite's bound-parameter limit
KEY = ("organisation_id", "customer_ledger_id")
# An assessment job in one of these states will still run: enqueueing it again would run it twice.


def rules_of(settings: CollectionSettings) -> RiskRules:
    """The default risk rules with the organisation's overrides; a bad override raises ValueError."""
    overrides = settings.risk_rules or {}
    if not isinstance(overrides, dict):
        raise ValueError(f"risk rules must be a mapping of rule names to values, not {overrides!r}")
    known = {field.name for field in fields(RiskRules)}
    chosen: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in known:
            raise ValueError(f"unknown risk rule {key!r}; the rules are {', '.join(sorted(known))}")
        chosen[key] = _threshold(value) if key == "large_account_threshold" else _whole_days(key, value)
    return RiskRules(**chosen)


def _whole_days(key: str, value: object) -> int:
    # bool is an int to Python, but `true` for a number of days is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"risk rule {key!r} must be a whole number, not {value!r}")
    return value


def _threshold(value: object) -> Decimal | None:
    """The large-account threshold, exact: JSON keeps it as a string or a number."""
    if value is None:
        return None
    if not isinstance(value, bool) and isinstance(value, int | float | str | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite() and amount >= 0:
            return amount
    raise ValueError(f"risk rule 'large_account_threshold' must be an amount of money, not {value!r}")


def assess_organisation(organisation_id: int) -> int:
    """Job: store every customer's standing as of the organisation's today; returns how many."""
    session = db.session()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return 0
    rules = rules_of(settings_of(organisation_id))
    # Taken before reading the mirror: a sync that lands while this runs is newer than the
    # standings, so assess_changed comes back for it.
    assessed_at = clock.now()
    as_of = clock.today(organisation.timezone)
    evidence = Evidence.gather(session, organisation_id, as_of)
    assessments = assess_customers(session, organisation_id, as_of, rules, evidence)
    year, recent = evidence.year, evidence.recent
    # Past due: every bucket after "current", in base currency.
    overdue = {c.customer_ledger_id: sum(c.amounts[1:], ZERO) for c in evidence.aging.customers}
    rows = []
    for assessment in assessments:
        customer = assessment.customer_ledger_id
        paid, lately = year.get(customer), recent.get(customer)
        rows.append(
            {
                "organisation_id": organisation_id,
                "customer_ledger_id": customer,
                "risk": int(assessment.risk),
                "explanation": assessment.explanation,
                "segment": assessment.segment,
                "open_balance": assessment.open_balance,
                "overdue_balance": overdue.get(customer, ZERO),
                "invoices_paid": paid.invoices_paid if paid else 0,
                "paid_late": paid.paid_late if paid else 0,
                "average_days_to_pay": paid.average_days_to_pay if paid else None,
                "average_days_beyond_terms": paid.average_days_beyond_terms if paid else None,
                "recent_days_beyond_terms": lately.average_days_beyond_terms if lately else None,
                "broken_promises": evidence.broken_promises.get(customer, 0),
                "assessed_on": as_of,
                "assessed_at": assessed_at,
            }
        )
    stored = session.scalars(
        select(CustomerStanding.customer_ledger_id).where(CustomerStanding.organisation_id == organisation_id)
    ).all()
    gone = sorted(set(stored) - {row["customer_ledger_id"] for row in rows})
    upsert(session, CustomerStanding.__table__, rows, KEY)
    for start in range(0, len(gone), CHUNK):
        session.execute(
            delete(CustomerStanding).where(
                CustomerStanding.organisation_id == organisation_id,
                CustomerStanding.customer_ledger_id.in_(gone[start : start + CHUNK]),
            )
        )
    session.commit()
    log.info(
        "risk.assessed",
        organisation=organisation_id,
        day=as_of.isoformat(),
        customers=len(rows),
        dropped=len(gone),
    )
    return len(rows)


def assess_changed() -> int:
    """Periodic job: reassess each organisation whose mirror changed since its last assessment;
    returns the jobs enqueued."""
    session = db.session()
    changed = (
        select(Connection.organisation_id, func.max(SyncCursor.last_change_at).label("changed_at"))
        .join(SyncCursor, SyncCursor.connection_id == Connection.id)
        .where(Connection.status == ConnectionStatus.ACTIVE.value)
        .group_by(Connection.organisation_id)
        .subquery()
    )
    assessed = (
        select(CustomerStanding.organisation_id, func.max(CustomerStanding.assessed_at).label("assessed_at"))
        .group_by(CustomerStanding.organisation_id)
        .subquery()
    )
    due = session.scalars(
        select(changed.c.organisation_id)
        .outerjoin(assessed, assessed.c.organisation_id == changed.c.organisation_id)
        .where(
            changed.c.changed_at.is_not(None),
            or_(assessed.c.assessed_at.is_(None), changed.c.changed_at > assessed.c.assessed_at),
        )
        .order_by(changed.c.organisation_id)
    ).all()
    return sum(_enqueue_assessment(organisation_id, "default") for organisation_id in due)


def assess_all() -> int:
    """Nightly job: reassess every organisation with a live connection; returns the jobs enqueued."""
    session = db.session()
    ids = session.scalars(
        select(Connection.organisation_id)
        .where(Connection.status == ConnectionStatus.ACTIVE.value)
        .order_by(Connection.organisation_id)
    ).all()
    return sum(_enqueue_assessment(organisation_id, "low") for organisation_id in ids)


def _enqueue_assessment(organisation_id: int, queue_name: str) -> bool:
    """Queue one assessment of the organisation unless one is already waiting to run: the job id
    is the organisation's, so a burst of syncs yields one job. One that is running noted its time
    before reading the mirror, so later changes bring it back."""
    job_id = f"assess-{organisation_id}"
    return (
        jobs.enqueue_once(assess_organisation, organisation_id, queue_name=queue_name, job_id=job_id)
        is not None
    )
