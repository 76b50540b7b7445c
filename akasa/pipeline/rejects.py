"""`akasa rejects`: the quarantine of one mode, counted by kind of problem, then record by
record, optionally for some files or one problem only."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePath

import polars as pl

from akasa.backends.base import Mode
from akasa.backends.open import open_backend
from akasa.core.config import Settings
from akasa.core.errors import NoDataError
from akasa.ingest.clean import REASON, SEPARATOR, reason_kind

ROW = "__akasa_row"


@dataclass(frozen=True)
class RejectsResult:
    mode: Mode
    file: str | None  # the --file pattern, if any
    reason: str | None  # the --reason text, if any
    files: list[str]  # the ledger's files that --file matched (all of them without it)
    reasons: pl.DataFrame  # `reason` (the kind of problem), `records`: most frequent first
    rows: pl.DataFrame  # `REJECT_ROW_SCHEMA`: the matching records, at most `limit`
    total: int  # matching records in all

    @property
    def truncated(self) -> bool:
        return self.rows.height < self.total


def rejects(
    settings: Settings,
    mode: Mode = Mode.memory,
    file: str | None = None,
    reason: str | None = None,
    limit: int = 1000,
) -> RejectsResult:
    """The rejected records of `mode`'s store.

    `file`: a file name as the ledger has it, or a glob (`orders_2025-11-*.xml`); a path is
    matched by its last part. `reason`: text that one of a record's problems contains (any
    case), e.g. `invalid mobile_number` or an order id. Counts are per kind of problem; a
    record with several problems counts once for each that matches.
    """
    backend = open_backend(settings, mode)
    rows = backend.reject_rows().with_row_index(ROW)
    files = backend.ledger()["source_file"].unique(maintain_order=True).to_list()
    if file is not None:
        pattern = PurePath(file).name or file
        files = [name for name in files if fnmatchcase(name, pattern)]
        if not files:
            raise NoDataError(f"no file ingested into the {mode} store matches {file!r}")
        rows = rows.filter(pl.col("source_file").is_in(files))
    problems = rows.select(ROW, pl.col(REASON).str.split(SEPARATOR)).explode(REASON)
    if reason is not None:
        wanted = reason.strip().lower()
        problems = problems.filter(
            pl.col(REASON).str.to_lowercase().str.contains(wanted, literal=True)
        )
    counts = (
        problems.group_by(reason_kind(pl.col(REASON)).alias(REASON))
        .agg(pl.col(ROW).n_unique().cast(pl.Int64).alias("records"))
        .sort(["records", REASON], descending=[True, False])
    )
    matching = rows.join(problems.select(ROW).unique(), on=ROW, how="semi").drop(ROW)
    return RejectsResult(
        mode=Mode(mode),
        file=file,
        reason=reason,
        files=files,
        reasons=counts,
        rows=matching.head(limit),
        total=matching.height,
    )
