"""The ledger: one EventDelivery row per event and destination, its bulk SQL, the lease that
fences a batch, outcomes and the retry policy, and the ledger's upkeep (rollups, retention)."""
