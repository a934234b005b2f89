"""Tool calls and tool output counted from canned responses (no server): what the rows'
``tool_uses`` and ``tool_results_chars`` come from, in both API modes."""

from __future__ import annotations

from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from harness.models.openai_chat import OpenAIChatClient
from harness.models.openai_responses import OpenAIResponsesClient, tool_counts
from harness.models.retry import RetryPolicy
from harness.models.sdk import SdkSettings

CODE = "def f(x):\n    return str(x.count('1') % 2)"
RESPONSE = {  # what the Responses API returns after two code interpreter runs
    "id": "resp_1", "object": "response", "created_at": 1.0, "model": "gpt-5",
    "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto",
    "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}],
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": [
            {"type": "summary_text", "text": "Parity, probably."}]},
        {"type": "code_interpreter_call", "id": "ci_1", "container_id": "cntr_1",
         "status": "completed", "code": "print(sum(map(int, '0110')) % 2)",
         "outputs": [{"type": "logs", "logs": "0\n"}]},
        {"type": "code_interpreter_call", "id": "ci_2", "container_id": "cntr_1",
         "status": "completed", "code": "plot()",
         "outputs": [{"type": "logs", "logs": "checked 100 lines\n"},
                     {"type": "image", "url": "https://example.invalid/plot.png"}]},
        {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": '{"code": "..."}', "annotations": []}]},
    ],
}  # fmt: skip


def _client(kind: type) -> object:
    return kind(SdkSettings(api_key="unused"), RetryPolicy())


def test_code_interpreter_calls_and_their_logs_are_counted():
    resp = Response.model_validate(RESPONSE)
    assert tool_counts(resp.output) == (2, len("0\n") + len("checked 100 lines\n"))
    answer = _client(OpenAIResponsesClient).read(resp)
    assert (answer.tool_uses, answer.tool_results_chars) == (2, 20)
    assert answer.text == '{"code": "..."}' and answer.reasoning == "Parity, probably."


def test_a_response_without_tools_counts_nothing():
    resp = Response.model_validate({**RESPONSE, "output": RESPONSE["output"][-1:]})
    assert tool_counts(resp.output) == (0, 0)
    # calls whose outputs were not included, function calls and their text outputs
    items = [{"type": "code_interpreter_call", "outputs": None},
             {"type": "function_call", "name": "run"},
             {"type": "function_call_output", "output": "12345"},
             {"type": "mcp_call", "output": "abc"}]  # fmt: skip
    as_objects = [type("Item", (), item)() for item in items]
    assert tool_counts(as_objects) == (3, 8)


def test_chat_tool_calls_are_counted_and_results_are_not_in_the_response():
    resp = ChatCompletion.model_validate({
        "id": "chat_1", "object": "chat.completion", "created": 1, "model": "gpt-5",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": CODE, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "python", "arguments": "{}"}}]}}]})  # fmt: skip
    answer = _client(OpenAIChatClient).read(resp)
    assert (answer.tool_uses, answer.tool_results_chars) == (1, 0)
    assert answer.text == CODE
