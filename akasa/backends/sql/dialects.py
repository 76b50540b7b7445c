"""Every difference between the databases table mode runs on, one class per database.

The rest of `akasa.backends.sql` is written once for all of them and asks the connection's
`SqlDialect` (`dialect_of`) wherever they differ: session setup, the ingest lock, upserts,
temporary tables, how a batch is bulk-copied, bound-parameter limits. This module is the
only place that looks at a dialect's name.

Shared by every database (so not overridden anywhere):
- Money: `DECIMAL(14,2)` is exact on MySQL and PostgreSQL, but SQLite stores a REAL, so a
  plain SUM could pick up binary error. `paise` turns each order total into integer paise
  with ROUND first (a no-op on an exact decimal) and sums integers everywhere.
- Months in the business time zone: no database time-zone function is used (MySQL's zone
  tables are often not loaded; SQLite has none). The zone's UTC offsets over the orders'
  span come from `akasa.core.zones` (the same rules memory mode uses) and are bound as
  parameters; each database adds the offset and reads the month with its own date
  functions (`month_key`, the one per-database piece of the KPI SQL).
- Date arithmetic: none in SQL. Every bound (as_of, window start, month starts) is a UTC
  instant computed in Python (`akasa.kpi.context`) and bound as a parameter.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Integer,
    Interval,
    Select,
    String,
    Table,
    case,
    cast,
    delete,
    event,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.dml import Insert

from akasa.core.zones import OffsetPeriods

PAISE_PER_RUPEE = 100
INGEST_LOCK = "akasa_ingest"
INGEST_LOCK_KEY = 0x616B617361  # "akasa": the PostgreSQL advisory lock key


class BulkFill(StrEnum):
    """How a batch's rows reach the database (`akasa.backends.sql.load`)."""

    load_data = "load-data"  # LOAD DATA LOCAL INFILE into staging tables
    copy = "copy"  # COPY FROM STDIN into staging tables
    insert = "insert"  # multi-row INSERTs


