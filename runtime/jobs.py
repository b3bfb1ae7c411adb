"""Background jobs on RQ: the queues, how work is enqueued, the worker and the cron scheduler.

Jobs are plain functions that take ids. Each runs in a forked work horse with the Flask app
context and a fresh database session; one that raises is retried with backoff and, when its
retries are spent, stays in RQ's failed registry with its error. Nothing fails silently.

Workers and the scheduler outlive Redis: an outage of any length is waited out, reconnecting with
backoff, and work carries on where it stopped without anyone restarting a process. A job whose
worker died under it (kill -9, a lost machine) is back on its queue within about half a minute:
every worker says it is alive every few seconds, and the others requeue what a silent one held.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import structlog
from rq import Queue, Retry, Worker
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError, StopRequested
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.utils import now as rq_now

from runtime import clock
from runtime.db import db
from runtime.logs import get_logger, redact_text

log = get_logger(__name__)

QUEUES = ("sync", "default", "low")  # in priority order: a worker drains sync before default
DEFAULT_RETRY = Retry(max=3, interval=[30, 120, 600])
DEFAULT_TIMEOUT = 600

# How often a worker says it is alive while a job runs (RQ's job_monitoring_interval), how often
# an idle one does its maintenance (and looks for silent workers), how long its "alive" lasts, and
# how long a worker found silent must stay silent before its jobs are taken from it.
HEARTBEAT_SECONDS = 5
MAINTENANCE_SECONDS = 5
ALIVE_SECONDS = 15
SILENT_SECONDS = 2 * HEARTBEAT_SECONDS
# RQ's cleaning of its registries (and its log lines about it) need not run that often.
REGISTRY_CLEANING_SECONDS = 60
# While Redis is away: the longest pause between two attempts to reach it.
MAX_BACKOFF_SECONDS = 10.0


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


def _alive_key(worker_name: str) -> str:
    return f"relance:worker:{worker_name}:alive"


class RelanceWorker(Worker):
    """An RQ worker whose jobs run with the app context, a fresh session and their id in every log
    line; it says it is alive every few seconds and requeues the jobs of workers that went silent."""

    app: AppLike | None = None
    stop_signalled = False
    bursting = False
    # RQ waits up to 60 s between attempts to reach Redis; a shorter wait resumes work sooner.
    max_connection_wait_time = MAX_BACKOFF_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("job_monitoring_interval", HEARTBEAT_SECONDS)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)
        # Executions whose worker was found silent, and since when (this process's monotonic clock).
        self._silent_since: dict[str, float] = {}
        self._registries_cleaned_at: float | None = None

    @property
    def dequeue_timeout(self) -> int:
        # RQ would block up to 405 s waiting for a job, and it runs its maintenance (restarting the
        # scheduler that enqueues retries, cleaning registries) and ours only between two waits.
        return MAINTENANCE_SECONDS

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        self.bursting = burst
        return super().work(burst, *args, **kwargs)

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat, plus a short-lived key saying this worker is alive. The key's expiry is
        counted by the Redis server's clock, so no two machines' clocks are ever compared."""
        super().heartbeat(timeout, pipeline)
        (pipeline if pipeline is not None else self.connection).set(
            _alive_key(self.name), 1, ex=ALIVE_SECONDS
        )

    def maintain_heartbeats(self, job: Job, execution: Execution) -> None:
        """While a job runs: a Redis outage must not end the watch over it (RQ would give up on the
        job and leave its work horse behind); the horse goes on and a later heartbeat gets through."""
        try:
            super().maintain_heartbeats(job, execution)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            log.warning("worker.heartbeat_failed", job_id=job.id, error=str(error))

    def run_maintenance_tasks(self) -> None:
        """Every MAINTENANCE_SECONDS: start RQ's scheduler of retries and delayed jobs again if it
        died (RQ does that only every 10 minutes) and requeue the jobs of silent workers; RQ's
        registry cleaning once a minute."""
        cleaned = self._registries_cleaned_at
        if cleaned is None or time.monotonic() - cleaned >= REGISTRY_CLEANING_SECONDS:
            super().run_maintenance_tasks()  # cleans, and starts the scheduler again if it died
            self._registries_cleaned_at = time.monotonic()
        else:
            scheduler = self.scheduler
            dead = scheduler is not None and (scheduler._process is None or not scheduler._process.is_alive())
            if scheduler is not None and dead and not self.bursting:
                scheduler.acquire_locks(auto_start=True)
            # RQ's Worker.__init__ assigns it a bare None, which types it as None for good.
            self.last_cleaned_at = rq_now()  # type: ignore[assignment]  # RQ stores now() there too
        self.requeue_abandoned()

    def requeue_abandoned(self) -> int:
        """Put the running jobs of workers that have gone silent back on their queues; returns how
        many. A worker is gone once its alive key is missing at two looks SILENT_SECONDS apart: a
        live worker says so again within HEARTBEAT_SECONDS, even after Redis itself was down."""
        now = time.monotonic()
        silent: dict[str, float] = {}
        requeued = 0
        for queue in self.queues:
            for job_id, execution_id in queue.started_job_registry.get_job_and_execution_ids(cleanup=False):
                try:
                    execution = Execution.fetch(execution_id, job_id, connection=self.connection)
                except ValueError:
                    continue  # its record expired: RQ's own registry cleanup takes the job
                if not execution.worker_name or self.connection.exists(_alive_key(execution.worker_name)):
                    continue
                key = execution.composite_key
                silent[key] = self._silent_since.get(key, now)
                if now - silent[key] >= SILENT_SECONDS and self._requeue(queue, execution):
                    requeued += 1
        self._silent_since = silent
        return requeued

    def _requeue(self, queue: Queue, execution: Execution) -> bool:
        # Several workers may find the same job; the first to claim it requeues it.
        claim = f"relance:abandoned:{execution.composite_key}"
        if not self.connection.set(claim, self.name, nx=True, ex=10 * ALIVE_SECONDS):
            return False
        try:
            job = Job.fetch(execution.job_id, connection=self.connection)
        except NoSuchJobError:
            queue.started_job_registry.remove_execution(execution)
            return False
        if job.get_status(refresh=False) != JobStatus.STARTED:
            return False
        log.warning("job.abandoned", job_id=job.id, job=job.func_name, worker=execution.worker_name)
        if not job.retries_left:
            # Nothing left to retry: RQ's own handling of abandoned jobs keeps it failed, with why.
            self.connection.zadd(queue.started_job_registry.key, {execution.composite_key: 0})
            queue.started_job_registry.cleanup(exception_handlers=self._exc_handlers)
            return True
        # A killed worker is not the job's fault, so no backoff: it goes to the front of its queue.
        # It still spends a retry, so a job that kills its worker every time ends up failed.
        job.retries_left = job.retries_left - 1
        queue.enqueue_job(job, at_front=True)  # queued first: a job is never in neither place
        with self.connection.pipeline() as pipeline:
            execution.delete(job, pipeline)
            pipeline.execute()
        return True

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


