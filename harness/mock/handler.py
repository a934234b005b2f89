"""The mock server's HTTP request handler: routes, request checks, faults applied, replies sent.

Whatever a client sends, the answer is a JSON error in the API's shape (never a traceback or a
dropped connection), so tests of hostile or malformed requests see what the real API would send.
"""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from harness.mock.faults import FaultPlan
from harness.mock.model_rules import refusal
from harness.mock.payloads import (
    MOCK_MODELS,
    budget,
    chat_payload,
    count_tokens,
    model_obj,
    responses_payload,
)
from harness.mock.policies import MockReply, TaskRef, identify
from harness.mock.slots import Slot, parse_slot
from harness.models.base import ATTEMPT_HEADER, TASK_HEADER


class Answering(Protocol):
    """What the handler needs from the server that owns it (``server.MockServer``): its
    settings, the next reply of a task, and where to record what happened."""

    faults: FaultPlan
    seed: int
    latency_s: float
    reasoning_style: str

    def make_reply(self, task: TaskRef, consume: bool,
                   slot: Slot | None = None) -> tuple[MockReply, int | str]: ...

    def cached_tokens(self, task_key: str, prompt_tokens: int, slot: Slot | None = None) -> int:
        ...

    def wait(self, seconds: float) -> bool: ...

    def record(self, event: str, **fields: Any) -> None: ...

#: Largest request body read (a real request is well under 1 MiB); larger ones get 413.
MAX_BODY_BYTES = 8 << 20
_TOKEN_KEYS = ("max_output_tokens", "max_completion_tokens", "max_tokens")


