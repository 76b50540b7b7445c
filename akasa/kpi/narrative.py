"""The KPI summary in words a manager reads in ten seconds, for the terminal and the report.

Pure text from a `kpis.json` document, so `akasa run` and `akasa report` say the same thing.
Money in lakh and crore (`₹7.35 L`), counts grouped the Indian way (`3,30,357`). Growth is
only ever stated between whole months, or between the month in progress and the same days
of the month before it (SPEC §6: no sentence compares part of a month with a whole one).
"""

from __future__ import annotations

from calendar import month_name
from collections.abc import Callable

from akasa.core.numbers import count, paise_of, rupees_compact
from akasa.kpi.document import KpiHead, MonthToDate


def summary_lines(document: KpiHead) -> list[str]:
    """The summary in words a manager reads in ten seconds."""
    s = document.summary

    def money(text: str | None) -> str:
        return "-" if text is None else rupees_compact(paise_of(text))

    def amount(text: str) -> str:
        return rupees_compact(paise_of(text))

    as_of = document.as_of[:10]
    lines = [
        f"Summary as of {as_of} ({document.mode} mode):",
        f"- Revenue {money(s.total_revenue)} from {_count(s.orders, 'order')} by "
        f"{_count(s.ordering_customers, 'customer')} "
        f"({money(s.avg_revenue_per_customer)} per customer).",
        f"- {_count(s.repeat_customers, 'repeat customer')}: {s.repeat_rate_pct}% of "
        f"customers ordered more than once.",
    ]
    in_progress = s.month_to_date
    if s.peak_month and not (in_progress and in_progress.month == s.peak_month):
        growth = s.avg_monthly_revenue_growth_pct
        lines.append(
            f"- Best complete month {_month(s.peak_month)} with {money(s.peak_month_revenue)}"
            + (
                f"; revenue changed {_signed(growth)}% a month on average over complete months."
                if growth
                else "."
            )
        )
    if in_progress:
        lines.append(f"- {_month_to_date(in_progress, amount)}")
    if s.leading_region:
        lines.append(
            f"- Leading region {s.leading_region} with {s.leading_region_share_pct}% of revenue."
        )
    top = s.top_customer
    if top:
        lines.append(
            f"- Top customer of the last {_count(document.window_days, 'day')}: "
            f"{top.customer_name} ({top.customer_id}), {money(top.revenue)}."
        )
    else:
        lines.append(f"- No customer ordered in the last {_count(document.window_days, 'day')}.")
    if s.unmatched_orders:
        lines.append(
            f"- {_count(s.unmatched_orders, 'order')} without a matching customer yet "
            f"(counted under region Unknown)."
        )
    return lines


def _month_to_date(mtd: MonthToDate, money: Callable[[str], str]) -> str:
    """`November 2025 so far (12 days): ₹2.1 L, +12.40% on the same 12 days of October.`"""
    month, previous = _month(mtd.month), _month(mtd.previous_month, year=False)
    so_far = f"{month} so far ({_count(mtd.days, 'day')}): {money(mtd.revenue)}"
    if mtd.previous_days < mtd.days:  # the previous month is shorter: all of it
        base = f"all {_count(mtd.previous_days, 'day')} of {previous}"
    elif mtd.days == 1:
        base = f"the same day of {previous}"
    else:
        base = f"the same {mtd.days} days of {previous}"
    if mtd.growth_pct is None:
        return f"{so_far}; no revenue on {base} to compare with."
    return f"{so_far}, {_signed(mtd.growth_pct)}% on {base}."


def _month(label: str, *, year: bool = True) -> str:
    """`2025-11` -> `November 2025` (`November` without the year)."""
    name = month_name[int(label[5:])]
    return f"{name} {label[:4]}" if year else name


def _signed(pct: str) -> str:
    return pct if pct.startswith("-") else f"+{pct}"


def _count(n: int, noun: str) -> str:
    return f"{count(n)} {noun}" if n == 1 else f"{count(n)} {noun}s"
