"""One report of the official sample, built once per test session and shared read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from akasa.backends.base import Mode
from akasa.core.config import Settings, load_settings
from akasa.kpi.document import KpiDocument
from akasa.pipeline.ingest import ingest
from akasa.pipeline.run import run
from akasa.report.build import ReportResult, build_report
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS

# The KPI run and the report are pinned in time: 2025-11-02 14:30 IST, a day after the
# newest official order (2025-11-01 14:22:10 IST), so the data counts as fresh.
RUN_AT = datetime(2025, 11, 2, 9, 0, tzinfo=UTC)
REPORT_AT = datetime(2025, 11, 2, 9, 5, tzinfo=UTC)


@dataclass(frozen=True)
class OfficialReport:
    settings: Settings
    result: ReportResult
    document: dict[str, Any]

    @property
    def html(self) -> str:
        return self.result.report.read_text(encoding="utf-8")


def typed(document: dict[str, Any]) -> KpiDocument:
    """A (possibly changed) kpis.json dict as the model the report modules take."""
    return KpiDocument.model_validate(document)


def pinned_settings(data_dir: Path, cache_dir: Path | None = None) -> Settings:
    """Settings that no developer environment or .env can change (the cache beside the
    data dir unless given)."""
    return load_settings(
        data_dir=data_dir,
        cache_dir=cache_dir or data_dir.parent / "cache",
        timezone="Asia/Kolkata",
        source_timezone="Asia/Kolkata",
    )


@pytest.fixture(scope="session")
def official_report(tmp_path_factory: pytest.TempPathFactory) -> OfficialReport:
    settings = pinned_settings(tmp_path_factory.mktemp("official") / "data")
    ingest(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], [Mode.memory])
    run(settings, "memory", now=RUN_AT)
    result = build_report(settings, "memory", now=REPORT_AT)
    document = json.loads(result.source.read_text(encoding="utf-8"))
    return OfficialReport(settings, result, document)
