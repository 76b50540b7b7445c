"""Mutated inputs: the only outcomes are accepted records, quarantined records or a clean
refusal, and the accounting always adds up."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akasa.core.errors import InputFileError
from akasa.ingest.clean import clean_customers, clean_orders
from akasa.ingest.csv_reader import read_customers
from akasa.ingest.xml_reader import read_orders
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS

NO_OWNERS = pl.DataFrame(schema={"mobile_number": pl.String, "customer_id": pl.String})
INTERESTING = [
    b"<",
    b">",
    b"/",
    b"&",
    b'"',
    b",",
    b"\n",
    b"\r",
    b"\x00",
    b"\xff",
    b"]]>",
    b"<order>",
    b"</order>",
    b"<!--",
    b"-->",
    b"\xe2\x82\xb9",
    b" ",
    b"0",
    b"9",
]


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        piece = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=4)))
        if action == "insert":
            data[where:where] = piece
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 20))]
        elif action == "replace":
            data[where : where + len(piece)] = piece
        else:
            del data[where:]
    return bytes(data)


FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=mutated(OFFICIAL_ORDERS.read_bytes()))
def test_mutated_orders_xml(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.xml"
    path.write_bytes(data)
    try:
        raw = read_orders(path)
    except InputFileError as refused:
        assert str(refused).startswith(f"{path}: ") and "\n" not in str(refused)
        return
    result = clean_orders(raw, "Asia/Kolkata")
    acc = result.accounting
    assert acc.read == raw.height
    assert acc.accepted + acc.rejected + acc.duplicates + acc.superseded == acc.read
    assert result.lines.height == acc.accepted and result.rejects.height == acc.rejected


@FUZZ
@given(data=mutated(OFFICIAL_CUSTOMERS.read_bytes()))
def test_mutated_customers_csv(data: bytes) -> None:
    try:
        raw = read_customers("fuzz.csv", data)
    except InputFileError as refused:
        assert str(refused).startswith("fuzz.csv: ") and "\n" not in str(refused)
        return
    result = clean_customers(raw, NO_OWNERS)
    acc = result.accounting
    assert acc.accepted + acc.rejected + acc.duplicates + acc.superseded == acc.read == raw.height
    assert result.customers.height == acc.accepted and result.rejects.height == acc.rejected
