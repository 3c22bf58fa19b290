"""Destination kinds: what is done with a batch once it leaves the ledger (a webhook POST, a
destination function), after the destination's insert function."""
