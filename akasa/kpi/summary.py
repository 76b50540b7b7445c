"""The manager's ten-second view: a handful of headline numbers derived from the KPIs."""

from __future__ import annotations

import itertools
from fractions import Fraction

import polars as pl

from akasa.core.numbers import round_fraction, text_2
from akasa.kpi.context import KpiContext
from akasa.kpi.document import Summary, SummaryCustomer
from akasa.kpi.spec import RawKpis, monthly_filled


def _pct(part: Fraction) -> str:
    return text_2(round_fraction(part * 10_000))


def build(raw: RawKpis, tables: dict[str, pl.DataFrame], ctx: KpiContext) -> Summary:
    totals = raw["totals"].row(0, named=True) if raw["totals"].height else {}
    revenue = totals.get("revenue_paise") or 0
    orders = totals.get("orders") or 0
    customers = totals.get("customers") or 0
    repeaters = raw["repeat_customers"].height

    months = monthly_filled(raw["monthly_trends"], ctx).rows(named=True)
    peak = max(months, key=lambda m: m["revenue_paise"], default=None)  # earliest on a tie
    growths = [
        Fraction(cur["revenue_paise"] - prev["revenue_paise"], prev["revenue_paise"])
        for prev, cur in itertools.pairwise(months)
        if prev["revenue_paise"] > 0
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
