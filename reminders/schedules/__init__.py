"""Reminder schedules (issue: reminder schedules and dispatch). Not built yet.

What will live here: a schedule is a named, ordered list of stages per organisation (or kept at
the practice level and applied to client organisations); a stage says when (days before an
invoice's due date, days after the due date of the customer's oldest unpaid invoice, or days after
the previous stage, with repeats), by which channels, with which message per language, attachments,
a minimum overdue amount and whether it needs approval. The planner is pure: a schedule, a
customer's account and the organisation's date in, the stage due out, on business days in the
organisation's zone, catching up a missed day instead of matching exact days.
"""
