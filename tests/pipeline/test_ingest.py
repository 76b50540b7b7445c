"""Whole ingests: all-or-nothing, idempotent, later batches win, nothing lost."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
from pathlib import Path

import pytest

from akasa.backends.base import Mode
from akasa.backends.lake.store import Lake, LakeWriter
from akasa.cli.options import IngestMode
from akasa.core.config import Settings, load_settings
from akasa.core.errors import InputFileError, Interrupted, RejectRateExceededError
from akasa.ingest import quarantine
from akasa.pipeline import ingest as ingest_module
from akasa.pipeline.ingest import ingest
from tests.builders import accounting, customers_csv, kpis, line, load, orders_xml, rows
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.db import TestDatabase

M1, M2, M3 = "9123456781", "9123456782", "9123456783"


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under `directory` with its content hash."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_same_content_again_changes_nothing(settings: Settings) -> None:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    before = snapshot(settings.store_dir)
    again = load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    assert [(f.status, f.note) for f in again.stores[0].files] == [
        ("skipped", "already ingested (batch 1)"),
        ("skipped", "already ingested (batch 2)"),
    ]
    assert snapshot(settings.store_dir) == before


def test_same_content_under_another_name_is_skipped(settings: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "copy.xml"
    copy.write_bytes(OFFICIAL_ORDERS.read_bytes())
    result = load(settings, orders=[OFFICIAL_ORDERS, copy])
    # Files are taken in name order: copy.xml lands, the original is the repeat.
    assert [f.status for f in result.stores[0].files] == ["ingested", "skipped"]
    assert result.stores[0].files[1].note == "same content as copy.xml"


@pytest.mark.parametrize(
    "bad_text",
    ["<orders><order>", '<!DOCTYPE x [<!ENTITY e "e">]><orders/>', "<orders><order></orders>"],
    ids=["truncated", "dtd", "malformed"],
)
def test_a_refused_file_leaves_the_store_as_it_was(
    settings: Settings, tmp_path: Path, bad_text: str
) -> None:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    before = snapshot(settings.data_dir)
    good = orders_xml(tmp_path / "a_good.xml", [line("N1", M1, "2025-11-02", "S", 1, 5)])
    bad = tmp_path / "b_bad.xml"
    bad.write_text(bad_text)
    with pytest.raises(InputFileError) as caught:
        load(settings, orders=[good, bad])
    assert str(caught.value).startswith(f"{bad}: ")
    assert snapshot(settings.data_dir) == before


def test_a_crashed_ingest_leaves_no_trace(settings: Settings, tmp_path: Path) -> None:
    """Batch folders written before the manifest switch are invisible, then cleaned up."""
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    orphan = settings.store_dir / "batches" / "000003"
    orphan.mkdir()
    (orphan / "orders.parquet").write_bytes(b"half a file")
    assert rows(kpis(settings), "regional_revenue")[0]["revenue"] == "12749.00"
    load(
        settings,
        orders=[orders_xml(tmp_path / "d2.xml", [line("N1", M1, "2025-11-02", "S", 1, 5)])],
    )
    assert (orphan / "orders.parquet").exists()  # a real batch 3 took its place
    Lake(settings.store_dir).scan("orders").collect()  # and it reads


def test_quarantine_keeps_file_record_reason_and_raw_values(
    settings: Settings, tmp_path: Path
) -> None:
    path = orders_xml(
        tmp_path / "o.xml",
        [
            line("O1", M1, "2025-11-01", "S1", 1, 5),
            line("O2", "=cmd|' /C calc'!A0", "2025-11-01", "S1", 1, 5),
        ],
    )
    result = load(settings, orders=[path])
    written = result.stores[0].files[0].quarantine_file
    assert written is not None and written.parent == settings.quarantine_dir
    table = list(csv.DictReader(written.open(encoding="utf-8")))
    assert table == [
        {
            "source_file": "o.xml",
            "record_number": "2",
            "reason": "invalid mobile_number: X has 1 digit (need 10 digits starting 6-9)",
            "order_id": "O2",
            "mobile_number": "'=cmd|' /C calc'!A0",  # formula escaped
            "order_date_time": "2025-11-01",
            "sku_id": "S1",
            "sku_count": "1",
            "total_amount": "5",
        }
    ]
    stored = Lake(settings.store_dir).scan("rejects").collect().row(0, named=True)
    assert stored["source_file"] == "o.xml" and stored["record_number"] == 2
    assert json.loads(stored["raw"])["mobile_number"] == "=cmd|' /C calc'!A0"  # exact


def test_max_reject_rate_applies_nothing_but_writes_the_quarantine(
    settings: Settings, tmp_path: Path
) -> None:
    path = orders_xml(
        tmp_path / "o.xml",
        [line("O1", M1, "2025-11-01", "S1", 1, 5), line("O2", "1", "2025-11-01", "S1", 1, 5)],
    )
    with pytest.raises(RejectRateExceededError) as caught:
        ingest(settings, [], [path], [Mode.memory], max_reject_rate=0.25)
    assert "o.xml rejects 1 of 2 records" in str(caught.value)
    assert not (settings.store_dir / "manifest.json").exists()
    assert len(list(settings.quarantine_dir.glob("*.csv"))) == 1


def test_order_before_its_customer_resolves_when_the_customer_arrives(
    settings: Settings, tmp_path: Path
) -> None:
    load(
        settings,
        orders=[
            orders_xml(tmp_path / "o1.xml", [line("O1", M3, "2025-11-01T10:00:00", "S1", 1, 100)])
        ],
    )
    first = kpis(settings)
    assert rows(first, "regional_revenue") == [
        {
            "region": "Unknown",
            "revenue": "100.00",
            "orders": 1,
            "customers": 1,
            "revenue_share_pct": "100.00",
        }
    ]
    assert first.document.unmatched_orders == 1 and rows(first, "top_customers") == []
    load(settings, customers=[customers_csv(tmp_path / "c2.csv", [("C3", "Rohan", M3, "South")])])
    second = kpis(settings)
    assert rows(second, "regional_revenue")[0]["region"] == "South"
    assert rows(second, "top_customers")[0]["customer_id"] == "C3"
    assert second.document.unmatched_orders == 0


def test_old_number_keeps_pointing_to_the_customer(settings: Settings, tmp_path: Path) -> None:
    load(settings, customers=[customers_csv(tmp_path / "c1.csv", [("C1", "A", M1, "West")])])
    load(settings, customers=[customers_csv(tmp_path / "c2.csv", [("C1", "A", M2, "East")])])
    load(
        settings,
        orders=[
            orders_xml(
                tmp_path / "o.xml",
                [
                    line("O1", M1, "2025-11-01", "S1", 1, 100),  # old number
                    line("O2", M2, "2025-11-02", "S1", 1, 50),  # new number
                ],
            )
        ],
    )
    result = kpis(settings)
    assert rows(result, "repeat_customers")[0]["customer_id"] == "C1"
    assert rows(result, "regional_revenue") == [
        {
            "region": "East",
            "revenue": "150.00",
            "orders": 2,
            "customers": 1,
            "revenue_share_pct": "100.00",
        }
    ]


def test_number_of_another_customer_rejected_across_batches(
    settings: Settings, tmp_path: Path
) -> None:
    load(settings, customers=[customers_csv(tmp_path / "c1.csv", [("C1", "A", M1, "West")])])
    # C1 moves to M2; M1 still belongs to C1, so C2 cannot take it.
    load(settings, customers=[customers_csv(tmp_path / "c2.csv", [("C1", "A", M2, "West")])])
    result = load(settings, customers=[customers_csv(tmp_path / "c3.csv", [("C2", "B", M1, "N")])])
    assert accounting(result) == [("c3.csv", 1, 0, 1, 0, 0)]
    rejects = Lake(settings.store_dir).scan("rejects").collect()
    assert rejects["reason"].to_list() == ["mobile_number already belongs to customer C1"]


def test_day1_day1_again_day2(settings: Settings, tmp_path: Path) -> None:
    """The daily routine: outputs compared after each step."""
    day1_c = customers_csv(
        tmp_path / "c1.csv", [("C1", "Aarav", M1, "West"), ("C2", "Neha", M2, "North")]
    )
    day1_o = orders_xml(
        tmp_path / "o1.xml",
        [
            line("O1", M1, "2025-10-01T10:00:00", "S1", 2, "1000"),
            line("O1", M1, "2025-10-01T10:00:00", "S2", 1, "1000"),
            line("O2", M2, "2025-10-02T10:00:00", "S1", 1, "500"),
        ],
    )
    load(settings, [day1_c], [day1_o])
    out1 = {n: rows(kpis(settings), n) for n in ("monthly_trends", "regional_revenue")}
    assert out1["monthly_trends"] == [
        {
            "month": "2025-10",
            "orders": 2,
            "customers": 2,
            "units": 4,
            "revenue": "1500.00",
            "avg_order_value": "750.00",
            "revenue_growth_pct": None,
            "complete": False,  # as of 2 October (latest): October is in progress
        }
    ]

    load(settings, [day1_c], [day1_o])
    assert {n: rows(kpis(settings), n) for n in out1} == out1

    day2_c = customers_csv(tmp_path / "c2.csv", [("C2", "Neha S", M2, "north east")])
    day2_o = orders_xml(
        tmp_path / "o2.xml",
        [
            line("O1", M1, "2025-10-01T10:00:00", "S1", 1, "800"),  # re-sent: replaces O1 whole
            line("O3", M2, "2025-11-03T10:00:00", "S9", 3, "300"),
        ],
    )
    load(settings, [day2_c], [day2_o])
    result = kpis(settings)
    assert rows(result, "monthly_trends") == [
        {
            "month": "2025-10",
            "orders": 2,
            "customers": 2,
            "units": 2,
            "revenue": "1300.00",
            "avg_order_value": "650.00",
            "revenue_growth_pct": None,
            "complete": True,
        },
        {
            "month": "2025-11",
            "orders": 1,
            "customers": 1,
            "units": 3,
            "revenue": "300.00",
            "avg_order_value": "300.00",
            # In progress on 3 November: compared with 1-3 October, which had all of
            # October's revenue.
            "revenue_growth_pct": "-76.92",
            "complete": False,
        },
    ]
    assert rows(result, "regional_revenue") == [  # a revenue tie sorts by region
        {
            "region": "North East",
            "revenue": "800.00",
            "orders": 2,
            "customers": 1,
            "revenue_share_pct": "50.00",
        },
        {
            "region": "West",
            "revenue": "800.00",
            "orders": 1,
            "customers": 1,
            "revenue_share_pct": "50.00",
        },
    ]
    assert rows(result, "repeat_customers")[0]["customer_name"] == "Neha S"
    ledger = Lake(settings.store_dir).ledger()
    assert ledger["source_file"].to_list() == ["c1.csv", "o1.xml", "c2.csv", "o2.xml"]
    assert ledger["records_read"].to_list() == [2, 3, 1, 2]


def test_a_file_replaced_during_the_ingest_is_recorded_as_what_was_read(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A producer swaps orders.xml from day 1 to day 2 after the ingest found it: the
    ledger's hash is that of the bytes parsed (day 1), so the real day-2 file is not
    later skipped as "already ingested"."""
    day1 = [line("O1", M1, "2025-10-01T10:00:00", "S1", 1, "100")]
    day2 = [line("O2", M1, "2025-10-02T10:00:00", "S1", 1, "200")]
    source = orders_xml(tmp_path / "in" / "orders.xml", day1)
    day1_bytes = source.read_bytes()
    day2_bytes = orders_xml(tmp_path / "day2.xml", day2).read_bytes()

    real_read = ingest_module.iter_order_chunks

    def swapped_then_read(paths, *args, **kwargs):  # type: ignore[no-untyped-def]
        source.write_bytes(day2_bytes)  # the producer, between finding and reading
        return real_read(paths, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "iter_order_chunks", swapped_then_read)
    load(settings, orders=[source])
    monkeypatch.undo()

    ledger = Lake(settings.store_dir).ledger()
    assert ledger["sha256"].to_list() == [hashlib.sha256(day1_bytes).hexdigest()]
    assert ledger["size_bytes"].to_list() == [len(day1_bytes)]
    orders = Lake(settings.store_dir).current("orders").collect()
    assert orders["order_id"].to_list() == ["O1"]
    # The file now holds day 2: it is new content, so it lands.
    result = load(settings, orders=[source])
    assert [f.status for f in result.stores[0].files] == ["ingested"]
    assert not (settings.data_dir / "tmp" / "staging").exists()  # the copies are gone


