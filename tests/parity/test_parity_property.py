"""Property: for random small drops (ids differing only in case, accents or odd spaces,
messy regions, amounts, times across month starts), both modes write the same files."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from akasa.backends.sql import schema
from akasa.core.errors import NoDataError
from akasa.pipeline.run import run
from tests.builders import customers_csv, line, load, orders_xml
from tests.db import TestDatabase
from tests.parity.helpers import assert_same_outputs

TEXT = st.text(alphabet="aAbBéÉß1 \u00a0-😀", min_size=0, max_size=5)
MOBILES = ["9000000001", "+91 90000 00002", "09000000003", "9000000004", "919000000005"]
START = datetime(2025, 1, 31, 18, 0, tzinfo=UTC)  # half an hour before February in IST

customer_rows = st.lists(
    st.tuples(TEXT, TEXT, st.sampled_from(MOBILES), TEXT), min_size=0, max_size=8
)
order_lines = st.lists(
    st.tuples(
        st.sampled_from(["O1", "o1", "O2", "Ó3", "O4 "]),
        st.sampled_from([*MOBILES, "8000000009"]),
        st.integers(0, 60 * 24 * 70),  # minutes after START
        st.sampled_from(["Z", "+05:30", "-03:00", ""]),
        st.sampled_from(["S1", "s1", "S2"]),
        st.integers(1, 5),
        st.integers(0, 10**7),  # paise
        st.sampled_from(["", "₹", "Rs. "]),
    ),
    min_size=1,
    max_size=12,
)


OFFSETS = {
    "Z": timedelta(0),
    "+05:30": timedelta(hours=5, minutes=30),
    "-03:00": -timedelta(hours=3),
    "": timedelta(hours=5, minutes=30),  # no offset: the source time zone, IST
}


def _when(minutes: int, zone: str) -> str:
    moment = START + timedelta(minutes=minutes, microseconds=minutes % 7)
    return (moment + OFFSETS[zone]).strftime("%Y-%m-%dT%H:%M:%S.%f") + zone


def _empty(database: TestDatabase) -> None:
    engine = database.engine()
    try:
        with engine.begin() as conn:
            for table in reversed(schema.TABLES):
                conn.execute(delete(table))
    finally:
        engine.dispose()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(customers=customer_rows, lines=order_lines)
def test_random_drops_give_identical_outputs(
    migrated: TestDatabase,
    customers: list[tuple[str, str, str, str]],
    lines: list[tuple[str, str, int, str, str, int, int, str]],
) -> None:
    _empty(migrated)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        run_settings = migrated.settings(data_dir=root / "data")
        files = orders_xml(
            root / "orders.xml",
            [
                line(o, m, _when(t, z), s, n, f"{c}{p // 100}.{p % 100:02d}")
                for o, m, t, z, s, n, p, c in lines
            ],
        )
        csv = customers_csv(root / "customers.csv", [list(r) for r in customers])
        load(run_settings, [csv], [files], mode="both")
        try:
            assert_same_outputs(run_settings)
        except NoDataError:  # every line rejected: then neither mode has data
            for mode in ("memory", "table"):
                with pytest.raises(NoDataError):
                    run(run_settings, mode=mode)
