"""The official sample files give exactly the results in the reference README."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from akasa.core.config import Settings
from tests.builders import accounting, kpis, load, rows
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS


def test_fixtures_are_byte_for_byte_the_official_files() -> None:
    # CRLF line ends, no XML declaration, no final newline: kept exactly.
    customers = OFFICIAL_CUSTOMERS.read_bytes()
    orders = OFFICIAL_ORDERS.read_bytes()
    assert customers.count(b"\r\n") == 5 and not customers.endswith(b"\n")
    assert not orders.startswith(b"<?xml") and not orders.endswith(b"\n")
    assert hashlib.sha256(orders).hexdigest() == (
        "33fb8abf532d48edf52306ccdf631244026314b6ae19f7fb204403741a45e729"
    )


def test_official_accounting(settings: Settings) -> None:
    result = load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    assert accounting(result) == [
        ("task_DE_new_customers.csv", 5, 5, 0, 0, 0),
        ("task_DE_new_orders.xml", 10, 10, 0, 0, 0),
    ]


def test_official_kpis(settings: Settings) -> None:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    result = kpis(settings)
    assert result.document.as_of == "2025-11-01T23:59:59+05:30"
    assert rows(result, "repeat_customers") == [
        {
            "customer_id": "CUST-001",
            "customer_name": "Aarav Mehta",
            "region": "West",
            "orders": 2,
            "revenue": "12749.00",
            "first_order_at": "2025-10-12T09:15:32+05:30",
            "last_order_at": "2025-11-01T14:22:10+05:30",
        }
    ]
    monthly = [(r["month"], r["orders"], r["revenue"]) for r in rows(result, "monthly_trends")]
    # ORD-2025-0003 is 18:45 IST on 30 Sep: September, not October.
    assert monthly == [
        ("2025-09", 1, "8930.00"),
        ("2025-10", 1, "7450.00"),
        ("2025-11", 1, "5299.00"),
    ]
    growth = [(r["revenue_growth_pct"], r["complete"]) for r in rows(result, "monthly_trends")]
    assert growth == [(None, True), ("-16.57", True), (None, False)]
    assert rows(result, "regional_revenue") == [
        {
            "region": "West",
            "revenue": "12749.00",
            "orders": 2,
            "customers": 1,
            "revenue_share_pct": "58.81",
        },
        {
            "region": "North",
            "revenue": "8930.00",
            "orders": 1,
            "customers": 1,
            "revenue_share_pct": "41.19",
        },
    ]
    assert rows(result, "top_customers") == [
        {
            "rank": 1,
            "customer_id": "CUST-001",
            "customer_name": "Aarav Mehta",
            "region": "West",
            "orders": 2,
            "revenue": "12749.00",
        }
    ]


@pytest.mark.parametrize(
    ("as_of", "november"),
    [
        ("latest", (None, False)),  # 1 November: in progress, 1 October had no revenue
        ("2025-11-30", ("-28.87", True)),  # the whole of November against October
        ("2025-10-20", None),  # November not reached
    ],
)
def test_official_growth_answers(
    settings: Settings, as_of: str, november: tuple[str | None, bool] | None
) -> None:
    """The reference-data README's answers for growth, month by month."""
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    result = kpis(settings, as_of=as_of)
    months = {
        r["month"]: (r["revenue_growth_pct"], r["complete"]) for r in rows(result, "monthly_trends")
    }
    assert months.get("2025-11") == november
    assert months["2025-09"] == (None, True)
    # October is complete unless as_of falls inside it; as of 20 October it is compared
    # like for like with 1-20 September, which had no revenue (the order is on the 30th).
    assert months["2025-10"] == (("-16.57", True) if as_of != "2025-10-20" else (None, False))


def test_official_output_files(settings: Settings) -> None:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    kpis(settings)
    out: Path = settings.outputs_dir / "memory"
    assert (out / "regional_revenue.csv").read_text() == (
        "region,revenue,orders,customers,revenue_share_pct\n"
        "West,12749.00,2,1,58.81\n"
        "North,8930.00,1,1,41.19\n"
    )
    monthly = list(csv.reader((out / "monthly_trends.csv").open()))
    assert monthly[0] == [
        "month",
        "orders",
        "customers",
        "units",
        "revenue",
        "avg_order_value",
        "revenue_growth_pct",
        "complete",
    ]
    assert monthly[1] == ["2025-09", "1", "1", "8", "8930.00", "8930.00", "", "true"]
    assert monthly[2] == ["2025-10", "1", "1", "6", "7450.00", "7450.00", "-16.57", "true"]
    # The official answer (reference-data README): as of latest (1 November) November is
    # in progress, and like for like it compares with 1 October alone, which had no
    # revenue, so its growth is empty.
    assert monthly[3] == ["2025-11", "1", "1", "4", "5299.00", "5299.00", "", "false"]
    document = json.loads((out / "kpis.json").read_text())
    assert document["summary"]["total_revenue"] == "21679.00"
    assert document["summary"]["leading_region"] == "West"
    assert document["summary"]["top_customer"]["customer_id"] == "CUST-001"
    assert {
        "as_of",
        "window_days",
        "top",
        "mode",
        "generated_at",
        "watermark",
        "unmatched_orders",
        "summary",
    } <= document.keys()
