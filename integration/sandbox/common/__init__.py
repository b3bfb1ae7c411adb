"""API-neutral scaffolding shared by the ledger sandboxes; see README.md for each module's API."""
