"""Whatever lands in the drop folder: a clean refusal naming the file, or a quarantined
record. Never a traceback, never a half-written store."""

from __future__ import annotations

import csv
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app
from akasa.core.errors import InputFileError
from akasa.ingest.xml_reader import read_orders

runner = CliRunner()

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<orders><order><order_id>&lol9;</order_id></order></orders>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE orders [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<orders><order><order_id>&secret;</order_id></order></orders>"""

HEADER = "customer_id,customer_name,mobile_number,region\n"


def ingest(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["ingest", *args])


def assert_refused(result, path: Path, problem: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: {problem}\n"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
def test_entity_attacks_are_refused_fast_with_little_memory(tmp_path: Path, text: str) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(text)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(InputFileError) as caught:
        read_orders(path)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(caught.value).endswith("DTD or entity declarations are not allowed")
    assert elapsed < 1.0 and peak < 5_000_000
    assert_refused(
        ingest("--orders", str(path)), path, "DTD or entity declarations are not allowed"
    )


@pytest.mark.parametrize("kind", ["csv", "xml"])
def test_binary_garbage(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"garbage.{kind}"
    path.write_bytes(bytes(range(256)) * 40)
    option = "--customers" if kind == "csv" else "--orders"
    result = ingest(option, str(path))
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {path}: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("kind", "problem"), [("csv", "file is empty (no header row)"), ("xml", "file is empty")]
)
def test_empty_file(tmp_path: Path, kind: str, problem: str) -> None:
    path = tmp_path / f"empty.{kind}"
    path.write_bytes(b"")
    assert_refused(ingest("--customers" if kind == "csv" else "--orders", str(path)), path, problem)


def test_header_only_csv_is_a_day_without_new_customers(tmp_path: Path) -> None:
    path = tmp_path / "quiet-day.csv"
    path.write_text(HEADER)
    result = ingest("--customers", str(path))
    assert result.exit_code == 0
    assert "memory: 1 file(s) ingested, 0 skipped, 0 record(s) rejected." in result.stdout


def test_latin1_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "C1,José Müller,9123456781,Süd\n").encode("latin-1"))
    assert_refused(ingest("--customers", str(path)), path, "not valid UTF-8 text")


def test_ten_megabyte_field_is_a_quarantined_record(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(HEADER + "C1," + "x" * 10_000_000 + ",9123456781,West\nC2,Ok,9123456782,\n")
    result = ingest("--customers", str(path))
    assert result.exit_code == 0
    quarantine = next((tmp_path / "data" / "quarantine").glob("huge.*.csv"))
    (row,) = list(csv.DictReader(quarantine.open(encoding="utf-8")))
    assert row["reason"] == "customer_name longer than 255 characters (it has 10000000)"
    assert row["customer_name"] == "x" * 1000 + "...[10000000 characters in all]"


def test_ten_megabyte_xml_text_is_a_quarantined_record(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    path.write_text(
        "<orders><order><order_id>" + "9" * 10_000_000 + "</order_id><sku_id>S</sku_id>"
        "<mobile_number>9123456781</mobile_number><order_date_time>2025-01-01"
        "</order_date_time><sku_count>1</sku_count><total_amount>1</total_amount></order>"
        "</orders>"
    )
    result = ingest("--orders", str(path))
    assert result.exit_code == 0, result.output
    assert "1 record(s) rejected" in result.stdout


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text("<orders><order>" + "<a>" * 100_000 + "</a>" * 100_000 + "</order></orders>")
    started = time.perf_counter()
    assert_refused(ingest("--orders", str(path)), path, "elements nested deeper than 32 levels")
    assert time.perf_counter() - started < 5


def test_directory_named_like_a_file_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "orders.xml"
    folder.mkdir()
    assert_refused(ingest("--orders", str(folder)), folder, "no .xml files in this directory")
    missing = tmp_path / "nope.csv"
    assert_refused(ingest("--customers", str(missing)), missing, "no such file")


HUGE_TOKENS = {
    "a 200 MB text node": b"<orders><order><order_id>" + b"a" * (200 << 20) + b"</order_id>",
    "a 200 MB comment": b"<orders><!--" + b"a" * (200 << 20) + b"-->",
    "a 20 MB processing instruction": b"<orders><?x " + b"a" * (20 << 20) + b"?>",
    "a 20 MB attribute value": b'<orders a="' + b"a" * (20 << 20) + b'">',
}


@pytest.mark.parametrize("body", HUGE_TOKENS.values(), ids=HUGE_TOKENS.keys())
def test_a_huge_token_is_refused_fast(tmp_path: Path, body: bytes) -> None:
    """Expat re-reads an unfinished token on every feed: these took 38-90 s, or never
    ended; now refused before the parser sees them."""
    path = tmp_path / "orders.xml"
    path.write_bytes(body + b"</order></orders>")
    started = time.monotonic()
    with pytest.raises(InputFileError, match="a single text, tag or comment of more than 16 MB"):
        read_orders(path)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "token",
    [
        b"<!--" + b"a>" * (2 << 20) + b"-->",  # 4 MB comment, full of `>`: 38 s before
        b"<?x " + b"a" * (8 << 20) + b"?>",  # 8 MB processing instruction: 73 s before
        b"<!--" + b"<" * (8 << 20) + b"-->",  # 8 MB of `<` inside a comment
    ],
    ids=["4MB-comment", "8MB-instruction", "8MB-comment-of-markup"],
)
def test_large_tokens_under_the_limit_parse_in_linear_time(tmp_path: Path, token: bytes) -> None:
    """Fed in large pieces, expat reads what passes the size check in about a second
    (it re-read the token on every 2 KB feed before)."""
    path = tmp_path / "orders.xml"
    path.write_bytes(b"<orders>" + token + b"<order><order_id>1</order_id></order></orders>")
    started = time.monotonic()
    assert read_orders(path).height == 1
    assert time.monotonic() - started < 10


def test_an_order_with_too_many_elements_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.xml"
    path.write_text(
        "<orders><order><order_id>1</order_id><extra>" + "<x>a</x>" * 12_000 + "</extra></order>"
        "</orders>"
    )
    with pytest.raises(InputFileError, match="an <order> with more than 10000 elements inside"):
        read_orders(path)
