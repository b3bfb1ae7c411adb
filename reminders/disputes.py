"""Disputes (issue: promises, disputes, credit holds, late fees). Not built yet.

What will live here: a dispute per invoice with a reason and its messages, raised by a person or by
the customer in the portal; the disputed invoice leaves chasing while the rest of the account does
not, until the dispute is resolved or a credit note seen by the sync settles it.
"""
