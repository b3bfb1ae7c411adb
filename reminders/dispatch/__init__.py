"""Dispatch (issue: reminder schedules and dispatch). Not built yet.

What will live here: the outbox, one row per planned action with a unique key (customer, stage,
repeat), moving planned -> awaiting approval -> sending -> sent | skipped | failed; the last-moment
check that asks the ledger which invoices are still owed; and one module per channel behind one
interface: email (SMTP, with the statement attached), letter (a PDF in a daily print batch) and call
task (a person's to-do with what to say and where the outcome goes).
"""
