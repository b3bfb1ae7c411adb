"""Relance's periodic jobs, which `relance scheduler` hands to RQ's cron scheduler.

Each package owns its jobs; this list only says when they run.
"""

from reminders.snapshots import snapshot_all
from runtime.jobs import PeriodicJob, record_scheduler_tick
from sync.jobs import sweep

PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(record_scheduler_tick, queue_name="low", interval=60),
    # The safety net under webhooks: every connection, from its cursors.
    PeriodicJob(sweep, queue_name="sync", interval=600),
    # Every night (the machine's local time, as RQ's cron reads it): each organisation's aging.
    PeriodicJob(snapshot_all, queue_name="low", cron="15 2 * * *"),
]
