"""`relance scheduler` enqueues Relance's periodic jobs through RQ's cron scheduler."""

from __future__ import annotations

from datetime import datetime

from runtime import jobs
from tests.conftest import wait_until


def test_scheduler_enqueues_periodic_jobs_that_a_worker_runs(app, redis_client, start_process) -> None:
    assert jobs.last_scheduler_tick(redis_client) is None
    start_process("scheduler")
    start_process("worker")

    tick = wait_until(lambda: jobs.last_scheduler_tick(redis_client), timeout=30)

    assert datetime.fromisoformat(str(tick)).tzinfo is not None
