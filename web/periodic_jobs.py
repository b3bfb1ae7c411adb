"""Relance's periodic jobs, which `relance scheduler` hands to RQ's cron scheduler.

Each package owns its jobs; this list only says when they run.
"""

from reminders.discounts import requeue_pending_credits
from reminders.dispatch.outbox import plan_and_dispatch
from reminders.fees.raising import sweep_fees
from reminders.hold_writes import requeue_pending_hold_writes
from reminders.loop import react_to_account_changes
from reminders.notices import tell_people_of_lost_connections
from reminders.portal.fresh_links import sweep_link_emails
from reminders.receivables.snapshots import snapshot_all
from reminders.reports.weekly import send_due_weekly_reports
from reminders.risk.standing import assess_all, assess_changed
from reminders.team_notices import sweep_team_notices
from reminders.writeback import requeue_pending_notes
from runtime.jobs import PeriodicJob, record_scheduler_tick
from sync.jobs import sweep

PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(record_scheduler_tick, queue_name="low", interval=60),
    # The safety net under webhooks: every connection, from its cursors.
    PeriodicJob(sweep, queue_name="sync", interval=600),
    # The people of an organisation whose ledger connection needs them, within a minute.
    PeriodicJob(tell_people_of_lost_connections, queue_name="low", interval=60),
    # Every night (the machine's local time, as RQ's cron reads it): each organisation's aging.
    PeriodicJob(snapshot_all, queue_name="low", cron="15 2 * * *"),
    # Customers' standings, a minute at most after a sync changed the organisation's mirror.
    PeriodicJob(assess_changed, queue_name="default", interval=60),
    # Every night, after the snapshots: dates move, so risk classes change with nothing synced.
    PeriodicJob(assess_all, queue_name="low", cron="30 2 * * *"),
    # The weekly collections report, from 07:00 on each organisation's chosen day, its time.
    PeriodicJob(send_due_weekly_reports, queue_name="low", interval=900),
    # Reminders: each organisation planned at its sending time on its business days, then what
    # may go is queued (and sends left interrupted are set aside for a person).
    PeriodicJob(plan_and_dispatch, queue_name="default", interval=300),
    # Notes written on customers that are not in the ledger yet and have no job waiting.
    PeriodicJob(requeue_pending_notes, queue_name="default", interval=300),
    # What the sync saw change (a payment, a credit note): promises kept, holds lifted, disputes
    # closed (reminders/loop.py), within a minute of the sync.
    PeriodicJob(react_to_account_changes, queue_name="default", interval=60),
    # Early-payment discounts kept whose credit note's job was lost or interrupted.
    PeriodicJob(requeue_pending_credits, queue_name="default", interval=300),
    # Notices to the team (a hold placed, a promise broken) whose job was lost or failed.
    PeriodicJob(sweep_team_notices, queue_name="low", interval=300),
    # Fresh portal links asked for from an expired one, whose email job was lost or failed.
    PeriodicJob(sweep_link_emails, queue_name="low", interval=300),
    # Credit holds placed or lifted whose ledger write is still pending (a lost job).
    PeriodicJob(requeue_pending_hold_writes, queue_name="default", interval=300),
    # Late fees whose raise was interrupted (a worker killed mid-call) set aside for a person;
    # approved fees whose job was lost queued again.
    PeriodicJob(sweep_fees, queue_name="low", interval=300),
]
