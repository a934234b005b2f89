"""The harness process's own peak memory while a piece of work runs, sampled with psutil.

Programs run in containers and are capped there; what this watches is the host side (pool,
frames, scoring), which nothing caps: a figure for `make bench` and a leak detector for the
soak tests. The kernel keeps no peak for a window of time, so a thread samples the resident set.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.mb``: the largest resident set seen."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, self._process.memory_info().rss)
            if self._stop.wait(self.interval_s):
                return

    @property
    def mb(self) -> float:
        return self.peak_bytes / (1 << 20)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self._process.memory_info().rss)
