"""PostgreSQL bulk path: `COPY ... FROM STDIN` into staging tables, through psycopg 3.

The staged frame goes to the server as text (`akasa.backends.sql.load.text`), written by Polars
into memory about `chunk_bytes` at a time and streamed with `Cursor.copy()`: no file, no
Python object per row. COPY runs on the loader's own connection, so it is part of the
ingest's transaction. Errors from psycopg are raised as SQLAlchemy errors, so the caller
reports them like any other database error.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from akasa.backends.sql.load.chunks import slices
from akasa.backends.sql.load.staged import LoadRejected, StagedLoader
from akasa.backends.sql.load.text import write_text


class CopyLoader(StagedLoader):
    method = "copy"

    def fill(self, conn: Connection, table: Table, frame: pl.DataFrame) -> None:
        import psycopg
        from psycopg import sql

        columns = sql.SQL(", ").join(sql.Identifier(name) for name in frame.columns)
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT text, ENCODING 'UTF8')").format(
            sql.Identifier(table.name), columns
        )
        driver: Any = conn.connection.driver_connection
        try:
            with driver.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    for piece in slices(frame, self.chunk_bytes):
                        buffer = io.BytesIO()
                        write_text(piece, buffer)
                        copy.write(buffer.getbuffer())
                copied = cursor.rowcount
        except psycopg.Error as exc:
            if driver.broken or driver.closed:
                conn.invalidate()  # as SQLAlchemy does when its own statements lose the server
            raise DBAPIError.instance(
                statement.as_string(driver), None, exc, psycopg.Error
            ) from None
        if copied != frame.height:
            raise LoadRejected(f"loading {table.name}: {copied} rows read, {frame.height} sent")
