"""The seed tools' flag spellings are accepted as aliases, give exactly what the harness's own
flag gives, and are listed in `--help`; `--rate_limit_delay` pauses before each model call (not
before its retries). Nothing runs: the engine is replaced (the delay is tested on a client)."""

from __future__ import annotations

import json
import logging
import shlex
from typing import Any

import click
import pytest

import harness.cli.eval as eval_cli
import harness.families.arc.export as arc_export
from harness.cli.main import main
from harness.mock.server import MockServer
from tests.model_helpers import client_for, request, run, with_retry
from tests.test_cli_run_options import invoke
from tests.test_log_options import harness_logger  # noqa: F401 - fixture

ERM = ("eval", "erm", "--functions", "fn_a")
ARC = ("eval", "arc", "--limit", "1")

# (command, seed flag, harness flag, value, where the value lands, its name, the value there)
ALIASES = [
    (ERM, "--max_attempts", "--attempts", "3", "config", "attempts", 3),
    (ARC, "--max_attempts", "--attempts", "3", "config", "attempts", 3),
    (ERM, "--max_workers", "--concurrency", "9", "config", "concurrency", 9),
    (ARC, "--max_workers", "--concurrency", "9", "config", "concurrency", 9),
    (ERM, "--reasoning_effort", "--reasoning-effort", "low", "config", "reasoning_effort", "low"),
    (ARC, "--reasoning_effort", "--reasoning-effort", "low", "config", "reasoning_effort", "low"),
    (ERM, "--rate_limit_delay", "--request-delay", "0.5", "config", "request_delay", 0.5),
    (ARC, "--rate_limit_delay", "--request-delay", "0.5", "config", "request_delay", 0.5),
    (ERM, "--api-base-url", "--base-url", "http://gw.invalid/v1", "config", "base_url",
     "http://gw.invalid/v1"),
    (ARC, "--max_turns", "--max-turns", "3", "arc", "max_turns", 3),
    (ARC, "--prompt_version", "--prompt-version", "arc_v1", "arc", "prompt_version", "arc_v1"),
    (ERM, "--out-jsonl", "--out-jsonl", "x.jsonl", "targets", "out_jsonl", "x.jsonl"),
    (ERM, "--out-csv", "--out-csv", "x.csv", "targets", "out_csv", "x.csv"),
    (ERM, "--out-manifest", "--out-manifest", "m.json", "targets", "out_manifest", "m.json"),
    (ERM, "--log-level", "--log-level", "info", "log", "level", logging.INFO),
    (ERM, "--debug", "--debug", None, "log", "level", logging.DEBUG),
    (ARC, "--debug", "--debug", None, "log", "level", logging.DEBUG),
]  # fmt: skip


@pytest.fixture
def landed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Where a command's values land: the config, the ARC options, the export paths."""
    got: dict[str, Any] = {}

    def fake_run(config: Any, family: Any, **_k: Any) -> None:
        got["config"] = config
        got["arc"] = getattr(family, "opts", None)

    monkeypatch.setattr(eval_cli.engine, "run", fake_run)
    monkeypatch.setattr(eval_cli, "finished", lambda run, targets, *_: got.update(targets=targets))
    return got


@pytest.fixture(autouse=True)
def _restore_logger(harness_logger):  # noqa: F811 - the CLI configures the harness logger
    yield harness_logger


def value_of(landed: dict[str, Any], where: str, name: str) -> Any:
    if where == "log":
        return logging.getLogger("harness").level
    if where == "targets":
        return landed["targets"][name]
    return getattr(landed[where], name)


@pytest.mark.parametrize(("command", "seed", "ours", "text", "where", "name", "expected"), ALIASES)
def test_seed_spelling_gives_what_the_harness_flag_gives(landed, command, seed, ours, text,
                                                         where, name, expected):  # fmt: skip
    for flag in (seed, ours):
        landed.clear()
        result = invoke(*command, flag, *([text] if text is not None else []))
        assert result.exit_code == 0, (flag, result.output)
        assert value_of(landed, where, name) == expected, flag


