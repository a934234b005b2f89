"""The model flags through the CLI's ``--dry-run`` (no key, no sandbox, no network): the bodies
of non-reasoning and reasoning models, ARC's seed rules (a base URL means Chat Completions,
adaptive sampling), Qwen and OpenRouter, and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.run.config import SETTINGS

# No variable of the host's environment may change these bodies.
CLEAN: dict[str, str | None] = {var: None for s in SETTINGS.values() for var in s.env}
CLEAN.update(OPENAI_API_KEY=None, TAMU_API_KEY=None)
ARC = ["eval", "arc", "--subset", "shortest_training_1", "--dry-run"]
QWEN_URL = "http://157.66.254.42:15712/v1"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={**CLEAN, **(env or {})})


def dry(*args: str, env: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """The first task's header line and body, without the conversation."""
    result = invoke(*args, env=env)
    assert result.exit_code == 0, result.output
    header, rest = result.output.split("\n", 1)
    body = json.JSONDecoder().raw_decode(rest)[0]
    assert body.pop("input" if "POST /responses" in header else "messages")
    return header, body


def test_arc_bodies_for_a_non_reasoning_and_a_reasoning_model() -> None:
    """ARC takes the seed's defaults: gpt-4.1-mini, effort low where the model takes one."""
    header, body = dry(*ARC, "--model", "gpt-4.1-mini")
    assert "POST /responses" in header
    assert body == {"model": "gpt-4.1-mini", "max_output_tokens": 20000, "tool_choice": "auto",
                    "top_p": 0.9}  # fmt: skip
    _, body = dry(*ARC, "--model", "gpt-4o-mini", "--api-mode", "chat_completions")
    assert body == {"model": "gpt-4o-mini", "max_completion_tokens": 16384, "top_p": 0.9}
    _, body = dry(*ARC, "--model", "gpt-5")
    assert body == {"model": "gpt-5", "reasoning": {"effort": "low"},
                    "text": {"verbosity": "low"}, "max_output_tokens": 20000,
                    "tool_choice": "auto"}  # fmt: skip
    _, body = dry(*ARC, "--model", "o3", "--api-mode", "chat_completions",
                  "--reasoning-summary", "null", "--max-tokens", "2000")  # fmt: skip
    assert body == {"model": "o3", "reasoning_effort": "low", "max_completion_tokens": 2000}


def test_reasoning_flags() -> None:
    _, body = dry(*ARC, "--model", "gpt-5", "--reasoning-effort", "none")
    assert "reasoning" not in body
    _, body = dry(*ARC, "--model", "gpt-5", "--reasoning-summary", "auto")
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    _, body = dry(*ARC, "--model", "gpt-5", env={"REASONING_SUMMARY": "detailed"})
    assert body["reasoning"] == {"effort": "low", "summary": "detailed"}


def test_arc_base_url_means_chat_completions_unless_the_mode_is_chosen() -> None:
    header, body = dry(*ARC, "--model", "Qwen/Qwen3-4B", "--base-url", QWEN_URL,
                       "--qwen-no-think", "--temperature", "0.7")  # fmt: skip
    assert "POST /chat/completions" in header
    assert body == {"model": "Qwen/Qwen3-4B", "temperature": 0.7, "min_p": 0.05,
                    "chat_template_kwargs": {"enable_thinking": False}}  # fmt: skip
    header, _ = dry(*ARC, "--model", "Qwen/Qwen3-4B", "--base-url", QWEN_URL, "--api-mode",
                    "responses")  # fmt: skip
    assert "POST /responses" in header
    header, _ = dry(*ARC, "--model", "Qwen/Qwen3-4B", env={"API_BASE_URL": QWEN_URL,
                                                           "API_MODE": "responses"})
    assert "POST /responses" in header
    header, _ = dry(*ARC, "--model", "Qwen/Qwen3-4B", env={"API_BASE_URL": QWEN_URL})
    assert "POST /chat/completions" in header


def test_openrouter_budget_and_sampling() -> None:
    header, body = dry(*ARC, "--model", "google/gemini-2.5-flash", "--base-url",
                       "https://openrouter.ai/api/v1", "--reasoning-effort", "medium")
    assert "POST /chat/completions" in header
    assert body == {"model": "google/gemini-2.5-flash", "reasoning": {"max_tokens": 8000},
                    "top_k": 50, "top_p": 0.9}  # fmt: skip


def test_erm_takes_temperature_and_samples_only_when_asked(tmp_path: Path) -> None:
    erm = ["eval", "erm", "--functions", "fn_a", "--lengths", "20", "--test-size", "200",
           "--dataset-dir", str(tmp_path), "--dry-run", "--model", "gpt-4.1-mini"]
    header, body = dry(*erm, "--temperature", "0.5")
    assert "# fn_a/L20  POST /responses" in header
    assert body == {"model": "gpt-4.1-mini", "max_output_tokens": 20000, "tool_choice": "auto",
                    "temperature": 0.5}  # fmt: skip
    _, body = dry(*erm, "--sampling-mode", "auto", "--max-tokens", "1234")
    assert body["top_p"] == 0.9 and body["max_output_tokens"] == 1234
    _, body = dry(*erm, env={"TEMPERATURE": "1.5"})
    assert body["temperature"] == 1.5


@pytest.mark.parametrize(("args", "words"), [
    (["--model", "gpt-5", "--api-mode", "chat_completions", "--enable-code-interpreter"],
     "--enable-code-interpreter needs --api-mode responses"),
    (["--model", "gpt-5", "--base-url", QWEN_URL, "--enable-code-interpreter"],
     "--enable-code-interpreter needs --api-mode responses"),
    (["--model", "gpt-5", "--temperature", "0.5"], "gpt-5 takes no --temperature"),
    (["--model", "gpt-4o-mini", "--max-tokens", "20000"], "above gpt-4o-mini's ceiling"),
    (["--model", "gpt-4.1-mini", "--qwen-no-think"], "--qwen-no-think is for Qwen"),
])  # fmt: skip
def test_impossible_settings_are_one_line_errors(args: list[str], words: str) -> None:
    result = invoke(*ARC, *args)
    assert result.exit_code == 2
    text = result.output.strip()
    assert words in text and "\n" not in text and "Traceback" not in text, text


def test_help_explains_the_model_flags() -> None:
    text = " ".join(invoke("eval", "arc", "--help").output.split())
    for flag in ("--temperature", "--max-tokens", "--sampling-mode", "--qwen-no-think",
                 "--reasoning-summary", "TEMPERATURE", "min_p 0.05"):  # fmt: skip
        assert flag in text, flag
    assert "default: auto]" in text.split("--sampling-mode [", 1)[1][:400]
    erm = " ".join(invoke("eval", "erm", "--help").output.split())
    assert "default: off]" in erm.split("--sampling-mode [", 1)[1][:400]
