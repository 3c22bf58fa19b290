"""Routing: which destinations an event goes to (the `integrations` object) and the
destination filters that drop or reshape it, with their expression language."""