@pytest.mark.parametrize("command", [("eval", "erm"), ("eval", "arc")])
def test_help_lists_every_seed_spelling(command):
    cmd = main.commands[command[0]].commands[command[1]]
    ctx = click.Context(cmd, info_name=command[1])
    names = {opt for p in cmd.get_params(ctx) for opt in (*p.opts, *p.secondary_opts)}
    wanted = {seed for cmd_, seed, *_ in ALIASES if cmd_[:2] == command}
    assert wanted <= names
    shown = invoke(*command, "--help").output
    for seed in wanted:
        assert seed in shown


def test_export_training_spellings(monkeypatch, tmp_path):
    """generate_training_data.py's --clean-code and --reasoning / --no-reasoning (reasoning is
    on by default, as in the seed)."""
    got: list[Any] = []

    def fake_records(run_dirs: Any, opts: Any, flt: Any) -> tuple[list[Any], Any]:
        got.append(opts)
        counts = type("Counts", (), {"logs": 0, "attempts": 0, "programs": 0, "kept": 0,
                                     "dropped": {}, "strip_kept_original": 0, "balance": None,
                                     "as_dict": lambda self: {}})()  # fmt: skip
        return [], counts

    monkeypatch.setattr(arc_export, "export_records", fake_records)
    monkeypatch.setattr(arc_export, "write_export", lambda records, out, **kw: {})
    base = ("arc", "export-training", str(tmp_path), "--out", str(tmp_path / "out"))
    for extra, strip, reasoning in ((["--clean-code", "--reasoning"], True, True),
                                    (["--strip-comments", "--with-reasoning"], True, True),
                                    (["--reasoning", "--no-reasoning"], False, False),
                                    ([], False, True)):  # fmt: skip
        result = invoke(*base, *extra)
        assert result.exit_code == 0, result.output
        assert (got[-1].strip, got[-1].reasoning) == (strip, reasoning), extra


@pytest.mark.parametrize("mode", ["responses", "chat_completions"])
def test_request_delay_pauses_before_each_call_not_before_retries(mode):
    with MockServer("oracle", seed=3, fault_script=["429"]) as server:
        client = client_for(server, mode, max_retries=2, retry_delay=0.0)
        sleep = with_retry(client, request_delay=0.75)
        first, second = run(client, request(), request())
    assert first.ok and second.ok
    # one pause per request (two), one backoff for the 429's retry (0.0 s, full jitter of 0)
    assert sorted(sleep.delays) == [0.0, 0.75, 0.75]


def test_analyze_takes_the_analysis_scripts_run_dir(monkeypatch, tmp_path):
    """analyze_baseline_run.py / analyze_run_advanced.py took ``--run-dir DIR``."""
    import harness.report.analyze as analyze_module

    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr(analyze_module, "analyze",
                        lambda run_dirs, out_dir, plots: seen.append(tuple(run_dirs)) or [])
    a, b = tmp_path / "a", tmp_path / "b"
    for args in ([str(a), str(b)], ["--run-dir", str(a), "--run-dir", str(b)],
                 [str(a), "--run-dir", str(b)]):  # fmt: skip
        result = invoke("analyze", *args, "--no-plots")
        assert result.exit_code == 0, result.output
        assert seen[-1] == (a, b)
    result = invoke("analyze", "--no-plots")
    assert result.exit_code == 2 and "RUN_DIR" in result.output