class SqlDialect:
    """The behaviour every database shares; subclasses override where theirs differs."""

    names: ClassVar[tuple[str, ...]] = ()
    label: ClassVar[str] = "SQL"  # the database's kind for people (kpis.json, the report)
    # How to install each driver (the `+driver` of a URL, or the dialect's default one).
    installs: ClassVar[dict[str, str]] = {}
    # Most bound parameters one statement may carry (None: the driver inlines values).
    parameter_limit: ClassVar[int | None] = None
    drop_temporary: ClassVar[str] = "DROP TABLE"
    # The URL's database is a local file (a full disk then names that file).
    local_file: ClassVar[bool] = False

    # ---- connecting ------------------------------------------------------------------------

    def install_command(self, driver: str, missing_module: str | None) -> str:
        """What installs `driver`: its package when known, else the module that was missing
        (most drivers' package has the module's name)."""
        if driver in self.installs:
            return self.installs[driver]
        return f"pip install {missing_module or driver}"

    def complete_url(self, url: URL) -> URL:
        """The configured URL with the connection options akasa relies on."""
        return url

    def connect_args(self, url: URL, *, local_infile: bool, timeout: int) -> dict[str, Any]:
        return {}

    def timed_out(self, exc: BaseException) -> Literal["connect", "lock"] | None:
        """Whether a driver error is a connection or lock wait that ran out of time."""
        return None

    def missing_privilege(self, exc: BaseException) -> str | None:
        """The privilege a refused statement lacked (`INSERT on customers`), if it was
        refused for want of one."""
        return None

    def prepare_location(self, url: URL, data_dir: Path) -> None:
        """Creates whatever must exist before the first connection."""

    def prepare_engine(self, engine: Engine) -> None:
        """Per-engine settings, made once after `create_engine`."""
        # An executemany INSERT goes as multi-row VALUES pages, not one statement per row.
        engine.dialect.use_insertmanyvalues_wo_returning = True

    def prepare_kpi_session(self, conn: Connection) -> None:
        """Isolation and session settings for the KPI read (one consistent snapshot)."""

    def database_bytes(self, conn: Connection) -> int | None:
        """What the database takes on disk (tables and indexes), None where unknown."""
        return None

    # ---- ingest ----------------------------------------------------------------------------

    def try_ingest_lock(self, conn: Connection) -> bool:
        """One ingest per database, whichever data directory it runs from. SQLite locks the
        whole file on the first write, so the second writer waits, then fails on its busy
        timeout."""
        return True

    def bulk_fill(self, driver: str) -> BulkFill:
        return BulkFill.insert

    def upsert_rows(
        self, conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]
    ) -> None:
        """Multi-row INSERT that replaces the non-key columns of rows whose key exists
        (written out as explicit multi-row VALUES: SQLAlchemy does not batch ON CONFLICT)."""
        columns = [c.name for c in table.columns if c.name not in keys]
        statement = self._insert(table).values(rows)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=keys, set_={c: statement.excluded[c] for c in columns}
            )
        )

    def _insert(self, table: Table) -> Any:
        return sqlite.insert(table)

    def upsert_select(
        self, table: Table, names: list[str], rows: Select[Any], stage: Table
    ) -> Insert:
        """INSERT ... SELECT from a staging table that replaces the other columns of a key
        already stored."""
        raise NotImplementedError(f"{type(self).__name__} has no staged load")

    # Keys per `DELETE ... WHERE key IN (...)`.
    DELETE_KEYS = 1_000

    def delete_keys(self, conn: Connection, table: Table, key: str, keys: Sequence[str]) -> None:
        """Deletes the rows of `table` whose `key` is one of `keys`, in `IN` lists: each
        answered from the key's index (and, on Spider, by each node from its own)."""
        for start in range(0, len(keys), self.DELETE_KEYS):
            chunk = keys[start : start + self.DELETE_KEYS]
            conn.execute(delete(table).where(table.c[key].in_(chunk)))

    @contextmanager
    def parents_checked(self, conn: Connection) -> Iterator[None]:
        """Around a bulk copy whose rows' parents the loader has checked itself: where the
        database can skip its per-row foreign-key look-up for the session, it does."""
        yield

    def after_migrations(self, conn: Connection) -> None:
        """Runs after every Alembic upgrade (`alembic/env.py`): where tables must be
        placed beyond what the migration scripts say."""

    def drop_staged(self, conn: Connection, tables: Sequence[Table]) -> None:
        quote = conn.dialect.identifier_preparer.quote
        for table in tables:
            conn.exec_driver_sql(f"{self.drop_temporary} IF EXISTS {quote(table.name)}")

    # ---- KPI SQL (the same on every database) ------------------------------------------------

    @staticmethod
    def paise(amount: ColumnElement[Any]) -> ColumnElement[int]:
        """A DECIMAL(14,2) amount as exact integer paise, on every dialect."""
        return cast(func.round(amount * PAISE_PER_RUPEE), BigInteger)

    def local_month_key(
        self, moment: ColumnElement[datetime], periods: OffsetPeriods
    ) -> ColumnElement[int]:
        """The month of `moment` in the business zone as `year * 100 + month`: the UTC time
        plus the zone's offset then (from `akasa.core.zones`, bound as parameters), read by
        the database's own date functions. The statement grows with the zone's offset
        changes inside the orders' span, never with the span itself."""
        return self.month_key(moment, _offset_at(moment, periods))

    def month_key(
        self, moment: ColumnElement[datetime], offset: ColumnElement[int]
    ) -> ColumnElement[int]:
        """`year * 100 + month` of `moment` shifted by `offset` seconds (SQLite's form).

        SQLite's date functions keep milliseconds and would round 23:59:59.999999 up into
        the next day, so the stored text is cut to the second first (offsets are whole
        seconds, so the month cannot change)."""
        shift = cast(offset, String) + literal(" seconds", String)
        seconds = func.substr(moment, 1, 19)
        return cast(func.strftime(literal("%Y%m", String), seconds, shift), Integer)


