"""QuickBooks Online: the Ledger over python-quickbooks (client.py), and its JSON as records (mapping.py)."""
