"""Reading whole files: what is accepted as a file, and what refuses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from akasa.core.errors import InputFileError
from akasa.ingest import csv_reader, xml_parse
from akasa.ingest.csv_reader import read_customers
from akasa.ingest.sources import resolve
from akasa.ingest.xml_reader import read_orders
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS


def customers(data: bytes):  # type: ignore[no-untyped-def]
    return read_customers("c.csv", data)


def test_header_trimmed_case_free_any_order_extra_columns_ignored() -> None:
    frame = customers(
        b" REGION ,Mobile_Number,notes, customer_id ,Customer_Name\nWest,9123456781,x,C1,Aarav\n"
    )
    assert frame.row(0, named=True) == {
        "record_number": 1,
        "customer_id": "C1",
        "customer_name": "Aarav",
        "mobile_number": "9123456781",
        "region": "West",
    }


def test_bom_crlf_and_quoting() -> None:
    data = (
        "\ufeffcustomer_id,customer_name,mobile_number,region\r\n"
        'C1,"Mehta, Aarav",9123456781,"North\r\nEast"\r\n'
    ).encode()
    row = customers(data).row(0, named=True)
    assert row["customer_id"] == "C1" and row["customer_name"] == "Mehta, Aarav"


def test_values_stay_text() -> None:
    frame = customers(b"customer_id,customer_name,mobile_number,region\n007,A,09123456781,N\n")
    assert frame.row(0, named=True)["customer_id"] == "007"
    assert frame.row(0, named=True)["mobile_number"] == "09123456781"


def test_blank_lines_are_not_records_but_numbering_follows_the_file() -> None:
    frame = customers(b"customer_id,customer_name,mobile_number,region\nC1,A,1,N\n\nC2,B,2,S\n")
    assert frame["customer_id"].to_list() == ["C1", "C2"]
    assert frame["record_number"].to_list() == [1, 3]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            b"customer_id,customer_name,mobile_number\nC1,A,1\n",
            "missing required column(s): region",
        ),
        (b"", "file is empty (no header row)"),
        (
            b"customer_id,customer_name,mobile_number,region\nC1,\xff\xfe,1,N\n",
            "not valid UTF-8 text",
        ),
        (
            b"customer_id,Customer_ID,customer_name,mobile_number,region\n",
            "column customer_id appears more than once",
        ),
    ],
)
def test_refused_csv(data: bytes, problem: str) -> None:
    with pytest.raises(InputFileError) as caught:
        customers(data)
    assert str(caught.value) == f"c.csv: {problem}"


def test_official_orders_stream_with_record_numbers() -> None:
    frame = read_orders(OFFICIAL_ORDERS)
    assert frame.height == 10
    assert frame["record_number"].to_list() == list(range(1, 11))
    assert frame["order_id"].unique().sort().to_list() == [
        "ORD-2025-0001",
        "ORD-2025-0002",
        "ORD-2025-0003",
    ]


def test_declaration_comments_cdata_unknown_children(tmp_path: Path) -> None:
    path = tmp_path / "o.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- drop -->\n<orders>'
        "<order><note>x</note><total_amount><![CDATA[₹1,000]]></total_amount>"
        "<order_id>O1</order_id><!-- c --></order></orders>",
        encoding="utf-8",
    )
    row = read_orders(path).row(0, named=True)
    assert row["order_id"] == "O1" and row["total_amount"] == "₹1,000"
    assert row["sku_id"] is None


@pytest.mark.parametrize("step", [2, 4096], ids=["in-steps-of-two", "in-one-step"])
def test_each_shape_of_order_reads_as_its_own_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    """Plain orders read column by column; the odd ones (text instead of fields, nested or
    repeated fields) one at a time, each in its own place, however the orders are grouped
    on their way into columns. Attributes are not read."""
    monkeypatch.setattr(xml_parse, "STEP_ROWS", step)
    path = tmp_path / "o.xml"
    path.write_text(
        '<orders><order id="9"><order_id kind="x">O1</order_id><sku_id>S1</sku_id></order>'
        "<order>just text</order>"
        "<order><order_id>O3<b>in</b></order_id><sku_id>S3</sku_id></order>"
        "<order/>"
        "<order><sku_id>S5</sku_id><sku_id>S6</sku_id><order_id>O5</order_id></order>"
        '<order><order_id a="1"/><sku_id>  </sku_id></order>'
        "</orders>",
        encoding="utf-8",
    )
    frame = read_orders(path)
    assert frame["record_number"].to_list() == [1, 2, 3, 4, 5, 6]
    assert frame["order_id"].to_list() == [
        "O1",
        None,
        '{"b": "in", "#text": "O3"}',
        None,
        "O5",
        None,
    ]
    assert frame["sku_id"].to_list() == ["S1", None, "S3", None, "S5 | S6", None]
    assert frame["malformed"].to_list() == [
        None,
        "order has text instead of fields",
        "<order_id> holds nested elements",
        None,
        "<sku_id> appears more than once",
        None,
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "<orders><order><order_id>O1</order_id></order>",
            "not well-formed XML (no element found, line 1, column 47)",
        ),
        ("<orders><order></orders>", "not well-formed XML (mismatched tag, line 1, column 18)"),
        (
            '<?xml version="1.0"?><!DOCTYPE orders [<!ENTITY a "aaaa">]><orders/>',
            "DTD or entity declarations are not allowed",
        ),
        (
            '<!DOCTYPE orders SYSTEM "http://example.com/x.dtd"><orders/>',
            "DTD or entity declarations are not allowed",
        ),
        (
            "<orders><order><order_id>&ent;</order_id></order></orders>",
            "not well-formed XML (undefined entity, line 1, column 26)",
        ),
        (
            "<orders><batch/></orders>",
            "unexpected element <batch> under <orders> (expected <order>)",
        ),
        ("", "file is empty"),
        (
            "\x00\x01binary",
            "not well-formed XML (not well-formed (invalid token), line 1, column 1)",
        ),
    ],
)
def test_refused_xml(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "o.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_orders(path)
    assert str(caught.value) == f"{path}: {problem}"


def test_resolve_directory_glob_and_file(tmp_path: Path) -> None:
    for name in ["b.csv", "a.csv", "c.xml"]:
        (tmp_path / name).write_text("x")
    assert [f.name for f in resolve("customers", tmp_path).files] == ["a.csv", "b.csv"]
    assert [f.name for f in resolve("orders", tmp_path).files] == ["c.xml"]
    globbed = resolve("customers", str(tmp_path / "*.csv")).files
    assert [f.name for f in globbed] == ["a.csv", "b.csv"]
    assert resolve("customers", OFFICIAL_CUSTOMERS).files[0].size_bytes == 240


@pytest.mark.parametrize("name", ["missing.csv", "nothing-*.csv"])
def test_resolve_refuses_what_is_not_there(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputFileError):
        resolve("customers", str(tmp_path / name))


MALFORMED = (
    b"customer_id,customer_name,mobile_number,region\n"
    b'"C2" ,Bala,9876543210,North\n'
    b"C3,Ok,9876543211,South\n"
    b'C1,O"Brien,9876543212,North\n'
    b'C4,"Shah, Meera",9876543213,East\n'
    b'C5,"Quote ""x""",9876543214,north east\n'
)


