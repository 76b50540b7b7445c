"""SPEC §3 value rules, one by one, plus hypothesis properties of the normalisers."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akasa.ingest import normalise as n


def apply(expr_fn, values, dtype=pl.String):  # type: ignore[no-untyped-def]
    frame = pl.DataFrame({"v": values}, schema={"v": dtype})
    return frame.select(expr_fn(pl.col("v")).alias("out"))["out"].to_list()


# ---- mobile numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9876543210", "9876543210"),
        ("+91 98765 43210", "9876543210"),
        ("+91-98765-43210", "9876543210"),
        ("919876543210", "9876543210"),
        ("09876543210", "9876543210"),
        ("(987) 654-3210", "9876543210"),
        ("6000000000", "6000000000"),
        ("5876543210", None),  # must start 6-9
        ("987654321", None),  # 9 digits
        ("98765432101", None),  # 11 digits not starting 0
        ("0919876543210", None),  # 13 digits
        ("911234567890", None),  # drops 91 but then starts with 1
        ("", None),
        (None, None),
        ("९८७६५४३२१०", None),  # Devanagari digits are not ASCII digits
    ],
)
def test_mobile(raw: str | None, expected: str | None) -> None:
    assert apply(n.mobile, [raw]) == [expected]


@given(st.text(alphabet="0123456789 +-()", max_size=16))
def test_mobile_is_idempotent(raw: str) -> None:
    once = apply(n.mobile, [raw])[0]
    if once is not None:
        assert apply(n.mobile, [once]) == [once]


@given(
    st.from_regex(r"[6-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["{}", "+91 {}", "91{}", "0{}", "+91-{}", " {} "]),
)
def test_every_accepted_mobile_form_gives_the_same_number(number: str, form: str) -> None:
    assert apply(n.mobile, [form.format(number)]) == [number]


# ---- names and regions -----------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from(" \t\n\r")),
    max_size=30,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("north east", "North East"),
        ("NORTH", "North"),
        ("  west   coast ", "West Coast"),
        ("", "Unknown"),
        (None, "Unknown"),
        ("   ", "Unknown"),
        ("sOUTH", "South"),
    ],
)
def test_region(raw: str | None, expected: str) -> None:
    assert apply(n.region, [raw]) == [expected]


@given(TEXT)
def test_region_is_idempotent(raw: str) -> None:
    once = apply(n.region, [raw])[0]
    assert apply(n.region, [once]) == [once]


@given(TEXT)
def test_collapsed_is_idempotent_and_has_no_double_spaces(raw: str) -> None:
    once = apply(n.collapsed, [raw])[0]
    assert apply(n.collapsed, [once]) == [once]
    assert "  " not in once and once == once.strip()


# ---- counts and amounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2", 2),
        ("2.0", 2),
        (" 3 ", 3),
        ("1", 1),
        ("0", None),
        ("-1", None),
        ("2.5", None),
        ("abc", None),
        ("", None),
        ("1e3", None),
        ("+2", None),
        ("1000000000", 1_000_000_000),  # 10^9, the largest count
        ("1000000001", None),
        ("1000000000.0", 1_000_000_000),
    ],
)
def test_sku_count(raw: str, expected: int | None) -> None:
    assert apply(n.sku_count, [raw]) == [expected]


@pytest.mark.parametrize(
    ("raw", "paise"),
    [
        ("7450", 745000),
        ("7450.00", 745000),
        ("₹7,450.00", 745000),
        ("₹ 7,450", 745000),
        ("Rs 7450", 745000),
        ("Rs. 7450.5", 745050),
        ("rs.7450", 745000),
        ("INR 12,34,567.50", 123456750),
        ("inr 1 234", 123400),
        ("2331.125", 233113),  # half away from zero
        ("2331.124", 233112),
        ("0.005", 1),
        ("0", 0),
        ("-5", None),
        ("7450 INR", None),  # marks only before the number
        ("$7450", None),
        ("abc", None),
        ("", None),
        ("1.2.3", None),
        ("1234567890123", None),  # more than DECIMAL(14,2) holds
        ("-0", 0),  # SPEC §3: -0 is 0.00
        ("-0.00", 0),
        ("-00.000", 0),
        ("₹-0", 0),
        ("-0.004", None),  # negative, however small
        ("-", None),
        ("-.", None),
        ("999999999999.99", 99999999999999),  # the largest amount accepted
        ("999999999999.994", 99999999999999),
        ("999999999999.995", None),  # rounds to 10^12: more than DECIMAL(14,2) holds
        ("1e3", None),
        ("+5", None),
        ("1_000", None),
        ("١٢٣", None),  # Arabic-Indic digits: ASCII only
        ("1.123456789012345678901", 112),  # any number of decimals, rounded
    ],
)
def test_amount(raw: str, paise: int | None) -> None:
    assert n.amounts_paise(pl.Series([raw])).to_list() == [paise]


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_amount_round_trips_its_own_text(paise: int) -> None:
    text = f"{paise // 100}.{paise % 100:02d}"
    shown = f"₹{paise // 100:,}.{paise % 100:02d}"
    assert n.amounts_paise(pl.Series([text, shown, text])).to_list() == [paise] * 3


# ---- date-times --------------------------------------------------------------------------------


def times(values: list[str | None], zone: str) -> list[datetime | None]:
    return n.timestamps_utc(pl.Series(values, dtype=pl.String), zone).to_list()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-10-12T09:15:32", utc(2025, 10, 12, 3, 45, 32)),  # naive = Asia/Kolkata
        ("2025-10-12 09:15:32", utc(2025, 10, 12, 3, 45, 32)),
        ("2025-10-12T09:15:32.250", utc(2025, 10, 12, 3, 45, 32, 250000)),
        ("2025-10-12T09:15:32Z", utc(2025, 10, 12, 9, 15, 32)),
        ("2025-10-12T09:15:32+00:00", utc(2025, 10, 12, 9, 15, 32)),
        ("2025-10-12T09:15:32+05:30", utc(2025, 10, 12, 3, 45, 32)),
        ("2025-10-12T09:15:32-04:00", utc(2025, 10, 12, 13, 15, 32)),
        ("2025-10-12T09:15", utc(2025, 10, 12, 3, 45)),
        ("2025-10-12", utc(2025, 10, 11, 18, 30)),  # midnight IST
        ("12-10-2025 09:15", utc(2025, 10, 12, 3, 45)),  # day first
        ("12/10/2025 09:15:32", utc(2025, 10, 12, 3, 45, 32)),
        ("01/02/2025 00:00", utc(2025, 1, 31, 18, 30)),  # 1 February, not 2 January
        ("2025-02-30", None),
        ("30/02/2025 10:00", None),
        ("12-10/2025 09:15", None),  # mixed separators
        ("12/10/2025", None),  # day-first needs a time
        ("2025-10-12T24:00:00", None),
        ("2025-10-12T09:15:32+0530", None),
        ("10/12/25 09:15", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        # Outside the years every store holds (MySQL DATETIME from 1000, Python to 9999).
        ("1000-01-01T00:00:00Z", utc(1000, 1, 1)),
        ("1000-01-01T05:29:59", None),  # 0999-12-31 in UTC
        ("0001-01-01T02:00:00", None),
        ("9998-12-31T23:59:59Z", utc(9998, 12, 31, 23, 59, 59)),
        ("9999-01-01T00:00:00Z", None),
        # A fraction of any length, kept to the microsecond (truncated, not rounded).
        ("2025-10-12T09:15:32.1234569Z", utc(2025, 10, 12, 9, 15, 32, 123456)),
        ("2025-10-12T09:15:32.999999999999Z", utc(2025, 10, 12, 9, 15, 32, 999999)),
        ("2025-10-12T09:15:32.5Z", utc(2025, 10, 12, 9, 15, 32, 500000)),
        ("2025-10-12T09:15:32.Z", None),
        ("2025-10-12T09:15:32+14:00", utc(2025, 10, 11, 19, 15, 32)),
        ("2025-10-12T09:15:32+14:01", None),
        ("٢٠٢٥-10-12", None),  # ASCII digits only
    ],
)
def test_timestamp(raw: str, expected: datetime | None) -> None:
    assert times([raw], "Asia/Kolkata") == [expected]


def test_repeated_values_map_back_in_place() -> None:
    values = ["2025-10-12", None, "bad", "2025-10-12", "2025-10-13"]
    got = times(values, "Asia/Kolkata")
    assert got == [
        utc(2025, 10, 11, 18, 30),
        None,
        None,
        utc(2025, 10, 11, 18, 30),
        utc(2025, 10, 12, 18, 30),
    ]
    assert n.by_distinct(pl.Series(["09876543210", None, "09876543210"]), n.mobile).to_list() == [
        "9876543210",
        None,
        "9876543210",
    ]


def test_source_timezone_applies_to_naive_times_only() -> None:
    values = ["2025-07-01T12:00:00", "2025-07-01T12:00:00Z"]
    got = times(values, "Europe/London")
    assert got == [utc(2025, 7, 1, 11, 0), utc(2025, 7, 1, 12, 0)]


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_every_accepted_date_form_means_the_same_instant(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    forms = [
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%d-%m-%Y %H:%M:%S"),
        moment.strftime("%d/%m/%Y %H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%S+05:30"),
    ]
    got = times(forms, "Asia/Kolkata")
    assert len(set(got)) == 1 and got[0] is not None


def test_a_time_the_clocks_skip_is_rejected_and_a_repeated_one_is_the_earlier() -> None:
    """The source zone's rules come from akasa's one zone database, gaps and repeats
    included (Europe/London: 30 March 2025 01:00-02:00 does not exist, 26 October
    01:00-02:00 happens twice)."""
    got = times(["2025-03-30T01:30:00", "2025-10-26T01:30:00"], "Europe/London")
    assert got == [None, utc(2025, 10, 26, 0, 30)]
