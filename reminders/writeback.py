"""Write-back to the ledger (issues: reminder schedules and dispatch; promises, disputes, holds).
Not built yet.

What will live here: the jobs that turn what Relance did (a reminder sent, a promise, a dispute, a
hold) into notes in the ledger, where the accountant works (Xero History and Notes, QuickBooks
notes), idempotent and retried, each also an audit event. Only the Ledger interface is used: the
wire formats stay in integration/.
"""
