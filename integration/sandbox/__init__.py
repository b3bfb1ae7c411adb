"""Local ledgers (Xero, QuickBooks) that the real SDKs cannot tell apart from the hosted ones.

The sandboxes are the test bed of every feature and the engine of `make demo`; they share the
scaffolding in `common/` and keep each ledger's wire format in its own package.
"""
