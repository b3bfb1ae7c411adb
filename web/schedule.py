"""Relance's periodic jobs, which `relance scheduler` hands to RQ's cron scheduler.

Each package owns its jobs; this list only says when they run.
"""

from runtime.jobs import PeriodicJob, record_scheduler_tick

PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(record_scheduler_tick, queue_name="low", interval=60),
]
