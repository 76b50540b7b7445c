"""kpis.json as a typed KpiDocument: the sample's file reads back whole; anything else is
refused with one line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from akasa.backends.base import Mode
from akasa.core.config import load_settings
from akasa.core.errors import OutputsUnreadableError
from akasa.kpi.document import ROWS, VERSION, KpiDocument, KpiHead, kpis_json, read_document
from akasa.pipeline.ingest import ingest
from akasa.pipeline.run import KpiRun, run
from tests.conftest import SAMPLE_DIR

RUN_AT = datetime(2025, 10, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    run: KpiRun
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def changed(self, folder: Path, change: Any) -> Path:
        """A copy of the sample's kpis.json in `folder`, after `change(document_dict)`."""
        document = json.loads(self.text)
        change(document)
        path = folder / "kpis.json"
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    data = tmp_path_factory.mktemp("sample") / "data"
    settings = load_settings(data_dir=data, timezone="Asia/Kolkata", source_timezone="Asia/Kolkata")
    ingest(settings, [SAMPLE_DIR], [SAMPLE_DIR], [Mode.memory])
    result = run(settings, "memory", now=RUN_AT)
    return Sample(result, result.output_dir / "kpis.json")


def test_sample_reads_back_whole(sample: Sample) -> None:
    document = read_document(sample.path)
    assert document.version == VERSION == 1
    # Every value survives the model unchanged, and nothing is dropped or added.
    assert document.model_dump(mode="json") == json.loads(sample.text)
    assert KpiDocument.model_validate_json(document.model_dump_json()) == document
    head = KpiHead.model_validate(document.model_dump(include=set(KpiHead.model_fields)))
    assert head == sample.run.document
    assert document.summary == sample.run.summary
    for name, frame in sample.run.tables.items():
        assert [r.model_dump() for r in getattr(document, name)] == frame.to_dicts(), name
    assert len(document.repeat_customers) > 10 and document.data_quality.top_reject_reasons


def test_layout_is_indented_head_then_one_row_per_line(sample: Sample) -> None:
    text = sample.text
    assert text.startswith(
        '{\n  "version": 1,\n  "mode": "memory",\n  "database": null,\n  "as_of": "2025-10-02T'
    )
    assert '\n  "summary": {\n    "total_revenue": "' in text  # money as text
    rows = [line for line in text.splitlines() if re.fullmatch(r'    \{".*\},?', line)]
    assert len(rows) == sum(frame.height for frame in sample.run.tables.values())
    assert text == kpis_json(sample.run.document, sample.run.tables) == sample.run.json_text


def _message(path: Path) -> str:
    with pytest.raises(OutputsUnreadableError) as caught:
        read_document(path)
    message = str(caught.value)
    assert "\n" not in message and message.endswith("; run akasa run again")
    return message


def _drop_orders(document: dict[str, Any]) -> None:
    del document["summary"]["orders"]


def test_another_version_is_refused(sample: Sample, tmp_path: Path) -> None:
    path = sample.changed(tmp_path, lambda d: d.update(version=2))
    assert _message(path) == (
        f"{path} is not a KPI document (format version 2; this akasa reads version 1); "
        "run akasa run again"
    )


def test_a_missing_field_is_refused(sample: Sample, tmp_path: Path) -> None:
    path = sample.changed(tmp_path, _drop_orders)
    assert f"{path} is not a KPI document (missing summary.orders); " in _message(path)
    path = sample.changed(tmp_path, lambda d: d.pop("version"))
    assert "is not a KPI document (missing version); " in _message(path)


def test_a_wrong_value_is_refused(sample: Sample, tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["repeat_customers"][1]["revenue"] = 12.5  # money is text
        document["top"] = "10"  # a count is a number
        document["kind_of_run"] = "extra"

    message = _message(sample.changed(tmp_path, change))
    assert "top: Input should be a valid integer" in message
    assert "repeat_customers[1].revenue: Input should be a valid string" in message
    assert "kind_of_run: Extra inputs are not permitted" in message


def test_not_json_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "kpis.json"
    path.write_text('{"version": 1,', encoding="utf-8")
    assert _message(path).startswith(f"{path} cannot be read (Invalid JSON: ")
    path.write_text("[1, 2]", encoding="utf-8")
    assert "is not a KPI document (Input should be an object); " in _message(path)


def test_tables_must_have_their_row_models_columns(sample: Sample) -> None:
    tables = dict(sample.run.tables)
    tables["regional_revenue"] = tables["regional_revenue"].rename({"region": "area"})
    with pytest.raises(ValueError, match="regional_revenue has columns"):
        kpis_json(sample.run.document, tables)
    assert list(ROWS) == list(sample.run.tables)
    assert all(isinstance(frame, pl.DataFrame) for frame in tables.values())
