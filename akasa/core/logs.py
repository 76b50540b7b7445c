"""Logs under `<data dir>/logs/`: one file per command and day, `<command>-<YYYY-MM-DD>.log`,
appended to by every run of that command on that day (each line names its process), and
removed once nothing has been written to it for `days` days (`AKASA_LOG_DAYS`).

Each line starts with its time in ISO 8601 with the zone's offset
(`2025-11-02T06:00:01.123+05:30`), in the business time zone. Everything written passes
through `privacy.redact`: no password, no full mobile number; and through
`privacy.printable`: a value with a newline or an escape sequence cannot forge a line or
drive the terminal of whoever reads the log (only a traceback keeps its newlines).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, tzinfo
from pathlib import Path

from akasa.core.privacy import printable, redact

LOGGER = "akasa"
DEFAULT_DAYS = 90
FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Redacted lines whose time carries its zone (the local zone unless one is given)."""

    def __init__(self, secrets: Iterable[str], zone: tzinfo | None = None) -> None:
        super().__init__(FORMAT)
        self.secrets = list(secrets)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self.zone)
        return (moment if self.zone else moment.astimezone()).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        message = printable(record.getMessage())
        one_line = logging.makeLogRecord({**record.__dict__, "msg": message, "args": None})
        return redact(printable(super().format(one_line), lines=True), self.secrets)


class _CommandLog(logging.FileHandler):
    """The file handler `start` adds, so that `stop` removes only its own."""


def start(
    logs_dir: Path,
    command: str,
    secrets: Iterable[str] = (),
    timezone: str | None = None,
    days: int = DEFAULT_DAYS,
) -> Path:
    """Routes the `akasa` loggers to today's file of `command`; returns its path."""
    from akasa.core import zones

    zone = zones.zone(timezone) if timezone else None
    logs_dir.mkdir(parents=True, exist_ok=True)
    today = datetime.now(zone).date()
    path = logs_dir / f"{command}-{today.isoformat()}.log"
    handler = _CommandLog(path, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(secrets, zone))
    logger = logging.getLogger(LOGGER)
    stop()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    prune(logs_dir, days)
    return path


def stop() -> None:
    """Closes the command's log; the `akasa` loggers are silent again."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, _CommandLog):
            logger.removeHandler(handler)
            handler.close()
    logger.propagate = True


def prune(logs_dir: Path, days: int) -> list[Path]:
    """Removes the logs nothing was written to in the last `days` days; returns them."""
    oldest = time.time() - days * 86_400
    removed = []
    for path in sorted(logs_dir.glob("*.log")):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # another run pruned it first
            continue
    return removed