def _offset_at(moment: ColumnElement[datetime], periods: OffsetPeriods) -> ColumnElement[int]:
    """The offset in force at `moment`: a balanced CASE over the periods' starts."""

    def pick(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal(periods.offsets[low], Integer)
        middle = (low + high) // 2
        return case(
            (moment < periods.starts[middle], pick(low, middle)),
            else_=pick(middle, high),
        )

    return pick(0, len(periods.starts))


class SQLite(SqlDialect):
    names = ("sqlite",)
    label = "SQLite"
    local_file = True
    parameter_limit = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999

    def connect_args(self, url: URL, *, local_infile: bool, timeout: int) -> dict[str, Any]:
        """Another writer holds the file: wait this long before `database is locked`."""
        return {"timeout": timeout}

    def timed_out(self, exc: BaseException) -> Literal["connect", "lock"] | None:
        return "lock" if "database is locked" in str(getattr(exc, "orig", exc)) else None

    def try_ingest_lock(self, conn: Connection) -> bool:
        """SQLite locks the whole file for a writer: take that lock now (a write that
        changes nothing), without waiting, so a second writer is told at once in akasa's
        words (or waits, `--wait`) instead of failing mid-load with `database is locked`.
        A refused try holds nothing, not even a read lock the other writer would wait on."""
        raw: Any = conn.connection.dbapi_connection
        timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            conn.exec_driver_sql("UPDATE batches SET batch_id = batch_id WHERE 0")
        except OperationalError as exc:
            if "database is locked" not in str(exc.orig):
                raise
            raw.rollback()
            return False
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        return True

    def database_bytes(self, conn: Connection) -> int | None:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar()
        return None if pages is None or size is None else int(pages) * int(size)

    def prepare_location(self, url: URL, data_dir: Path) -> None:
        """The default database file lives in the data dir, which may not exist yet."""
        if url.database in (None, "", ":memory:"):
            return
        if Path(url.database).parent == data_dir.resolve():
            data_dir.mkdir(parents=True, exist_ok=True)

    def prepare_engine(self, engine: Engine) -> None:
        super().prepare_engine(engine)
        event.listen(engine, "connect", _sqlite_pragmas)


class MySQL(SqlDialect):
    """MySQL and MariaDB."""

    names = ("mysql", "mariadb")
    label = "MySQL"
    installs: ClassVar[dict[str, str]] = {
        "mysqldb": "pip install mysqlclient",  # the `mysql` extra; builds on libmariadb-dev
        "pymysql": "pip install pymysql",
        "mysqlconnector": "pip install mysql-connector-python",
        "mariadbconnector": "pip install mariadb",
    }
    drop_temporary = "DROP TEMPORARY TABLE"  # a plain DROP TABLE commits the transaction
    # Strict mode: a bad value fails its statement (and so the whole load) instead of being
    # stored as a silently adjusted value with a warning.
    SESSION = "SET SESSION sql_mode = 'TRADITIONAL'"
    # The KPI scope's GROUP BY keeps one in-memory row per number and month (~130 bytes);
    # past the default 16 MB (about 120k numbers) the temporary table moves to disk and the
    # scope takes twice as long. Raised for the KPI session only; the memory is used only
    # as the data needs it.
    KPI_SESSION = "SET SESSION tmp_table_size = 268435456, max_heap_table_size = 268435456"
    DRIVERS_WITH_LOCAL_INFILE = ("mysqldb", "pymysql")

    def complete_url(self, url: URL) -> URL:
        """utf8mb4 unless the URL says otherwise: names may hold any character."""
        if "charset" in url.query:
            return url
        return url.update_query_dict({"charset": "utf8mb4"})

    def connect_args(self, url: URL, *, local_infile: bool, timeout: int) -> dict[str, Any]:
        """`local_infile` allows `LOAD DATA LOCAL INFILE`. It lets the server ask the client
        for any file the client can read, so only the loader asks for it; every other
        connection turns it off (libmariadb would allow it by default). Lock waits (row
        locks and table/metadata locks) give up after `timeout` seconds, like the
        connection itself."""
        if url.get_driver_name() not in self.DRIVERS_WITH_LOCAL_INFILE:
            return {}
        session = (
            f"{self.SESSION}, innodb_lock_wait_timeout = {int(timeout)}, "
            f"lock_wait_timeout = {int(timeout)}"
        )
        return {
            "init_command": session,
            "local_infile": 1 if local_infile else 0,
            "connect_timeout": int(timeout),
        }

    def timed_out(self, exc: BaseException) -> Literal["connect", "lock"] | None:
        code = _error_code(exc)
        if code == 1205:  # ER_LOCK_WAIT_TIMEOUT (also metadata locks)
            return "lock"
        # CR_SERVER_LOST during the handshake / CR_CONN_HOST_ERROR on a timed-out connect
        text = str(getattr(exc, "orig", exc)).lower()
        if code in (2013, 2003) and (
            "handshake" in text or "timed out" in text or "initial" in text
        ):
            return "connect"
        return None

    def missing_privilege(self, exc: BaseException) -> str | None:
        code, text = _error_code(exc), str(getattr(exc, "orig", exc))
        if code in (1142, 1143):  # ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR
            found = _MYSQL_DENIED.search(text)
            return f"{found[1]} on {found[2]}" if found else None
        if code == 1044:  # ER_DBACCESS_DENIED_ERROR: what the statement needed of the database
            found = _MYSQL_DATABASE.search(text)
            what = _verb(exc)
            privilege = "CREATE TEMPORARY TABLES" if what == "CREATE TEMPORARY" else what
            return f"{privilege} on database {found[1] if found else '?'}"
        return None

    def prepare_engine(self, engine: Engine) -> None:
        """mysqlclient already turns an executemany INSERT into multi-row statements."""

    def prepare_kpi_session(self, conn: Connection) -> None:
        # Under REPEATABLE READ, InnoDB would lock every order the scope's
        # INSERT ... SELECT reads; that one statement is a snapshot anyway.
        conn.execution_options(isolation_level="READ COMMITTED")
        conn.exec_driver_sql(self.KPI_SESSION)

    def database_bytes(self, conn: Connection) -> int | None:
        """InnoDB's own estimate of data and index pages."""
        size = conn.exec_driver_sql(
            "SELECT SUM(data_length + index_length) FROM information_schema.tables "
            "WHERE table_schema = DATABASE()"
        ).scalar()
        return None if size is None else int(size)

    def try_ingest_lock(self, conn: Connection) -> bool:
        """A named lock held by this connection until it closes; lock names are
        server-wide, so the name includes the database."""
        lock = func.concat(INGEST_LOCK, ".", func.database())
        return bool(conn.execute(select(func.get_lock(lock, 0))).scalar())

    def bulk_fill(self, driver: str) -> BulkFill:
        return BulkFill.load_data if driver in self.DRIVERS_WITH_LOCAL_INFILE else BulkFill.insert

    @contextmanager
    def parents_checked(self, conn: Connection) -> Iterator[None]:
        """InnoDB's look-up of each order line's order costs a third of the copy (0.25 ->
        0.17 s per 100,000 lines); the session skips it for this copy only."""
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        try:
            yield
        finally:
            conn.exec_driver_sql("SET SESSION foreign_key_checks = 1")

    def month_key(
        self, moment: ColumnElement[datetime], offset: ColumnElement[int]
    ) -> ColumnElement[int]:
        shifted = func.timestampadd(literal_column("SECOND"), offset, moment)
        return cast(func.date_format(shifted, literal("%Y%m", String)), Integer)

    def upsert_rows(
        self, conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]
    ) -> None:
        """An executemany, which the driver batches into multi-row statements."""
        columns = [c.name for c in table.columns if c.name not in keys]
        statement = mysql.insert(table)
        update = {c: statement.inserted[c] for c in columns}
        conn.execute(statement.on_duplicate_key_update(update), rows)

    def upsert_select(
        self, table: Table, names: list[str], rows: Select[Any], stage: Table
    ) -> Insert:
        keys = [c.name for c in table.primary_key.columns]
        statement = mysql.insert(table).from_select(names, rows)
        # The staged columns themselves, not VALUES(): valid on MariaDB and MySQL 8 alike.
        return statement.on_duplicate_key_update({n: stage.c[n] for n in names if n not in keys})


