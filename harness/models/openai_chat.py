"""Client for any Chat Completions endpoint (OpenAI, gateways such as TAMU's, vLLM, ...).

Providers disagree on where reasoning goes: `message.reasoning_content` (DeepSeek, vLLM),
`message.reasoning` (OpenRouter, some gateways) or `<think>...</think>` inside the content (raw
open-weight models). All three end up in `Completion.reasoning_text`, and think blocks are removed
from the text so that code extraction never picks a draft out of the reasoning.

`tool_choice` is only sent together with tools: Chat Completions rejects it otherwise, and the code
interpreter tool exists only in the Responses API. The output-token cap is `max_completion_tokens`
for OpenAI's models (its reasoning models refuse `max_tokens`) and `max_tokens` for any other
model (what open-weight servers and gateways have always taken, and the ARC seed sends).
"""

from __future__ import annotations

import re
from typing import Any

import openai
from openai.resources.chat.completions import AsyncCompletions

from harness.models.base import ModelRequest
from harness.models.capabilities import model_caps
from harness.models.sdk import Answer, SdkClient

_THINK_BLOCK = re.compile(r"<think>(.*?)</think>", re.DOTALL | re.IGNORECASE)


class OpenAIChatClient(SdkClient):
    """`ModelClient` over `AsyncOpenAI().chat.completions.create`."""

    api_mode = "chat_completions"
    messages_field = "messages"
    usage_names = ("prompt", "completion")
    create_method = AsyncCompletions.create

    def options(self, request: ModelRequest) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if request.reasoning_effort:
            body["reasoning_effort"] = request.reasoning_effort
        elif request.reasoning_budget is not None:
            body["reasoning"] = {"max_tokens": request.reasoning_budget}  # OpenRouter's
        if request.verbosity:
            body["verbosity"] = request.verbosity
        if request.max_output_tokens is not None:
            known = model_caps(request.model).known
            body["max_completion_tokens" if known else "max_tokens"] = request.max_output_tokens
        return body

    def endpoint(self, client: openai.AsyncOpenAI) -> Any:
        return client.chat.completions

    def read(self, resp: Any) -> Answer:
        """Reasoning from wherever this provider puts it (see the module docstring)."""
        choices = getattr(resp, "choices", None) or []
        text, reasoning, finish, tool_uses = "", "", None, 0
        if choices:
            choice = choices[0]
            finish = getattr(choice, "finish_reason", None)
            message = getattr(choice, "message", None)
            if message is not None:
                text, think = split_think(getattr(message, "content", None) or "")
                field_reasoning = message_reasoning(message)
                reasoning = "\n\n".join(r for r in (field_reasoning, think) if r)
                tool_uses = len(getattr(message, "tool_calls", None) or [])
        # Tool results never come back in a Chat Completions response (the caller runs the
        # tools): their characters stay 0.
        return Answer(text, reasoning, finish, finish == "length", tool_uses)


def split_think(content: str) -> tuple[str, str]:
    """(text without think blocks, the think blocks' text). A lone `</think>` (some servers drop
    the opening tag) makes everything before it reasoning."""
    thoughts = [m.strip() for m in _THINK_BLOCK.findall(content)]
    text = _THINK_BLOCK.sub("", content)
    if "</think>" in text.lower():
        idx = text.lower().rindex("</think>")
        thoughts.append(text[:idx].replace("<think>", "").strip())
        text = text[idx + len("</think>") :]
    return text.strip(), "\n\n".join(t for t in thoughts if t)


def message_reasoning(message: Any) -> str:
    """Reasoning from the non-standard fields (not declared on the SDK model: look in extras)."""
    extra = getattr(message, "model_extra", None) or {}
    for name in ("reasoning_content", "reasoning"):
        value = extra.get(name, getattr(message, name, None))
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict):  # e.g. {"content": "..."} or {"summary": "..."}
            for key in ("content", "text", "summary"):
                if isinstance(value.get(key), str) and value[key].strip():
                    return value[key].strip()
    return ""