def test_a_file_name_as_long_as_names_can_be(settings: Settings, tmp_path: Path) -> None:
    """A 250-character name: its staged copy, its quarantine and every temporary file
    still fit the file system's 255-byte limit."""
    name = "o" * 246 + ".xml"
    path = orders_xml(
        tmp_path / name,
        [line("O1", M1, "2025-10-01T10:00:00", "S1", 1, "100"), line("O2", "1", "x", "S", 1, "1")],
    )
    result = load(settings, orders=[path])
    report = result.stores[0].files[0]
    assert report.source_file == name and report.accounting is not None
    assert report.accounting.rejected == 1
    assert report.quarantine_file is not None and report.quarantine_file.exists()
    assert len(report.quarantine_file.name.encode()) <= 255


class CtrlCAfter:
    """A progress listener that raises KeyboardInterrupt once `bytes_read` have been read:
    Ctrl-C arriving in the middle of an ingest."""

    def __init__(self, bytes_read: int) -> None:
        self.left = bytes_read

    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, amount: int) -> None:
        self.left -= amount
        if self.left <= 0:
            raise KeyboardInterrupt

    def finish(self) -> None:
        pass


@pytest.mark.parametrize("mode", ["memory", "both"])
def test_ctrl_c_while_reading_applies_nothing(
    migrated: TestDatabase, tmp_path: Path, mode: str
) -> None:
    settings = migrated.settings()
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode)
    before = (snapshot(settings.store_dir), migrated.counts())
    later = orders_xml(tmp_path / "d2.xml", [line("N1", M1, "2025-11-02", "S", 1, 5)])
    with pytest.raises(Interrupted) as caught:
        ingest(settings, [], [later, OFFICIAL_ORDERS.parent], IngestMode(mode).modes(), None,
               CtrlCAfter(1))  # fmt: skip
    assert str(caught.value) == "nothing from this ingest was applied"
    assert caught.value.exit_code == 130
    assert (snapshot(settings.store_dir), migrated.counts()) == before


