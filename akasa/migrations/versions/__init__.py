"""One file per revision; Alembic finds them by path (this file is not a revision)."""
