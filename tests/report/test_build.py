"""build_report: which outputs it reads, what the page says, what it writes, how it fails."""

from __future__ import annotations

import base64
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from akasa.backends.base import Mode
from akasa.core.config import Settings
from akasa.core.errors import NoOutputsError, OutputsUnreadableError
from akasa.pipeline.ingest import ingest
from akasa.pipeline.run import run
from akasa.report import charts
from akasa.report.build import build_report, javascript_bundle
from akasa.report.freshness import Freshness, age, freshness
from akasa.report.pages import Chart, cards, report_page
from akasa.report.templating import json_for_script, script_text, table
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.report.conftest import REPORT_AT, RUN_AT, OfficialReport, pinned_settings, typed

CHART_FILES = [
    "monthly_trends.png",
    "monthly_trends.html",
    "regional_revenue.png",
    "regional_revenue.html",
    "top_customers.png",
    "top_customers.html",
    "repeat_customers.png",
    "repeat_customers.html",
]


CSVS = [f"{name}.csv" for name in charts.ORDER]


def text_of(page: str) -> str:
    """The page's visible words, roughly: tags dropped, whitespace collapsed."""
    body = page[page.index("<body>") : page.index('<script type="application/json"')]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_no_outputs_yet(settings: Settings) -> None:
    with pytest.raises(NoOutputsError, match=r"^no KPI outputs yet; run akasa run first$"):
        build_report(settings, "memory")
    assert not settings.reports_dir.exists()


def test_unreadable_outputs(settings: Settings) -> None:
    path = settings.outputs_dir / "memory" / "kpis.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(OutputsUnreadableError, match="cannot be read"):
        build_report(settings, "memory")
    path.write_text('{"as_of": "2025-11-01T23:59:59+05:30"}')
    with pytest.raises(OutputsUnreadableError, match=r"not a KPI document \(missing timezone, "):
        build_report(settings, "memory")


def test_files_written(official_report: OfficialReport) -> None:
    result = official_report.result
    reports = official_report.settings.reports_dir / "memory"  # one folder per mode
    assert result.report == reports / "report.html"
    assert [p.name for p in result.files] == ["report.html", *CHART_FILES]
    assert sorted(p.name for p in reports.iterdir()) == sorted(["report.html", *CHART_FILES])
    assert result.mode == "memory"
    assert result.source == official_report.settings.outputs_dir / "memory" / "kpis.json"


def test_each_mode_has_its_own_report(official_report: OfficialReport, tmp_path: Path) -> None:
    # A table-mode kpis.json has the same shape; a hand-made one under outputs/table/ (and
    # its CSVs) proves the report reads whatever that folder holds and writes beside the
    # memory-mode report, not over it.
    document = json.loads(json.dumps(official_report.document))
    document["mode"] = "table"
    document["database"] = "PostgreSQL"
    document["regional_revenue"][0]["region"] = "Western Ghats"
    settings = pinned_settings(tmp_path / "data")
    folder = settings.outputs_dir / "table"
    folder.mkdir(parents=True)
    (folder / "kpis.json").write_text(json.dumps(document), encoding="utf-8")
    for name in CSVS:
        (folder / name).write_bytes((official_report.result.source.parent / name).read_bytes())
    with pytest.raises(NoOutputsError):
        build_report(settings, "memory")
    result = build_report(settings, "table", now=REPORT_AT)
    assert result.report == settings.reports_dir / "table" / "report.html"
    words = text_of(result.report.read_text(encoding="utf-8"))
    assert "table mode (PostgreSQL)" in words and "memory mode" not in words
    assert "Western Ghats" in words
    png = result.charts["regional_revenue"].png
    assert png is not None and png.exists()
    memory = official_report.result.report.read_text(encoding="utf-8")
    assert "file store" in text_of(memory) and "memory mode" not in text_of(memory)


def test_without_pngs(official_report: OfficialReport, tmp_path: Path) -> None:
    settings = pinned_settings(tmp_path / "data")
    shutil.copytree(official_report.settings.outputs_dir, settings.outputs_dir, symlinks=True)
    build_report(settings, "memory", now=REPORT_AT)
    result = build_report(settings, "memory", now=REPORT_AT, png=False)
    assert [p.name for p in result.files] == ["report.html", *CHART_FILES[1::2]]
    folder = settings.reports_dir / "memory"
    # The PNGs of the report before are gone: none may show older numbers than the page.
    assert sorted(p.name for p in folder.iterdir()) == sorted(["report.html", *CHART_FILES[1::2]])
    page = result.report.read_text(encoding="utf-8")
    assert "<img" not in page[: page.index('<script type="application/json"')]
    assert "Monthly trends chart: shown where the page may run its script." in text_of(page)


