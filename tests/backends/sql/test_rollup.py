"""The KPI rollup `order_days` is what a build from the current orders gives, after every
kind of load: new days, a superseded order that moves day, a reload, a zone change."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Executable, inspect, select, text, update

from akasa.backends.base import Mode
from akasa.backends.sql import migrate as migrations
from akasa.backends.sql import rollup
from akasa.backends.sql.engine import open_database
from akasa.backends.sql.kpis import rollup_scope_rows
from akasa.backends.sql.rollup import RollupPlan
from akasa.backends.sql.schema import order_days, order_days_zone, order_months, orders
from akasa.core import zones
from akasa.core.config import Settings
from akasa.kpi.context import AsOf, resolve
from akasa.pipeline.migrate import migrate
from tests.builders import (
    ROLLUP_NUMBERS,
    customers_csv,
    every_few_hours,
    kpis,
    line,
    load,
    orders_xml,
    rollup_days,
)
from tests.db import TestDatabase
from tests.parity.helpers import assert_same_outputs

M1, M2, M3 = ROLLUP_NUMBERS


def _rollup(
    database: TestDatabase,
) -> tuple[str | None, list[tuple[object, ...]], list[tuple[object, ...]]]:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            zone = conn.execute(select(order_days_zone.c.timezone)).scalar()
            rows = conn.execute(
                select(
                    order_days.c.mobile_number,
                    order_days.c.local_day,
                    order_days.c.local_month,
                    order_days.c.orders,
                    order_days.c.paise,
                    order_days.c.units,
                    order_days.c.first_at,
                    order_days.c.last_at,
                )
            ).all()
            current = conn.execute(
                select(
                    orders.c.mobile_number,
                    orders.c.ordered_at,
                    orders.c.total_amount,
                    orders.c.units,
                )
            ).all()
    finally:
        engine.dispose()
    return zone, sorted(tuple(r) for r in rows), current


def _expected(current: list[tuple[object, ...]], zone: str) -> list[tuple[object, ...]]:
    """The rollup built in Python from the current orders."""
    groups: dict[tuple[str, int], list[tuple[datetime, int, int]]] = {}
    for mobile, at, amount, units in current:
        assert isinstance(at, datetime)
        local: date = at.astimezone(ZoneInfo(zone)).date()
        key = local.year * 10_000 + local.month * 100 + local.day
        groups.setdefault((str(mobile), key), []).append((at, round(amount * 100), int(units)))
    return sorted(
        (
            mobile,
            key,
            key // 100,
            len(found),
            sum(p for _, p, _ in found),
            sum(u for _, _, u in found),
            min(t for t, _, _ in found).replace(tzinfo=None),
            max(t for t, _, _ in found).replace(tzinfo=None),
        )
        for (mobile, key), found in groups.items()
    )


def _check(database: TestDatabase, zone: str) -> None:
    recorded, rows, current = _rollup(database)
    assert recorded == zone
    normalised = [(*r[:6], _naive(r[6]), _naive(r[7])) for r in rows]
    expected = _expected(current, zone)
    assert normalised == expected
    assert _months(database) == _expected_months(expected)


def _months(database: TestDatabase) -> list[tuple[object, ...]]:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            found = conn.execute(select(*order_months.columns)).all()
    finally:
        engine.dispose()
    return sorted((*r[:5], _naive(r[5]), _naive(r[6]), *r[7:]) for r in found)


def _expected_months(days: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """`order_months` built in Python from the expected days: (month, number, orders,
    paise, units, first_at, last_at, first_day, last_day)."""
    months: dict[tuple[object, object], list[tuple[object, ...]]] = {}
    for day in days:
        months.setdefault((day[2], day[0]), []).append(day)
    return sorted(
        (
            month,
            mobile,
            sum(d[3] for d in found),  # type: ignore[misc]
            sum(d[4] for d in found),  # type: ignore[misc]
            sum(d[5] for d in found),  # type: ignore[misc]
            min(d[6] for d in found),  # type: ignore[type-var]
            max(d[7] for d in found),  # type: ignore[type-var]
            min(d[1] for d in found),  # type: ignore[type-var]
            max(d[1] for d in found),  # type: ignore[type-var]
        )
        for (month, mobile), found in months.items()
    )


def _naive(value: object) -> object:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def test_the_rollup_follows_every_load(migrated: TestDatabase, tmp_path: Path) -> None:
    settings = migrated.settings()
    people = customers_csv(tmp_path / "c.csv", [("C1", "A", M1, "east"), ("C2", "B", M2, "")])
    day1, day2 = rollup_days(tmp_path)
    load(settings, [people], [day1], mode="both")
    _check(migrated, "Asia/Kolkata")
    assert_same_outputs(settings)
    # O1 moves to another day and number, O3 changes its total: both old days are rebuilt.
    load(settings, orders=[day2], mode="both")
    _check(migrated, "Asia/Kolkata")
    assert_same_outputs(settings)
    assert_same_outputs(settings, as_of="2025-01-31", window_days=1)
    # The same lines again from another file: nothing changes.
    before = _rollup(migrated)
    again = orders_xml(
        tmp_path / "d3" / "orders.xml", [line("O3", M2, "2025-01-11T00:10:00+05:30", "S1", 1, "8")]
    )
    load(settings, orders=[again], mode="both")
    assert _rollup(migrated) == before


def test_a_new_zone_is_read_from_the_orders_until_the_next_ingest_rebuilds(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = migrated.settings()
    day1 = orders_xml(
        tmp_path / "d1" / "orders.xml",
        [
            line("O1", M1, "2025-01-10T23:45:00+05:30", "S1", 2, "100.50"),
            line("O2", M2, "2025-01-11T04:00:00+05:30", "S1", 1, "10"),
        ],
    )
    load(settings, orders=[day1], mode="both")
    _check(migrated, "Asia/Kolkata")
    utc = migrated.settings(timezone="UTC")
    # Kept for Kolkata: a UTC run reads the orders and still agrees with memory mode.
    assert_same_outputs(utc, as_of="2025-01-10", window_days=1)
    day2 = orders_xml(
        tmp_path / "d2" / "orders.xml", [line("O9", M3, "2025-01-12T01:00:00Z", "S1", 1, "3")]
    )
    load(utc, orders=[day2], mode="table")
    _check(migrated, "UTC")  # rebuilt whole, in the new zone
    load(utc, orders=[day2], mode="memory")
    assert_same_outputs(utc, as_of="2025-01-10", window_days=1)
    assert_same_outputs(utc)


@pytest.mark.parametrize("as_of", ["2025-01-10", "latest", "now"])
def test_runs_with_and_without_the_rollup_agree(
    migrated: TestDatabase, tmp_path: Path, as_of: str
) -> None:
    settings = migrated.settings()
    start = datetime(2024, 12, 20, 18, 29, 59)
    every_few_hours(settings, tmp_path / "o.xml", start, hours=7, count=120, mode="both")
    _check(migrated, "Asia/Kolkata")
    assert_same_outputs(settings, as_of=as_of, window_days=3)


def _three_months(settings: Settings, tmp_path: Path) -> None:
    """Orders every 11 hours from mid-December to mid-February."""
    start = datetime(2024, 12, 14, 18, 45)
    every_few_hours(settings, tmp_path / "o.xml", start, hours=11, count=140, mode="both")


@pytest.mark.parametrize(
    ("as_of", "window_days"),
    [
        ("2025-01-31", 31),  # cuts no month: every month whole
        ("2025-01-31", 10),  # the window starts inside January
        ("2025-01-20", 1),  # January has later days
        ("2025-01-20", 35),  # later days in January, the window starts inside December
        ("2025-02-01", 60),  # the window starts before the first order
        ("latest", 45),
    ],
)
def test_months_cut_by_the_as_of_day_or_the_window_are_read_from_days(
    migrated: TestDatabase, tmp_path: Path, as_of: str, window_days: int
) -> None:
    settings = migrated.settings()
    _three_months(settings, tmp_path)
    _check(migrated, "Asia/Kolkata")
    assert_same_outputs(settings, as_of=as_of, window_days=window_days)


@pytest.mark.parametrize(
    ("as_of", "window_days", "day_months"),
    [
        ("2025-01-31", 31, ()),
        ("2025-01-31", 10, (202501,)),
        ("2025-01-20", 1, (202501,)),
        ("2025-01-20", 35, (202412, 202501)),
        ("2025-01-20", 40, (202501,)),  # no order in December before the window
        ("2025-02-28", 90, ()),  # the window starts before any order
        ("2024-12-31", 3, (202412,)),
    ],
)
def test_the_plan_reads_days_only_for_the_months_a_bound_cuts(
    migrated: TestDatabase, tmp_path: Path, as_of: str, window_days: int, day_months: tuple[int]
) -> None:
    settings = migrated.settings()
    _three_months(settings, tmp_path)
    ctx = resolve(AsOf.parse(as_of), None, settings.timezone, window_days, 10)
    engine = migrated.engine()
    try:
        with engine.connect() as conn:
            found = rollup.plan(conn, ctx)
    finally:
        engine.dispose()
    assert found is not None and found.day_months == day_months


def _one_tampered_order(database: TestDatabase, tmp_path: Path, *also: Executable) -> None:
    """One order of 100.00 loaded into table mode, its month rollup then made to say
    100.01 (and any of `also` run): a run that reads the rollup shows it."""
    lines = [line("O1", M1, "2025-01-10T10:00:00+05:30", "S1", 1, "100")]
    load(database.settings(), orders=[orders_xml(tmp_path / "o.xml", lines)], mode="table")
    engine = database.engine()
    with engine.begin() as conn:
        conn.execute(update(order_months).values(paise=order_months.c.paise + 1))
        for statement in also:
            conn.execute(statement)
    engine.dispose()


def test_a_whole_day_run_reads_the_rollup_and_a_now_run_the_orders(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    """Tampering with the rollup shows which runs read it."""
    settings = migrated.settings()
    _one_tampered_order(migrated, tmp_path)

    def revenue(as_of: str) -> object:
        result = kpis(settings, mode=Mode.table, as_of=as_of, write=False)
        return result.tables["regional_revenue"]["revenue"].to_list()

    assert revenue("2025-01-10") != revenue("now")
    assert revenue("now") == ["100.00"]


def test_revision_0004_rekeys_the_rollup_and_the_next_ingest_rebuilds_it(
    database: TestDatabase, tmp_path: Path
) -> None:
    """Keyed (number, day) before 0004 and (number, month, day) after; either way the
    zone is emptied, so runs read the orders (and agree) until an ingest builds it again."""
    settings = database.settings()
    migrate(settings)
    day1 = orders_xml(
        tmp_path / "d1" / "orders.xml",
        [line("O1", M1, "2025-01-10T23:45:00+05:30", "S1", 2, "100.50")],
    )
    load(settings, orders=[day1], mode="both")
    _check(database, "Asia/Kolkata")
    migrations.downgrade(open_database(settings), "0003")
    assert _key(database) == ["mobile_number", "local_day"]
    assert _rollup(database)[:2] == (None, [])
    engine = database.engine()
    at = datetime(2025, 1, 10, tzinfo=UTC)
    kept = {"orders": 1, "paise": 1, "units": 1, "first_at": at, "last_at": at}
    with engine.begin() as conn:  # a rollup as revision 0003 kept it
        conn.execute(order_days_zone.insert().values(timezone="Asia/Kolkata"))
        day = {"mobile_number": M1, "local_day": 20250110, "local_month": 202501}
        conn.execute(order_days.insert().values(**day, **kept))
    engine.dispose()
    migrate(settings)
    assert _key(database) == ["mobile_number", "local_month", "local_day"]
    assert _rollup(database)[:2] == (None, [])
    assert_same_outputs(settings, as_of="2025-01-10", window_days=1)
    day2 = orders_xml(
        tmp_path / "d2" / "orders.xml", [line("O2", M2, "2025-01-11T04:00:00+05:30", "S1", 1, "9")]
    )
    load(settings, orders=[day2], mode="both")
    _check(database, "Asia/Kolkata")  # rebuilt whole: the day of O1 as well
    assert_same_outputs(settings, as_of="2025-01-11", window_days=2)


def test_revision_0005_adds_the_month_rollup_and_the_next_ingest_builds_it(
    database: TestDatabase, tmp_path: Path
) -> None:
    """Down to 0004 the month rollup goes and the days stay; up again, the zone is emptied,
    so runs read the orders (and agree) until an ingest builds both rollups."""
    settings = database.settings()
    migrate(settings)
    _three_months(settings, tmp_path)
    _check(database, "Asia/Kolkata")
    migrations.downgrade(open_database(settings), "0004")
    assert not _has_table(database, "order_months")
    assert _rollup(database)[0] == "Asia/Kolkata"
    migrate(settings)
    assert _rollup(database)[0] is None and _months(database) == []
    assert_same_outputs(settings, as_of="2025-01-20", window_days=35)
    later = orders_xml(
        tmp_path / "d2" / "orders.xml",
        [line("O999", M2, "2025-02-20T04:00:00+05:30", "S1", 1, "9")],
    )
    load(settings, orders=[later], mode="both")
    _check(database, "Asia/Kolkata")  # both rebuilt whole
    assert_same_outputs(settings, as_of="2025-01-31", window_days=31)


def test_revision_0006_records_the_zone_rules_and_the_next_ingest_rebuilds(
    database: TestDatabase, tmp_path: Path
) -> None:
    """Down to 0005 the rules' column goes and the zone stays; up again, the zone is
    emptied, so runs read the orders (and agree) until an ingest records zone and rules."""
    settings = database.settings()
    migrate(settings)
    _three_months(settings, tmp_path)
    assert _recorded(database) == ("Asia/Kolkata", zones.rules_version())
    migrations.downgrade(open_database(settings), "0005")
    assert "tzdata" not in _columns(database, "order_days_zone")
    assert _rollup(database)[0] == "Asia/Kolkata"
    migrate(settings)
    assert _recorded(database) is None
    assert_same_outputs(settings, as_of="2025-01-20", window_days=35)
    later = orders_xml(tmp_path / "d2" / "o.xml", [line("O999", M2, "2025-02-20", "S1", 1, "9")])
    load(settings, orders=[later], mode="both")
    assert _recorded(database) == ("Asia/Kolkata", zones.rules_version())
    _check(database, "Asia/Kolkata")  # rebuilt whole
    assert_same_outputs(settings, as_of="2025-01-31", window_days=31)


def test_rollups_built_under_other_zone_rules_are_not_read(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    """Tampering with the recorded rules: whole-day runs read the orders, and the next
    ingest rebuilds the rollups under this akasa's rules."""
    settings = migrated.settings()
    _one_tampered_order(migrated, tmp_path, update(order_days_zone).values(tzdata="2000a"))
    result = kpis(settings, mode=Mode.table, as_of="2025-01-10", write=False)
    assert result.tables["regional_revenue"]["revenue"].to_list() == ["100.00"]
    more = [line("O2", M2, "2025-01-11T10:00:00+05:30", "S1", 1, "5")]
    load(settings, orders=[orders_xml(tmp_path / "o2.xml", more)], mode="table")
    assert _recorded(migrated) == ("Asia/Kolkata", zones.rules_version())
    _check(migrated, "Asia/Kolkata")