# The seed README's example command lines for generate_training_data.py and
# create_simple_dataset.py, each with only the script invocation replaced.
SEED_EXPORT_LINES = [
    'harness arc export-training --model "google/gemini-2.5-flash,qwen/qwen3-4b" --dataset "arc-agi-1" --subset "middle_training_10" --clean-code --hf-private',  # noqa: E501
    'harness arc export-training --model "google/gemini-2.5-flash" --validation --clean-code --hf-dataset-name "arc_gemini_training_v1" --hf-private',  # noqa: E501
    'harness arc export-training --dataset "arc-agi-1" --subset "middle_training_10" --clean-code --hf-private',  # noqa: E501
    'harness arc export-training --dataset "arc-agi-1" --subset "middle_training_10" --clean-code --no-reasoning --hf-private',  # noqa: E501
    "harness arc export-training --limit 100",
    "harness arc export-training --validation --output 16-jul-lorge.jsonl",
    "harness arc export-training --limit 100 --clean-code --output clean_training.jsonl",
    'harness arc export-training --model "google/gemini-2.5-flash" --reasoning --output gemini_with_reasoning.jsonl',  # noqa: E501
    'harness arc export-training --model "google/gemini-2.5-flash,gpt-4.1-mini,o4-mini" --output multi_model_data.jsonl',  # noqa: E501
    'harness arc export-training --model "google/gemini-2.5-flash" --model "gpt-4.1-mini" --output multi_model_data.jsonl',  # noqa: E501
    'harness arc export-training --model "google/gemini-2.5-flash" --date-from "20250721" --date-to "20250721" --output gemini_july_21.jsonl',  # noqa: E501
    "harness arc export-training --limit 500 --output my_training_data.jsonl",
    "harness arc export-training --limit 1000 --validation --output arc_training_data.jsonl",
    "harness arc export-training --limit 500 --reasoning --validation --output reasoning_training.jsonl",  # noqa: E501
    'harness arc export-training --dataset "arc-agi-1" --subset "shortest_training_10" --output shortest_tasks.jsonl',  # noqa: E501
    'harness arc export-training --dataset "arc-agi-2" --output arc_agi_2_only.jsonl',
    'harness arc export-training --dataset "arc-agi-1" --subset "all_training" --model "google/gemini-2.5-flash" --output gemini_arc1_training.jsonl',  # noqa: E501
    'harness arc export-training --dataset "arc-agi-1" --subset "all_training" --model "google/gemini-2.5-flash,o4-mini" --output multi_model_arc1_training.jsonl',  # noqa: E501
    'harness arc export-training --subset "middle_training_10" --validation --hf-private',
    "harness arc export-training --limit 100 --no-dedup --hf-private",
    "harness arc export-training --limit 100 --debug --hf-private",
    "harness arc export-training --limit 100 --no-transduction-filter --hf-private",
    "harness arc export-training --no-dedup --output all_programs.jsonl",
]
SEED_TASK_LINES = [
    "harness arc export-tasks arc-agi-1 all_training --save-local --validation",
    "harness arc export-tasks arc-agi-2 shortest_training_30 --hf-private",
    'harness arc export-tasks arc-agi-1 random_split_1_training --hf-dataset-name "simple_baseline_v1" --hf-org "YourOrg"',  # noqa: E501
]
# Runs as `harness eval arc` names them (oldest first by name): model, dataset, subset, day.
SEED_RUNS = [
    ("20250720-090000-qwen-qwen3-4b-0001", "qwen/qwen3-4b", "arc-agi-1", "middle_training_10"),
    ("20250721-090000-google-gemini-2.5-flash-0002", "google/gemini-2.5-flash", "arc-agi-1",
     "middle_training_10"),
    ("20250721-100000-google-gemini-2.5-flash-0003", "google/gemini-2.5-flash", "arc-agi-1",
     "all_training"),
    ("20250721-110000-o4-mini-0004", "o4-mini", "arc-agi-1", "shortest_training_10"),
    ("20250722-090000-gpt-4.1-mini-0005", "gpt-4.1-mini", "arc-agi-2", "all_evaluation"),
]  # fmt: skip


