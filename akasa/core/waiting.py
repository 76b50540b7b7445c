"""Waiting for a lock another akasa process holds (`akasa ingest --wait SECONDS`).

A killed ingest's database lock outlives it while the server rolls its transaction back
(7-15 s on MariaDB), and a cron job may start while the previous one is still landing:
waiting a while, and saying so, beats failing the morning run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
DEFAULT_WAIT_SECONDS = 60  # `akasa ingest`'s default; the library's is not to wait


@dataclass(frozen=True)
class LockWait:
    """How long to wait for a lock, and who is told (once) that the wait has begun."""

    seconds: float = 0.0
    notify: Callable[[str], None] | None = None
    step: float = 0.5

    def until(self, take: Callable[[], bool], holder: str) -> bool:
        """Calls `take` until it returns True or `seconds` have passed; says once that it
        waits for `holder` (`another akasa ingest on this data directory`)."""
        if take():
            return True
        if self.seconds <= 0:
            return False
        message = f"waiting up to {self.seconds:g} s for {holder} to finish (--wait)"
        log.warning("%s", message)
        if self.notify is not None:
            self.notify(message)
        deadline = time.monotonic() + self.seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(self.step, left))
            if take():
                return True
        return False

    def refusal(self, what: str) -> str:
        """The error once the wait is over: `what` (`another akasa ingest is ...`)."""
        waited = f" (waited {self.seconds:g} s)" if self.seconds > 0 else ""
        return f"{what}{waited}; try again when it ends"


NO_WAIT = LockWait()
