"""What every part of Relance needs to run: settings, the clock, the database and tenancy,
Redis, background jobs and structured logs. It imports nothing from the rest of Relance."""
