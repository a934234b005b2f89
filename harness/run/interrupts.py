"""Ctrl-C and SIGTERM during a run: the first one stops the run cleanly, a second one at once.

Why not Python's defaults: SIGINT raises ``KeyboardInterrupt`` wherever the main thread is, so
``asyncio.run`` then waits for every sandbox program in flight and the pool drains before the
process ends (17-19 s), and SIGTERM ends the process without ``atexit``, leaving containers
behind. Here the first signal asks the attempt loop to stop (``on_first``: no new attempt, model
calls in flight cancelled) and the engine closes the pool without draining it; outside the loop
it raises ``RunInterrupted`` so the run unwinds. A second signal runs the exit handlers (the
Docker pool's container removal) in a helper thread, bounded in time, and exits at once.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
HARD_EXIT_CLEANUP_S = 10.0  # bound on the exit handlers' container removal after a 2nd signal


class RunInterrupted(KeyboardInterrupt):
    """A signal stopped the run before or after its attempt loop (a KeyboardInterrupt, so no
    ``except Exception`` guard swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + int(signum)


class Interrupts:
    """Context manager owning SIGINT/SIGTERM for one run (main thread only; elsewhere it
    leaves the handlers alone). ``signum`` is the first signal received, if any."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._on_first: Callable[[], None] | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._saved.items():
            signal.signal(sig, old)
        self._saved.clear()

    def on_first(self, callback: Callable[[], None] | None) -> None:
        """What the first signal does while the loop runs (None: raise ``RunInterrupted``)."""
        self._on_first = callback

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            hard_exit(signum)
        self.signum = signum
        if self._on_first is None:
            raise RunInterrupted(signum)
        self._on_first()


def hard_exit(signum: int) -> None:
    """Exit now, after the exit handlers (container removal) ran or timed out. They run in a
    thread: the main thread may hold a lock they need when the signal arrives."""
    sys.stderr.write(f"\n{signal.Signals(signum).name} again: stopping now, removing the "
                     "sandbox containers\n")  # fmt: skip
    sys.stderr.flush()
    worker = threading.Thread(target=atexit._run_exitfuncs, daemon=True)  # noqa: SLF001
    worker.start()
    worker.join(HARD_EXIT_CLEANUP_S)
    os._exit(exit_code(signum))
