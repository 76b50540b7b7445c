"""report.html in a real browser: headless Chromium with no network; every chart draws, on
a phone (390×844) and on a laptop (1440×900), and the page never scrolls sideways.

Screenshots of both sizes are kept under pytest's base temp folder, in
`report-screenshots/` (the run's summary names them). Uses the system Chromium (Debian
package `chromium`; `.ci/run` installs it) through
Playwright. Locally the test is skipped with the reason when Chromium or Playwright is
missing; in CI (CI=true) it fails instead, so a missing browser can never pass unnoticed.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from akasa.report.charts import PRIMARY
from tests.report.conftest import OfficialReport

CHROMIUM = Path("/usr/bin/chromium")
# Headless as root, and nothing in the background that would try to reach Google; any host
# name fails to resolve, so not even a stray request can leave the machine.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
LOCAL = ("file:", "data:", "blob:")  # schemes that never leave the machine
CHARTS = ("monthly_trends", "regional_revenue", "top_customers", "repeat_customers")
SIZES = {"phone": (390, 844), "laptop": (1440, 900)}
SCREENSHOTS = "report-screenshots"  # under the base temp folder; tests/conftest.py lists them
# How wide the page is, and every element that reaches past the viewport's right edge
# without a scrolling box (a table's own scroller) around it.
WIDTHS = """() => {
  const inScroller = e => { for (let p = e.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
  return {
    page: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    viewport: window.innerWidth,
    wider: [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !inScroller(e))
      .map(e => e.tagName + (e.id ? '#' + e.id : '')),
    charts: [...document.querySelectorAll('.chart svg.marks')]
      .map(e => Math.round(e.getBoundingClientRect().width)),
    holders: [...document.querySelectorAll('.chart')]
      .map(e => Math.round(e.getBoundingClientRect().width)),
  };
}"""
LINKS = """() => [...document.querySelectorAll('.download a[download]')]
    .map(a => [a.getAttribute('download'), a.getAttribute('href')])"""
ALL_DRAWN = """() => [...document.querySelectorAll('.chart')]
    .every(e => e.getAttribute('data-rendered') !== 'false')"""
CHART_STATE = """() => Object.fromEntries([...document.querySelectorAll('.chart')].map(e => [
    e.id.replace('chart-', ''),
    {
      rendered: e.getAttribute('data-rendered'),
      images: e.querySelectorAll('img').length,
      bars: e.querySelectorAll('svg g.mark-rect.role-mark > path').length,
      lines: e.querySelectorAll('svg g.mark-line.role-mark > path').length,
      points: e.querySelectorAll('svg g.mark-symbol.role-mark > path').length,
      labels: [...e.querySelectorAll('svg g.mark-text.role-mark > text')]
        .map(t => t.textContent),
    }
]))"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium"
    return None


@dataclass
class Visit:
    """Everything one page load did and showed."""

    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    screenshot: bytes = b""
    chart_shots: dict[str, bytes] = field(default_factory=dict)
    tooltip: str = ""
    widths: dict[str, Any] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    saved: bytes = b""  # what the browser saved when the first download link was clicked

    @property
    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL)]

    @property
    def problems(self) -> list[tuple[str, str]]:
        return [(kind, text) for kind, text in self.console if kind in ("error", "warning")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = _unavailable()
    if problem:
        if _in_ci():
            pytest.fail(f"browser test cannot run in CI: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def visit(
    browser: Any,
    path: Path,
    hover: str | None = None,
    shots: bool = True,
    size: tuple[int, int] = (1100, 900),
    download: bool = False,
) -> Visit:
    """Open `path` offline, record every request and message, wait for the charts."""
    seen = Visit()
    width, height = size
    context = browser.new_context(
        offline=True, viewport={"width": width, "height": height}, accept_downloads=True
    )
    context.on("request", lambda request: seen.requests.append(request.url))
    context.route(lambda url: not url.startswith(LOCAL), lambda route: route.abort())
    page = context.new_page()
    page.on("console", lambda message: seen.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        page.goto(path.resolve().as_uri())
        page.wait_for_function(ALL_DRAWN, timeout=15_000)
        seen.charts = page.evaluate(CHART_STATE)
        seen.widths = page.evaluate(WIDTHS)
        seen.links = [tuple(link) for link in page.evaluate(LINKS)]
        if download:
            with page.expect_download() as saving:
                page.locator(".download a[download]").first.click()
            seen.saved = Path(saving.value.path()).read_bytes()
        if hover:
            page.locator(hover).first.hover()
            page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
            seen.tooltip = page.locator("#vg-tooltip-element").inner_text()
        if shots:
            for name in seen.charts:
                seen.chart_shots[name] = page.locator(f"#chart-{name}").screenshot()
            seen.screenshot = page.screenshot(full_page=True)
    finally:
        context.close()
    return seen


@pytest.fixture(scope="module")
def report_visit(browser: Any, official_report: OfficialReport) -> Visit:
    west_bar = "#chart-regional_revenue svg g.mark-rect.role-mark > path"
    return visit(browser, official_report.result.report, hover=west_bar, download=True)


@pytest.fixture(scope="module", params=list(SIZES))
def sized_visit(
    request: pytest.FixtureRequest,
    browser: Any,
    official_report: OfficialReport,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Visit]:
    """The report at a phone's and at a laptop's size; each screenshot kept as a file."""
    name = request.param
    seen = visit(browser, official_report.result.report, size=SIZES[name])
    folder = screenshots_dir(tmp_path_factory)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"{name}-{SIZES[name][0]}x{SIZES[name][1]}.png"
    shot.write_bytes(seen.screenshot)
    print(f"screenshot: {shot}")
    return name, seen


def screenshots_dir(factory: pytest.TempPathFactory) -> Path:
    """The run's base temp folder (not a worker's own, under xdist) / report-screenshots."""
    base = factory.getbasetemp()
    if base.name.startswith("popen-gw"):
        base = base.parent
    return base / SCREENSHOTS


def test_page_fits_the_screen(sized_visit: tuple[str, Visit]) -> None:
    name, seen = sized_visit
    width = SIZES[name][0]
    widths = seen.widths
    assert widths["viewport"] == width
    assert widths["page"] <= width and widths["body"] <= width, widths
    assert widths["wider"] == [], widths
    # Each live chart fills its card, less the room of its menu button (38 px): none is
    # cut off, none left at a fixed narrow size.
    assert len(widths["charts"]) == len(CHARTS)
    for chart, holder in zip(widths["charts"], widths["holders"], strict=True):
        assert holder - 40 <= chart <= holder, widths


def test_charts_draw_at_every_size(sized_visit: tuple[str, Visit]) -> None:
    name, seen = sized_visit
    assert seen.outside == [] and seen.errors == [] and seen.problems == [], name
    for chart, state in seen.charts.items():
        assert state["rendered"] == "true" and state["bars"] > 0, (name, chart)
        assert state["images"] == 0, (name, chart)
    assert seen.charts["regional_revenue"]["labels"] == ["58.81% · ₹12,749", "41.19% · ₹8,930"]
    page = _image(seen.screenshot)
    assert page.width == SIZES[name][0] and max(ImageStat.Stat(page).stddev) > 20


def test_every_download_is_the_csv_on_disk(
    report_visit: Visit, official_report: OfficialReport
) -> None:
    folder = official_report.result.source.parent
    assert [name for name, _ in report_visit.links] == [f"{c}.csv" for c in CHARTS]
    for name, href in report_visit.links:
        prefix = "data:text/csv;base64,"
        assert href.startswith(prefix), name
        assert base64.b64decode(href[len(prefix) :], validate=True) == (folder / name).read_bytes()
    # A click saves the file itself, offline: the bytes akasa run wrote.
    assert report_visit.saved == (folder / "monthly_trends.csv").read_bytes()


def test_no_request_leaves_file_urls(report_visit: Visit) -> None:
    assert report_visit.requests[0].startswith("file://")
    assert report_visit.outside == []


def test_page_logs_no_error(report_visit: Visit) -> None:
    assert report_visit.errors == []
    assert report_visit.problems == []


def test_every_chart_draws_its_marks(report_visit: Visit) -> None:
    charts = report_visit.charts
    assert list(charts) == list(CHARTS)
    for name, state in charts.items():
        assert state["rendered"] == "true", name
        assert state["images"] == 0, f"{name} still shows its fallback PNG"
    assert (charts["monthly_trends"]["bars"], charts["monthly_trends"]["lines"]) == (3, 1)
    assert charts["monthly_trends"]["points"] == 3
    assert charts["regional_revenue"]["bars"] == 2
    assert charts["regional_revenue"]["labels"] == ["58.81% · ₹12,749", "41.19% · ₹8,930"]
    assert charts["top_customers"]["bars"] == 1
    assert charts["top_customers"]["labels"] == ["₹12,749"]
    assert charts["repeat_customers"]["bars"] == 7
    assert charts["repeat_customers"]["labels"] == ["1", "0", "0", "0", "0", "0", "0"]


def test_tooltip_shows_exact_rupees(report_visit: Visit) -> None:
    lines = report_visit.tooltip.split("\n")
    assert "₹12,749.00" in " ".join(lines)
    assert "58.81%" in " ".join(lines)


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _primary_pixels(image: Image.Image) -> int:
    """Pixels in the bar colour, give or take anti-aliasing."""
    want = tuple(int(PRIMARY[i : i + 2], 16) for i in (1, 3, 5))
    red, green, blue = ImageChops.difference(image, Image.new("RGB", image.size, want)).split()
    furthest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return sum(furthest.histogram()[:9])  # every channel within 8 of the bar colour


def test_screenshot_is_not_blank(report_visit: Visit) -> None:
    page = _image(report_visit.screenshot)
    assert page.width == 1100 and page.height > 3000  # the whole report, not one screen
    assert max(ImageStat.Stat(page).stddev) > 20
    colours = page.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200
    for name, shot in report_visit.chart_shots.items():
        assert _primary_pixels(_image(shot)) > 2_000, f"{name} shows no bars"


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_page_draws_offline(
    browser: Any, official_report: OfficialReport, name: str
) -> None:
    seen = visit(browser, official_report.result.charts[name].html, shots=False)
    assert seen.outside == [] and seen.errors == [] and seen.problems == []
    assert list(seen.charts) == [name]
    assert seen.charts[name]["rendered"] == "true"
    assert seen.charts[name]["bars"] > 0


# Rupee amounts (in paise) whose axis label Vega writes with `charts.COMPACT_RUPEES`.
AXIS_AMOUNTS = [
    0,
    99_900,
    1_00_000,
    45_300_00,
    1_00_000_00,
    7_35_000_00,
    12_50_000_00,
    99_99_999_00,
    1_00_00_000_00,
    33_20_00_000_00,
    3_32_32_39_896_68,
    1_000_00_00_000_00,
    -7_35_000_00,
]
COMPACT_IN_VEGA = """async ([expr, values, config]) => {
  const spec = {
    data: {values: values.map(v => ({value: v}))},
    transform: [{calculate: expr, as: 'label'}],
    mark: 'text',
    encoding: {text: {field: 'label'}},
    config: config,
  };
  const holder = document.createElement('div');
  document.body.appendChild(holder);
  const result = await vegaEmbed(holder, spec, {renderer: 'svg', actions: false});
  const rows = result.view.data('data_0').map(d => [d.value, d.label]);
  result.finalize();
  holder.remove();
  return rows;
}"""


def test_axis_labels_say_what_rupees_compact_says(
    browser: Any, official_report: OfficialReport
) -> None:
    from akasa.core.numbers import rupees_compact
    from akasa.report.charts import COMPACT_RUPEES, THEME

    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        page.goto(official_report.result.report.resolve().as_uri())
        page.wait_for_function(ALL_DRAWN, timeout=15_000)
        rupees = [paise / 100 for paise in AXIS_AMOUNTS]
        labels = page.evaluate(COMPACT_IN_VEGA, [COMPACT_RUPEES, rupees, THEME])
    finally:
        context.close()
    assert [label for _, label in labels] == [rupees_compact(p) for p in AXIS_AMOUNTS]