def test_a_missing_csv_is_one_clear_error(official_report: OfficialReport, tmp_path: Path) -> None:
    settings = pinned_settings(tmp_path / "data")
    shutil.copytree(official_report.settings.outputs_dir, settings.outputs_dir, symlinks=True)
    (settings.outputs_dir / "memory" / "top_customers.csv").unlink()
    with pytest.raises(
        OutputsUnreadableError,
        match=r"top_customers\.csv cannot be read .*"
        r"; run akasa run again$",
    ):
        build_report(settings, "memory", now=REPORT_AT)
    assert not settings.reports_dir.exists()


def test_progress_reports_every_step(official_report: OfficialReport) -> None:
    seen: list[tuple[str, int, int]] = []
    build_report(official_report.settings, "memory", now=REPORT_AT, progress=_record(seen))
    assert [done for _, done, _ in seen] == list(range(9))
    assert {total for _, _, total in seen} == {8}
    assert [what for what, _, _ in seen[:4]] == [
        "Reading the outputs",
        "Building the charts",
        "Drawing the PNGs",
        "Bundling the Vega JavaScript",
    ]
    assert seen[-2][0] == "Writing repeat_customers.html"
    assert seen[-1] == ("Done", 8, 8)


def _record(seen: list[tuple[str, int, int]]) -> Any:
    return lambda what, done, total: seen.append((what, done, total))


def test_page_is_self_contained(official_report: OfficialReport) -> None:
    page = official_report.html
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"<script[^>]*\ssrc=", page) is None
    assert "<link" not in page and "<iframe" not in page
    assert re.search(r"""\s(?:src|href)=["']?(?:https?:)?//""", page) is None
    assert (  # the policy forbids every fetch: only inline code and data: images
        '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; ' in page
    )
    assert "window.vegaEmbed=" in page  # the inlined bundle
    # Each chart's PNG is inside the page until the script draws the live chart.
    assert page.count('<img src="data:image/png;base64,') == 4


def test_page_says_as_of_window_freshness_and_headline(official_report: OfficialReport) -> None:
    words = text_of(official_report.html)
    assert "Sales KPIs as of 2025-11-01" in words
    assert "As of 2025-11-01 23:59:59 (Asia/Kolkata)" in words
    assert "Top customers: last 30 days (2025-10-03 to 2025-11-01)" in words
    assert "Newest order 2025-11-01 14:22:10" in words
    assert "KPIs computed 2025-11-02 14:30:00" in words
    assert "Newest order's age at the run 1 day" in words
    assert 'role="alert"' not in official_report.html  # a day old: fresh
    assert "Revenue ₹21,679 ₹21,679.00 · all orders to date" in words
    assert "Last 30 days ₹12,749 ₹12,749.00 · 2 orders since 2025-10-03" in words
    assert "Month to date ₹5,299 2025-11, 1 day so far" in words  # 1 October: no revenue
    assert "Orders 3" in words
    assert "Customers 2 ₹10,839.50 per customer" in words
    assert "Repeat rate 50.00% 1 ordered more than once" in words
    assert "Leading region West with 58.81% of revenue." in words
    assert "Top customer of the last 30 days: Aarav Mehta (CUST-001), ₹12,749." in words


def test_page_has_the_four_kpis_and_data_quality_in_order(
    official_report: OfficialReport,
) -> None:
    page = official_report.html
    ids = re.findall(r'<section id="([a-z_]+)"', page)
    assert ids == [
        "freshness",
        "headline",
        "monthly_trends",
        "regional_revenue",
        "top_customers",
        "repeat_customers",
        "data_quality",
    ]
    words = text_of(page)
    assert "2025-10 1 1 6 ₹7,450.00 ₹7,450.00 -16.57%" in words  # month, orders, ..., growth
    assert "West ₹12,749.00 2 1 58.81%" in words
    assert "1 CUST-001 Aarav Mehta West 2 ₹12,749.00" in words
    assert "CUST-001 Aarav Mehta West 2 ₹12,749.00 2025-10-12 09:15:32 2025-11-01 14:22:10" in (
        words
    )
    assert "All rows" not in words and "beside kpis.json" not in words
    quality = words[words.index("Data quality") :]
    customers = quality[quality.index("Customers") : quality.index("Order lines")]
    assert "1 task_DE_new_customers.csv 5 5 0 0 0" in customers
    assert "Total 1 file 5 5 0 0 0" in customers
    assert "No customers rejected." in customers
    orders = quality[quality.index("Order lines") :]
    assert "2 task_DE_new_orders.xml 10 10 0 0 0" in orders
    assert "Total 1 file 10 10 0 0 0" in orders
    assert "No order lines rejected." in orders