def test_a_malformed_csv_line_is_one_rejected_record_not_a_refused_file() -> None:
    """SPEC §2: `"C2" ,Bala` and `C1,O"Brien` break RFC 4180 quoting; each is one record
    that cleaning rejects with `malformed CSV line`, and the rest of the file is read."""
    from akasa.ingest.clean import clean_customers

    frame = read_customers("c.csv", MALFORMED)
    owners = pl.DataFrame(schema={"mobile_number": pl.String, "customer_id": pl.String})
    cleaned = clean_customers(frame, owners)
    assert cleaned.customers["customer_id"].to_list() == ["C3", "C4", "C5"]
    assert cleaned.customers["customer_name"].to_list() == ["Ok", "Shah, Meera", 'Quote "x"']
    rejects = cleaned.rejects.to_dicts()
    assert [(r["record_number"], r["reason"]) for r in rejects] == [
        (1, "malformed CSV line: text after a closing quote"),
        (3, "malformed CSV line: a quote inside an unquoted field"),
    ]
    assert json.loads(rejects[1]["raw"]) == {"line": 'C1,O"Brien,9876543212,North'}
    assert cleaned.accounting.read == 5 and cleaned.accounting.rejected == 2


def test_a_header_that_cannot_be_read_refuses_the_file() -> None:
    data = b'"customer_id,customer_name,mobile_number,region\nC1,A,9876543210,N\n'
    with pytest.raises(InputFileError, match="header row cannot be read"):
        read_customers("c.csv", data)


