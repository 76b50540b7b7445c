"""Customer rules of SPEC §3: required id, tidy text, versions and mobile ownership."""

from __future__ import annotations

import polars as pl
import pytest

from akasa.ingest import clean
from akasa.ingest.clean import clean_customers

NO_OWNERS = pl.DataFrame(schema={"mobile_number": pl.String, "customer_id": pl.String})


def raw(*rows: tuple[str | None, str | None, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_number": list(range(1, len(rows) + 1)),
            "customer_id": [r[0] for r in rows],
            "customer_name": [r[1] for r in rows],
            "mobile_number": [r[2] for r in rows],
            "region": [r[3] for r in rows],
        },
        schema={
            "record_number": pl.Int64,
            "customer_id": pl.String,
            "customer_name": pl.String,
            "mobile_number": pl.String,
            "region": pl.String,
        },
    )


def test_values_are_tidied() -> None:
    result = clean_customers(
        raw((" C1 ", "  Aarav   Mehta ", "+91 91234 56781", "north  east")), NO_OWNERS
    )
    assert result.customers.drop("record_number").rows() == [
        ("C1", "Aarav Mehta", "9123456781", "North East")
    ]


def test_empty_name_allowed_empty_region_unknown() -> None:
    result = clean_customers(raw(("C1", "", "9123456781", "")), NO_OWNERS)
    assert result.customers.drop("record_number").rows() == [("C1", "", "9123456781", "Unknown")]


def test_missing_id_and_bad_mobile_are_rejected() -> None:
    result = clean_customers(
        raw(("", "A", "9123456781", "N"), ("C2", "B", "555", "N"), ("C3", "C", "", "N")), NO_OWNERS
    )
    assert result.rejects["reason"].to_list() == [
        "missing customer_id",
        "invalid mobile_number: XXX has 3 digits (need 10 digits starting 6-9)",
        "missing mobile_number",
    ]
    assert result.customers.is_empty()


def test_later_row_wins_within_a_file() -> None:
    result = clean_customers(
        raw(
            ("C1", "Old", "9123456781", "North"),
            ("C1", "New", "9123456781", "South"),
            ("C1", "New", "9123456781", "South"),
        ),
        NO_OWNERS,
    )
    assert result.customers.drop("record_number").rows() == [("C1", "New", "9123456781", "South")]
    acc = result.accounting
    assert (acc.read, acc.accepted, acc.duplicates, acc.superseded) == (3, 1, 1, 1)


def test_mobile_owned_by_another_id_in_the_same_file() -> None:
    result = clean_customers(
        raw(("C1", "A", "9123456781", "N"), ("C2", "B", "09123456781", "S")), NO_OWNERS
    )
    assert result.rejects["reason"].to_list() == ["mobile_number already belongs to customer C1"]
    assert result.customers["customer_id"].to_list() == ["C1"]


def test_mobile_owned_by_another_id_in_the_store() -> None:
    owners = pl.DataFrame({"mobile_number": ["9123456781"], "customer_id": ["C1"]})
    result = clean_customers(
        raw(("C2", "B", "9123456781", "S"), ("C1", "A", "9123456781", "N")), owners
    )
    assert result.rejects["reason"].to_list() == ["mobile_number already belongs to customer C1"]
    assert result.customers["customer_id"].to_list() == ["C1"]
    assert result.new_mobiles.is_empty()  # the number was already known


def test_a_rejected_update_keeps_the_customers_other_valid_row() -> None:
    result = clean_customers(
        raw(
            ("C2", "B", "9123456782", "S"),
            ("C1", "A", "9123456781", "N"),
            ("C2", "B", "9123456781", "S"),
        ),
        NO_OWNERS,
    )
    assert result.customers["customer_id"].to_list() == ["C2", "C1"]
    assert result.customers.filter(pl.col("customer_id") == "C2")["mobile_number"].item() == (
        "9123456782"
    )


def test_every_number_of_a_customer_is_recorded() -> None:
    result = clean_customers(
        raw(("C1", "A", "9123456781", "N"), ("C1", "A", "9123456789", "N")), NO_OWNERS
    )
    assert sorted(result.new_mobiles.rows()) == [("9123456781", "C1"), ("9123456789", "C1")]
    assert result.customers["mobile_number"].to_list() == ["9123456789"]


def test_values_longer_than_the_stores_keep_are_rejected() -> None:
    result = clean_customers(
        raw(
            ("C" * 100, "N" * 255, "9123456781", "R" * 100),  # at the limits: kept
            ("C" * 101, "A", "9123456782", "N"),
            ("C3", "N" * 256, "9123456783", "N"),
            ("C4", "A", "9123456784", "r" * 101),
        ),
        NO_OWNERS,
    )
    assert result.customers["customer_id"].to_list() == ["C" * 100]
    assert result.rejects["reason"].to_list() == [
        "customer_id longer than 100 characters (it has 101)",
        "customer_name longer than 255 characters (it has 256)",
        "region longer than 100 characters (it has 101)",
    ]


def test_a_nul_character_rejects_the_row() -> None:
    result = clean_customers(
        raw(("C\x001", "A", "9123456781", "N"), ("C2", "A\x00B", "9123456782", "We\x00st")),
        NO_OWNERS,
    )
    assert result.customers.is_empty()
    assert result.rejects["reason"].to_list() == [
        "customer_id contains a NUL character",
        "customer_name contains a NUL character; region contains a NUL character",
    ]


def test_records_checked_a_slice_at_a_time_settle_as_a_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each record's own checks run a slice at a time; ownership and versions still look
    across the whole file."""
    rows = raw(
        ("C1", "A", "9123456781", "N"),
        ("C2", "B", "9123456781", "S"),  # the number of C1, two slices later
        (None, "no id", "9123456782", "E"),
        ("C3", "C", "12345", "W"),
        ("C1", "A again", "9123456781", "N"),  # a later version of C1
        ("C4", "D", "9123456783", "N"),
        ("C4", "D", "9123456783", "N"),  # a duplicate
    )
    whole = clean_customers(rows, NO_OWNERS)
    monkeypatch.setattr(clean, "SLICE_ROWS", 2)
    sliced = clean_customers(rows, NO_OWNERS)
    assert sliced.customers.equals(whole.customers)
    assert sliced.rejects.equals(whole.rejects)
    assert sliced.new_mobiles.equals(whole.new_mobiles)
    assert sliced.accounting == whole.accounting
    assert [r["record_number"] for r in sliced.rejects.to_dicts()] == [2, 3, 4]
    assert (whole.accounting.duplicates, whole.accounting.superseded) == (1, 1)
