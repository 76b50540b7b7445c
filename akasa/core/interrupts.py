"""Ctrl-C (SIGINT): held back where statements must finish together, and a deadline for
the process to end once one arrives.

An ingest stops on Ctrl-C at any moment before its commit point and applies nothing. At
the commit point itself an interrupt would leave a store half-switched, so there it waits
(`held_back`) until the commit is done, and the caller then says that all was applied.

Python runs a signal's handler only between its own steps: while the main thread is inside
one long native call (a large Polars or database operation) a Ctrl-C would wait for it.
`deadline` ends the process anyway a short while after the signal, with the caller's last
words; nothing is lost by that, because nothing is applied before the commit point, and
the commit point is never cut short.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

NOTHING_APPLIED = "nothing from this ingest was applied"
APPLIED_IN_FULL = "this ingest was applied in full before it stopped"

_holds = 0  # held_back blocks running now
_last_hold = float("-inf")  # when the newest one began (time.monotonic)


@dataclass
class Held:
    """Whether a Ctrl-C arrived while it was held back."""

    interrupted: bool = False


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def held_back() -> Iterator[Held]:
    """Runs the block to its end whatever Ctrl-C does; `Held.interrupted` tells afterwards.

    Signals reach only the main thread: elsewhere this holds nothing back (and needs not).
    """
    global _holds, _last_hold
    held = Held()
    if not _main_thread():
        yield held
        return

    def remember(signum: int, frame: FrameType | None) -> None:
        held.interrupted = True

    previous = signal.signal(signal.SIGINT, remember)
    _holds += 1
    _last_hold = time.monotonic()
    try:
        yield held
    finally:
        _holds -= 1
        signal.signal(signal.SIGINT, previous)


@contextmanager
def deadline(grace: float, last_words: Callable[[], None], code: int) -> Iterator[None]:
    """While the block runs, a Ctrl-C that has not ended it within `grace` seconds ends the
    process: `last_words()`, then exit `code` without any more clean-up.

    It stands down if a `held_back` block is running or began after the signal (a commit,
    which always finishes and then stops the process itself). Main thread only; a no-op
    where Python has no wakeup fd for signals.
    """
    if not _main_thread() or not hasattr(signal, "set_wakeup_fd"):
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    done = threading.Event()

    def watch() -> None:
        while True:
            try:
                data = os.read(read_end, 64)
            except OSError:
                return
            if not data or done.is_set():
                return
            if signal.SIGINT not in data:
                continue
            arrived = time.monotonic()
            if done.wait(grace) or _holds or _last_hold >= arrived:
                return
            # A last resort: if the last words themselves hang, end the process anyway.
            threading.Timer(grace, os._exit, (code,)).start()
            last_words()
            os._exit(code)

    watcher = threading.Thread(target=watch, name="akasa-interrupt-deadline", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.close(write_end)  # the watcher's read ends
        watcher.join(timeout=1.0)
        os.close(read_end)
