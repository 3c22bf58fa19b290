"""Destination kinds as plugins (base.py's `Kind`, listed in registry.py): a webhook POST, a
destination function; their settings, catalog entries, admin fields, and what they do with a
batch once it leaves the ledger, after the destination's insert function (pipeline.py)."""
