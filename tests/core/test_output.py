"""Output files: formula escaping, CSV shape, atomic replacement."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from akasa.core.config import Settings
from akasa.core.files import write_atomically
from akasa.core.output import csv_bytes
from tests.builders import customers_csv, kpis, line, load, orders_xml


def test_formula_cells_are_escaped_text_only() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": ["=1+1", "+91", "-x", "@sum", "ok", "a=b"],
            "orders": [1, 2, 3, 4, 5, 6],
            "revenue": ["-5.00"] * 6,
        }
    )
    text = csv_bytes(frame, ["customer_id"]).decode()
    assert text.splitlines() == [
        "customer_id,orders,revenue",
        "'=1+1,1,-5.00",
        "'+91,2,-5.00",
        "'-x,3,-5.00",
        "'@sum,4,-5.00",
        "ok,5,-5.00",
        "a=b,6,-5.00",
    ]


def test_kpi_csvs_escape_names_and_quote_commas(settings: Settings, tmp_path: Path) -> None:
    load(
        settings,
        [customers_csv(tmp_path / "c.csv", [("=HYPERLINK(1)", "Mehta, A", "9123456781", "@west")])],
        [
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("O1", "9123456781", "2025-01-01", "S", 1, 5),
                    line("O2", "9123456781", "2025-01-02", "S", 1, 5),
                ],
            )
        ],
    )
    kpis(settings)
    text = (settings.outputs_dir / "memory" / "repeat_customers.csv").read_text()
    assert text.splitlines()[1].startswith("'=HYPERLINK(1),\"Mehta, A\",'@west,2,10.00,")


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.csv"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["x.csv"]


def test_json_with_tables_is_the_document_plus_row_lists() -> None:
    import json

    from akasa.core.output import json_with_tables

    tables = {
        "people": pl.DataFrame({"name": ["देव 😀", 'q"uote', None], "n": [1, 2, None]}),
        "empty": pl.DataFrame(schema={"x": pl.String}),
    }
    text = json_with_tables({"mode": "memory", "summary": {"a": None}}, tables)
    assert json.loads(text) == {
        "mode": "memory",
        "summary": {"a": None},
        "people": [
            {"name": "देव 😀", "n": 1},
            {"name": 'q"uote', "n": 2},
            {"name": None, "n": None},
        ],
        "empty": [],
    }
    assert "देव" in text  # UTF-8 as is, not \\u escapes


def test_a_leading_tab_or_carriage_return_is_escaped_too() -> None:
    frame = pl.DataFrame({"customer_id": ["\t=1+1", "\r=cmd", "mid\tdle"]})
    text = csv_bytes(frame, ["customer_id"]).decode()
    assert text == "customer_id\n'\t=1+1\n\"'\r=cmd\"\nmid\tdle\n"
