"""The seed tools' environment variables mean what they meant there: each one a seed README lists
sets the same harness setting, `DRY_RUN=1` never lets a run happen (not even a resume), and the
harness's own name for a setting wins when both are set. Nothing runs: the engine is replaced."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

import harness.cli.eval as eval_cli
from harness.run.config import SETTINGS, RunConfig
from harness.run.resume import RUNTIME_FIELDS, resume_config
from tests.test_cli_run_options import captured, erm_config, invoke  # noqa: F401 - fixture

# The variables the seed READMEs list (llm-erm, llm-pv, arc-agi) that are run settings, and the
# setting each feeds. The others: OPENAI_API_KEY and TAMU_API_KEY (never in the config),
# DRY_RUN (below), OUT_JSONL and OUT_CSV (tests/test_exports.py), LOG_LEVEL
# (tests/test_log_options.py).
SEED_VARIABLES: dict[str, tuple[str, str, Any]] = {
    "OPENAI_MODEL": ("model", "gpt-4.1", "gpt-4.1"),
    "MAX_OUTPUT_TOKENS": ("max_output_tokens", "123", 123),
    "REASONING_EFFORT": ("reasoning_effort", "minimal", "minimal"),
    "TEXT_VERBOSITY": ("verbosity", "medium", "medium"),
    "TOOL_CHOICE": ("tool_choice", "none", "none"),
    "ENABLE_CODE_INTERPRETER": ("enable_code_interpreter", "1", True),
    "CONCURRENCY": ("concurrency", "7", 7),
    "PER_CALL_TIMEOUT_S": ("timeout", "30", 30.0),
    "ATTEMPTS": ("attempts", "2", 2),
    "TRAIN_SIZE": ("train_size", "10", 10),
    "VAL_SIZE": ("val_size", "11", 11),
    "TEST_SIZE": ("test_size", "12", 12),
    "GLOBAL_SEED": ("seed", "5", 5),
    "DATASET_DIR": ("dataset_dir", "elsewhere", "elsewhere"),
    "API_MODE": ("api_mode", "chat_completions", "chat_completions"),
    "API_BASE_URL": ("base_url", "http://gateway.invalid/v1", "http://gateway.invalid/v1"),
}


def test_every_seed_variable_is_read_somewhere():
    read = {var for s in SETTINGS.values() for var in s.env}
    assert set(SEED_VARIABLES) <= read
    assert "DRY_RUN" in read


@pytest.mark.parametrize("var", sorted(SEED_VARIABLES))
def test_seed_variable_sets_its_setting(captured, var):  # noqa: F811
    name, text, value = SEED_VARIABLES[var]
    assert getattr(erm_config(captured, env={var: text}), name) == value
    assert getattr(RunConfig.resolve({}, env={var: text}), name) == value


@pytest.mark.parametrize(("ours", "seed", "name", "ours_text", "seed_text", "expected"), [
    ("MODEL", "OPENAI_MODEL", "model", "gpt-5", "gpt-4.1", "gpt-5"),
    ("VERBOSITY", "TEXT_VERBOSITY", "verbosity", "high", "medium", "high"),
    ("REQUEST_TIMEOUT", "PER_CALL_TIMEOUT_S", "timeout", "9", "30", 9.0),
])  # fmt: skip
def test_the_harness_name_wins_over_the_seed_name(captured, ours, seed, name, ours_text,  # noqa: F811
                                                  seed_text, expected):  # fmt: skip
    both = {ours: ours_text, seed: seed_text}
    assert getattr(erm_config(captured, env=both), name) == expected
    assert getattr(erm_config(captured, env={ours: " ", seed: seed_text}), name) != expected


@pytest.fixture
def engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which of the engine's entry points a command reached: a real run would be "run"."""
    calls: list[str] = []
    monkeypatch.setattr(eval_cli.engine, "run", lambda *a, **k: calls.append("run"))
    monkeypatch.setattr(eval_cli.engine, "dry_run", lambda *a, **k: calls.append("dry_run"))
    monkeypatch.setattr(eval_cli, "finished", lambda *a: None)
    return calls


@pytest.mark.parametrize("args", [["eval", "erm", "--functions", "fn_a"],
                                  ["eval", "arc", "--limit", "1"]])  # fmt: skip
@pytest.mark.parametrize(("text", "expected"), [("1", "dry_run"), ("true", "dry_run"),
                                                ("0", "run"), (" ", "run")])  # fmt: skip
def test_dry_run_variable_never_runs(engine_calls, args, text, expected):
    result = invoke(*args, "--model", "gpt-4.1", env={"DRY_RUN": text, "OPENAI_API_KEY": "k"})
    assert result.exit_code == 0, result.output
    assert engine_calls == [expected]


def test_dry_run_on_resume_never_runs(engine_calls, monkeypatch, tmp_path):
    """``--resume`` takes other variables from the manifest, but a dry run from the flag or from
    DRY_RUN makes the resume print its requests instead of running."""
    saved = RunConfig.resolve({"run_id": "r"}, env={})
    seen: list[dict[str, Any]] = []

    def fake_resume(run_dir: Any, given: dict[str, Any]) -> tuple[RunConfig, None]:
        seen.append(given)
        runtime = {k: v for k, v in given.items() if k in RUNTIME_FIELDS}
        return dataclasses.replace(saved, **runtime), None

    monkeypatch.setattr(eval_cli, "resume_config", fake_resume)
    for env, flags in (({"DRY_RUN": "1"}, []), ({}, ["--dry-run"])):
        engine_calls.clear()
        result = invoke("eval", "erm", "--resume", str(tmp_path), *flags, env=env)
        assert result.exit_code == 0, result.output
        assert engine_calls == ["dry_run"] and seen[-1]["dry_run"] is True
    result = invoke("eval", "erm", "--resume", str(tmp_path), env={"TEST_SIZE": "50"})
    assert result.exit_code == 0, result.output
    assert engine_calls[-1] == "run" and "test_size" not in seen[-1]


def test_resume_config_takes_the_dry_run(tmp_path):
    """The real ``resume_config``: a dry run asked for is kept over the manifest's False."""
    config = RunConfig.resolve({"run_id": "r1", "functions": ("fn_a",)}, env={})
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({"config": config.to_dict()}))
    resumed, _ = resume_config(run_dir, {"dry_run": True, "progress": False})
    assert resumed.dry_run is True
    resumed, _ = resume_config(run_dir, {"dry_run": False, "progress": False})
    assert resumed.dry_run is False