def test_quoted_fields_span_lines_and_keep_their_commas() -> None:
    data = (
        b'customer_id,customer_name,mobile_number,region\nC1,"two\nlines, one name",9876543210,N\n'
    )
    frame = read_customers("c.csv", data)
    assert frame.select("record_number", "customer_name").rows() == [(1, "two\nlines, one name")]


def test_a_utf16_csv_is_refused_saying_so() -> None:
    data = "customer_id,customer_name,mobile_number,region\n".encode("utf-16")
    with pytest.raises(InputFileError, match="UTF-16 text; save the file as UTF-8"):
        read_customers("c.csv", data)


def test_a_name_with_glob_characters_is_taken_literally(tmp_path: Path) -> None:
    path = tmp_path / "customers_[1].csv"
    path.write_text("customer_id,customer_name,mobile_number,region\n")
    assert [f.name for f in resolve("customers", path).files] == ["customers_[1].csv"]


def test_a_fifo_or_folder_named_like_a_drop_is_skipped_with_a_note(tmp_path: Path) -> None:
    """Never opened (reading a FIFO would block the ingest until a writer comes)."""
    os.mkfifo(tmp_path / "orders_2025-10-01.xml")
    (tmp_path / "orders_2025-10-02.xml").mkdir()
    (tmp_path / "orders_2025-10-03.xml").write_text("<orders/>")
    found = resolve("orders", tmp_path)
    assert [f.name for f in found.files] == ["orders_2025-10-03.xml"]
    assert [(s.path.name, s.note) for s in found.skipped] == [
        ("orders_2025-10-01.xml", "not a regular file (a FIFO)"),
        ("orders_2025-10-02.xml", "not a regular file (a folder)"),
    ]
    globbed = resolve("orders", str(tmp_path / "orders_*.xml"))
    assert [s.path.name for s in globbed.skipped] == ["orders_2025-10-01.xml"]
    with pytest.raises(InputFileError, match=r"01\.xml: not a regular file \(a FIFO\)"):
        resolve("orders", tmp_path / "orders_2025-10-01.xml")


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_rows_with_too_many_or_too_few_fields_are_rejected(quoted: bool) -> None:
    name = '"A"' if quoted else "A"
    data = (
        "customer_id,customer_name,mobile_number,region\n"
        f"C1,{name},9876543210,N\nC2,B,9876543211,N,extra\n\nC3,C,9876543212\n"
    ).encode()
    from akasa.ingest.clean import clean_customers

    owners = pl.DataFrame(schema={"mobile_number": pl.String, "customer_id": pl.String})
    cleaned = clean_customers(read_customers("c.csv", data), owners)
    assert cleaned.customers["customer_id"].to_list() == ["C1"]
    assert [(r["record_number"], r["reason"]) for r in cleaned.rejects.to_dicts()] == [
        (2, "5 fields where the header has 4"),
        (4, "3 fields where the header has 4"),
    ]


def test_a_header_of_a_million_columns_is_refused_before_it_is_read() -> None:
    data = b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n1\n"
    with pytest.raises(InputFileError, match="more than 1000 columns in the header"):
        read_customers("c.csv", data)


def test_blocks_of_lines_read_as_one_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file without quotes is read a block of lines at a time; a record number, a
    blank line and a ragged line mean the same whichever block they fall in."""
    rows = []
    for i in range(1, 200):
        if i % 7 == 0:
            rows.append("")  # a blank line: numbered, not a record
        elif i % 5 == 0:
            rows.append(f"C{i},N{i},98765{i:05d},R,extra")  # one field too many
        else:
            rows.append(f"C{i},N{i},98765{i:05d},R")
    data = ("customer_id,customer_name,mobile_number,region\r\n" + "\r\n".join(rows)).encode()
    whole = read_customers("c.csv", data)
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 50)  # a few lines a block
    blocks = read_customers("c.csv", data)
    assert blocks.equals(whole)
    assert blocks["record_number"].to_list() == [i for i in range(1, 200) if i % 7]
    ragged = blocks.filter(pl.col(csv_reader.MALFORMED_COLUMN).is_not_null())
    assert ragged["record_number"].to_list() == [i for i in range(1, 200) if i % 5 == 0 and i % 7]
    assert ragged[csv_reader.LINE_COLUMN][0] == "C5,N5,9876500005,R,extra"
