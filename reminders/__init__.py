"""The collections brain: who owes what and for how long, how risky each customer is, and (as the
collections issues land) what each is due next and the acting on it.

Cut by concept, one subpackage or module each:

- ``receivables/``: aging in SQL as of any date, the aged receivables report as the ledgers print
  it, the key figures (DSO, CEI, payment behaviour), the nightly snapshots;
- ``risk/``: risk classes in words and each customer's stored standing;
- ``reports/``: the exports (CSV, PDF) and the weekly email to the owners;
- ``schedules/``, ``dispatch/``, ``holds``, ``promises``, ``disputes``, ``fees``, ``writeback``: the
  homes of the reminder engine, each saying what will live there;
- ``models.py``: the tables the package owns (settings, snapshots, standings, weekly reports).

Decide, then act: what a customer is due is a pure function of the mirror and a date; acting on it
goes through the outbox, one row per planned action with a unique key.
"""
