"""Client for the OpenAI Responses API (`POST /v1/responses`).

Output text is the concatenation of `output_text` parts of `message` items; reasoning text is the
concatenation of reasoning-item summaries (and raw reasoning content when a provider returns it).
A response with status "incomplete" and reason "max_output_tokens" is a max-tokens hit: the
attempt is kept (its text may still hold usable code) but flagged. Tool calls are counted from
the output items (`tool_counts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import openai
from openai.resources.responses import AsyncResponses

from harness.models.base import ModelRequest
from harness.models.sdk import Answer, SdkClient


class OpenAIResponsesClient(SdkClient):
    """`ModelClient` over `AsyncOpenAI().responses.create`."""

    api_mode = "responses"
    messages_field = "input"
    usage_names = ("input", "output")
    create_method = AsyncResponses.create

    def options(self, request: ModelRequest) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if request.reasoning_effort:
            reasoning: dict[str, Any] = {"effort": request.reasoning_effort}
            if request.reasoning_summary:
                reasoning["summary"] = request.reasoning_summary
            body["reasoning"] = reasoning
        elif request.reasoning_budget is not None:
            body["reasoning"] = {"max_tokens": request.reasoning_budget}
        if request.verbosity:
            body["text"] = {"verbosity": request.verbosity}
        if request.max_output_tokens is not None:
            body["max_output_tokens"] = request.max_output_tokens
        if request.enable_code_interpreter:
            body["tools"] = [{"type": "code_interpreter", "container": {"type": "auto"}}]
            # the tool's logs come back only when asked for: they make tool_results_chars
            body["include"] = ["code_interpreter_call.outputs"]
        if request.tool_choice:
            body["tool_choice"] = request.tool_choice
        return body

    def endpoint(self, client: openai.AsyncOpenAI) -> Any:
        return client.responses

    def read(self, resp: Any) -> Answer:
        """Tolerant of missing optional parts."""
        texts: list[str] = []
        reasoning: list[str] = []
        for item in getattr(resp, "output", None) or []:
            kind = getattr(item, "type", None)
            if kind == "message":
                for part in getattr(item, "content", None) or []:
                    if getattr(part, "type", None) == "output_text" and part.text:
                        texts.append(part.text)
            elif kind == "reasoning":
                for part in getattr(item, "summary", None) or []:
                    if getattr(part, "text", None):
                        reasoning.append(part.text)
                for part in getattr(item, "content", None) or []:
                    if getattr(part, "text", None):
                        reasoning.append(part.text)
        status = getattr(resp, "status", None)
        details = getattr(resp, "incomplete_details", None)
        reason = getattr(details, "reason", None) if details is not None else None
        max_hit = status == "incomplete" and reason == "max_output_tokens"
        if status == "incomplete":
            finish = (
                "length"
                if max_hit
                else ("content_filter" if reason == "content_filter" else "incomplete")
            )
        else:
            finish = "stop" if status in (None, "completed") else str(status)
        uses, chars = tool_counts(getattr(resp, "output", None) or [])
        return Answer("".join(texts), "\n\n".join(reasoning), finish, max_hit, uses, chars)


def tool_counts(output: Iterable[Any]) -> tuple[int, int]:
    """(tool calls, characters of tool results) among a response's output items.

    A call is an item whose type ends in ``_call`` (``code_interpreter_call``,
    ``function_call``, ``web_search_call``...). Results are what the response itself carries: a
    code interpreter call's ``logs`` outputs (returned only when the request includes
    ``code_interpreter_call.outputs``), and the text ``output`` of ``*_call_output`` and
    ``mcp_call`` items. (The seed tools counted items typed ``tool_use``/``tool_result``,
    which the Responses API never returns: their counts were always 0.)
    """
    uses = chars = 0
    for item in output:
        kind = str(getattr(item, "type", None) or "")
        if kind.endswith("_call"):
            uses += 1
        if kind == "code_interpreter_call":
            for out in getattr(item, "outputs", None) or []:
                logs = getattr(out, "logs", None)
                chars += len(logs) if isinstance(logs, str) else 0
        elif kind.endswith("_call_output") or kind == "mcp_call":
            text = getattr(item, "output", None)
            chars += len(text) if isinstance(text, str) else 0
    return uses, chars