def test_ctrl_c_at_the_commit_point_waits_for_the_commit(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest switch is never cut short: the ingest lands whole, then says so."""
    commit = LakeWriter.commit

    def interrupted_commit(self: LakeWriter) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # handled by `held_back`, not raised
        commit(self)

    monkeypatch.setattr(LakeWriter, "commit", interrupted_commit)
    with pytest.raises(Interrupted) as caught:
        load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    assert str(caught.value) == "this ingest was applied in full before it stopped"
    assert len(Lake(settings.store_dir).ledger()) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_quarantine_rendered_in_slices_is_one_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rejects are written a slice at a time: one header, every record in order, and the
    `line` column of a malformed line even when the first slice has none."""
    rows = ["C1,A,12345,N", "C2,B,123,S", "C3,C,1,E", "C4,D,9876543210,W,extra"]
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,customer_name,mobile_number,region\n" + "\n".join(rows) + "\n")

    def quarantined(data_dir: Path) -> str:
        settings = load_settings(data_dir=data_dir)
        written = load(settings, customers=[path]).stores[0].files[0].quarantine_file
        assert written is not None
        return written.read_text(encoding="utf-8")

    whole = quarantined(tmp_path / "whole")
    monkeypatch.setattr(quarantine, "SLICE_ROWS", 1)
    sliced = quarantined(tmp_path / "sliced")
    assert sliced == whole
    lines = sliced.splitlines()
    assert lines[0].endswith(",line") and len(lines) == 5
    assert (
        lines[4] == 'customers.csv,4,5 fields where the header has 4,,,,,"C4,D,9876543210,W,extra"'
    )


def test_both_stores_record_the_same_times_for_each_file(migrated: TestDatabase) -> None:
    """With `--mode both` a file's ledger row says the same in each store, times included
    (the KPI documents of the two modes carry the last ingest's time)."""
    from akasa.backends.open import open_backend

    settings = migrated.settings()
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], mode="both")
    columns = ["source_file", "started_at", "finished_at"]
    memory = open_backend(settings, Mode.memory).ledger().select(columns).rows()
    table = open_backend(settings, Mode.table).ledger().select(columns).rows()
    assert len(memory) == 2
    assert memory == table
