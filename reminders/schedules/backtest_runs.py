"""The backtest as the schedule page asks for it: worked out once, kept, and for large books in a job.

A backtest reads a year of an organisation's history (reminders/schedules/backtest.py): well
under a second for a small business, seconds to a minute for thousands of invoices, too long for
a page to wait on. So its figures are kept in Redis under everything they depend on (the
organisation's mirror version, the schedule and its stages as they are, the day, the language):
a change to any of them is a new key. Books of up to ``INLINE_INVOICES`` invoices are worked out
by the page itself; larger ones by an RQ job (one per key, however often the page is opened),
the page saying so until its figures are there. A job that failed says so on the page, with the
same "Work it out again" a person uses after recording promises or disputes (which do not move
the mirror's version).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from reminders.schedules.backtest import BacktestResult, backtest
from reminders.schedules.models import Schedule
from runtime import clock, jobs
from runtime.db import db
from runtime.logs import get_logger
from sync.models import Invoice
from sync.versions import mirror_versions

log = get_logger(__name__)
INLINE_INVOICES = 1000
KEPT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class BacktestRun:
    """What the page shows: the figures (a JSON document), or that a job is working on them, or
    that it failed."""

    document: dict[str, Any] | None
    working: bool = False
    failed: bool = False


def fingerprint(schedule: Schedule) -> str:
    """The schedule and its stages as they are now: any edit gives another fingerprint."""

    def columns(row: object) -> dict[str, Any]:
        return {c.key: getattr(row, c.key) for c in inspect(row).mapper.column_attrs}

    shape = [columns(schedule), *(columns(stage) for stage in schedule.stages)]
    return hashlib.sha256(json.dumps(shape, default=str, sort_keys=True).encode()).hexdigest()[:16]


def _key(session: Session, organisation_id: int, schedule: Schedule, today: date, language: str) -> str:
    version = mirror_versions(session, [organisation_id]).get(organisation_id, "none")
    return f"relance:backtest:{organisation_id}:{schedule.id}:{fingerprint(schedule)}:{version}:{today}:{language}"


def _job_id(key: str) -> str:
    return "backtest-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def document_of(result: BacktestResult) -> dict[str, Any]:
    """The figures the page shows, as JSON (the would-be actions themselves are not kept)."""
    return {
        "first_day": result.first_day.isoformat(),
        "last_day": result.last_day.isoformat(),
        "messages": result.messages,
        "customers_reached": result.customers_reached,
        "invoices_named": result.invoices_named,
        "paid_within_a_week": result.paid_within_a_week,
        "stages": [{"name": s.name, "by_channel": dict(s.by_channel)} for s in result.stages],
        "most_chased": [list(row) for row in result.most_chased],
        "actions": len(result.actions),
        "worked_out_at": clock.now().isoformat(),
    }


def _read(key: str) -> dict[str, Any] | None:
    try:
        kept = jobs.connection().get(key)
    except (redis.RedisError, RuntimeError) as error:
        log.warning("backtest.unkept", error=str(error))
        return None
    return json.loads(kept) if kept else None


def _keep(key: str, document: dict[str, Any]) -> None:
    try:
        jobs.connection().set(key, json.dumps(document), ex=KEPT_SECONDS)
    except (redis.RedisError, RuntimeError) as error:
        log.warning("backtest.unkept", error=str(error))


def work_out(organisation_id: int, schedule_id: int, today: str, language: str) -> int:
    """RQ job: the backtest of one schedule on one day, kept for the page; returns its actions."""
    session = db.session()
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or schedule.organisation_id != organisation_id:
        return 0  # removed since the page asked
    day = date.fromisoformat(today)
    result = backtest(session, organisation_id, schedule_id, day, language)
    _keep(_key(session, organisation_id, schedule, day, language), document_of(result))
    log.info(
        "backtest.worked_out", organisation=organisation_id, schedule=schedule_id, actions=len(result.actions)
    )
    return len(result.actions)


def backtest_run(
    session: Session, organisation_id: int, schedule: Schedule, today: date, language: str
) -> BacktestRun:
    """The kept figures; else worked out now (small books) or by a job (large ones)."""
    key = _key(session, organisation_id, schedule, today, language)
    kept = _read(key)
    if kept is not None:
        return BacktestRun(kept)
    invoices = session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.organisation_id == organisation_id)
    )
    if (invoices or 0) <= INLINE_INVOICES:
        document = document_of(backtest(session, organisation_id, schedule.id, today, language))
        _keep(key, document)
        return BacktestRun(document)
    job_id = _job_id(key)
    try:
        existing: Job | None = Job.fetch(job_id, connection=jobs.connection())
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=False) == "failed":
        return BacktestRun(None, failed=True)
    jobs.enqueue_once(
        work_out, organisation_id, schedule.id, today.isoformat(), language, job_id=job_id, queue_name="low"
    )
    return BacktestRun(None, working=True)


def forget(session: Session, organisation_id: int, schedule: Schedule, today: date, language: str) -> None:
    """A person asks for it again: the kept figures and a failed job are dropped."""
    key = _key(session, organisation_id, schedule, today, language)
    try:
        jobs.connection().delete(key)
        Job.fetch(_job_id(key), connection=jobs.connection()).delete()
    except NoSuchJobError:
        pass
    except (redis.RedisError, RuntimeError) as error:
        log.warning("backtest.unkept", error=str(error))
