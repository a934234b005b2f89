"""The hidden-mapping family's prompt: the train lines it shows, what it hides, its wording in
each prompt version (the seed tools' by default, ours as ``erm_v1``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.errors import UserError
from harness.families.erm.prompt import (
    DEFAULT_PROMPT_VERSION,
    PROMPT_VERSIONS,
    build_prompt,
    problem_statement,
)
from harness.families.erm.task import load_task
from harness.run.config import ERM_PROMPT_VERSIONS, SETTINGS, RunConfig

TRAIN = [("0110", "0"), ("1110", "1")]
SEED_TASK = (  # the seed tools' sentence, word for word
    "and their corresponding scalar binary outputs ('0' or '1'), find a concise Python function "
    "`f(x)` that accurately approximates the underlying relationship. The function should not "
    "be a trainable model, but a direct logical or mathematical representation of the target "
    "function.")
SEED_RULE = 'You must output ONLY a single JSON object: {"code": "<python function>"}.'


def test_prompt_has_every_train_line_verbatim_and_no_val_or_test(tmp_path):
    for version in PROMPT_VERSIONS:
        task = load_task("fn_a", 20, test_size=200, dataset_dir=tmp_path, prompt_version=version)
        prompt = task.prompt
        block = prompt.split("```\n", 1)[1].split("\n```", 1)[0]
        assert block.splitlines() == [f"{x} -> {y}" for x, y in zip(
            task.train_inputs, (line.split(" -> ")[1] for line in block.splitlines()),
            strict=True)]  # fmt: skip
        assert len(block.splitlines()) == 100
        for x in task.eval_inputs:
            assert x not in prompt
        assert '{"code": "<python function>"}' in prompt and "not be a trainable model" in prompt
        assert task.messages() == [{"role": "user", "content": prompt}]
        assert task.task_id == "fn_a/L20" and len(task.eval_inputs) == 300
        assert task.row_fields()["prompt_version"] == version


def test_the_default_is_the_seed_wording_word_for_word():
    assert DEFAULT_PROMPT_VERSION == "llm_erm" == RunConfig().prompt_version
    assert build_prompt("fn_a", 4, TRAIN) == (
        "**Problem Statement:**\nGiven a sequence of input vectors (binary, length 4) "
        f"{SEED_TASK}\n**Data Examples:**\n```\n0110 -> 0\n1110 -> 1\n```\n\n{SEED_RULE}")
    assert build_prompt("fn_i", 20, TRAIN).startswith(
        "**Problem Statement:**\nGiven a sequence of input vectors (decimal, length 20) and")
    assert build_prompt("fn_m", 14, TRAIN).startswith(
        "**Problem Statement:**\nGiven tabular input data (comma-separated feature:value pairs) "
        f"{SEED_TASK}\n**Data Examples:**")


def test_ours_says_what_x_is():
    ours = build_prompt("fn_a", 4, TRAIN, "erm_v1")
    assert "binary strings of length 4" in ours and "x is the bit string" in ours
    assert ours.endswith("top-level imports and helper functions are allowed. No other text.")
    assert "decimal digit strings of length 20" in problem_statement("fn_i", 20)
    assert "decimal" in problem_statement("fn_k", 30)
    tab = problem_statement("fn_m", 14)
    assert "14 features" in tab and "dict" in tab
    prompt = build_prompt("fn_p", 8, [("x0:1.00,x1:c2", "1")], "erm_v1")
    assert "```\nx0:1.00,x1:c2 -> 1\n```" in prompt
    with pytest.raises(UserError, match="available: llm_erm, erm_v1"):
        build_prompt("fn_a", 4, TRAIN, "v99")


def test_the_setting_offers_exactly_the_versions_there_are():
    assert ERM_PROMPT_VERSIONS == PROMPT_VERSIONS
    assert SETTINGS["prompt_version"].env == ("PROMPT_VERSION",)
    # a manifest written before versions existed ran with ours: a resume keeps it
    assert RunConfig.from_dict({"model": "mock"}).prompt_version == "erm_v1"
    assert RunConfig.from_dict({"prompt_version": "llm_erm"}).prompt_version == "llm_erm"


def _dry_run(tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["eval", "erm", "--model", "gpt-5", "--functions", "fn_a", "--lengths", "20",
               "--test-size", "200", "--dataset-dir", str(tmp_path), "--dry-run", *args],
        env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None, "PROMPT_VERSION": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.split("\n", 1)[1])
    return str(body["input"][0]["content"])


def test_dry_run_shows_the_seed_prompt_by_default_and_ours_on_request(tmp_path):
    seed = _dry_run(tmp_path)
    assert seed.startswith("**Problem Statement:**\nGiven a sequence of input vectors (binary, "
                           "length 20)") and seed.endswith(SEED_RULE)  # fmt: skip
    ours = _dry_run(tmp_path, "--prompt-version", "erm_v1")
    assert "binary strings of length 20" in ours and "x is the bit string" in ours
    result = CliRunner().invoke(main, ["eval", "erm", "--prompt-version", "v99", "--dry-run"])
    assert result.exit_code == 2 and "v99" in result.output and "Traceback" not in result.output
