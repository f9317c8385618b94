"""Alembic migrations of the api's database (async ``env.py``; run via ``api.migrate``)."""
