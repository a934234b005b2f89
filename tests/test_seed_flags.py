"""The seed tools' flag spellings are accepted as aliases, give exactly what the harness's own
flag gives, and are listed in `--help`; `--rate_limit_delay` pauses before each model call (not
before its retries). Nothing runs: the engine is replaced (the delay is tested on a client)."""

from __future__ import annotations

import logging
from typing import Any

import click
import pytest

import harness.cli.eval as eval_cli
import harness.families.arc.export as arc_export
from harness.cli.main import main
from harness.mock.server import MockServer
from tests.model_helpers import client_for, request, run, with_retry
from tests.test_cli_run_options import invoke

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
    monkeypatch.setattr(eval_cli, "finished", lambda run, targets: got.update(targets=targets))
    return got


@pytest.fixture(autouse=True)
def harness_logger():
    logger = logging.getLogger("harness")
    before = (logger.level, list(logger.handlers), logger.propagate)
    yield logger
    logger.setLevel(before[0])
    logger.handlers[:] = before[1]
    logger.propagate = before[2]


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
