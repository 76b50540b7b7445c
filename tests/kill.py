"""A child script's prelude that SIGKILLs the child at its Nth fsync (N is its last
argument): tests kill at every step of an atomic write, not at guessed delays."""

KILL_AT_NTH_FSYNC = """
import os, signal, sys

kill_at, seen = int(sys.argv[-1]), 0
real = os.fsync

def fsync(fd):
    global seen
    seen += 1
    if seen == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real(fd)

os.fsync = fsync
"""


def killed_at_fsync(action: str) -> str:
    """The script that runs `action` (Python source) with the killing fsync in place."""
    return KILL_AT_NTH_FSYNC + action
