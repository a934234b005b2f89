"""Every runner command of the seed READMEs, as its users type it, with only the script replaced by
its harness command. They run with the seeds' own `DRY_RUN=1` (no key, no sandbox, no host
contacted: the endpoints they name are only printed) and must print a request for every task.
The commands are copied from ../shared/seeds/*.md (facts: flags and values); the README's
"Coming from the seed tools" section maps the scripts and their flags.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main

SCRIPTS = {  # the seed's invocation -> the harness command standing in for it
    "python program_synthesis/runner.py": ["eval", "erm"],
    "python runner.py": ["eval", "erm"],
    "uv run python run_arc_tasks_soar.py": ["eval", "arc"],
    "uv run python o3-tools/run_arc_tasks.py": ["eval", "arc"],
    "uv run python -m llm-python.run_arc_tasks": ["eval", "arc"],
    "python program_synthesis/usage_report.py": ["usage"],
    "python program_synthesis/analyze_baseline_run.py": ["analyze"],
    "python program_synthesis/analyze_run_advanced.py": ["analyze"],
}

ERM = [  # LLM-ERM (repo and runner READMEs), LLM-PV
    "python program_synthesis/runner.py   --functions fn_a   --lengths 50   --attempts 5   "
    "--enable-code-interpreter   --concurrency 1   --timeout 1200",
    "python program_synthesis/runner.py --enable-code-interpreter",
    "python runner.py   --functions fn_a   --lengths 100 50 30 25 20 --enable-code-interpreter",
    "python runner.py   --functions fn_a fn_j fn_i   --lengths 100 50   --attempts 8   "
    "--model gpt-5   --max-output-tokens 20000   --concurrency 5   --timeout 1200   "
    "--enable-code-interpreter   --verbosity low   --reasoning-effort high   --train-size 100 "
    "--val-size 100 --test-size 10000   --seed 42   --dataset-dir datasets   "
    "--out-jsonl results_attempts.jsonl   --out-csv results_attempts.csv",
    "python program_synthesis/runner.py --functions fn_a --lengths 50 --attempts 5 --num-trials 3"
    " --concurrency 1 --timeout 1200",
    "python program_synthesis/runner.py --model gpt-5.2 --reasoning-effort medium "
    "--tool-choice none",
]  # fmt: skip
TAMU = {"TAMU_API_KEY": "k", "API_MODE": "chat_completions",
        "API_BASE_URL": "https://tamu-host.example/openai"}  # fmt: skip

ARC = [  # the ARC task runner README: run_arc_tasks_soar.py, o3-tools, llm-python
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_training_10",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_10",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_10 --max_attempts 8"
    " --max_workers 20",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_10 --model "
    "google/gemini-2.5-flash --base-url https://openrouter.ai/api/v1 --reasoning_effort low",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_10 --repeat-runs 3",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset middle_training_10 --model "
    "google/gemini-2.5-flash --base-url https://openrouter.ai/api/v1 --reasoning_effort medium",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_training_10 --model"
    " Qwen/Qwen3-4B --base-url http://157.66.254.42:15712/v1",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-2 --subset shortest_training_30 "
    "--max_workers 20",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_training_10 --model"
    " Qwen/Qwen3-4B --base-url http://localhost:8000/v1 --qwen-no-think",
    "uv run python run_arc_tasks_soar.py --dataset arc-agi-1 --subset shortest_training_10 --model"
    " gpt-4.1-mini --max-tokens 2000",
    "uv run python o3-tools/run_arc_tasks.py --dataset arc-agi-2 --subset shortest_evaluation_10",
    "uv run python o3-tools/run_arc_tasks.py --dataset arc-agi-1 --subset longest_training_30 "
    "--model o3",
    "uv run python o3-tools/run_arc_tasks.py --dataset arc-agi-2 --subset "
    "grid_size_distributed_30_evaluation",
    "uv run python o3-tools/run_arc_tasks.py --dataset arc-agi-2 --subset shortest_training_30 "
    "--max_workers 15",
    "uv run python -m llm-python.run_arc_tasks --dataset arc-agi-1 --subset shortest_training_1 "
    "--repeat-runs 3 --model google/gemini-2.5-flash --reasoning_effort medium --base-url "
    "https://openrouter.ai/api/v1",
    "uv run python -m llm-python.run_arc_tasks --dataset arc-agi-2 --subset shortest_evaluation_10"
    " --repeat-runs 5 --max_workers 10",
    "uv run python -m llm-python.run_arc_tasks --dataset arc-agi-1 --subset shortest_training_30 "
    "--repeat-runs 10 --model o4-mini",
    "uv run python -m llm-python.run_arc_tasks --max_workers 5",
    "uv run python -m llm-python.run_arc_tasks --subset shortest_training_30 --max_workers 30",
    "uv run python -m llm-python.run_arc_tasks --max_workers 10 --rate_limit_delay 0.2",
    "uv run python -m llm-python.run_arc_tasks --dataset arc-agi-1 --subset shortest_1 --model "
    "gpt-4o-mini --max_turns 1",
    "uv run python -m llm-python.run_arc_tasks --model gpt-4o-mini",
    "uv run python -m llm-python.run_arc_tasks --model claude-3-haiku --base-url "
    "https://api.anthropic.com/v1",
    "uv run python -m llm-python.run_arc_tasks --model llama-3.1-8b --base-url "
    "http://localhost:8000/v1",
]  # fmt: skip
NO_KEYS = {"OPENAI_API_KEY": None, "TAMU_API_KEY": None, "HARNESS_ENV_FILE": "none"}
FIXTURES = Path(__file__).parent / "fixtures" / "runs"


def harness_args(command: str) -> list[str]:
    for script, replacement in SCRIPTS.items():
        if command.startswith(script + " ") or command == script:
            return replacement + shlex.split(command[len(script):])
    raise AssertionError(f"no harness command for {command!r}")


def requests(output: str) -> list[tuple[str, dict]]:
    """The (header, body) pairs a dry run prints: '# <task>  POST <path> ...' then the JSON."""
    out, header, lines = [], None, []
    for line in output.splitlines() + ["# end"]:
        if line.startswith("# "):
            if header is not None:
                out.append((header, json.loads("\n".join(lines))))
            header, lines = line, []
        elif header is not None:
            lines.append(line)
    return out


@pytest.fixture(scope="module")
def cwd(tmp_path_factory: pytest.TempPathFactory):
    """One working folder for the module: the seeds' relative `datasets/` is built once."""
    folder = tmp_path_factory.mktemp("seed-cwd")
    before = Path.cwd()
    os.chdir(folder)
    yield folder
    os.chdir(before)


