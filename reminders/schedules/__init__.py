"""Reminder schedules (issue: reminder schedules and dispatch).

A schedule is a named, ordered list of stages per organisation (or kept at the practice level and
applied to client organisations); a stage says when (days before an invoice's due date, days
after the due date of the customer's oldest unpaid invoice, or days after the previous stage,
with repeats), by which channels, with which message per language, attachments, a minimum overdue
amount and whether it needs approval.

What is here: ``stages`` (the plain values a stage and a schedule are), ``defaults`` (the schedule
an organisation starts with, in English and French), ``templates`` (the messages people edit,
rendered for one customer as a subject, a text part and an HTML part, and checked for the editor),
with ``sandbox`` (the closed Jinja environment they render in) and ``layout`` (the invoices table
and the email's HTML).

Still to come: the planner, which is pure: a schedule, a customer's account and the
organisation's date in, the stage due out, on business days in the organisation's zone, catching
up a missed day instead of matching exact days.
"""