def _recorded(database: TestDatabase) -> tuple[object, ...] | None:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            found = conn.execute(select(order_days_zone.c.timezone, order_days_zone.c.tzdata))
            row = found.first()
    finally:
        engine.dispose()
    return None if row is None else tuple(row)


def _columns(database: TestDatabase, table: str) -> list[str]:
    engine = database.engine()
    try:
        return [c["name"] for c in inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def _has_table(database: TestDatabase, name: str) -> bool:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table(name)
    finally:
        engine.dispose()


def _key(database: TestDatabase) -> list[str]:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            return list(inspect(conn).get_pk_constraint("order_days")["constrained_columns"])
    finally:
        engine.dispose()


@pytest.mark.db
def test_mariadb_reads_whole_months_in_key_order(mariadb: TestDatabase, tmp_path: Path) -> None:
    """A run whose as_of day and window start cut no month reads `order_months` as one
    key range, with no temporary table and no sort (grouping the days per number and
    month took half the run at a million order lines)."""
    settings = mariadb.settings()
    migrate(settings)
    lines = [
        line(f"O{i}", f"90000000{i % 50:02d}", f"2025-01-{1 + i % 28:02d}T10:00:00Z", "S1", 1, "5")
        for i in range(400)
    ]
    load(settings, orders=[orders_xml(tmp_path / "o.xml", lines)], mode="table")
    engine = mariadb.engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE TABLE order_months"))
            query = rollup_scope_rows(RollupPlan(20250131, 20250101, ())).compile(
                conn, compile_kwargs={"literal_binds": True}
            )
            plan = conn.execute(text(f"EXPLAIN {query}")).mappings().all()
    finally:
        engine.dispose()
    assert [row["table"] for row in plan if row["table"].startswith("order_")] == [
        "order_months"
    ], plan
    assert all(
        "temporary" not in (row["Extra"] or "") and "filesort" not in (row["Extra"] or "")
        for row in plan
    ), plan


def _rebuilt(
    settings: Settings, path: Path, at: str, number: str, caplog: pytest.LogCaptureFixture
) -> str:
    """Loads one order into table mode; returns what the log says the commit rebuilt."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="akasa.backends.sql.store"):
        load(
            settings,
            orders=[orders_xml(path, [line(path.stem, number, at, "S1", 1, "5")])],
            mode="table",
        )
    return next(r.getMessage() for r in caplog.records if r.getMessage().startswith("KPI rollups"))


def test_the_first_orders_rebuild_only_their_days(
    migrated: TestDatabase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Into a database without orders, the commit rebuilds only the days the ingest
    touched (they are all the days there are); with orders kept in another zone, every
    day with an order."""
    settings = migrated.settings()
    first = _rebuilt(settings, tmp_path / "O1.xml", "2025-01-10T12:00:00+05:30", M1, caplog)
    assert first.startswith("KPI rollups: 1 day(s) and 1 month(s) rebuilt")
    _check(migrated, "Asia/Kolkata")
    utc = migrated.settings(timezone="UTC")
    again = _rebuilt(utc, tmp_path / "O2.xml", "2025-01-12T12:00:00Z", M2, caplog)
    # Every UTC date with an order and the day either side: 9-11 and 11-13 January.
    assert again.startswith("KPI rollups: 5 day(s) and 1 month(s) rebuilt")
    _check(migrated, "UTC")


def test_days_are_rebuilt_once_no_later_file_touches_them(
    migrated: TestDatabase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In one ingest of three daily files, a day's rollup is rebuilt as soon as a file
    that does not touch it lands. The second file moves an order of the 10th to the
    12th, so the 10th waits for the third file; the 12th, which the last file touches,
    waits for the commit. The rollups are what a build from the orders gives."""
    settings = migrated.settings()
    tenth = orders_xml(
        tmp_path / "a" / "orders_1.xml",
        [
            line("O1", M1, "2025-01-10T10:00:00+05:30", "S1", 1, "10"),
            line("O2", M2, "2025-01-10T11:00:00+05:30", "S1", 2, "20"),
        ],
    )
    eleventh = orders_xml(
        tmp_path / "b" / "orders_2.xml",
        [
            line("O3", M1, "2025-01-11T10:00:00+05:30", "S1", 1, "30"),
            line("O1", M1, "2025-01-12T09:00:00+05:30", "S1", 1, "12"),  # from the 10th
        ],
    )
    twelfth = orders_xml(
        tmp_path / "c" / "orders_3.xml", [line("O4", M3, "2025-01-12T10:00:00+05:30", "S1", 3, "5")]
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="akasa.backends.sql.store"):
        load(settings, orders=[tenth, eleventh, twelfth], mode="both")
    messages = [r.getMessage() for r in caplog.records]
    early = [m.split("; ")[1].split(" earlier")[0] for m in messages if "earlier day" in m]
    assert early == ["0", "0", "2"]  # the 10th and 11th, once the 12th's file is in
    assert any(m.startswith("KPI rollups: 3 day(s) and 1 month(s) rebuilt") for m in messages)
    _check(migrated, "Asia/Kolkata")
    assert_same_outputs(settings)
