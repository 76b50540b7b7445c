"""Order-line rules of SPEC §3: each line alone, then versions, then header agreement."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from akasa.core.config import Settings
from akasa.ingest.clean import clean_orders
from akasa.ingest.xml_reader import read_orders
from tests.builders import line, orders_xml

T = "2025-10-12T09:15:32"
M = "9123456781"


def clean(tmp_path: Path, lines: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    path = orders_xml(tmp_path / "orders.xml", lines)
    return clean_orders(read_orders(path), "Asia/Kolkata")


def reasons(result) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return dict(zip(result.rejects["record_number"], result.rejects["reason"], strict=True))


def test_three_lines_make_one_order_counted_once(tmp_path: Path) -> None:
    result = clean(tmp_path, [line("O1", M, T, f"S{i}", 1, "7450") for i in range(3)])
    assert result.orders.height == 1
    assert result.orders["total_paise"].to_list() == [745000]
    assert result.orders["units"].to_list() == [3]  # sku_count summed over the lines
    assert result.lines.height == 3
    acc = result.accounting
    assert (acc.read, acc.accepted, acc.rejected, acc.duplicates, acc.superseded) == (3, 3, 0, 0, 0)


def test_an_invalid_line_is_rejected_alone(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O1", M, T, "S1", 1, "100"),
            line("O1", M, T, "S2", 0, "100"),  # bad count
            line("O1", M, T, "S3", 2, "100"),
        ],
    )
    assert reasons(result) == {
        2: 'invalid sku_count: "0" (need a whole number from 1 to 1000000000)'
    }
    assert result.lines["sku_id"].to_list() == ["S1", "S3"]
    assert result.orders.height == 1


def test_each_field_problem_is_named(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line(" ", M, T, "S1", 1, "1"),
            line("O2", M, T, "", 1, "1"),
            line("O3", "12345", T, "S1", 1, "1"),
            line("O4", M, "32/01/2025 10:00", "S1", 1, "1"),
            line("O5", M, T, "S1", "two", "1"),
            line("O6", M, T, "S1", 1, "-5"),
            line("O7", "", "", "S1", 1, "1"),
        ],
    )
    assert reasons(result) == {
        1: "missing order_id",
        2: "missing sku_id",
        3: "invalid mobile_number: 12X45 has 5 digits (need 10 digits starting 6-9)",
        4: 'invalid order_date_time: "32/01/2025 10:00" (need a real date and time, '
        "years 1000-9998, e.g. 2025-10-12 09:15:32)",
        5: 'invalid sku_count: "two" (need a whole number from 1 to 1000000000)',
        6: 'invalid total_amount: "-5" (need a decimal from 0 to 999999999999.99)',
        7: "missing mobile_number; missing order_date_time",
    }
    assert result.accounting.rejected == 7 and result.orders.is_empty()


def test_rejects_keep_the_raw_values(tmp_path: Path) -> None:
    result = clean(tmp_path, [line("O1", "+91 12", T, "S1", 1, "₹1,000")])
    raw = json.loads(result.rejects["raw"][0])
    assert raw == {
        "order_id": "O1",
        "mobile_number": "+91 12",
        "order_date_time": T,
        "sku_id": "S1",
        "sku_count": "1",
        "total_amount": "₹1,000",
    }


def test_exact_repeat_is_a_duplicate_and_changed_repeat_supersedes(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O1", M, T, "S1", 1, "100"),
            line("O1", M, T, "S1", 1, "100"),  # exact repeat
            line("O1", M, T, "S2", 1, "100"),
            line("O1", M, T, "S2", 5, "100"),  # same key, new count: wins
        ],
    )
    acc = result.accounting
    assert (acc.read, acc.accepted, acc.duplicates, acc.superseded) == (4, 2, 1, 1)
    assert dict(zip(result.lines["sku_id"], result.lines["sku_count"], strict=True)) == {
        "S1": 1,
        "S2": 5,
    }


def test_repeat_equal_after_cleaning_is_a_duplicate(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O1", "+91 91234 56781", T, "S1", "2.0", "₹7,450.00"),
            line("O1", M, "2025-10-12 09:15:32", "S1", "2", "7450"),
        ],
    )
    assert result.accounting.duplicates == 1 and result.accounting.accepted == 1


def test_inconsistent_header_rejects_every_line_of_the_order(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O1", M, T, "S1", 1, "100"),
            line("O1", M, T, "S2", 1, "200"),
            line("O1", M, T, "S3", 1, "100"),
            line("O2", M, T, "S1", 1, "100"),
        ],
    )
    why = "total_amount differs within order O1: 100.00 vs 200.00 on lines 1, 2, 3"
    assert reasons(result) == {1: why, 2: why, 3: why}
    assert result.orders["order_id"].to_list() == ["O2"]
    acc = result.accounting
    assert (acc.read, acc.accepted, acc.rejected) == (4, 1, 3)


def test_header_agreement_is_after_cleaning(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O1", "+91 91234 56781", T, "S1", 1, "₹7,450.00"),
            line("O1", "9123456781", "2025-10-12T03:45:32Z", "S2", 1, "7450"),
        ],
    )
    assert result.rejects.is_empty() and result.orders.height == 1


def test_header_checked_after_superseded_lines_drop_out(tmp_path: Path) -> None:
    # The first S1 disagrees on the total, but a later S1 supersedes it.
    result = clean(
        tmp_path,
        [
            line("O1", M, T, "S1", 1, "999"),
            line("O1", M, T, "S2", 1, "100"),
            line("O1", M, T, "S1", 1, "100"),
        ],
    )
    assert result.rejects.is_empty()
    assert result.accounting.superseded == 1
    assert result.orders["total_paise"].to_list() == [10000]


def test_invalid_line_does_not_take_part_in_header_check(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O1", M, T, "S1", 1, "100"),
            line("O1", M, "bad", "S2", 1, "500"),
        ],
    )
    assert reasons(result) == {
        2: 'invalid order_date_time: "bad" (need a real date and time, years 1000-9998, '
        "e.g. 2025-10-12 09:15:32)"
    }
    assert result.orders.height == 1


def test_malformed_elements_are_rejected_records(tmp_path: Path) -> None:
    path = tmp_path / "o.xml"
    path.write_text(
        "<orders><order><order_id>O1</order_id><order_id>O2</order_id>"
        f"<mobile_number>{M}</mobile_number><order_date_time>{T}</order_date_time>"
        "<sku_id>S</sku_id><sku_count>1</sku_count><total_amount>1</total_amount></order>"
        "</orders>"
    )
    result = clean_orders(read_orders(path), "Asia/Kolkata")
    assert result.rejects["reason"].to_list() == ["<order_id> appears more than once"]
    # The quarantine keeps what was read, both values included.
    raw = json.loads(result.rejects["raw"][0])
    assert raw["order_id"] == "O1 | O2" and raw["sku_id"] == "S"


def test_accounting_always_adds_up(settings: Settings, tmp_path: Path) -> None:
    lines = [
        line(f"O{i % 7}", M if i % 5 else "1", T, f"S{i % 3}", i % 4, str(i % 2)) for i in range(60)
    ]
    result = clean(tmp_path, lines)
    acc = result.accounting
    assert acc.read == 60
    assert acc.accepted + acc.rejected + acc.duplicates + acc.superseded == 60
    assert result.lines.height == acc.accepted
    assert (
        pl.concat([result.rejects["record_number"], result.lines["record_number"]]).n_unique()
        == acc.accepted + acc.rejected
    )


def test_ids_longer_than_the_stores_keep_are_rejected(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [
            line("O" * 100, M, T, "S" * 100, 1, "1"),  # at the limit: kept
            line("O" * 101, M, T, "S1", 1, "1"),
            line("O3", M, T, "S" * 101, 1, "1"),
        ],
    )
    assert reasons(result) == {
        2: "order_id longer than 100 characters (it has 101)",
        3: "sku_id longer than 100 characters (it has 101)",
    }
    assert result.orders["order_id"].to_list() == ["O" * 100]


def test_an_order_time_more_than_a_day_after_the_ingest_is_rejected(tmp_path: Path) -> None:
    """SPEC §3: a mistyped year (9025) must not stretch every KPI; 24 hours of slack for
    producers whose clocks run ahead."""
    started = datetime(2025, 10, 12, 0, 0, tzinfo=UTC)
    path = orders_xml(
        tmp_path / "orders.xml",
        [
            line("O1", M, "2025-10-12T23:59:59Z", "S1", 1, "1"),
            line("O2", M, "2025-10-13T00:00:00Z", "S1", 1, "1"),  # exactly 24 hours: kept
            line("O3", M, "2025-10-13T00:00:00.000001Z", "S1", 1, "1"),
            line("O4", M, "9025-10-12T09:15:32", "S1", 1, "1"),
        ],
    )
    result = clean_orders(read_orders(path), "Asia/Kolkata", started)
    later = "(more than 24 hours after the ingest started)"
    assert reasons(result) == {
        3: f'order time in the future: "2025-10-13T00:00:00.000001Z" {later}',
        4: f'order time in the future: "9025-10-12T09:15:32" {later}',
    }
    assert result.orders["order_id"].to_list() == ["O1", "O2"]


# ---- what an inconsistent header says -----------------------------------------------------


def test_the_header_reason_names_each_disagreeing_field(tmp_path: Path) -> None:
    """Each field that differs, its distinct cleaned values in line order, and the lines;
    mobile numbers masked, times in the source zone as written."""
    other = "9876543210"
    result = clean(
        tmp_path,
        [
            line("ORD-9", M, T, "S1", 1, "1.00"),
            line("ORD-9", M, T, "S2", 1, "₹1,599.84"),
            line("ORD-7", M, "2025-10-12 09:15:32", "S1", 1, "5"),
            line("ORD-7", other, "2025-10-12T04:00:00.5Z", "S2", 1, "5"),
            line("ORD-7", M, T, "S3", 1, "5"),
        ],
    )
    nine = "total_amount differs within order ORD-9: 1.00 vs 1599.84 on lines 1, 2"
    seven = (
        "mobile_number differs within order ORD-7: 91XXXXXX81 vs 98XXXXXX10 on lines 3, 4, 5; "
        "order_date_time differs within order ORD-7: 2025-10-12 09:15:32+05:30 vs "
        "2025-10-12 09:30:00.500000+05:30 on lines 3, 4, 5"
    )
    assert reasons(result) == {1: nine, 2: nine, 3: seven, 4: seven, 5: seven}
    assert M not in str(reasons(result)) and other not in str(reasons(result))


def test_numbers_that_differ_only_in_hidden_digits_are_said_to(tmp_path: Path) -> None:
    result = clean(
        tmp_path,
        [line("O1", "9812345610", T, "S1", 1, "1"), line("O1", "9876543210", T, "S2", 1, "1")],
    )
    assert set(reasons(result).values()) == {
        "mobile_number differs within order O1: 98XXXXXX10 vs 98XXXXXX10 "
        "(they differ in the hidden digits) on lines 1, 2"
    }


def test_a_long_order_is_named_in_one_short_line(tmp_path: Path) -> None:
    """At most five values and ten lines are named; the rest are counted."""
    lines = [line("O1", M, T, f"S{i}", 1, str(i)) for i in range(1, 14)]
    result = clean(tmp_path, lines)
    assert set(reasons(result).values()) == {
        "total_amount differs within order O1: 1.00 vs 2.00 vs 3.00 vs 4.00 vs 5.00 and 8 more "
        "values on lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 3 more lines"
    }


def test_an_odd_order_id_cannot_break_the_reason(tmp_path: Path) -> None:
    """One line, and never the separator between problems."""
    odd = "A; B&#10;C"  # a newline inside, by XML reference
    result = clean(tmp_path, [line(odd, M, T, "S1", 1, "1"), line(odd, M, T, "S2", 1, "2")])
    assert set(reasons(result).values()) == {
        "total_amount differs within order A;B?C: 1.00 vs 2.00 on lines 1, 2"
    }


@pytest.mark.parametrize(
    ("mobile", "problem"),
    [
        ("98765", "98X65 has 5 digits"),
        ("+91 98765 43210 1", "91XXXXXXXXX01 has 13 digits"),
        ("5123456789", "51XXXXXX89 starts with 5"),
        ("+91 5123456789", "51XXXXXX89 starts with 5"),  # the number after the 91
        ("n/a", "no digits"),
        ("12", "XX has 2 digits"),
    ],
)
def test_an_invalid_mobile_says_why_without_showing_it(
    tmp_path: Path, mobile: str, problem: str
) -> None:
    result = clean(tmp_path, [line("O1", mobile, T, "S1", 1, "1")])
    assert reasons(result) == {1: f"invalid mobile_number: {problem} (need 10 digits starting 6-9)"}


def test_a_shown_value_is_quoted_and_cut(tmp_path: Path) -> None:
    result = clean(tmp_path, [line("O1", M, T, "S1", "1" * 60, "1")])
    assert reasons(result)[1] == (
        f'invalid sku_count: "{"1" * 40}..." (need a whole number from 1 to 1000000000)'
    )
