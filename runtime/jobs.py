"""Background jobs on RQ: the queues, how work is enqueued, the worker and the cron scheduler.

Jobs are plain functions that take ids. Each runs in a forked work horse with the Flask app
context and a fresh database session; one that raises is retried with backoff and, when its
retries are spent, stays in RQ's failed registry with its error. Nothing fails silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import structlog
from rq import Queue, Retry, Worker
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job

from runtime import clock
from runtime.db import db
from runtime.logs import get_logger, redact_text

log = get_logger(__name__)

QUEUES = ("sync", "default", "low")  # in priority order: a worker drains sync before default
DEFAULT_RETRY = Retry(max=3, interval=[30, 120, 600])
DEFAULT_TIMEOUT = 600


class AppLike(Protocol):
    def app_context(self) -> AbstractContextManager[Any]: ...


_connection: redis.Redis | None = None


def use_connection(connection: redis.Redis) -> None:
    """Set the Redis connection this process enqueues to (create_app does it)."""
    global _connection
    _connection = connection


def connection() -> redis.Redis:
    if _connection is None:
        raise RuntimeError("no Redis connection yet: create_app() or use_connection() sets it")
    return _connection


def queue(name: str = "default") -> Queue:
    """One of Relance's queues."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; Relance's queues are {', '.join(QUEUES)}")
    return Queue(name, connection=connection(), default_timeout=DEFAULT_TIMEOUT)


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    queue_name: str = "default",
    job_id: str | None = None,
    retry: Retry | None = DEFAULT_RETRY,
    **options: Any,
) -> Job:
    """Put ``func(*args)`` on a queue, retried with backoff when it raises."""
    return queue(queue_name).enqueue(func, *args, job_id=job_id, retry=retry, **options)


PENDING = frozenset({"queued", "started", "deferred", "scheduled"})


def enqueue_once(func: Callable[..., Any], *args: Any, job_id: str, **options: Any) -> Job | None:
    """Like ``enqueue``, unless the job ``job_id`` is already waiting, running or waiting to retry:
    a burst of triggers then makes one job (RQ itself would queue the same id twice)."""
    try:
        existing: Job | None = Job.fetch(job_id, connection=connection())
    except NoSuchJobError:
        existing = None
    if existing is not None:
        if existing.get_status(refresh=False) in PENDING:
            return None
        # A finished or failed run: its key expires (result or failure TTL) and RQ's save keeps
        # that expiry, so a new job under the same id could vanish before a worker takes it.
        existing.delete()
    return enqueue(func, *args, job_id=job_id, **options)


def log_failure(job: Job, exc_type: type[BaseException], exc_value: BaseException, _tb: Any) -> bool:
    """RQ exception handler: every failure becomes a log line; RQ then retries or keeps the job failed."""
    log.error(
        "job.failed",
        job_id=job.id,
        job=job.func_name,
        error=f"{exc_type.__name__}: {redact_text(str(exc_value))}",
        retries_left=job.retries_left or 0,
    )
    return True  # go on to RQ's own handler, which records the failure


class RelanceWorker(Worker):
    """An RQ worker whose jobs run with the app context, a fresh session and their id in every log line."""

    app: AppLike | None = None
    stop_signalled = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        db.after_fork()  # the horse inherited the parent's connections; they are not ours to use
        structlog.contextvars.bind_contextvars(job_id=job.id, job=job.func_name)
        started = time.monotonic()
        context = self.app.app_context() if self.app is not None else nullcontext()
        try:
            with context:
                succeeded = super().perform_job(job, queue, execution)
            log.info(
                "job.done" if succeeded else "job.error",
                seconds=round(time.monotonic() - started, 3),
                queue=queue.name,
            )
            return succeeded
        finally:
            db.session.remove()
            structlog.contextvars.clear_contextvars()


def run_worker(
    connection: redis.Redis,
    queues: Sequence[str],
    app: AppLike | None = None,
    *,
    burst: bool = False,
    log_level: str = "INFO",
) -> None:
    """Work the queues until told to stop, outliving job crashes and Redis restarts.

    RQ's worker already waits out a Redis outage while it listens; any other Redis error ends
    its loop, so we build a new worker and go on, with backoff.
    """
    backoff = 1.0
    while True:
        worker = RelanceWorker(
            [Queue(name, connection=connection) for name in queues],
            connection=connection,
            exception_handlers=[log_failure],
        )
        worker.app = app
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
            backoff = 1.0
        except redis.RedisError as error:
            log.error("worker.redis_error", error=str(error), retry_in=backoff)
        if burst or worker.stop_signalled:
            return
        log.warning("worker.restarting", retry_in=backoff)
        time.sleep(backoff)
        backoff = min(backoff * 2, 30.0)


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler enqueues every ``interval`` seconds or on a ``cron`` expression."""

    func: Callable[..., Any]
    queue_name: str = "default"
    interval: int | None = None
    cron: str | None = None
    args: tuple[Any, ...] = ()


SCHEDULER_TICK_KEY = "relance:scheduler:last-tick"


def record_scheduler_tick() -> str:
    """Periodic job that proves the scheduler, the queues and a worker are all alive."""
    stamp = clock.now().isoformat()
    connection().set(SCHEDULER_TICK_KEY, stamp)
    return stamp


def last_scheduler_tick(client: redis.Redis) -> str | None:
    value = client.get(SCHEDULER_TICK_KEY)
    return value.decode() if value else None


def run_scheduler(connection: redis.Redis, jobs: Sequence[PeriodicJob], *, log_level: str = "INFO") -> None:
    """RQ's cron scheduler with Relance's periodic jobs. Run exactly one per deployment."""
    scheduler = CronScheduler(connection=connection, logging_level=log_level)
    for job in jobs:
        scheduler.register(
            job.func, queue_name=job.queue_name, args=job.args, interval=job.interval, cron=job.cron
        )
    scheduler.start()
