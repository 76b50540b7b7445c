"""Alembic migration scripts of the table-mode schema (`akasa.store.schema`).

Run with `akasa migrate`, or `alembic upgrade head` from the project root (alembic.ini
points here). Kept inside the package so an installed akasa can migrate.
"""
