"""`akasa report`: read the newest outputs of one mode, draw the charts, write the report.

Everything is rendered in memory first and only then written (each file atomically), so a
failure part-way leaves the previous report in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from akasa.core import zones
from akasa.core.config import Settings
from akasa.core.errors import NoOutputsError
from akasa.core.files import write_atomically
from akasa.kpi.document import KpiDocument, read_document
from akasa.report.freshness import Freshness, freshness

# Called before each step and once at the end: (what is happening, steps done, all steps).
Progress = Callable[[str, int, int], None]

PNG_SCALE = 2  # twice the chart's CSS size: sharp on high-density screens and in print
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class ChartFiles:
    png: Path
    html: Path


@dataclass(frozen=True)
class ReportResult:
    mode: str
    source: Path
    report: Path
    charts: dict[str, ChartFiles]
    freshness: Freshness

    @property
    def files(self) -> list[Path]:
        """Every file written: the report first, then each chart's PNG and HTML."""
        return [self.report, *(p for c in self.charts.values() for p in (c.png, c.html))]


def load_document(settings: Settings, mode: str) -> tuple[Path, KpiDocument]:
    """The `kpis.json` of `mode`, read as a KPI document of this akasa's format."""
    path = settings.outputs_dir / mode / "kpis.json"
    if not path.is_file():
        raise NoOutputsError()
    return path, read_document(path)


def vl_version() -> str | None:
    """The Vega-Lite version Altair writes specs for, if vl-convert has it (else its newest)."""
    import altair as alt
    import vl_convert as vlc

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


@cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (built once per process: ~1 s)."""
    import vl_convert as vlc

    # vl-convert's stub marks `snippet` required; the function defaults it to None.
    return vlc.javascript_bundle(vl_version=vl_version())  # type: ignore[call-arg]


def render_png(spec: dict[str, Any]) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, vl_version=vl_version(), scale=PNG_SCALE)


def build_report(
    settings: Settings,
    mode: str = "memory",
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Draw the report and the charts of the newest `mode` outputs into the reports folder."""
    from akasa.report import charts
    from akasa.report.pages import Chart, chart_page, report_page

    source, document = load_document(settings, mode)
    names = list(charts.ORDER)
    total = 2 + 2 * len(names) + 1
    done = 0

    def step(what: str) -> None:
        nonlocal done
        if progress:
            progress(what, done, total)
        done += 1

    step("Building the charts")
    specs = charts.specs(document)
    drawn = []
    for name in names:
        step(f"Drawing {name}.png")
        drawn.append(Chart(name, specs[name], render_png(specs[name])))
    step("Bundling the Vega JavaScript")
    bundle = javascript_bundle()
    out = settings.reports_dir
    pages: dict[Path, str] = {}
    for chart in drawn:
        step(f"Writing {chart.name}.html")
        pages[out / f"{chart.name}.html"] = chart_page(document, chart, bundle)
    step(f"Writing {REPORT_FILE}")
    fresh = freshness(document)
    built_at = (now or datetime.now(UTC)).astimezone(zones.zone(document.timezone))
    pages[out / REPORT_FILE] = report_page(document, drawn, fresh, bundle, built_at)

    files: dict[str, ChartFiles] = {}
    for chart in drawn:
        files[chart.name] = ChartFiles(out / f"{chart.name}.png", out / f"{chart.name}.html")
        write_atomically(files[chart.name].png, chart.png)
    for path, text in pages.items():
        write_atomically(path, text.encode("utf-8"))
    if progress:
        progress("Done", total, total)
    return ReportResult(mode, source, out / REPORT_FILE, files, fresh)
