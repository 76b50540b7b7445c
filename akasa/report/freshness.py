"""How fresh the data behind a report is, and when to warn that it is not.

The reference point is the KPI run (`generated_at` of the outputs), not the moment the report
is drawn: the report describes that run, and redrawing it later must not change what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from akasa.kpi.document import KpiHead

STALE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class Freshness:
    newest_order_at: datetime | None
    last_ingest_at: datetime | None
    run_at: datetime

    @property
    def lag(self) -> timedelta | None:
        """How much older the newest order is than the run."""
        return None if self.newest_order_at is None else self.run_at - self.newest_order_at

    @property
    def stale(self) -> bool:
        return self.lag is not None and self.lag > STALE_AFTER

    def warning(self) -> str | None:
        """One sentence for the report and the terminal, or None when the data is fresh."""
        if not self.stale or self.newest_order_at is None:
            return None
        return (
            f"The newest order ({_clock(self.newest_order_at)}) is {age(self.lag)} older than "
            f"the KPI run ({_clock(self.run_at)}): check that the daily files are arriving."
        )


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def age(lag: timedelta | None) -> str:
    """`3 days 4 hours`, to the hour."""
    if lag is None:
        return "-"
    hours = int(lag.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or not days:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts)


def _parse(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)


def freshness(document: KpiHead) -> Freshness:
    watermark = document.watermark
    return Freshness(
        newest_order_at=_parse(watermark.newest_order_at),
        last_ingest_at=_parse(watermark.last_ingest_at),
        run_at=datetime.fromisoformat(document.generated_at),
    )
