"""Terminal output that fits: at 80 and 200 columns no number, id or timestamp is split
across lines, no header is broken, and what does not fit is named."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from akasa.backends.base import Mode, QueryResult
from akasa.cli import app, layout, render
from akasa.cli.layout import Column
from akasa.core.config import Settings, load_settings
from akasa.generate import generate
from akasa.ingest.clean import Accounting
from akasa.pipeline.ingest import FileReport, IngestResult, StoreReport, ingest
from akasa.pipeline.rejects import RejectsResult, rejects
from akasa.pipeline.run import KpiRun, run
from akasa.pipeline.status import Status, status
from tests.builders import DIRTY_REJECTS, dirty_drop, load
from tests.conftest import SAMPLE_DIR
from tests.db import TestDatabase

WIDTHS = [80, 200]
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?")


def rendered(width: int, draw: Callable[..., None], *args: Any, **options: Any) -> str:
    """What `draw` prints on a plain console of `width` columns."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False)
    draw(*args, console=console, **options)
    return buffer.getvalue()


# A path is left whole, never folded: after these, or alone on its (indented) line.
PATH_LINES = ("Outputs written to ", "  quarantine: ")


def check_fits(text: str, width: int, whole: tuple[str, ...] = ()) -> list[str]:
    """The lines of `text`, none wider than `width` but those of one path or URL, which
    are never cut (`whole`: the ones holding spaces)."""
    lines = text.splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    paths = [
        line
        for line in too_wide
        if line.startswith(PATH_LINES) or " " not in line.strip() or line.strip() in whole
    ]
    assert too_wide == paths, too_wide
    return lines


