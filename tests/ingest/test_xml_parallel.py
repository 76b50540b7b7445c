"""Large XML files are read in byte ranges by worker processes; the result never depends on
where the file was cut."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from akasa.core.errors import InputFileError
from akasa.generate import generate
from akasa.ingest import xml_reader
from akasa.ingest.xml_parse import parse_range
from akasa.ingest.xml_reader import _jobs, read_orders


@pytest.fixture
def parallel_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat every file as large (the size threshold only tunes when it pays off)."""
    monkeypatch.setattr(xml_reader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(xml_reader, "RANGE_BYTES", 1000)


def order(i: int) -> str:
    return (
        f"<order><order_id>O{i}</order_id><mobile_number>9123456781</mobile_number>"
        f"<order_date_time>2025-01-01</order_date_time><sku_id>S{i}</sku_id>"
        f"<sku_count>1</sku_count><total_amount>{i}</total_amount></order>\n"
    )


def test_parallel_equals_sequential_with_record_numbers(
    tmp_path: Path, parallel_always: None
) -> None:
    generate(tmp_path, customers=50, order_lines=6000, days=1, seed=3, dirty=0.05)
    (path,) = tmp_path.glob("*.xml")
    jobs = _jobs(path)
    assert jobs is not None and len(jobs) > 1
    assert all(parse_range(job) is not None for job in jobs)  # each range parses alone
    ranged = read_orders(path, workers=2)
    sequential = read_orders(path, workers=1)
    assert ranged.equals(sequential)
    assert ranged["record_number"].to_list() == list(range(1, 6001))


@pytest.mark.parametrize(
    ("middle", "lines"),
    [
        ("<!-- " + "</order>" * 3000 + " -->\n", 599),
        (order(0).replace("<sku_id>S0", "<sku_id><![CDATA[" + "</order>" * 3000 + "]]>"), 600),
    ],
    ids=["comment", "cdata"],
)
def test_a_cut_inside_comment_or_cdata_falls_back_to_one_pass(
    tmp_path: Path, parallel_always: None, middle: str, lines: int
) -> None:
    path = tmp_path / "tricky.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<orders>\n'
        + "".join(order(i) for i in range(1, 300))
        + middle
        + "".join(order(i) for i in range(300, 600))
        + "</orders>\n"
    )
    assert any(parse_range(job) is None for job in _jobs(path) or [])
    frame = read_orders(path, workers=2)
    assert frame.equals(read_orders(path, workers=1))
    assert frame.height == lines


def test_a_bad_file_gives_the_same_error_either_way(tmp_path: Path, parallel_always: None) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(
        "<orders>\n"
        + "".join(order(i) for i in range(400))
        + "<order><oops>"
        + "".join(order(i) for i in range(400))
        + "</orders>\n"
    )
    messages = []
    for workers in (1, 2):
        with pytest.raises(InputFileError) as caught:
            read_orders(path, workers=workers)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "mismatched tag" in messages[0]


def test_many_files_in_one_pool(tmp_path: Path, parallel_always: None) -> None:
    generate(tmp_path, customers=40, order_lines=3000, days=3, seed=8)
    paths = sorted(tmp_path.glob("*.xml"))
    together = xml_reader.read_orders_many(paths, workers=2)
    assert list(together) == paths
    for path in paths:
        assert together[path].equals(read_orders(path, workers=1))


def test_dtd_is_refused_on_the_parallel_path_too(tmp_path: Path, parallel_always: None) -> None:
    path = tmp_path / "dtd.xml"
    path.write_text(
        '<!DOCTYPE orders [<!ENTITY e "x">]>\n<orders>'
        + "".join(order(i) for i in range(200))
        + "</orders>"
    )
    with pytest.raises(InputFileError, match="DTD or entity declarations are not allowed"):
        read_orders(path, workers=2)


def test_closing_the_reader_early_stops_every_worker_at_once(
    tmp_path: Path, parallel_always: None
) -> None:
    """Ctrl-C or an error while the next file is still being parsed: the queued ranges are
    dropped and the workers terminated, nobody waits for them."""
    generate(tmp_path, customers=50, order_lines=20_000, days=3, seed=3)
    paths = sorted(tmp_path.glob("*.xml"))
    reader = xml_reader.iter_orders(paths, workers=2)
    first, _ = next(reader)
    assert first == paths[0] and multiprocessing.active_children()
    started = time.monotonic()
    reader.close()
    assert time.monotonic() - started < 2.0
    assert multiprocessing.active_children() == []


def test_a_too_deep_file_is_refused_in_one_pass(
    tmp_path: Path, parallel_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range that is too deep is a file that is too deep: no second, sequential pass."""
    path = tmp_path / "deep.xml"
    path.write_text(
        "<orders>"
        + "".join(order(i) for i in range(100))
        + "<order>" + "<a>" * 50 + "</a>" * 50 + "</order>"
        + "".join(order(i) for i in range(100))
        + "</orders>"
    )  # fmt: skip
    passes: list[Path] = []
    sequential = xml_reader._sequential_chunks

    def counted(path: Path, progress: object) -> object:
        passes.append(path)
        return sequential(path, None)

    monkeypatch.setattr(xml_reader, "_sequential_chunks", counted)
    with pytest.raises(InputFileError, match="elements nested deeper than 32 levels"):
        read_orders(path, workers=2)
    assert passes == []
