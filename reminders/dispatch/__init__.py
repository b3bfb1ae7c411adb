"""Dispatch: the outbox of reminder actions and how each one goes.

- ``models``: the outbox, one row per planned action with a unique key (customer, stage, run of
  escalation, repeat, channel), moving planned -> awaiting approval -> approved -> sending -> sent |
  skipped | failed | interrupted; why an interrupted send is never sent again by itself.
- ``send``: the job that sends one action: taken by a compare-and-set, the ledger asked again for
  its invoices (one call per batch), written at today's amounts, handed to its channel (email over
  SMTP with the statement attached; a letter PDF into the day's print batch; a call task onto the
  call list), recorded, and noted in the ledger on each invoice it named.
- ``outbox``: what people do to actions (approve, skip, edit, settle, record a call's outcome, mark
  letters posted) and the periodic job that plans each organisation at its time and queues what
  may go.
- ``documents``: the statement, letter and print batch PDFs.
"""
