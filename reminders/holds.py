"""Credit holds (issue: promises, disputes, credit holds, late fees). Not built yet.

What will live here: the rules that put a customer on hold (N days past due, over the credit limit,
a broken promise, a risk class), evaluated after syncs and nightly; a hold as a dated record (who,
when, why, until, and when it was lifted), marked in the ledger through the Ledger interface, and
lifted by the sync that sees the overdue balance cleared.
"""
