"""The KPI summary in words a manager reads in ten seconds, for the terminal and the report.

Pure text from a `kpis.json` document, so `akasa run` and `akasa report` say the same thing.
"""

from __future__ import annotations

from akasa.core.numbers import paise_of, rupees
from akasa.kpi.document import KpiHead


def summary_lines(document: KpiHead) -> list[str]:
    """The summary in words a manager reads in ten seconds."""
    s = document.summary

    def money(text: str | None) -> str:
        return "-" if text is None else rupees(paise_of(text))

    as_of = document.as_of[:10]
    lines = [
        f"Summary as of {as_of} ({document.mode} mode):",
        f"- Revenue {money(s.total_revenue)} from {_count(s.orders, 'order')} by "
        f"{_count(s.ordering_customers, 'customer')} "
        f"({money(s.avg_revenue_per_customer)} per customer).",
        f"- {_count(s.repeat_customers, 'repeat customer')}: {s.repeat_rate_pct}% of "
        f"customers ordered more than once.",
    ]
    if s.peak_month:
        growth = s.avg_monthly_revenue_growth_pct
        lines.append(
            f"- Best month {s.peak_month} with {money(s.peak_month_revenue)}"
            + (f"; revenue changed {growth}% a month on average." if growth else ".")
        )
    if s.leading_region:
        lines.append(
            f"- Leading region {s.leading_region} with {s.leading_region_share_pct}% of revenue."
        )
    top = s.top_customer
    if top:
        lines.append(
            f"- Top customer of the last {document.window_days} days: "
            f"{top.customer_name} ({top.customer_id}), {money(top.revenue)}."
        )
    else:
        lines.append(f"- No customer ordered in the last {document.window_days} days.")
    if s.unmatched_orders:
        lines.append(
            f"- {_count(s.unmatched_orders, 'order')} without a matching customer yet "
            f"(counted under region Unknown)."
        )
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