class MariaDBSpider(MySQL):
    """MariaDB with the Spider engine: the URL points at the head server, and
    `AKASA_SPIDER_NODES` names its data nodes (`CREATE SERVER`). The fact tables are
    sharded over the nodes; the ledger and the quarantine stay on the head. Everything
    else is MariaDB's. See docs/scaling.md.
    """

    # Never picked by the URL's name (`dialect_named` skips it): the setting picks it
    # (`open_database`).
    # The column each fact table is sharded by. The order-to-customer join of the KPI
    # scope needs orders and customer_mobiles on the same node for a number; the lines of
    # one order stay together (they have no mobile number, and only the loader reads
    # them, by order_id).
    SHARD_KEYS: ClassVar[dict[str, str]] = {
        "customers": "customer_id",
        "customer_mobiles": "mobile_number",
        "orders": "mobile_number",
        "order_lines": "order_id",
    }

    def __init__(self, nodes: Sequence[str]) -> None:
        self.nodes = tuple(nodes)

    def after_migrations(self, conn: Connection) -> None:
        from akasa.backends.sql.spider import distribute

        distribute(conn, self.nodes, self.SHARD_KEYS)


class PostgreSQL(SqlDialect):
    names = ("postgresql",)
    label = "PostgreSQL"
    installs: ClassVar[dict[str, str]] = {
        "psycopg": "pip install 'psycopg[binary]'",  # the `postgres` extra
        "psycopg2": "pip install psycopg2-binary",
        "pg8000": "pip install pg8000",
    }
    parameter_limit = 65_535

    def connect_args(self, url: URL, *, local_infile: bool, timeout: int) -> dict[str, Any]:
        """Give up on a silent server, and on a lock another session holds, after
        `timeout` seconds."""
        return {"connect_timeout": int(timeout), "options": f"-c lock_timeout={int(timeout)}s"}

    def timed_out(self, exc: BaseException) -> Literal["connect", "lock"] | None:
        original = getattr(exc, "orig", exc)
        if getattr(original, "sqlstate", None) == "55P03":  # lock_not_available
            return "lock"
        if "timeout expired" in str(original).lower():
            return "connect"
        return None

    def missing_privilege(self, exc: BaseException) -> str | None:
        original = getattr(exc, "orig", exc)
        if getattr(original, "sqlstate", None) != "42501":  # insufficient_privilege
            return None
        text = str(original).splitlines()[0]
        if found := _PG_DENIED_TABLE.search(text):
            return f"{_verb(exc)} on {found[1]}"
        if found := _PG_DENIED.search(text):
            kind, name = found[1], found[2]
            return f"{'USAGE' if kind in ('sequence', 'schema') else 'access'} on {kind} {name}"
        if "temporary tables" in text:
            return "TEMPORARY on the database"
        return None

    def prepare_kpi_session(self, conn: Connection) -> None:
        conn.execution_options(isolation_level="REPEATABLE READ")

    def database_bytes(self, conn: Connection) -> int | None:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
        return None if size is None else int(size)

    def try_ingest_lock(self, conn: Connection) -> bool:
        """An advisory lock (scoped to the database) that ends with the transaction."""
        return bool(conn.execute(select(func.pg_try_advisory_xact_lock(INGEST_LOCK_KEY))).scalar())

    def bulk_fill(self, driver: str) -> BulkFill:
        return BulkFill.copy if driver == "psycopg" else BulkFill.insert

    def month_key(
        self, moment: ColumnElement[datetime], offset: ColumnElement[int]
    ) -> ColumnElement[int]:
        shifted = moment + offset * literal(timedelta(seconds=1), Interval())
        return cast(func.to_char(shifted, literal("YYYYMM", String)), Integer)

    def _insert(self, table: Table) -> Any:
        return postgresql.insert(table)

    def upsert_select(
        self, table: Table, names: list[str], rows: Select[Any], stage: Table
    ) -> Insert:
        keys = [c.name for c in table.primary_key.columns]
        statement = postgresql.insert(table).from_select(names, rows)
        return statement.on_conflict_do_update(
            index_elements=keys, set_={n: statement.excluded[n] for n in names if n not in keys}
        )


