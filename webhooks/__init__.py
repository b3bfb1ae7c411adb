"""Webhook intake: verify a ledger's signature, store the event in the inbox, enqueue, answer."""
