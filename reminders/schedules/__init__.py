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

Also ``models`` (schedules, stages, each customer's chasing choices and the planner's days, as
kept), ``planner`` (what each customer is due today, decided from the account's state and the
outbox's history, so that a missed day is caught up once and a repeated run plans nothing twice)
and ``calendar`` (business days by the organisation's country, in its zone).
"""