DIALECTS: tuple[SqlDialect, ...] = (SQLite(), MySQL(), PostgreSQL())
SUPPORTED = tuple(name for d in DIALECTS for name in d.names)


class UnsupportedDatabase(ValueError):
    """A URL for a database akasa has no dialect class for."""


def dialect_named(name: str) -> SqlDialect:
    """The class for a SQLAlchemy dialect name (`mysql`, `postgresql`, ...). Raises
    `UnsupportedDatabase` for any other: akasa's SQL is written and tested for these only."""
    found = next((d for d in DIALECTS if name in d.names), None)
    if found is None:
        raise UnsupportedDatabase(name)
    return found


# The execution option by which an engine's connections carry a dialect class chosen by a
# setting rather than by the URL (`MariaDBSpider`).
OPTION = "akasa_dialect"


def dialect_of(bind: Connection | Dialect) -> SqlDialect:
    """The class for an open connection (or a SQLAlchemy `Dialect`)."""
    if isinstance(bind, Connection):
        chosen = bind.get_execution_options().get(OPTION)
        if isinstance(chosen, SqlDialect):
            return chosen
        return dialect_named(bind.dialect.name)
    return dialect_named(bind.name)


_MYSQL_DENIED = re.compile(
    r"(\w+) command denied to user .* for (?:table|column) [`']?(?:[^`'.]+[`']?\.[`']?)?([^`']+)"
)
_MYSQL_DATABASE = re.compile(r"to database [`']([^`']+)")
_PG_DENIED_TABLE = re.compile(r"permission denied for table \"?([^\s\"]+)")
_PG_DENIED = re.compile(r"permission denied for (sequence|schema|relation) \"?([^\s\"]+)")


def _verb(exc: BaseException) -> str:
    """What a statement does, from its first words (`INSERT`, `CREATE TEMPORARY`)."""
    words = str(getattr(exc, "statement", "") or "").split()[:2]
    if [w.upper() for w in words] == ["CREATE", "TEMPORARY"]:
        return "CREATE TEMPORARY"
    return words[0].upper() if words else "access"


def _error_code(exc: BaseException) -> int | None:
    """The driver's numeric error code (MySQL drivers put it first in `args`)."""
    original = getattr(exc, "orig", None) or exc
    args = getattr(original, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite checks foreign keys only when asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
