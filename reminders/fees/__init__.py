"""Late fees and interest (issue #16, item 4): per-organisation terms, off by default.

- ``terms``: the decision, pure (invoices, terms and a day in; the fees due out), with the
  statutory presets and their sources.
- ``models``: the terms an organisation sets and each fee as a dated record, unique per invoice,
  kind and period.
- ``proposing``: the day step that proposes them, and a person's approve or skip.
- ``raising``: the job that raises each once as its own invoice in the ledger.

The next reminder to the customer names the fees raised since the last one
(reminders/dispatch/send.py reads ``proposing.fees_to_name``).
"""
