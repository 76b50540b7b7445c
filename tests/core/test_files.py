"""Files and sets of files replaced so that a reader never sees half of a write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from akasa.core.files import SETS, replace_set, write_atomically
from tests.kill import killed_at_fsync

OLD = {"a.csv": b"old a\n", "b.csv": b"old b\n", "kpis.json": b'{"old": true}\n'}
NEW = {"a.csv": b"new a\n", "b.csv": b"new b\n", "kpis.json": b'{"new": true}\n'}


def read_set(link: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(link.iterdir())}


def test_a_set_is_replaced_whole_and_the_old_one_removed(tmp_path: Path) -> None:
    link = tmp_path / "outputs" / "memory"
    first = replace_set(link, OLD)
    assert read_set(link) == OLD
    second = replace_set(link, NEW)
    assert read_set(link) == NEW
    assert not first.exists() and second.exists()
    assert [p.name for p in (tmp_path / "outputs" / SETS).iterdir()] == [second.name]


def test_a_folder_written_before_sets_had_links_is_taken_over(tmp_path: Path) -> None:
    link = tmp_path / "outputs" / "memory"
    link.mkdir(parents=True)
    (link / "a.csv").write_bytes(b"legacy")
    replace_set(link, NEW)
    assert link.is_symlink() and read_set(link) == NEW


def test_a_failed_write_leaves_the_old_set_and_no_leftovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "outputs" / "memory"
    replace_set(link, OLD)

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        replace_set(link, NEW)
    monkeypatch.undo()
    assert read_set(link) == OLD
    assert len(list((tmp_path / "outputs" / SETS).iterdir())) == 1
    with pytest.raises(OSError):
        monkeypatch.setattr(os, "fsync", full)
        write_atomically(tmp_path / "x.json", b"{}")
    monkeypatch.undo()
    assert list(tmp_path.glob(".akasa-tmp-*")) == []


# Writes NEW over OLD and SIGKILLs itself at the Nth fsync (each file, the folder, the
# link's folder): every step of the switch.
KILL_AT_FSYNC = killed_at_fsync(
    "from pathlib import Path\nfrom akasa.core import files\n"
    "files.replace_set(Path(sys.argv[1]), {NEW!r})\n"
)


def test_killed_at_every_step_the_set_is_old_or_new(tmp_path: Path) -> None:
    link = tmp_path / "outputs" / "memory"
    steps = len(NEW) + 2
    outcomes = set()
    for step in range(1, steps + 2):
        replace_set(link, OLD)
        code = KILL_AT_FSYNC.replace("{NEW!r}", repr(NEW))
        done = subprocess.run(
            [sys.executable, "-c", code, str(link), str(step)], capture_output=True, check=False
        )
        seen = read_set(link)
        assert seen in (OLD, NEW), f"a mixed set after a kill at step {step}: {seen}"
        outcomes.add((done.returncode == -9, seen == NEW))
        replace_set(link, OLD)  # the next writer cleans up whatever the kill left
        assert len(list((tmp_path / "outputs" / SETS).iterdir())) == 1
    # Killed before the switch: old; killed after it, or not killed: new.
    assert outcomes == {(True, False), (True, True), (False, True)}
