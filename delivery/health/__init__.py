"""Connection Health: states evaluated from the ledger, their reads and settings, alerts."""
