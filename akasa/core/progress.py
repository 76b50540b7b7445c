"""How long steps report progress without printing: the console supplies the display."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, label: str) -> None:
        """A step of `total` units (bytes for an ingest) begins."""
        ...

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...
