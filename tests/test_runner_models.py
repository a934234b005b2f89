"""End-to-end `eval arc` with the seed's model rules: a non-reasoning model through a base URL
(Chat Completions, no reasoning field, the mock refusing what OpenAI refuses), and the sampling
parameters each attempt row records. Real Docker, the mock model over real HTTP; tiny runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.mock.server import MockServer
from tests.row_schema import undeclared

pytestmark = pytest.mark.docker

TINY = ["eval", "arc", "--subset", "shortest_training_1", "--limit", "1", "--attempts", "1",
        "--workers", "1", "--no-progress", "--retry-delay", "0.05"]  # fmt: skip
CLEAN = {"OPENAI_API_KEY": None, "TAMU_API_KEY": None, "API_MODE": None, "API_BASE_URL": None,
         "OPENAI_BASE_URL": None, "TEMPERATURE": None, "SAMPLING_MODE": None}  # fmt: skip


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    """The one attempt row of a tiny run (its rows held to their declared types)."""
    out = tmp_path / "runs"
    result = CliRunner().invoke(main, [*TINY, "--out-dir", str(out), "--run-id", "r", *args],
                                env={**CLEAN, **(env or {})})  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert undeclared(out / "r") == []
    (row,) = [json.loads(line) for line in (out / "r" / "results_attempts.jsonl").open()]
    return row


def test_non_reasoning_model_through_a_base_url(tmp_path: Path) -> None:
    with MockServer("arc", seed=1) as server:
        row = _run(tmp_path, "--model", "gpt-4.1-mini", "--base-url", server.base_url,
                   env={"OPENAI_API_KEY": "test-key"})  # fmt: skip
        requests = [e for e in server.log if e["event"] == "request"]
    assert row["api_mode"] == "chat_completions" and row["api_error"] is None
    assert row["sampling"] == {"top_p": 0.9}  # host:port, but OpenAI's models take no min_p
    assert [r["refused"] for r in requests] == [False]
    assert requests[0]["path"] == "/chat/completions"
    assert requests[0]["options"] == {"model": "gpt-4.1-mini", "max_completion_tokens": 20000,
                                      "top_p": 0.9}  # fmt: skip


def test_sampling_parameters_are_recorded_per_attempt(tmp_path: Path) -> None:
    row = _run(tmp_path, "--model", "mock", "--temperature", "0.3")
    assert row["api_mode"] == "responses" and row["api_error"] is None
    assert row["sampling"] == {"temperature": 0.3, "top_p": 0.9}
    log = json.loads((tmp_path / "runs" / "r" / "tasks" / f"{row['task_id']}.json").read_text())
    assert log["attempts"][0]["sampling"] == row["sampling"]
    assert log["sampling"]["temperature"] == 0.3 and log["sampling"]["sampling_mode"] == "auto"
