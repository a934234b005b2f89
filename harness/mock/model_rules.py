"""The real API's refusals of a field the named model does not take, so that a test of the
harness against the mock fails the way a run against OpenAI would (HTTP 400) when a request
carries one: a reasoning effort or a verbosity for gpt-4.1-mini, a temperature for o3,
``top_k`` for any OpenAI model, an output cap above the model's ceiling.

What each model takes is ``harness.models.capabilities``, the table the request plan reads
too; the messages, ``param`` and ``code`` are worded as OpenAI's own errors. The mock model
(``mock*``) takes everything, and a name the table does not know (an open-weight model) is
not judged: its server decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.models.capabilities import model_caps


@dataclass(frozen=True)
class Refusal:
    """An HTTP 400 ``invalid_request_error`` with the real API's ``param`` and ``code``."""

    message: str
    param: str | None
    code: str | None


def _get(body: dict[str, Any], dotted: str) -> Any:
    """``body["text"]["verbosity"]`` for ``"text.verbosity"``; None when any part is absent."""
    value: Any = body
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _unsupported(key: str, chat: bool) -> Refusal:
    hint = " Use 'max_completion_tokens' instead." if key == "max_tokens" else ""
    return Refusal(f"Unsupported parameter: '{key}' is not supported with this model.{hint}",
                   key, "unsupported_parameter")  # fmt: skip


def _unknown(key: str, chat: bool) -> Refusal:
    if chat:
        return Refusal(f"Unrecognized request argument supplied: {key}", None, None)
    return Refusal(f"Unknown parameter: '{key}'.", key, "unknown_parameter")


def refusal(body: dict[str, Any], path: str) -> Refusal | None:
    """Why the real API would refuse ``body`` for its model, or None."""
    caps = model_caps(str(body.get("model") or ""))
    if not caps.known:
        return None
    chat = path == "/chat/completions"
    effort_key = "reasoning_effort" if chat else "reasoning.effort"
    rules = (
        (effort_key, not caps.reasoning, _unsupported),
        ("verbosity" if chat else "text.verbosity", not caps.verbosity, _unsupported),
        ("temperature", not caps.sampling, _unsupported),
        ("top_p", not caps.sampling, _unsupported),
        ("max_tokens", chat and not caps.sampling, _unsupported),
        ("reasoning" if chat else "reasoning.max_tokens", not caps.open_sampling, _unknown),
        ("top_k", not caps.open_sampling, _unknown),
        ("min_p", not caps.open_sampling, _unknown),
        ("chat_template_kwargs", not caps.open_sampling, _unknown),
    )
    for key, refused, make in rules:
        if refused and _get(body, key) is not None:
            return make(key, chat)
    effort = _get(body, effort_key)
    if effort is not None and effort not in caps.efforts:
        allowed = ", ".join(f"'{e}'" for e in caps.efforts)
        return Refusal(f"Unsupported value: '{effort_key}' does not support {effort!r} with "
                       f"this model. Supported values are: {allowed}.", effort_key,
                       "unsupported_value")  # fmt: skip
    ceiling = caps.max_output_tokens
    for key in ("max_completion_tokens", "max_tokens") if chat else ("max_output_tokens",):
        value = body.get(key)
        if ceiling is not None and isinstance(value, int) and value > ceiling:
            return Refusal(f"{key} is too large: {value}. This model supports at most "
                           f"{ceiling} completion tokens, whereas you provided {value}.", key,
                           "invalid_value")  # fmt: skip
    return None
