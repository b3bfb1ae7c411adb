"""How Relance talks to ledgers: OAuth, the ledger clients behind one interface, and the
local sandboxes of Xero and QuickBooks Online. Only this package knows a ledger's JSON."""