def test_every_csv_is_in_the_page_as_a_download(official_report: OfficialReport) -> None:
    links = downloads(official_report.html)
    assert list(links) == CSVS
    for name, data in links.items():
        assert data == (official_report.result.source.parent / name).read_bytes()
    assert "Download all 3 rows (monthly_trends.csv, " in text_of(official_report.html)


def downloads(page: str) -> dict[str, bytes]:
    """Each download link of the page: its file name and the bytes its data: URI holds."""
    found = re.findall(r'<a download="([^"]+)" href="data:text/csv;base64,([^"]+)">', page)
    return {name: base64.b64decode(data, validate=True) for name, data in found}


def test_long_tables_show_the_top_ten(official_report: OfficialReport) -> None:
    document = json.loads(json.dumps(official_report.document))
    first = document["repeat_customers"][0]
    document["repeat_customers"] = [
        dict(first, customer_id=f"CUST-{i:03d}", orders=30 - i) for i in range(23)
    ]
    words = text_of(_page(document, official_report))
    section = words[words.index("Repeat customers Customers with") : words.index("Data quality")]
    assert "CUST-009" in section and "CUST-010" not in section
    assert "and 13 more (in the download below)" in section


def test_empty_kpis_say_so_the_same_way(official_report: OfficialReport) -> None:
    document = json.loads(json.dumps(official_report.document))
    for name in charts.ORDER:
        document[name] = []
    kpis = typed(document)
    for name, spec in charts.specs(kpis).items():
        assert spec["data"]["values"] == [{"message": charts.NO_DATA}], name
    words = text_of(_page(document, official_report))
    assert words.count(charts.NO_DATA) == 4  # one under each chart, where its table goes


def test_phone_numbers_in_names_are_masked(official_report: OfficialReport) -> None:
    document = json.loads(json.dumps(official_report.document))
    document["top_customers"][0]["customer_name"] = "Aarav 98765 43210"
    document["repeat_customers"][0]["customer_name"] = "Aarav +91-9876543210"
    document["regional_revenue"][0]["region"] = "West 9876543210"
    page = _page(document, official_report)
    assert "43210" not in page and "9876543210" not in page
    assert "Aarav 98XXXXXX10" in text_of(page)
    assert "West 98XXXXXX10" in text_of(page)


def _stale_by(document: dict[str, Any], lag: timedelta) -> dict[str, Any]:
    changed = json.loads(json.dumps(document))
    newest = datetime.fromisoformat(changed["watermark"]["newest_order_at"])
    changed["generated_at"] = (newest + lag).isoformat()
    return changed


def test_freshness_warns_after_two_days(official_report: OfficialReport) -> None:
    document = official_report.document
    assert not freshness(typed(_stale_by(document, timedelta(days=2)))).stale
    late = freshness(typed(_stale_by(document, timedelta(days=2, seconds=1))))
    assert late.stale
    assert late.warning() == (
        "The newest order (2025-11-01 14:22) is 2 days older than the KPI run "
        "(2025-11-03 14:22): check that the daily files are arriving."
    )
    fresh = freshness(typed(document))
    assert fresh.lag == timedelta(days=1, minutes=7, seconds=50) and fresh.warning() is None


def test_stale_data_shows_a_warning(official_report: OfficialReport) -> None:
    document = _stale_by(official_report.document, timedelta(days=3, hours=5))
    page = _page(document, official_report)
    assert (
        '<p class="warning" role="alert">The newest order (2025-11-01 14:22) is 3 days 5 hours '
        "older than the KPI run (2025-11-04 19:22): check that the daily files are arriving.</p>"
    ) in page


