"""The one error hierarchy. The CLI maps each class to an exit code in one place."""

from __future__ import annotations


class AkasaError(Exception):
    """A failure the user can act on; shown as one line `Error: ...`."""

    exit_code = 1


class UsageError(AkasaError):
    """Bad command-line usage (wrong option values, missing arguments)."""

    exit_code = 2


class ConfigError(AkasaError):
    """Settings from the environment or .env are unusable."""


class InputFileError(AkasaError):
    """An input file cannot be read as a whole and is refused."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class NoDataError(AkasaError):
    """The store holds nothing to compute from yet."""


class StoreError(AkasaError):
    """The store is damaged or cannot be written."""


class DiskFullError(StoreError):
    """The disk (or the user's quota) ran out while akasa was writing under `path`."""

    def __init__(self, path: object, outcome: str | None = None) -> None:
        self.path = str(path)
        self.outcome = outcome
        tail = f"; {outcome}" if outcome else ""
        super().__init__(f"no space left on device writing {self.path}{tail}")


class LockedError(AkasaError):
    """Another akasa process holds the store lock."""


class DatabaseError(AkasaError):
    """The SQL database is unreachable or refused a statement."""


class SchemaOutdatedError(DatabaseError):
    """The database schema is empty or behind the newest migration."""

    def __init__(self) -> None:
        super().__init__("database schema is not up to date; run akasa migrate")


class RejectRateExceededError(AkasaError):
    """A file would reject more records than --max-reject-rate allows."""


class SqlRefusedError(AkasaError):
    """`akasa sql` was asked to run something other than a read-only query."""


class NoOutputsError(AkasaError):
    """`akasa report` found no KPI outputs to draw from."""

    def __init__(self) -> None:
        super().__init__("no KPI outputs yet; run akasa run first")


class OutputsUnreadableError(AkasaError):
    """A `kpis.json` exists but is not a KPI document this version can read."""


class Interrupted(AkasaError):
    """Ctrl-C (SIGINT) stopped a command; the message says what it left behind."""

    exit_code = 130


class OutputError(AkasaError):
    """A command cannot write where it was told to (a folder that is not empty without
    --force, or not writable)."""
