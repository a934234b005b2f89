"""A pool of warm workers that heals itself. Shared by the docker and process backends.

A worker that dies, hangs up, stops answering or speaks anything but the protocol is destroyed
and replaced; the program it was running is re-run once on a fresh worker and then reported as
``crash``. Thread-safe (each call borrows one worker) and usable from asyncio via ``arun``.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from harness.sandbox.limits import Limits
from harness.sandbox.protocol import Batch, ProtocolError, WorkerLost
from harness.sandbox.results import ProgramResult
from harness.sandbox.worker import Worker


class WorkerFactory(Protocol):
    kind: str

    def create(self) -> Worker: ...

    def destroy(self, worker: Worker) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class WorkerPool:
    """``run(source, inputs)`` on any of ``size`` warm workers."""

    def __init__(self, factory: WorkerFactory, size: int) -> None:
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self.factory = factory
        self.size = size
        self.name = factory.kind
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[Worker] = set()
        self._closed = False
        self._busy = 0
        self.replaced = 0
        self.replace_reasons: list[str] = []  # why workers were replaced (the last 20)
        self._batches: dict[int, tuple[Sequence[Any], Batch]] = {}
        with ThreadPoolExecutor(max_workers=size) as ex:
            workers = list(ex.map(lambda _: factory.create(), range(size)))
        for w in workers:
            self._all.add(w)
            self._idle.put(w)

    # ------------------------------------------------------------------ batches
    def batch(self, inputs: Sequence[Any] | Batch) -> Batch:
        """Encode ``inputs`` once (cached by object identity for the life of the list)."""
        if isinstance(inputs, Batch):
            return inputs
        key = id(inputs)
        with self._lock:
            hit = self._batches.get(key)
            if hit is not None and hit[0] is inputs:
                return hit[1]
        made = Batch.of(list(inputs))
        with self._lock:
            self._batches[key] = (inputs, made)
            if len(self._batches) > 64:
                self._batches.pop(next(iter(self._batches)))
        return made

    # ------------------------------------------------------------------ running
    def run(self, source: str, inputs: Sequence[Any] | Batch, entry: str | None = None,
            limits: Limits | None = None) -> ProgramResult:
        if self._closed:
            raise RuntimeError("the sandbox pool is closed")
        limits = limits or Limits()
        batch = self.batch(inputs)
        if batch.n == 0:
            return ProgramResult([])
        last_error = ""
        for attempt in range(2):
            worker = self._borrow()
            if worker is None:
                return ProgramResult.failed(batch.n, "crash", "the sandbox pool was closed")
            try:
                result = worker.run(source, batch, entry, limits)
            except (WorkerLost, ProtocolError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"[:300]
                self._replace(worker, last_error)
                continue
            except Exception as exc:  # noqa: BLE001 - no program may raise out of the pool
                last_error = f"unexpected {type(exc).__name__}: {exc}"[:300]
                self._replace(worker, last_error)
                continue
            except BaseException:  # Ctrl-C and exit: the worker's state is unknown
                self._replace(worker, "interrupted")
                raise
            finally:
                with self._lock:
                    self._busy -= 1
            self._idle.put(worker)
            result.retried = attempt > 0
            return result
        return ProgramResult.failed(batch.n, "crash",
                                    f"the sandbox worker was lost twice ({last_error})",
                                    retried=True)

    def _borrow(self) -> Worker | None:
        while True:
            if self._closed:
                return None
            try:
                worker = self._idle.get(timeout=0.5)
            except queue.Empty:
                continue
            with self._lock:
                self._busy += 1
            return worker

    async def arun(self, source: str, inputs: Sequence[Any] | Batch, entry: str | None = None,
                   limits: Limits | None = None) -> ProgramResult:
        return await asyncio.to_thread(self.run, source, inputs, entry, limits)

    def _replace(self, worker: Worker, reason: str = "") -> None:
        with self._lock:
            self._all.discard(worker)
            self.replaced += 1
            self.replace_reasons = (self.replace_reasons + [reason or "unknown"])[-20:]
        try:
            self.factory.destroy(worker)
        except Exception:  # noqa: BLE001 - a dead worker may fail to die again
            pass
        if self._closed:
            return
        fresh = self.factory.create()
        with self._lock:
            self._all.add(fresh)
        self._idle.put(fresh)

    # ------------------------------------------------------------------ health and lifecycle
    def health(self) -> dict[str, Any]:
        """Ping every worker (borrowing each in turn); replace the ones that do not answer."""
        checked, healed = 0, 0
        borrowed = [self._idle.get() for _ in range(self.size)]
        with self._lock:
            self._busy += len(borrowed)
        for w in borrowed:
            try:
                w.hello(timeout_s=10)
                self._idle.put(w)
            except (WorkerLost, ProtocolError, OSError):
                healed += 1
                self._replace(w, "did not answer a health check")
            checked += 1
        with self._lock:
            self._busy -= len(borrowed)
        return {"workers": checked, "replaced_now": healed, "replaced_total": self.replaced}

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "workers": self.size, **self.factory.describe()}

    def close(self, drain_timeout_s: float = 60.0) -> None:
        """Stop taking programs, let the ones in flight finish (up to the timeout), then remove
        every worker."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + drain_timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._busy == 0:
                    break
            time.sleep(0.05)
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        if workers:  # at once: removing a container takes a Docker round trip each
            with ThreadPoolExecutor(max_workers=min(len(workers), 16)) as ex:
                list(ex.map(self._destroy_quietly, workers))

    def _destroy_quietly(self, worker: Worker) -> None:
        try:
            self.factory.destroy(worker)
        except Exception:  # noqa: BLE001 - a dead worker may fail to die again
            pass

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
