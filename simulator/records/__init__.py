"""Relationship analytics from customer records (policy tables)."""
