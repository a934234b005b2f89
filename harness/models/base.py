"""The one interface every model client implements, and the records that cross it.

The runner only ever sees `ModelRequest` in and `Completion` out. A client never raises for an
API failure: retries happen inside the client and the final failure is *recorded* on the
Completion (`error_kind`), because a run of thousands of attempts must not die on one 503, and
because API failures and timeouts are reported separately in the run summary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, Protocol, runtime_checkable

ErrorKind = Literal["api_error", "timeout"]
API_MODES: tuple[str, ...] = ("responses", "chat_completions")
"""The two OpenAI APIs a client speaks (the run settings offer the same choice)."""

TASK_HEADER = "X-Harness-Task"
"""HTTP header carrying `ModelRequest.task_id` (ignored by real APIs, read by the mock)."""
ATTEMPT_HEADER = "X-Harness-Attempt"
"""HTTP header `<trial>/<attempt>/<turn>/<retry>/<attempts per trial>` naming which call of a run
a request is: the mock derives its answer (and injected faults) from it instead of counting
arrivals (`harness.mock.slots`), so replies do not depend on concurrency or on what a resume
already has. Real APIs ignore it."""


@dataclass(frozen=True)
class ModelRequest:
    """Everything needed to ask a model once; API-neutral so both clients accept it.

    The fields are what is SENT: ``harness.models.plan`` has already fitted the run's settings
    to the model (None = not sent), so a client renders them without second-guessing.
    `task_id` is not sent in the body: it travels as the `X-Harness-Task` HTTP header, which real
    APIs ignore and the mock server uses to pick the right scripted answer.
    `reasoning_summary` is for the Responses API only ("auto" asks for a summary of the hidden
    reasoning; organisations may not be allowed to ask, so it is off unless requested).
    `reasoning_budget` is OpenRouter's `reasoning.max_tokens`; `enable_thinking` goes to an
    open-weight server's chat template (`chat_template_kwargs`, Qwen's switch).
    `trial`, `attempt` and `turn` (1-based) and `attempts` (per trial), set by the runner, travel
    like `task_id`, in the `X-Harness-Attempt` header, so a scripted model answers the same call
    the same way however requests interleave; None = not part of a run (the mock then counts).
    """

    messages: list[dict[str, str]]
    model: str
    reasoning_effort: str | None = None
    verbosity: str | None = None
    max_output_tokens: int | None = None
    tool_choice: str | None = None
    enable_code_interpreter: bool = False
    task_id: str | None = None
    temperature: float | None = None
    reasoning_summary: str | None = None
    reasoning_budget: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    enable_thinking: bool | None = None
    trial: int | None = None
    attempt: int | None = None
    turn: int | None = None
    attempts: int | None = None

    def sampling(self) -> dict[str, float]:
        """The sampling parameters sent (`SAMPLING_KEYS` that are set): an attempt row's
        `sampling`, as the ARC seed logs them; {} = the API's own defaults."""
        return {k: getattr(self, k) for k in SAMPLING_KEYS if getattr(self, k) is not None}


SAMPLING_KEYS: tuple[str, ...] = ("temperature", "top_p", "top_k", "min_p")
"""Sampling parameters: the same body field in both APIs (top_k and min_p are not OpenAI's)."""


@dataclass(frozen=True)
class Usage:
    """Token counts as billed. `completion_tokens` INCLUDES `reasoning_tokens` (as both OpenAI
    APIs report it); `cached_tokens` is the part of `prompt_tokens` served from the prompt cache."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


USAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Usage))
"""The token counts every row, turn and usage report carries (in this order)."""


@dataclass(frozen=True)
class Completion:
    """One model answer, or the record of why there is none.

    `finish_reason` is normalised across APIs: "stop", "length" (max output tokens hit),
    "content_filter", "tool_calls", "incomplete" (other incompleteness) or None on error.
    `attempts_made` counts HTTP calls including the successful one (1 = no retry needed).
    `tool_uses` counts the tool calls the answer reports (e.g. code interpreter runs) and
    `tool_results_chars` the characters of tool output it carries back: with a tool enabled the
    model may have computed, not only reasoned, and the seed tools' rows record both.
    """

    text: str = ""
    reasoning_text: str = ""
    model: str = ""
    response_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    max_tokens_hit: bool = False
    duration_ms: float = 0.0
    attempts_made: int = 0
    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    tool_uses: int = 0
    tool_results_chars: int = 0

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class ModelClient(Protocol):
    """What the runner needs from a model backend."""

    async def complete(self, request: ModelRequest) -> Completion:
        """Ask once (with internal retries); never raises for API failures."""
        ...

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        """The exact JSON body `complete` would send; needs no key (used by --dry-run)."""
        ...

    async def aclose(self) -> None:
        """Release HTTP connections (call once, on the loop that ran `complete`)."""
        ...