def tables_of(text: str) -> list[list[str]]:
    """Each table's lines: Rich pads every row to the width of the rule under the header."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line and set(line) == {"─"}:
            width = cell_len(line)
            rows = [lines[i - 1], line]
            rows += [row for row in lines[i + 1 :] if cell_len(row) == width][: len(lines)]
            found.append(rows)
    return found


def check_cells_intact(columns: list[Column], lines: list[str], width: int) -> None:
    """Every cell the fitted table shows is on one line, on the line of its row's first
    cell: nothing is split, nothing moved to another line."""
    fitted = layout.fit(columns, width)
    rows = len(fitted.shown[0].cells)
    header = next(i for i, line in enumerate(lines) if set(lines[i + 1] or "x") == {"─"})
    body = lines[header + 2 : header + 2 + rows]  # below the header and its rule
    for shown in fitted.shown:
        assert shown.header in lines[header], (shown.header, lines[header])
        for r, cell in enumerate(shown.cells):
            expected = layout.cut(cell, shown.width, shown.column.kind)
            if shown.column.kind in ("number", "fixed"):
                assert expected == cell  # never cut
            assert expected in body[r], (expected, body[r])


# ---- the fitting itself --------------------------------------------------------------------


def column(header: str, cells: list[str], kind: layout.Kind, **options: Any) -> Column:
    return Column(header, cells, kind, **options)


def test_everything_fits_when_there_is_room() -> None:
    columns = [column("id", ["CUST-000001"], "fixed"), column("name", ["Aarav Mehta"], "text")]
    fitted = layout.fit(columns, 80)
    assert [s.width for s in fitted.shown] == [11, 11] and fitted.dropped == []
    assert fitted.width == 11 + layout.GAP + 11


def test_abbreviations_come_before_cutting_and_dropping() -> None:
    columns = [
        column("id", ["CUST-000001"], "fixed", value=9),
        column("revenue", ["₹12,34,567.50"], "number", compact=["₹12,34,568"], value=5),
        column("superseded", ["0"], "number", short_header="supers.", value=1),
    ]
    full = layout.fit(columns, 80)
    assert [s.header for s in full.shown] == ["id", "revenue", "superseded"]
    narrow = layout.fit(columns, 11 + 10 + 7 + 2 * layout.GAP)
    assert [s.header for s in narrow.shown] == ["id", "revenue", "supers."]
    assert narrow.shown[1].cells == ["₹12,34,568"] and narrow.dropped == []


def test_low_value_columns_are_dropped_first_and_named() -> None:
    columns = [
        column("customer", ["CUST-000001"], "fixed", value=9),
        column("first order", ["2025-10-02 21:02:06"], "fixed", value=1, droppable=True),
        column("last order", ["2025-10-02 21:02:06"], "fixed", value=2, droppable=True),
        column("orders", ["1,23,456"], "number", value=9),
    ]
    fitted = layout.fit(columns, 11 + 19 + 8 + 2 * layout.GAP)
    assert [s.header for s in fitted.shown] == ["customer", "last order", "orders"]
    assert [c.label for c in fitted.dropped] == ["first order"]


def test_text_is_cut_with_an_ellipsis_numbers_and_ids_never() -> None:
    columns = [
        column("file", ["customers_2025-10-01.csv"], "path"),
        column("name", ["Ananya Venkataraman Iyer"], "text"),
        column("read", ["10,00,000"], "number"),
    ]
    fitted = layout.fit(columns, 20 + 10 + 9 + 2 * layout.GAP)
    widths = {s.header: s.width for s in fitted.shown}
    assert widths == {"file": 20, "name": 10, "read": 9}
    assert layout.cut("customers_2025-10-01.csv", 20, "path") == "cust…_2025-10-01.csv"
    assert layout.cut("Ananya Venkataraman Iyer", 10, "text") == "Ananya Ve…"


def test_a_header_is_never_narrower_than_its_column_needs() -> None:
    columns = [column("accepted", ["1"], "number"), column("note", ["x" * 40], "text")]
    for width in range(12, 60):
        fitted = layout.fit(columns, width)
        for shown in fitted.shown:
            assert shown.width >= cell_len(shown.header)


# ---- ingest -------------------------------------------------------------------------------


def ingest_result() -> IngestResult:
    big = Accounting(
        read=10_00_000, accepted=9_87_654, rejected=12_000, duplicates=300, superseded=46
    )
    small = Accounting(read=49, accepted=48, rejected=1, duplicates=0, superseded=0)
    files = [
        FileReport("customers", "customers_2025-10-01.csv", "a" * 64, "ingested", 7, small),
        FileReport("orders", "orders_2025-10-01.xml", "b" * 64, "ingested", 123456, big),
        FileReport(
            "orders",
            "orders_2025-09-30.xml",
            "c" * 64,
            "skipped",
            note="already ingested (batch 6)",
        ),
    ]
    return IngestResult([StoreReport(store="memory", files=files)])  # type: ignore[arg-type]


@pytest.mark.parametrize("width", WIDTHS)
def test_ingest_fits_and_keeps_every_number_whole(width: int) -> None:
    result = ingest_result()
    lines = check_fits(rendered(width, render.render_ingest, result), width)
    landed = [f for f in result.stores[0].files if f.status == "ingested"]
    check_cells_intact(render.ingest_columns(landed), lines, width)
    text = "\n".join(lines)
    for token in ("10,00,000", "9,87,654", "12,000", "123456", "customers_2025-10-01.csv"):
        assert token in text
    assert "  skipped orders_2025-09-30.xml: already ingested (batch 6)" in lines
    assert "memory: 2 file(s) ingested, 1 skipped, 12,001 record(s) rejected." in lines
    assert ("Not shown at this width: kind" in text) == (width == 80)
    assert ("accepte\n" not in text) and "accepted" in text  # headers whole


# ---- run ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, KpiRun]:
    """A memory store of generated daily files big enough for lakh-sized counts and crore
    rupees, and a run over it."""
    root = tmp_path_factory.mktemp("layout")
    generate(root / "drops", customers=400, order_lines=30_000, days=3, seed=11, dirty=0.01)
    settings = load_settings(data_dir=root / "data")
    ingest(settings, [root / "drops"], [root / "drops"])
    return settings, run(settings)


@pytest.fixture(scope="module")
def kpi_run(generated: tuple[Settings, KpiRun]) -> KpiRun:
    return generated[1]


@pytest.mark.parametrize("width", WIDTHS)
def test_run_fits_and_keeps_every_token_whole(kpi_run: KpiRun, width: int) -> None:
    lines = check_fits(rendered(width, render.render_run, kpi_run), width)
    text = "\n".join(lines)
    for name, frame in kpi_run.tables.items():
        title = render.KPI_TITLES[name]
        start = next(i for i, line in enumerate(lines) if line.startswith(title))
        check_cells_intact(render.kpi_columns(name, frame.head(20)), lines[start:], width)
    top = kpi_run.tables["top_customers"]
    for customer_id in top["customer_id"]:
        assert re.search(rf"\b{customer_id}\b", text)
    assert all(len(found) == len("CUST-000001") for found in re.findall(r"CUST-\d+", text))
    assert TIMESTAMP.search(text)
    if width == 200:
        assert "Not shown" not in text
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", text)  # to the second
    else:
        assert "Not shown at this width: first_order_at (all in repeat_customers.csv)." in text
    summary = lines[lines.index("") + 1 :]
    assert summary[0].startswith("Summary as of ")
    for line in summary[1:]:  # a bullet's further lines are indented under it
        assert line.startswith(("- ", "  "))


def test_run_quiet_prints_only_the_summary(kpi_run: KpiRun) -> None:
    text = rendered(80, render.render_run, kpi_run, quiet=True)
    assert text.startswith("Summary as of ")
    assert "Repeat customers" not in text and "Outputs written" not in text


def test_money_and_counts_are_grouped_the_indian_way() -> None:
    frame = pl.DataFrame(
        {
            "rank": [1],
            "customer_id": ["CUST-000001"],
            "customer_name": ["Aarav Mehta"],
            "region": ["North East"],
            "orders": [123456],
            "revenue": ["12345678.90"],
        }
    )
    columns = render.kpi_columns("top_customers", frame)
    cells = {c.name: c.cells[0] for c in columns}
    assert cells["orders"] == "1,23,456" and cells["revenue"] == "₹1,23,45,678.90"
    assert next(c for c in columns if c.name == "revenue").compact == ["₹1,23,45,679"]
    text = rendered(80, lambda console: render._print_table(console, columns, "Top"))
    assert re.search(r"1,23,456\s+₹1,23,45,678\.90", text)  # right-aligned, side by side


# ---- sql ----------------------------------------------------------------------------------


def query_result() -> QueryResult:
    when = datetime(2025, 10, 2, 15, 32, 6, tzinfo=UTC)
    rows = [
        (
            i,
            when,
            f"orders_2025-10-0{i}.xml",
            f"{i:064x}",
            1_23_45_678 * i,
            Decimal("17992.69") * i,
            "invalid mobile_number (need 10 digits starting 6-9)",
            "9876543210",
        )
        for i in range(1, 4)
    ]
    columns = [
        "batch_id",
        "finished_at",
        "source_file",
        "sha256",
        "size_bytes",
        "total_amount",
        "reason",
        "mobile_number",
    ]
    return QueryResult(columns=columns, rows=rows, truncated=False)


@pytest.mark.parametrize("width", WIDTHS)
def test_sql_fits_and_keeps_every_token_whole(width: int) -> None:
    result = query_result()
    text = rendered(width, render.render_query, result, timezone="Asia/Kolkata")
    lines = check_fits(text, width)
    check_cells_intact(render.query_columns(result, "Asia/Kolkata"), lines, width)
    assert "9876543210" not in text  # mobiles masked in query results too
    assert "1,23,45,678" in text and "3 row(s)" in lines
    assert "2025-10-02 21:02" in text  # 15:32 UTC in the business zone
    assert ("Not shown at this width: " in text) == (width == 80)
    assert ("17,992.69" in text) == (width == 200)  # total_amount has no room at 80


def test_sql_quiet_prints_the_rows_only() -> None:
    text = rendered(200, render.render_query, query_result(), quiet=True)
    assert "row(s)" not in text and "orders_2025-10-01.xml" in text


# ---- through the command line ---------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_commands_follow_columns_and_stay_plain_when_redirected(
    settings: Settings, width: int
) -> None:
    runner = CliRunner()
    env = {"COLUMNS": str(width)}
    sample = [str(SAMPLE_DIR)]
    outputs = [
        runner.invoke(app, ["ingest", "-c", *sample, "-o", *sample], env=env),
        runner.invoke(app, ["run"], env=env),
        runner.invoke(app, ["sql", "SELECT * FROM batches ORDER BY batch_id"], env=env),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert "\x1b[" not in result.stdout  # no colour codes when redirected
        tables = tables_of(result.stdout)
        assert tables and all(cell_len(table[1]) <= width for table in tables)
    ingest_text, run_text, sql_text = (r.stdout for r in outputs)
    for batch in range(1, 11):
        assert re.search(rf"^\s*{batch}\s", sql_text, re.M)
    assert "CUST-000001" in run_text and "orders_2025-10-02.xml" in ingest_text
    timestamps = TIMESTAMP.findall(sql_text)
    assert len(timestamps) >= 10 or "finished_at" in sql_text.split("Not shown")[-1]


# ---- status and rejects -----------------------------------------------------------------


@pytest.fixture(scope="module")
def big_store(generated: tuple[Settings, KpiRun]) -> Settings:
    """That store: six ledger entries, counts of ten thousand."""
    return generated[0]


def check_status(text: str, width: int, columns: dict[str, list[Column]]) -> list[str]:
    """Fits, every ledger and table cell whole on its row, timestamps whole."""
    lines = check_fits(text, width)
    for title, cells in columns.items():
        start = next(i for i, line in enumerate(lines) if line.startswith(title))
        check_cells_intact(cells, lines[start:], width)
    for line in lines:  # a timestamp is never cut at its space
        assert not re.search(r"\d{4}-\d{2}-\d{2}$", line.rstrip()), line
    return lines


@pytest.mark.parametrize("width", WIDTHS)
def test_status_fits_and_keeps_every_token_whole(big_store: Settings, width: int) -> None:
    result = status(big_store)
    text = rendered(width, render.render_status, result)
    columns = {"Ledger": render.ledger_columns(result), "Tables": render.table_columns(result)}
    lines = check_status(text, width, columns)
    start = next(i for i, x in enumerate(lines) if x.startswith("Ledger"))
    rows = lines[start + 3 : start + 3 + 6]
    ledger = "\n".join(rows)
    entries = result.ledger
    assert len(entries) == 6
    for entry in entries:
        assert entry.source_file in ledger  # short names: never cut
        assert render.count(entry.records_read) in ledger
    assert "10,000" in ledger  # counts grouped
    if width == 80:
        note = re.sub(r"\s+", " ", text.split("Not shown at this width: ")[1])
        assert note.startswith("kind, ") and "sha256 (--format json has everything)." in note
        assert all(re.search(r" \d{4}-\d{2}-\d{2} \d{2}:\d{2}$", row.rstrip()) for row in rows)
        assert entries[0].sha256 not in text
    else:
        assert "Not shown" not in text
        assert all(e.sha256 in text for e in entries) and "+05:30" in ledger


def test_status_and_rejects_of_both_modes_fit(migrated: TestDatabase, tmp_path: Path) -> None:
    """One ingest into both stores (each database in turn), then status and rejects of
    each mode at each width."""
    settings = migrated.settings()
    customers, orders = dirty_drop(tmp_path / "drop")
    load(settings, [customers], [orders], "both")
    for mode, width in [(m, w) for m in Mode for w in WIDTHS]:
        check_status_of_a_small_store(status(settings, mode), width)
        check_rejects(rejects(settings, mode), width)


def check_status_of_a_small_store(result: Status, width: int) -> None:
    text = rendered(width, render.render_status, result)
    columns = {"Ledger": render.ledger_columns(result), "Tables": render.table_columns(result)}
    lines = check_status(text, width, columns)
    assert len(result.ledger) == 2
    for e in result.ledger:
        row = (
            rf"\s+{e.batch_id}\s+{e.source_file}(\s+{e.kind})?\s+{e.records_read}\s+{e.accepted}\s"
        )
        assert any(re.match(row, line) for line in lines), row


def check_rejects(result: RejectsResult, width: int) -> None:
    text = rendered(width, render.render_rejects, result)
    lines = check_fits(text, width)
    assert lines[0] == f"7 rejected record(s) in the {result.mode} store."
    check_cells_intact(render.reason_columns(result), lines, width)
    records = lines[[line.rstrip() for line in lines].index("Records") :]
    if width == 80:  # each reason on a line of its own, under its records
        listed = set()
        for head, reason in zip(records[1::2], records[2::2], strict=True):
            found = re.fullmatch(r"(\S+), batch \d, records? ([\d, ]+):", head)
            assert found and reason.startswith("  "), (head, reason)
            for number in found[2].split(", "):
                listed.add((found[1], int(number), reason[2:]))
        assert listed == set(DIRTY_REJECTS)
        assert "orders.xml, batch 2, records 3, 4:" in records  # one reason, said once
    else:
        check_cells_intact(render.record_columns(result.rows), records, width)
        for file, number, reason in DIRTY_REJECTS:
            assert any(
                re.match(rf"{file}\s+\d\s+{number}\s+{re.escape(reason)}", x) for x in records
            )


# ---- the one-line results: migrate, generate -------------------------------------------------


def deep(root: Path) -> Path:
    """A folder whose path alone is longer than most lines."""
    return root / ("a-rather-long-folder-name-" * 3) / "daily drops 2025"


def test_migrate_and_generate_lines_break_between_words(tmp_path: Path) -> None:
    from akasa.pipeline.migrate import migrate

    settings = load_settings(data_dir=deep(tmp_path))
    url = settings.database_display()
    upgraded = migrate(settings)
    made = generate(deep(tmp_path) / "out", customers=12, order_lines=1_00_000, days=1, seed=3)
    for width in WIDTHS:
        lines = check_fits(rendered(width, render.render_migrate, upgraded), width, (url,))
        assert url in lines or any(line.endswith(f": {url}") for line in lines)
        assert " ".join(lines).startswith("Database schema upgraded from empty to ")
        whole = (str(made.out_dir),)
        lines = check_fits(rendered(width, render.render_generate, made), width, whole)
        text = " ".join(lines)
        assert text.startswith("Wrote 12 customer rows and 1,00,000 order lines (")
        assert text.endswith(f"over 1 day(s) to {made.out_dir}")