def prompt_text(body: dict[str, Any]) -> str:
    """All text the model would read, for either API's body shape (task identification and
    token counts both need it, whichever API the client used)."""
    chunks: list[str] = []
    if isinstance(body.get("instructions"), str):
        chunks.append(body["instructions"])
    items = body.get("messages") if "messages" in body else body.get("input")
    if isinstance(items, str):
        return "\n".join(chunks + [items])
    for item in items or []:
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, str):
            chunks.append(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    chunks.append(part["text"])
    return "\n".join(chunks)


def check_body(body: Any, path: str) -> str | None:
    """Why a decoded request body is not one the mock can answer (wrong types), or None: a
    400 with a reason, as the real API gives, instead of a policy crashing on it."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("model", ""), str):
        return "'model' must be a string"
    if not isinstance(body.get("stream", False), bool):
        return "'stream' must be a boolean"
    if not isinstance(body.get("instructions") or "", str):
        return "'instructions' must be a string"
    for key in _TOKEN_KEYS:
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            return f"'{key}' must be a non-negative integer"
    for key in ("text", "reasoning"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f"'{key}' must be an object"
    key = "messages" if path == "/chat/completions" else "input"
    items = body.get(key)
    if items is None or (isinstance(items, str) and key == "input"):
        return None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return f"'{key}' must be a list of objects"
    for item in items:
        content = item.get("content")
        if content is not None and not isinstance(content, str | list):
            return f"'{key}[].content' must be a string or a list"
    return None


def make_handler(server: Answering) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to `server` (the stdlib builds one handler per request from a
    class, so the server's state must be reachable from the class)."""

    class Handler(_Handler):
        mock = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per reply and no Nagle: headers and body in separate small segments
    # would meet the client's delayed ACK and add ~40 ms to every request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server_version = "harness-mock/1.0"
    timeout = 120
    mock: Answering

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr access log."""

    # -- plumbing -------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", "req_" + hashlib.sha256(data).hexdigest()[:16])
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None,
               *, param: str | None = None, code: str | None | bool = True) -> None:
        """An error in the API's shape; ``code`` True: the same as ``kind``."""
        body = {"error": {"message": message, "type": kind, "param": param,
                          "code": kind if code is True else code}}  # fmt: skip
        self._send_json(status, body, headers)

    def _path(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1") else path

    # -- endpoints ------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = self._path()
        if path == "/models":
            models = [model_obj(m) for m in MOCK_MODELS]
            self._send_json(200, {"object": "list", "data": models})
        elif path.startswith("/models/"):
            self._send_json(200, model_obj(path.split("/", 2)[2]))
        else:
            self._error(404, f"no route GET {self.path}", "not_found")

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 400/411/413 (then the connection closes:
        an unread body must not be taken for the next request)."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._error(411, "send a Content-Length (no chunked bodies)", "invalid_request_error",
                        {"Connection": "close"})
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._error(400, "bad Content-Length", "invalid_request_error",
                        {"Connection": "close"})
            return None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._error(413, f"request body over {MAX_BODY_BYTES >> 20} MiB",
                        "invalid_request_error", {"Connection": "close"})
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        raw = self._read_body()
        if raw is None:
            return
        path = self._path()
        if path not in ("/responses", "/chat/completions"):
            self._error(404, f"no route POST {self.path}", "not_found")
            return
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, RecursionError) as exc:
            self._error(400, f"invalid JSON body: {str(exc)[:200]}", "invalid_request_error")
            return
        problem = check_body(body, path)
        if problem is not None:
            self._error(400, f"invalid request: {problem}", "invalid_request_error")
            return
        if body.get("stream"):
            self._error(400, "the mock server does not stream", "invalid_request_error")
            return
        refused = refusal(body, path)
        self.mock.record("request", path=path, model=body.get("model"), refused=bool(refused),
                         options={k: v for k, v in body.items()
                                  if k not in ("input", "messages", "instructions")})  # fmt: skip
        if refused is not None:
            self._error(400, refused.message, "invalid_request_error", param=refused.param,
                        code=refused.code)  # fmt: skip
            return
        try:
            self._answer(path, body)
        except Exception as exc:  # noqa: BLE001 - a policy bug must not look like a network fault
            self._error(500, f"mock policy error: {type(exc).__name__}: {exc}", "mock_error")

    def _answer(self, path: str, body: dict[str, Any]) -> None:
        mock, faults = self.mock, self.mock.faults
        prompt = prompt_text(body)
        task = identify(self.headers.get(TASK_HEADER), prompt)
        slot = parse_slot(self.headers.get(ATTEMPT_HEADER))
        fault = faults.choose(task.key, slot)
        if fault is not None:
            mock.record(f"fault_{fault}", task=task.key)
        if fault == "429":
            self._error(
                429,
                "Rate limit reached (mock fault injection).",
                "rate_limit_exceeded",
                {"Retry-After": faults.retry_after},
            )
            return
        if fault == "500":
            self._error(500, "Internal error (mock fault injection).", "server_error")
            return
        # A stall replaces the configured latency; either ends early when the server stops.
        if mock.wait(faults.slow_s if fault == "slow" else mock.latency_s):
            self._error(503, "mock server stopping", "server_error")
            return
        # A stalled request's client has timed out: its answer is not consumed, so the retry
        # gets the same one.
        reply, index = mock.make_reply(task, consume=fault != "slow", slot=slot)
        p_tokens = count_tokens(prompt)
        cached = mock.cached_tokens(task.key, p_tokens, slot)
        usage, text, reasoning, truncated = budget(reply, body, path, p_tokens, cached)
        model = str(body.get("model") or "mock")
        uid = hashlib.sha256(f"{mock.seed}|{task.key}|{index}|{path}".encode()).hexdigest()[:24]
        if path == "/responses":
            payload = responses_payload(uid, model, body, text, reasoning, usage, truncated)
        else:
            payload = chat_payload(uid, model, text, reasoning, usage, truncated,
                                   mock.reasoning_style)
        mock.record("reply", task=task.key, choice=reply.choice, index=index)
        self._send_json(200, payload, {"X-Mock-Choice": reply.choice, "X-Mock-Task": task.key})
