"""The manager's ten-second view: a handful of headline numbers derived from the KPIs."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl

from akasa.core.numbers import round_fraction, text_2
from akasa.kpi.context import KpiContext
from akasa.kpi.document import MonthToDate, Summary, SummaryCustomer
from akasa.kpi.spec import RawKpis, monthly_filled


def _pct(part: Fraction) -> str:
    return text_2(round_fraction(part * 10_000))


def _month_to_date(
    months: list[dict[str, Any]], raw: RawKpis, ctx: KpiContext
) -> MonthToDate | None:
    """The as_of month so far, when it is not over, against the same days before it."""
    if not months or months[-1]["complete"]:
        return None
    current = months[-1]
    base = raw["previous_month_to_date"]
    previous_paise = int(base["revenue_paise"][0]) if base.height else 0
    start, end = ctx.previous_month_to_date
    local_end = end.astimezone(ctx.zone)
    local_start = start.astimezone(ctx.zone)
    growth = (
        _pct(Fraction(current["revenue_paise"] - previous_paise, previous_paise))
        if previous_paise > 0
        else None
    )
    return MonthToDate(
        month=current["month"],
        revenue=text_2(current["revenue_paise"]),
        days=ctx.as_of_local.day,
        previous_month=f"{local_start.year:04d}-{local_start.month:02d}",
        previous_days=local_end.day if local_end >= local_start else 0,
        previous_revenue=text_2(previous_paise),
        growth_pct=growth,
    )


def build(raw: RawKpis, tables: dict[str, pl.DataFrame], ctx: KpiContext) -> Summary:
    totals = raw["totals"].row(0, named=True) if raw["totals"].height else {}
    window = raw["window_totals"].row(0, named=True) if raw["window_totals"].height else {}
    revenue = totals.get("revenue_paise") or 0
    orders = totals.get("orders") or 0
    customers = totals.get("customers") or 0
    repeaters = raw["repeat_customers"].height

    months = monthly_filled(raw["monthly_trends"], ctx, raw["previous_month_to_date"]).rows(
        named=True
    )
    complete = [m for m in months if m["complete"]]
    # The peak among complete months where there is one: half a month is no rival.
    peak = max(complete or months, key=lambda m: m["revenue_paise"], default=None)
    # Growth of each complete month vs the whole month before it; the incomplete month
    # speaks for itself below (never a part of a month against a whole one).
    growths = [
        Fraction(cur["revenue_paise"] - cur["base_paise"], cur["base_paise"])
        for cur in complete
        if cur["base_paise"] is not None and cur["base_paise"] > 0
    ]
    regions = tables["regional_revenue"].rows(named=True)
    top = tables["top_customers"].rows(named=True)

    return Summary(
        total_revenue=text_2(revenue),
        orders=orders,
        ordering_customers=customers,
        repeat_customers=repeaters,
        repeat_rate_pct=_pct(Fraction(repeaters, customers)) if customers else "0.00",
        peak_month=peak["month"] if peak else None,
        peak_month_revenue=text_2(peak["revenue_paise"]) if peak else None,
        avg_monthly_revenue_growth_pct=(
            _pct(sum(growths, Fraction(0)) / len(growths)) if growths else None
        ),
        month_to_date=_month_to_date(months, raw, ctx),
        window_orders=window.get("orders") or 0,
        window_revenue=text_2(window.get("revenue_paise") or 0),
        leading_region=regions[0]["region"] if regions else None,
        leading_region_share_pct=regions[0]["revenue_share_pct"] if regions else None,
        top_customer=(
            SummaryCustomer(
                customer_id=top[0]["customer_id"],
                customer_name=top[0]["customer_name"],
                revenue=top[0]["revenue"],
            )
            if top
            else None
        ),
        avg_revenue_per_customer=(
            text_2(round_fraction(Fraction(revenue, customers))) if customers else "0.00"
        ),
        unmatched_orders=totals.get("unmatched_orders") or 0,
    )
