"""An inter-process lock on a file (``fcntl.flock``), re-entrant within one thread of one process.

The kernel releases it if the holder dies, so a crash never leaves it held. Importable without Django.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_guard = threading.Lock()
_thread_locks: dict[Path, threading.RLock] = {}
_held: dict[Path, tuple[int, int]] = {}  # lock file -> (file descriptor, nesting depth) held by this process


class LockTimeout(RuntimeError):
    """The lock stayed held by another thread or process for longer than the caller would wait."""


@contextmanager
def interprocess_lock(path: Path, *, timeout: float, doing: str = "holding the lock") -> Iterator[None]:
    """Hold an exclusive lock on ``path``: one process at a time; calls nested in one thread share it.

    Other threads of this process wait like other processes do. ``doing`` names what the holder does, for the
    message of a timeout.
    """
    with _guard:
        thread_lock = _thread_locks.setdefault(path, threading.RLock())
    if not thread_lock.acquire(timeout=timeout):
        raise LockTimeout(f"another thread kept the lock {path} for over {timeout:.0f} s ({doing})")
    try:
        if path in _held:
            descriptor, depth = _held[path]
            _held[path] = (descriptor, depth + 1)
        else:
            _held[path] = (_acquire(path, timeout, doing), 1)
        try:
            yield
        finally:
            descriptor, depth = _held[path]
            if depth > 1:
                _held[path] = (descriptor, depth - 1)
            else:
                del _held[path]
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                os.close(descriptor)
    finally:
        thread_lock.release()


def _acquire(path: Path, timeout: float, doing: str) -> int:
    """Open ``path`` and take an exclusive flock on it, waiting up to ``timeout`` seconds; returns the descriptor."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by processes we spawn
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                holder = path.read_text().strip() or "unknown"
                os.close(descriptor)
                raise LockTimeout(
                    f"another process (pid {holder}) has been {doing} for over {timeout:.0f} s (lock file {path}); "
                    "wait for it or stop it, then try again"
                ) from None
            time.sleep(0.05)
        except BaseException:
            os.close(descriptor)
            raise
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor
