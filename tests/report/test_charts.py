"""The chart specs (Vega-Lite JSON) carry the official numbers; the PNGs have the right size."""

from __future__ import annotations

import struct
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image

from akasa.report import charts
from akasa.report.build import PNG_SCALE
from tests.report.conftest import OfficialReport, typed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["data"]["values"]


def title(spec: dict[str, Any]) -> str:
    """The title, then its subtitle's lines, as one line."""
    return f"{spec['title']['text']} | {' · '.join(spec['title']['subtitle'])}"


def urls(node: Any) -> list[Any]:
    """Every `url` anywhere in a spec: charts must carry their data, not point at it."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "url"]
        return found + [u for v in node.values() for u in urls(v)]
    if isinstance(node, list):
        return [u for v in node for u in urls(v)]
    return []


@pytest.fixture(scope="module")
def specs(official_report: OfficialReport) -> dict[str, dict[str, Any]]:
    return charts.specs(typed(official_report.document), validate=True)


def test_one_chart_per_kpi_in_report_order(specs: dict[str, dict[str, Any]]) -> None:
    assert list(specs) == [
        "monthly_trends",
        "regional_revenue",
        "top_customers",
        "repeat_customers",
    ]
    for spec in specs.values():
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
        assert urls(spec) == []
        config = dict(spec["config"])
        assert config.pop("view")["stroke"] is None  # Altair adds its view defaults
        assert config == {k: v for k, v in charts.THEME.items() if k != "view"}  # one theme
        assert "as of 2025-11-01" in title(spec)


def test_theme_groups_axis_money_the_indian_way(specs: dict[str, dict[str, Any]]) -> None:
    number = specs["monthly_trends"]["config"]["locale"]["number"]
    assert number["grouping"][:3] == [3, 2, 2] and number["currency"] == ["₹", ""]
    bars = specs["monthly_trends"]["layer"][0]["encoding"]["y"]
    assert bars["field"] == "revenue" and bars["axis"]["labelExpr"] == charts.COMPACT_RUPEES
    orders = specs["monthly_trends"]["layer"][1]["encoding"]["y"]
    assert orders["axis"]["format"] == ",d"  # grouped by the locale: 3,30,357


def test_monthly_trends(specs: dict[str, dict[str, Any]]) -> None:
    spec = specs["monthly_trends"]
    assert [(v["month"], v["revenue"], v["orders"]) for v in values(spec)] == [
        ("2025-09", 8930.0, 1),
        ("2025-10", 7450.0, 1),
        ("2025-11", 5299.0, 1),
    ]
    assert [(v["revenue_text"], v["growth_text"]) for v in values(spec)] == [
        ("₹8,930.00", "–"),
        ("₹7,450.00", "-16.57%"),
        ("₹5,299.00", "–"),  # November in progress; 1 October had no revenue
    ]
    bars, line = spec["layer"]
    assert bars["mark"]["type"] == "bar" and line["mark"]["type"] == "line"
    assert line["encoding"]["y"]["field"] == "orders"
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    tooltip = {t["title"]: t["field"] for t in bars["encoding"]["tooltip"]}
    assert tooltip["Revenue"] == "revenue_text"
    assert tooltip["Growth vs previous month"] == "growth_text"
    assert title(spec) == (
        "Monthly revenue and orders | as of 2025-11-01 · all orders to date · 2025-09 to 2025-11"
    )


def test_count_axes_tick_whole_numbers(specs: dict[str, dict[str, Any]]) -> None:
    orders = specs["monthly_trends"]["layer"][1]["encoding"]["y"]
    assert orders["axis"]["values"] == [0, 1] and orders["scale"] == {"domain": [0, 1]}
    customers = specs["repeat_customers"]["layer"][0]["encoding"]["y"]
    assert customers["axis"]["values"] == [0, 1]


def test_nothing_to_draw_is_said_in_words(official_report: OfficialReport) -> None:
    document = typed(dict(official_report.document, top_customers=[], regional_revenue=[]))
    for build in (charts.top_customers, charts.regional_revenue):
        spec = build(document).to_dict()
        assert spec["mark"]["type"] == "text" and spec["encoding"]["text"]["field"] == "message"
        assert "as of 2025-11-01" in title(spec)
    top = charts.top_customers(document).to_dict()
    assert values(top) == [{"message": "No data in this period."}]


def test_regional_revenue(specs: dict[str, dict[str, Any]]) -> None:
    spec = specs["regional_revenue"]
    assert values(spec) == [
        {
            "region": "West",
            "revenue": 12749.0,
            "revenue_text": "₹12,749.00",
            "share": "58.81%",
            "label": "58.81% · ₹12,749",
            "orders": 2,
            "customers": 1,
        },
        {
            "region": "North",
            "revenue": 8930.0,
            "revenue_text": "₹8,930.00",
            "share": "41.19%",
            "label": "41.19% · ₹8,930",
            "orders": 1,
            "customers": 1,
        },
    ]
    bars, labels = spec["layer"]
    assert bars["encoding"]["y"]["sort"] == ["West", "North"]
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "label"


def test_top_customers(specs: dict[str, dict[str, Any]]) -> None:
    spec = specs["top_customers"]
    assert [(v["customer"], v["revenue"], v["revenue_text"]) for v in values(spec)] == [
        ("1. Aarav Mehta (CUST-001)", 12749.0, "₹12,749.00")
    ]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["1. Aarav Mehta (CUST-001)"]
    assert title(spec) == (
        "Top 10 customers by spend | as of 2025-11-01 · last 30 days (2025-10-03 to 2025-11-01)"
    )


def test_repeat_customers(specs: dict[str, dict[str, Any]]) -> None:
    spec = specs["repeat_customers"]
    assert [(v["bucket"], v["customers"]) for v in values(spec)] == [
        ("2", 1),
        ("3", 0),
        ("4", 0),
        ("5", 0),
        ("6–9", 0),
        ("10–19", 0),
        ("20+", 0),
    ]
    assert values(spec)[0]["revenue_text"] == "₹12,749.00"
    assert values(spec)[0]["share"] == "100.00%"
    assert title(spec).endswith("1 of 2 customers (50.00%) ordered 2+ times")


def test_repeat_buckets_split_exactly() -> None:
    repeaters = [
        SimpleNamespace(orders=n, revenue="1.005") for n in (2, 2, 3, 5, 6, 9, 10, 19, 20, 250)
    ]  # revenue text is rounded to paise: 1.005 -> 1.01
    rows = charts.repeat_distribution(repeaters)
    assert [(r["bucket"], r["customers"], r["share"]) for r in rows] == [
        ("2", 2, "20.00%"),
        ("3", 1, "10.00%"),
        ("4", 0, "0.00%"),
        ("5", 1, "10.00%"),
        ("6–9", 2, "20.00%"),
        ("10–19", 2, "20.00%"),
        ("20+", 2, "20.00%"),
    ]
    assert rows[0]["revenue_text"] == "₹2.02"
    thirds = charts.repeat_distribution(
        [SimpleNamespace(orders=2, revenue="0")] * 2 + [SimpleNamespace(orders=3, revenue="0")]
    )
    assert [r["share"] for r in thirds[:2]] == ["66.67%", "33.33%"]


def test_many_regions_show_the_largest(official_report: OfficialReport) -> None:
    document = dict(official_report.document)
    document["regional_revenue"] = [
        {
            "region": f"R{i:02d}",
            "revenue": f"{100 - i}.00",
            "orders": 1,
            "customers": 1,
            "revenue_share_pct": "1.00",
        }
        for i in range(30)
    ]
    spec = charts.regional_revenue(typed(document)).to_dict()
    assert len(values(spec)) == charts.MAX_BARS
    assert values(spec)[0]["region"] == "R00"
    assert title(spec).endswith("largest 25 of 30 regions")
    assert spec["height"] == 90 + charts.BAR_STEP * 25


def png_size(path: Path) -> tuple[int, int]:
    """The size in the IHDR header, after checking the whole image decodes."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    with Image.open(path) as image:
        image.load()  # decodes every pixel: a truncated or corrupt file fails here
        assert image.format == "PNG"
        decoded = image.size
    width, height = struct.unpack(">II", data[16:24])
    assert decoded == (width, height)
    return width, height


def test_pngs_have_the_chart_size_times_the_scale(
    official_report: OfficialReport, specs: dict[str, dict[str, Any]]
) -> None:
    for name, files in official_report.result.charts.items():
        spec = specs[name]
        assert png_size(files.png) == (spec["width"] * PNG_SCALE, spec["height"] * PNG_SCALE)
    assert png_size(official_report.result.charts["top_customers"].png) == (1280, 360)


def test_every_chart_of_an_empty_period_is_a_valid_spec(official_report: OfficialReport) -> None:
    """Reports skip the schema check; every chart, with data or without, passes it here."""
    empty = {name: [] for name in charts.ORDER}
    document = typed(dict(official_report.document, **empty))
    assert set(charts.specs(document, validate=True)) == set(charts.ORDER)
