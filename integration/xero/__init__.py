"""Xero: the Ledger over xero-python (client.py), and Xero's JSON turned into records (mapping.py)."""
