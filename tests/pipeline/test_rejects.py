"""`akasa rejects` as a library call: the quarantine of stores built by real ingests, the
same in memory mode and on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from akasa.core.config import Settings
from akasa.core.errors import NoDataError
from akasa.pipeline.rejects import RejectsResult, rejects
from tests.builders import DIRTY_REASONS, DIRTY_REJECTS, dirty_drop, load
from tests.db import TestDatabase


def listed(result: RejectsResult) -> list[tuple[str, int, str]]:
    return [(r["source_file"], r["record_number"], r["reason"]) for r in result.rows.to_dicts()]


def test_the_quarantine_is_the_same_in_both_modes(migrated: TestDatabase, tmp_path: Path) -> None:
    settings = migrated.settings()
    customers, orders = dirty_drop(tmp_path / "drop")
    load(settings, [customers], [orders], mode="both")
    memory, table = rejects(settings, "memory"), rejects(settings, "table")
    assert listed(memory) == listed(table) == DIRTY_REJECTS
    assert memory.rows.equals(table.rows)
    assert memory.rows["batch_id"].to_list() == [1, 1, 1, 2, 2, 2, 2]
    assert memory.reasons.rows() == table.reasons.rows() == DIRTY_REASONS
    assert memory.total == table.total == 7 and not table.truncated
    assert memory.files == table.files == ["customers.csv", "orders.xml"]
    # The filters are the same code for both modes; once on the database is enough.
    header = rejects(settings, "table", file="orders.xml", reason="ORD-9")
    assert [row[1] for row in listed(header)] == [3, 4]
    assert header.reasons.rows() == [("total_amount differs within order", 2)]


@pytest.fixture
def dirty(settings: Settings, tmp_path: Path) -> Settings:
    customers, orders = dirty_drop(tmp_path / "drop")
    load(settings, [customers], [orders])
    return settings


@pytest.mark.parametrize(
    ("file", "records"),
    [
        ("orders.xml", [2, 3, 4, 5]),
        ("*.csv", [2, 3, 4]),
        ("/drops/today/customers.csv", [2, 3, 4]),  # a path: its file name
        ("*", [2, 3, 4, 2, 3, 4, 5]),
    ],
)
def test_file_takes_a_name_or_a_glob(dirty: Settings, file: str, records: list[int]) -> None:
    result = rejects(dirty, "memory", file=file)
    assert [row[1] for row in listed(result)] == records


def test_reason_matches_any_problem_of_a_record_in_any_case(dirty: Settings) -> None:
    result = rejects(dirty, "memory", reason="INVALID MOBILE")
    assert [(row[0], row[1]) for row in listed(result)] == [
        ("customers.csv", 2),
        ("orders.xml", 5),
    ]
    assert result.reasons.rows() == [("invalid mobile_number", 2)]
    assert rejects(dirty, "memory", reason="1599.84").total == 2


def test_a_record_with_several_problems_counts_only_the_matching_one(
    settings: Settings, tmp_path: Path
) -> None:
    from tests.builders import line, orders_xml

    path = orders_xml(tmp_path / "o.xml", [line("O1", "", "", "S1", 1, "1")])
    load(settings, orders=[path])
    everything = rejects(settings, "memory")
    assert everything.reasons.rows() == [
        ("missing mobile_number", 1),
        ("missing order_date_time", 1),
    ]
    only = rejects(settings, "memory", reason="order_date_time")
    assert only.reasons.rows() == [("missing order_date_time", 1)]
    assert listed(only) == [("o.xml", 1, "missing mobile_number; missing order_date_time")]


def test_limit_lists_the_first_records_and_counts_them_all(dirty: Settings) -> None:
    result = rejects(dirty, "memory", limit=2)
    assert [row[1] for row in listed(result)] == [2, 3]
    assert result.total == 7 and result.truncated
    assert result.reasons.rows() == DIRTY_REASONS  # counted over every record


def test_a_file_never_ingested_is_an_error(dirty: Settings) -> None:
    with pytest.raises(NoDataError, match="no file ingested into the memory store matches"):
        rejects(dirty, "memory", file="orders_2024-*.xml")


def test_an_empty_store_has_no_rejects(settings: Settings) -> None:
    result = rejects(settings, "memory")
    assert result.total == 0 and result.rows.is_empty() and result.reasons.is_empty()