@pytest.fixture
def seed_runs(tmp_path, monkeypatch):
    """A current directory holding runs/ with the runs above, each with a task a program gets
    partly right and one no program does (plus a hard-coded program), and an ERM run."""
    from tests.test_arc_export import DAY, HALF_CODE, ZERO, make_run, wrong

    monkeypatch.chdir(tmp_path)
    zero = "def transform(g):\n    return [[0, 0]]\n"
    for i, (name, model, dataset, subset) in enumerate(SEED_RUNS):
        meta = {"name": name, "model": model, "dataset": dataset, "subset": subset,
                "created_at": DAY + (int(name[6:8]) - 21) * 86400}
        make_run(tmp_path / "runs", [wrong(1, HALF_CODE, test_ok=True), wrong(2, zero, ZERO),
                                     wrong(3, "def transform(g):\n    return [[4, 3]]\n")],
                 task_id=f"easy{i}", **meta)
        make_run(tmp_path / "runs", [wrong(1, zero, ZERO)], task_id=f"hard{i}", **meta)
    erm = tmp_path / "runs" / "20250721-120000-erm-0006"
    erm.mkdir()
    (erm / "manifest.json").write_text('{"task_family": "erm", "run_id": "erm"}')
    return tmp_path


def _expected_files(args: list[str]) -> list[str]:
    """The seed's naming: FILE, or <stem>_train / <stem>_val with a split; twins and info."""
    output = (args[args.index("--output") + 1] if "--output" in args
              else "training_data/training_data.jsonl")  # fmt: skip
    stem = output.removesuffix(".jsonl")
    names = [f"{stem}_train.jsonl", f"{stem}_val.jsonl"] if "--validation" in args else [output]
    return [*names, *(n.replace(".jsonl", ".parquet") for n in names), f"{stem}.export.json"]


@pytest.mark.parametrize("line", SEED_EXPORT_LINES)
def test_seed_training_data_command_lines_run_as_written(seed_runs, line):
    args = shlex.split(line)[1:]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "runs: 5 ARC run(s) (skipped 1 run(s) of another task family)" in result.stdout
    for name in _expected_files(args):
        assert (seed_runs / name).is_file(), name
    train = [json.loads(row) for row in
             (seed_runs / _expected_files(args)[0]).read_text().splitlines()]
    codes = [row["code"] for row in train]
    assert codes and all(codes)
    assert any("# swap" in code for code in codes) == ("--clean-code" not in args)
    assert any("[[4, 3]]" in code for code in codes) == ("--no-transduction-filter" in args)
    assert any(row["reasoning"] for row in train) == ("--no-reasoning" not in args)
    for flag, field in (("--model", "model"), ("--dataset", "dataset"), ("--subset", "subset")):
        wanted = {v for i, a in enumerate(args) if a == flag for v in args[i + 1].split(",")}
        assert not wanted or {row[field] for row in train} <= wanted, flag
    assert ("nothing was pushed" in result.stdout) == ("--hf-private" in args)
    assert ("kept (" in result.stderr) == ("--debug" in args)


@pytest.mark.parametrize("line", SEED_TASK_LINES)
def test_seed_simple_dataset_command_lines_run_as_written(tmp_path, monkeypatch, line):
    monkeypatch.chdir(tmp_path)
    args = shlex.split(line)[1:]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "training_data" / f"tasks_{args[2]}_{args[3]}"
    rows = {s: [json.loads(r) for r in (folder / f"{s}.jsonl").read_text().splitlines()]
            for s in ("train", "validation")}  # fmt: skip
    size = {"all_training": 400, "shortest_training_30": 30, "random_split_1_training": 50}
    assert len(rows["train"]) + len(rows["validation"]) == size[args[3]]
    assert len(rows["validation"]) == (40 if "--validation" in args else 0)
    row = rows["train"][0]
    assert row["code"] == row["reasoning"] == "" and row["predicted_train_output"] == []
    assert len(row["train_input"]) == len(row["train_output"]) > 0
    assert all((folder / f"{s}.parquet").is_file() for s in ("train", "validation"))
    hub = json.loads((folder / "export.json").read_text())["hub"]
    if "--hf-org" in args:
        assert hub == {"repo_id": "YourOrg/simple_baseline_v1", "private": False,
                       "pushed": False}  # fmt: skip
    assert (hub is not None) == ("nothing was pushed" in result.stdout)