def dry_run(command: str, env: dict[str, str | None] | None = None) -> list[tuple[str, dict]]:
    result = CliRunner().invoke(main, harness_args(command),
                                env={**NO_KEYS, "DRY_RUN": "1", **(env or {})})  # fmt: skip
    assert result.exit_code == 0, f"{command}\n{result.output}"
    printed = requests(result.stdout)
    assert printed, f"{command}: no request printed"
    return printed


@pytest.mark.parametrize("command", ERM)
def test_erm_seed_command_runs_as_written(command, cwd):
    printed = dry_run(command, TAMU if "gpt-5.2" in command else None)
    for header, body in printed:
        assert ("POST /chat/completions" if "gpt-5.2" in command else "POST /responses") in header
        if "--enable-code-interpreter" in command:
            assert body["tools"][0]["type"] == "code_interpreter"
    assert not (cwd / "results_attempts.jsonl").exists()  # a dry run writes no results


@pytest.mark.parametrize("command", ARC)
def test_arc_seed_command_runs_as_written(command, cwd):
    printed = dry_run(command)
    args = shlex.split(command)
    model = args[args.index("--model") + 1] if "--model" in args else "gpt-4.1-mini"  # seed's
    for header, body in printed:
        assert body["model"] == model
        if "--base-url" in command:  # the ARC seed is chat-only behind a custom endpoint
            assert "POST /chat/completions" in header, command
        if body["model"] in ("gpt-4.1-mini", "gpt-4o-mini"):  # non-reasoning: nothing it rejects
            assert not {"reasoning", "reasoning_effort", "text", "verbosity"} & set(body)
        if "openrouter" in command:
            assert body["reasoning"]["max_tokens"] in (2000, 8000)
        if "--qwen-no-think" in command:
            assert body["chat_template_kwargs"] == {"enable_thinking": False}
        if "--max-tokens 2000" in command:
            assert body["max_output_tokens"] == 2000


def test_usage_and_analysis_seed_commands(tmp_path):
    """usage_report.py over the runs' CSVs (a shell glob) and the analysis scripts' --run-dir."""
    run = tmp_path / "program_synthesis" / "runs" / "example_run"
    shutil.copytree(FIXTURES / "erm-v1", run)
    csv_path = run.parent / "llm_example.csv"
    shutil.copy(run / "results_attempts.csv", csv_path)
    with csv_path.open(newline="") as f:
        assert list(csv.DictReader(f))
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        for command in (
            "python program_synthesis/usage_report.py program_synthesis/runs/llm_example.csv",
            "python program_synthesis/usage_report.py program_synthesis/runs/llm_example.csv "
            "--input-rate 1.75 --output-rate 14.0",
            "python program_synthesis/analyze_baseline_run.py --run-dir "
            "program_synthesis/runs/example_run",
            "python program_synthesis/analyze_run_advanced.py --run-dir "
            "program_synthesis/runs/example_run",
        ):  # fmt: skip
            result = CliRunner().invoke(main, harness_args(command), env=NO_KEYS)
            assert result.exit_code == 0, f"{command}\n{result.output}"
    finally:
        os.chdir(before)
