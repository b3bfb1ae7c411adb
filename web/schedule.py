"""Relance's periodic jobs, which `relance scheduler` hands to RQ's cron scheduler.

Each package owns its jobs; this list only says when they run.
"""

from runtime.jobs import PeriodicJob, record_scheduler_tick
from sync.jobs import sweep

PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(record_scheduler_tick, queue_name="low", interval=60),
    # The safety net under webhooks: every connection, from its cursors.
    PeriodicJob(sweep, queue_name="sync", interval=600),
]
