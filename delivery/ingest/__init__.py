"""Ingest: the tracking API (views, decoding, clock skew, validation) and the durable outbox
that accepts a request's events and fans them out to the ledger."""