def _let_go(worker: RelanceWorker) -> None:
    """What RQ's teardown does after the Redis call that failed: without it, the listener thread
    of every worker given up on lives on (one more per outage), retrying its subscription."""
    if worker.pubsub_thread is not None:
        worker.pubsub_thread.stop()
    if worker.pubsub is not None:
        with suppress(redis.RedisError, OSError):
            worker.pubsub.close()


def run_worker(
    connection: redis.Redis,
    queues: Sequence[str],
    app: AppLike | None = None,
    *,
    burst: bool = False,
    log_level: str = "INFO",
) -> None:
    """Work the queues until told to stop, outliving job crashes and Redis outages of any length.

    RQ's worker waits out an outage while it listens for a job, but a Redis error elsewhere
    (registering itself, recording a job's end, its maintenance) ends its loop, and building a
    worker needs Redis too. So each worker is built and run inside the error handling, and another
    is built after a Redis error, with backoff, until Redis answers again.
    """
    backoff = 1.0
    while True:
        worker: RelanceWorker | None = None
        try:
            worker = RelanceWorker(
                [Queue(name, connection=connection) for name in queues],
                connection=connection,
                exception_handlers=[log_failure],
            )
            worker.app = app
            worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
            backoff = 1.0
        except redis.RedisError as error:
            log.error("worker.redis_error", error=str(error), retry_in=backoff)
            if worker is not None:
                _let_go(worker)
        if burst or (worker is not None and worker.stop_signalled):
            return
        log.warning("worker.restarting", retry_in=backoff)
        time.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


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
    if not value:
        return None
    return value.decode() if isinstance(value, bytes) else value


class RelanceCronScheduler(CronScheduler):
    """RQ's cron scheduler, which waits out a Redis outage instead of ending (RQ's own ends on the
    first Redis error): a job due while Redis is away is enqueued once it is back."""

    def start(self) -> None:
        """Enqueue the periodic jobs as they fall due until SIGTERM or SIGINT."""
        self._install_signal_handlers()
        log.info("scheduler.started", name=self.name, jobs=len(self.get_jobs()))
        backoff = 1.0
        try:
            while True:
                try:
                    if self.enqueue_jobs():
                        self.save()  # when each job last ran, for `rq cron` and the next start
                    self.heartbeat()  # registers it again if Redis lost the registration
                    pause = self.calculate_sleep_interval()
                    backoff = 1.0
                except redis.RedisError as error:
                    log.error("scheduler.redis_error", error=str(error), retry_in=backoff)
                    pause, backoff = backoff, min(backoff * 2, MAX_BACKOFF_SECONDS)
                if pause > 0:
                    time.sleep(pause)
        except (KeyboardInterrupt, StopRequested):
            log.info("scheduler.stopping", name=self.name)
        finally:
            with suppress(redis.RedisError):  # Redis may be down: its registration expires anyway
                self.register_death()


def run_scheduler(connection: redis.Redis, jobs: Sequence[PeriodicJob], *, log_level: str = "INFO") -> None:
    """RQ's cron scheduler with Relance's periodic jobs. Run exactly one per deployment."""
    scheduler = RelanceCronScheduler(connection=connection, logging_level=log_level)
    for job in jobs:
        scheduler.register(
            job.func, queue_name=job.queue_name, args=job.args, interval=job.interval, cron=job.cron
        )
    scheduler.start()
