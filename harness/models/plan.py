"""A run's model settings made into the fields of its requests, fitted to the model
(``harness.models.capabilities``) and to the endpoint its base URL names.

Why here and once: the same settings must give a request the model accepts whatever it is
(gpt-4.1-mini takes no reasoning effort, o3 no temperature, Qwen on vLLM a ``min_p``), the
``--dry-run`` body must be the body sent, and a setting no request to this model may carry is
one line to the user before the run starts (``UserError``), not thousands of HTTP 400s.

The rules, as the seed tools have them:

- A reasoning effort is sent only to a model that takes one (``none`` sends none); on
  OpenRouter it becomes a reasoning budget, ``reasoning.max_tokens`` 2000/8000/32000 for
  low/medium/high. A reasoning summary only when asked for (Responses API). Verbosity only to
  a model that takes it.
- The output-token cap: the one asked for (above the model's known ceiling: a user error);
  else 20000, lowered to the model's ceiling; an unknown model gets none (its server's own
  default: a cap it cannot take is never sent).
- Sampling ``auto`` (the ARC seed's adaptive sampling): an endpoint reached by host and port
  (a TCP endpoint, e.g. vLLM on RunPod) gets ``min_p`` 0.05; any other ``top_k`` 50 and
  ``top_p`` 0.9. Kept to what the model takes: OpenAI's API refuses ``top_k``/``min_p`` (so
  its models and its endpoint get ``top_p`` only) and its reasoning models refuse both. An
  unknown name on OpenAI's own endpoint gets no sampling default (it may be a reasoning
  model). ``--temperature`` is added when given.
- ``--qwen-no-think``: ``chat_template_kwargs.enable_thinking`` false, as the seed sends it,
  and at most 120 s per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from harness.errors import UserError
from harness.models.base import ModelRequest
from harness.models.capabilities import model_caps

EndpointKind = Literal["openai", "openrouter", "tcp", "other"]
SAMPLING_MODES: tuple[str, ...] = ("auto", "off")
REASONING_SUMMARIES: tuple[str, ...] = ("auto", "concise", "detailed")
OPENROUTER_BUDGETS: dict[str, int] = {"low": 2000, "medium": 8000, "high": 32000}
DEFAULT_OUTPUT_TOKENS = 20000
TCP_SAMPLING: dict[str, float] = {"min_p": 0.05}
OTHER_SAMPLING: dict[str, float] = {"top_k": 50, "top_p": 0.9}
QWEN_NO_THINK_TIMEOUT_S = 120.0


def endpoint_kind(base_url: str | None) -> EndpointKind:
    """Which kind of endpoint a base URL names, from its host name alone (nothing is
    contacted): OpenAI's own (no base URL, or api.openai.com), OpenRouter's, a TCP endpoint
    (an explicit port, the seed's "contains ':'"), or another host."""
    if not base_url:
        return "openai"
    parts = urlsplit(base_url.strip())
    host = (parts.hostname or "").lower()
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "openrouter"
    if host == "api.openai.com":
        return "openai"
    try:
        port = parts.port
    except ValueError:
        port = None
    return "tcp" if port is not None else "other"


@dataclass(frozen=True)
class Asked:
    """What a run asks of its model, whatever the model (the run settings of these names)."""

    api_mode: str = "responses"
    base_url: str | None = None
    reasoning_effort: str | None = None
    reasoning_summary: str | None = None
    verbosity: str | None = None
    max_output_tokens: int | None = None  # None: the model's default (see the module doc)
    temperature: float | None = None
    sampling_mode: str = "off"
    qwen_no_think: bool = False
    tool_choice: str | None = None
    enable_code_interpreter: bool = False


def plan_request(model: str, asked: Asked) -> ModelRequest:
    """The request every prompt of the run is sent with (``messages`` empty: the session
    fills them in); a one-line ``UserError`` for a setting no request to ``model`` may carry."""
    caps, kind = model_caps(model), endpoint_kind(asked.base_url)
    responses = asked.api_mode == "responses"
    if asked.enable_code_interpreter and not responses:
        raise UserError("--enable-code-interpreter needs --api-mode responses: Chat "
                        "Completions has no code interpreter tool")  # fmt: skip
    if asked.reasoning_summary and not responses:
        raise UserError("--reasoning-summary needs --api-mode responses: Chat Completions "
                        "returns no reasoning summary")  # fmt: skip
    effort = asked.reasoning_effort if asked.reasoning_effort != "none" else None
    budget = None
    if kind == "openrouter":
        budget = OPENROUTER_BUDGETS.get(effort or "") if caps.reasoning or not caps.known else None
        effort = None
    elif not caps.reasoning:
        effort = None
    elif effort and effort not in caps.efforts:
        raise UserError(f"{model} takes reasoning effort {'|'.join(caps.efforts)}, not {effort}")
    return ModelRequest(
        messages=[], model=model, reasoning_effort=effort,
        reasoning_summary=asked.reasoning_summary if effort else None, reasoning_budget=budget,
        verbosity=asked.verbosity if caps.verbosity else None,
        max_output_tokens=_output_cap(model, asked.max_output_tokens),
        tool_choice=asked.tool_choice, enable_code_interpreter=asked.enable_code_interpreter,
        enable_thinking=_thinking(model, kind, asked.qwen_no_think),
        **_sampling(model, kind, asked),
    )  # fmt: skip


def _output_cap(model: str, asked: int | None) -> int | None:
    caps = model_caps(model)
    ceiling = caps.max_output_tokens
    if asked is None:
        return min(DEFAULT_OUTPUT_TOKENS, ceiling or DEFAULT_OUTPUT_TOKENS) if caps.known else None
    if ceiling is not None and asked > ceiling:
        raise UserError(f"--max-tokens {asked} is above {model}'s ceiling of {ceiling} output "
                        "tokens")  # fmt: skip
    return asked


def _sampling(model: str, kind: EndpointKind, asked: Asked) -> dict[str, float]:
    """temperature / top_p / top_k / min_p, as sent (see the module docstring)."""
    caps = model_caps(model)
    out: dict[str, float] = {}
    if asked.temperature is not None:
        if not caps.sampling:
            raise UserError(f"{model} takes no --temperature: OpenAI's reasoning models "
                            "refuse sampling parameters")  # fmt: skip
        out["temperature"] = asked.temperature
    if asked.sampling_mode != "auto" or not caps.sampling or (kind == "openai" and not caps.known):
        return out
    takes_open = caps.open_sampling and kind != "openai"
    if kind == "tcp" and takes_open:
        return out | TCP_SAMPLING
    return out | {k: v for k, v in OTHER_SAMPLING.items() if takes_open or k != "top_k"}


def _thinking(model: str, kind: EndpointKind, no_think: bool) -> bool | None:
    """``enable_thinking`` for the chat template (None: not sent)."""
    if not no_think:
        return None
    if kind == "openai" or not model_caps(model).open_sampling:
        raise UserError(f"--qwen-no-think is for Qwen models on an open-weight server (with "
                        f"--base-url); {model} on this endpoint takes no chat_template_kwargs")
    return False


def call_timeout(timeout_s: float, qwen_no_think: bool) -> float:
    """Seconds per API call: the seed gives a Qwen model without thinking 120 s."""
    return min(timeout_s, QWEN_NO_THINK_TIMEOUT_S) if qwen_no_think else timeout_s
