"""`akasa run` replaces its outputs as one set: a kill at any step, or two runs at once,
never leave one run's CSVs beside another run's kpis.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from akasa.core.config import Settings
from akasa.kpi.spec import KPIS
from tests.builders import kpis, load
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.kill import killed_at_fsync


def _as_of_of_the_set(folder: Path) -> str:
    """The as_of the set's kpis.json states, after checking every CSV is that run's."""
    document = json.loads((folder / "kpis.json").read_text())
    for name in KPIS:
        rows = [",".join(str(v) for v in r.values()) for r in document[name]]
        lines = (folder / f"{name}.csv").read_text().splitlines()[1:]
        assert len(lines) == len(rows), f"{name}.csv is not the run of {document['as_of']}"
    return str(document["as_of"])[:10]


RUN_KILLED_AT_FSYNC = killed_at_fsync(
    "from akasa.core.config import load_settings\nfrom akasa.pipeline.run import run\n"
    'run(load_settings(), as_of="2025-10-20")\n'
)


def test_a_run_killed_at_every_step_leaves_one_whole_set(
    settings: Settings, tmp_path: Path
) -> None:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    out = kpis(settings).output_dir  # as of latest: 2025-11-01
    env = {"AKASA_DATA_DIR": str(settings.data_dir)}
    seen = set()
    for step in range(1, len(KPIS) + 4):
        kpis(settings)
        done = subprocess.run(
            [sys.executable, "-c", RUN_KILLED_AT_FSYNC, str(step)],
            cwd=tmp_path,
            env={**_clean_env(), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, -9), done.stderr
        seen.add(_as_of_of_the_set(out))
    assert seen == {"2025-11-01", "2025-10-20"}  # the old set or the new one, never a mix


def test_two_runs_at_once_leave_one_of_them_whole(settings: Settings, tmp_path: Path) -> None:
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS])
    out = kpis(settings).output_dir
    env = {**_clean_env(), "AKASA_DATA_DIR": str(settings.data_dir)}
    code = "import sys\nfrom akasa.cli import main\nsys.argv[0] = 'akasa'\nmain()"
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", code, "run", "--as-of", day],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for day in ("2025-10-20", "2025-11-30")
        ]
        assert [r.wait(120) for r in runs] == [0, 0]
        assert _as_of_of_the_set(out) in ("2025-10-20", "2025-11-30")
    assert not list(settings.data_dir.rglob(".akasa-tmp-*"))


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("AKASA_", "DB_"))}
