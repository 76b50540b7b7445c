"""`akasa report`: read the newest outputs of one mode, draw the charts, write the report.

Each mode has its own folder, `reports/<mode>/`, so a memory-mode report and a table-mode
one never overwrite each other. Everything is rendered in memory first and only then
written (each file atomically), so a failure part-way leaves the previous report in place.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from akasa.core import zones
from akasa.core.config import Settings
from akasa.core.errors import NoOutputsError, OutputsUnreadableError
from akasa.core.files import write_atomically
from akasa.kpi.document import ROWS, KpiDocument, read_document
from akasa.report.freshness import Freshness, freshness

# Called before each step and once at the end: (what is happening, steps done, all steps).
Progress = Callable[[str, int, int], None]

PNG_SCALE = 2  # twice the chart's CSS size: sharp on high-density screens and in print
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class ChartFiles:
    png: Path | None  # None: drawn without PNGs (`--no-png`)
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
        """Every file written: the report first, then each chart's PNG (if drawn) and HTML."""
        charts = (p for c in self.charts.values() for p in (c.png, c.html) if p is not None)
        return [self.report, *charts]


def report_dir(settings: Settings, mode: str) -> Path:
    """Where the report of `mode` goes: `<data dir>/reports/<mode>/`."""
    return settings.reports_dir / mode


def outputs_folder(settings: Settings, mode: str) -> Path:
    """The folder holding the newest outputs of `mode`. `outputs/<mode>` is a link that a
    run moves to a new set of files; reading everything through the folder it points to now
    keeps kpis.json and the CSVs of one run together even if another run ends meanwhile."""
    return (settings.outputs_dir / mode).resolve()


def load_document(settings: Settings, mode: str) -> tuple[Path, Path, KpiDocument]:
    """The `kpis.json` of `mode` (its path as users know it, the folder it is read from),
    read as a KPI document of this akasa's format."""
    path = settings.outputs_dir / mode / "kpis.json"
    if not path.is_file():
        raise NoOutputsError()
    folder = outputs_folder(settings, mode)
    return path, folder, read_document(folder / "kpis.json", shown_as=path)


def load_csvs(folder: Path, shown_as: Path) -> dict[str, bytes]:
    """Each KPI's CSV as `akasa run` wrote it beside kpis.json: the bytes the page embeds.
    Read from `folder`; a problem names the file in `shown_as`, the folder people know."""
    found = {}
    for name in ROWS:
        try:
            found[name] = (folder / f"{name}.csv").read_bytes()
        except OSError as exc:
            problem = f"{shown_as / f'{name}.csv'} cannot be read ({exc.strerror or exc})"
            raise OutputsUnreadableError(f"{problem}; run akasa run again") from None
    return found


def vl_version() -> str | None:
    """The Vega-Lite version Altair writes specs for, if vl-convert has it (else its newest)."""
    import altair as alt
    import vl_convert as vlc

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


@cache
def javascript_bundle(cache_dir: Path | None = None) -> str:
    """Vega, Vega-Lite and vega-embed as one script. Building it is the slowest part of a
    report (about two seconds), and it only changes with vl-convert, so it is kept in
    `cache_dir` (AKASA_CACHE_DIR, shared by every data dir) under a name that says which
    vl-convert and Vega-Lite made it. A cache that cannot be written only costs the
    rebuild next time."""
    import vl_convert as vlc

    version = vl_version()
    path = None
    if cache_dir is not None:
        made_by = importlib.metadata.version("vl-convert-python")
        path = cache_dir / f"vega-bundle-{made_by}-vl{version or 'newest'}.js"
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass  # not built yet (or unreadable): build it again
    # vl-convert's stub marks `snippet` required; the function defaults it to None.
    bundle: str = vlc.javascript_bundle(vl_version=version)  # type: ignore[call-arg]
    if path is not None:
        # A read-only home, a full disk: the report itself does not need the cache.
        with suppress(OSError):
            write_atomically(path, bundle.encode("utf-8"))
    return bundle


# The smallest chart: drawing it starts vl-convert's converter (about a second of CPU).
WARM_UP = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {}}


def start_converter() -> Future[None]:
    """Starts vl-convert's converter in the background, so its start-up overlaps with
    reading the outputs and building the specs (vl-convert works outside the GIL)."""

    def draw() -> None:
        import vl_convert as vlc

        vlc.vegalite_to_svg(WARM_UP, vl_version=vl_version())

    pool = ThreadPoolExecutor(max_workers=1)
    started = pool.submit(draw)
    pool.shutdown(wait=False)  # the thread ends when the drawing does
    return started


def render_png(spec: dict[str, Any]) -> bytes:
    """One chart's PNG. vl-convert keeps its converter between calls, so the charts of a
    report share one session (its start-up is paid once); its one worker draws them in
    turn, so threads would not make it faster."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, vl_version=vl_version(), scale=PNG_SCALE)


def build_report(
    settings: Settings,
    mode: str = "memory",
    now: datetime | None = None,
    progress: Progress | None = None,
    png: bool = True,
) -> ReportResult:
    """Draw the report and the charts of the newest `mode` outputs into `reports/<mode>/`;
    without `png` the charts are HTML only (faster; a page shows its charts only where
    scripts run) and older PNGs of this mode are removed, so none outlives its data."""
    source, folder, document = load_document(settings, mode)
    converter = start_converter() if png else None
    from akasa.report import charts  # Altair: imported while the converter starts
    from akasa.report.pages import Chart, chart_page, report_page

    names = list(charts.ORDER)
    total = 4 + len(names)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        if progress:
            progress(what, done, total)
        done += 1

    step("Reading the outputs")
    csvs = load_csvs(folder, source.parent)
    step("Building the charts")
    specs = charts.specs(document)
    step("Drawing the PNGs" if png else "Skipping the PNGs")
    if converter is not None:
        converter.result()  # started, or its error raised here
    pngs: list[bytes | None] = [render_png(specs[n]) if png else None for n in names]
    drawn = [Chart(n, charts.for_page(specs[n]), pngs[i]) for i, n in enumerate(names)]
    step("Bundling the Vega JavaScript")
    bundle = javascript_bundle(settings.cache_dir)
    out = report_dir(settings, mode)
    pages: dict[Path, str] = {}
    for chart in drawn:
        step(f"Writing {chart.name}.html")
        pages[out / f"{chart.name}.html"] = chart_page(document, chart, bundle)
    fresh = freshness(document)
    built_at = (now or datetime.now(UTC)).astimezone(zones.zone(document.timezone))
    pages[out / REPORT_FILE] = report_page(document, drawn, fresh, bundle, built_at, csvs)

    files: dict[str, ChartFiles] = {}
    for chart in drawn:
        image = out / f"{chart.name}.png"
        if chart.png is None:
            image.unlink(missing_ok=True)
            files[chart.name] = ChartFiles(None, out / f"{chart.name}.html")
        else:
            write_atomically(image, chart.png)
            files[chart.name] = ChartFiles(image, out / f"{chart.name}.html")
    for path, text in pages.items():
        write_atomically(path, text.encode("utf-8"))
    if progress:
        progress("Done", total, total)
    return ReportResult(mode, source, out / REPORT_FILE, files, fresh)