def test_age_in_words() -> None:
    assert age(timedelta(minutes=59)) == "0 hours"
    assert age(timedelta(hours=1)) == "1 hour"
    assert age(timedelta(days=1)) == "1 day"
    assert age(timedelta(days=420, hours=7, minutes=59)) == "420 days 7 hours"
    assert age(None) == "-"
    empty = Freshness(None, None, datetime(2025, 1, 1, tzinfo=UTC))
    assert not empty.stale and empty.warning() is None


def _page(document: dict[str, Any], official_report: OfficialReport) -> str:
    kpis = typed(document)
    drawn = [Chart(n, charts.for_page(s), b"png") for n, s in charts.specs(kpis).items()]
    csvs = {n: f"{n}\n".encode() for n in charts.ORDER}
    return report_page(kpis, drawn, freshness(kpis), "/* bundle */", REPORT_AT, csvs)


def test_everything_inserted_is_escaped(official_report: OfficialReport) -> None:
    hostile = '</script><script>alert("x")</script><b onclick=x>&amp;'
    document = json.loads(json.dumps(official_report.document))
    document["top_customers"][0]["customer_name"] = hostile
    document["repeat_customers"][0]["region"] = hostile
    document["data_quality"]["files"][0]["source_file"] = hostile
    page = _page(document, official_report)
    assert "<b onclick" not in page and "<script>alert" not in page
    assert page.count("&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)") == 3
    specs_json = re.search(
        r'<script type="application/json" id="akasa-specs">(.*?)</script>', page, re.S
    )
    assert specs_json is not None
    specs = json.loads(specs_json.group(1))
    top = specs["chart-top_customers"]["data"]["values"][0]
    assert top["customer"] == f"1. {hostile} (CUST-001)"


def test_script_escaping() -> None:
    assert json_for_script({"a": "</script>&"}) == '{"a":"\\u003c/script\\u003e\\u0026"}'
    assert script_text('x = "</script>"') == 'x = "<\\/script>"'


def test_tables_cap_rows_and_align_numbers() -> None:
    rows = [{"region": f"R{i}", "revenue": "1234567.50", "revenue_share_pct": None} for i in (1, 2)]
    html = table(rows, limit=1)
    assert '<td class="num">₹12,34,567.50</td>' in html
    assert "<td>R1</td>" in html and "R2" not in html
    assert '<td class="num">–</td>' not in html  # a column with no number stays left
    assert "Showing 1 of 2 rows." in html
    assert table([], empty="Nothing.") == '<p class="note empty">Nothing.</p>'


def test_the_vega_javascript_is_built_once_for_every_data_dir(
    official_report: OfficialReport, tmp_path: Path
) -> None:
    """Kept in the cache dir, not the data dir: a new data dir's first report reads it."""
    [kept] = official_report.settings.cache_dir.glob("vega-bundle-*.js")
    assert "window.vegaEmbed=" in kept.read_text(encoding="utf-8")
    cache = tmp_path / "cache"
    cache.mkdir()
    marked = cache / kept.name
    marked.write_text(kept.read_text(encoding="utf-8") + "/* from the cache */\n", "utf-8")
    settings = pinned_settings(tmp_path / "another" / "data", cache_dir=cache)
    ingest(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], [Mode.memory])
    run(settings, "memory", now=RUN_AT)
    javascript_bundle.cache_clear()  # a new process: only the file remembers
    try:
        result = build_report(settings, "memory", now=REPORT_AT)
    finally:
        javascript_bundle.cache_clear()
    assert "/* from the cache */" in result.report.read_text(encoding="utf-8")
    assert not (settings.data_dir / "cache").exists()


def test_a_cache_that_cannot_be_written_costs_only_the_rebuild(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be", "utf-8")
    javascript_bundle.cache_clear()
    try:
        assert "window.vegaEmbed=" in javascript_bundle(blocked)
    finally:
        javascript_bundle.cache_clear()


def test_month_to_date_card_says_its_like_for_like_growth(official_report: OfficialReport) -> None:
    document = json.loads(json.dumps(official_report.document))
    document["summary"]["month_to_date"]["growth_pct"] = "12.40"
    [card] = [c for c in cards(typed(document)) if c.label == "Month to date"]
    assert card.detail == "2025-11, 1 day so far · +12.40% on the same days of 2025-10"
    document["summary"]["month_to_date"] = None  # the as-of month is complete: no card
    assert "Month to date" not in [c.label for c in cards(typed(document))]
