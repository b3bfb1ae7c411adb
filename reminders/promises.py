"""Promises to pay (issue: promises, disputes, credit holds, late fees). Not built yet.

What will live here: a promise as a dated record (amount, date, invoices, who recorded it: a person,
a call outcome or the customer in the portal) that pauses reminders for its invoices until the date
plus a grace period, then is kept or broken; a broken promise moves the customer to the next firmer
stage and counts in its risk class.
"""
