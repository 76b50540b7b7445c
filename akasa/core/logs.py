"""One log file per command run under `<data dir>/logs/`, the oldest removed beyond a limit.

Everything written passes through `privacy.redact`: no password, no full mobile number.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from akasa.core.privacy import redact

KEEP = 50
LOGGER = "akasa"


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def start(logs_dir: Path, command: str, secrets: Iterable[str] = ()) -> Path:
    """Routes the `akasa` loggers to a new file for this run; returns its path."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = logs_dir / f"{stamp}-{os.getpid()}-{command}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(secrets))
    logger = logging.getLogger(LOGGER)
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    _prune(logs_dir)
    return path


def stop() -> None:
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def _prune(logs_dir: Path) -> None:
    runs = sorted(logs_dir.glob("*.log"))
    for old in runs[:-KEEP]:
        old.unlink(missing_ok=True)
