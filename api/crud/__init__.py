"""Keyword-only data functions; each write records its audit entry in the same transaction."""
