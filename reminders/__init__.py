"""The collections brain: aging, payment behaviour and risk, reminder schedules and dispatch,
credit holds and write-back to the ledger."""
