"""An OpenAI-compatible HTTP server with scripted answers, for CI, demos and tests.

It speaks `POST /v1/responses`, `POST /v1/chat/completions` and `GET /v1/models` closely enough
that the official SDK works unchanged, so the REAL client code path (serialisation, headers,
error classes, retries, timeouts) is what the tests exercise. Answers come from a policy (see
`harness.mock.policies`); the HTTP side is in `handler`, the reply bodies in `payloads`, the
injected faults in `faults`.

Determinism: the randomness of each answer derives from seed + task key + which call of the run
the request is (`X-Harness-Attempt`: trial/attempt/turn, see `slots`), so a run gives the same
answers whatever its concurrency and whatever a resume already had. A request without that
header (a plain client) falls back to a per-task counter of answers served, which is still
independent of the arrival order across tasks. Fault decisions are keyed the same way (`faults`).
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict, deque
from http.server import ThreadingHTTPServer
from typing import Any

from harness.mock.faults import FaultPlan
from harness.mock.handler import make_handler
from harness.mock.payloads import REASONING_STYLES
from harness.mock.policies import MockReply, Policy, TaskRef, derived_rng, make_policy
from harness.mock.slots import Slot


class MockServer:
    """A real HTTP server on a background thread. Use as a context manager or start()/stop().

    `policy` is "oracle", "noisy", "arc", "replay:FILE" or a Policy object. `latency_s` delays
    every answer (for concurrency demos). `reasoning_style` picks where chat answers put the
    reasoning: the `reasoning_content` field, a `reasoning` field, or `<think>` in the content.
    `fail_rate`, `slow_s`, `retry_after` and `fault_script` configure `faults.FaultPlan`.
    """

    def __init__(
        self,
        policy: str | Policy = "oracle",
        seed: int = 0,
        fail_rate: float = 0.0,
        slow_s: float = 30.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        retry_after: str = "0",
        latency_s: float = 0.0,
        fault_script: list[str] | None = None,
        reasoning_style: str = "reasoning_content",
    ) -> None:
        self.faults = FaultPlan(seed, fail_rate, slow_s, retry_after, fault_script)
        if reasoning_style not in REASONING_STYLES:
            raise ValueError(f"reasoning_style must be one of {REASONING_STYLES}")
        self.policy: Policy = make_policy(policy) if isinstance(policy, str) else policy
        self.seed = seed
        self.host = host
        self.port = port
        self.latency_s = latency_s
        self.reasoning_style = reasoning_style
        self._lock = threading.Lock()
        self._served: defaultdict[str, int] = defaultdict(int)
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stats: defaultdict[str, int] = defaultdict(int)
        self.log: deque[dict[str, Any]] = deque(maxlen=10_000)  # recent events, for tests

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("mock server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def bind(self) -> ThreadingHTTPServer:
        """Open the socket without serving yet, so the CLI can print the URL (and fail on a
        taken port) before it blocks in `serve_forever`."""
        if self._httpd is None:
            self._stopping.clear()
            self._httpd = _QuietServer((self.host, self.port), make_handler(self))
            self._httpd.mock = self
            self._httpd.daemon_threads = True
        return self._httpd

    def start(self) -> str:
        """Serve on a daemon thread; returns the base URL (`http://127.0.0.1:PORT/v1`)."""
        httpd = self.bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve on the calling thread until `stop()` or KeyboardInterrupt (the CLI path)."""
        httpd = self.bind()
        try:
            httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            httpd.server_close()
            self._httpd = None

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers
        if self._httpd is not None:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join(timeout=5)
            self._httpd.server_close()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> MockServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state shared by the request handlers ---------------------------------------------------

    def make_reply(
        self, task: TaskRef, consume: bool, slot: Slot | None = None
    ) -> tuple[MockReply, int | str]:
        """The policy's answer for the call `slot` names (whatever else was asked before), or
        without a slot for the task's next reply index; also the key its randomness came from.
        `consume=False` leaves the index in place so the retry of a request whose client gave
        up gets the same answer (a slot's answer never depends on retries)."""
        if slot is not None:
            key, index = slot.rng_key, slot.index
        else:
            with self._lock:
                index = self._served[task.key]
                if consume:
                    self._served[task.key] += 1
            key = index
        rng = derived_rng(self.seed, task.key, key)
        return self.policy.reply(task, rng, index), key

    def cached_tokens(self, task_key: str, prompt_tokens: int, slot: Slot | None = None) -> int:
        """Imitates prompt caching: repeats of a task's prompt hit the cache for half of it. With
        a slot, every call but the run's first of the task is a repeat (not the first to arrive:
        that would depend on timing)."""
        seen = not slot.first if slot is not None else self.faults.requests_seen(task_key) > 1
        return prompt_tokens // 2 if seen else 0

    def wait(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True when interrupted."""
        return self._stopping.wait(seconds) if seconds > 0 else False

    def record(self, event: str, **fields: Any) -> None:
        with self._lock:
            self.stats[event] += 1
            self.log.append({"event": event, **fields})


class _QuietServer(ThreadingHTTPServer):
    """No traceback on stderr for a request that broke a handler: whatever a client sends, the
    server's output stays one recorded event (the default prints the whole stack)."""

    mock: MockServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        self.mock.record("handler_error", error=f"{type(exc).__name__}: {exc}"[:200])
