"""Every user mistake, Click's own included, is one ``error: ...`` line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main

MOCK_ERM = ["eval", "erm", "--model", "mock", "--functions", "fn_a", "--lengths", "20"]


def _bad(tmp_path: Path | None) -> dict[str, list[str]]:
    """Bad invocations by name (``None``: only the names, for parametrize)."""
    base = tmp_path or Path("/nonexistent")
    afile, adir = base / "afile", base / "adir"
    if tmp_path is not None:
        afile.write_text("{}\n")
        adir.mkdir()
    return {
        "unknown command": ["evl"],
        "unknown option": ["eval", "erm", "--bogus"],
        "missing value": ["eval", "erm", "--model"],
        "missing argument": ["arc", "show"],
        "bad choice": ["exec", str(afile), "--inputs", "x.txt", "--backend", "nope"],
        "negative workers": [*MOCK_ERM, "--workers", "-1", "--dry-run"],
        "negative test size": [*MOCK_ERM, "--test-size", "-5", "--dry-run"],
        "negative length": ["eval", "erm", "--lengths", "-3", "--dry-run"],
        "free-text mock policy": [*MOCK_ERM, "--mock-policy", "bogus", "--dry-run"],
        "out-dir is a file": [*MOCK_ERM, "--out-dir", str(afile), "--backend", "process"],
        "resume a file": ["eval", "erm", "--resume", str(afile)],
        "resume a plain dir": ["eval", "erm", "--resume", str(adir)],
        "port out of range": ["mock-server", "--port", "-5"],
        "mock-server bad policy": ["mock-server", "--policy", "bog"],
        "replay file missing": ["mock-server", "--policy", f"replay:{base / 'none'}"],
        "exec memory range": ["exec", str(afile), "--inputs", "x.txt", "--memory-mb", "-5"],
        "exec program is a dir": ["exec", str(adir), "--inputs", str(afile)],
        "arc unknown task": ["arc", "show", "nosuch"],
        "arc data-dir is a file": ["eval", "arc", "--model", "mock", "--data-dir", str(afile),
                                   "--dry-run"],
        "arc bad max turns": ["eval", "arc", "--max-turns", "-1", "--dry-run"],
        "export limit": ["arc", "export-training", "--limit", "-1"],
        "datasets length": ["datasets", "show", "fn_a", "--length", "-3"],
        "datasets unknown fn": ["datasets", "generate", "--functions", "fn_zz", "--lengths", "20"],
        "rerun a file": ["rerun", str(afile)],
        "analyze out-dir is a file": ["analyze", str(adir), "--out-dir", str(afile)],
        "report plain dir": ["report", str(adir)],
        "env-file is a dir": ["--env-file", str(adir), "eval", "erm", "--dry-run"],
        "bad log level": ["--log-level", "loud", "eval", "erm", "--dry-run"],
        "sandbox clean option": ["sandbox", "clean", "--bogus"],
    }


@pytest.mark.parametrize("case", list(_bad(None)))
def test_bad_invocation_is_one_error_line(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, _bad(tmp_path)[case])
    lines = [ln for ln in result.output.splitlines()
             if ln.strip() and not ln.startswith("WARNING: process backend")]  # fmt: skip
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert isinstance(result.exception, SystemExit), result.exception


def test_usage_error_keeps_the_help_hint_on_its_line():
    result = CliRunner().invoke(main, ["eval", "erm", "--bogus"])
    assert result.output.strip().endswith("(try 'main eval erm --help')"), result.output


@pytest.mark.parametrize("args", [["eval"], ["arc"], []])
def test_a_group_without_subcommand_still_shows_help(args):
    result = CliRunner().invoke(main, args)
    assert "Usage:" in result.output and "error:" not in result.output


@pytest.mark.parametrize("env", [{"SANDBOX_WORKERS": "abc"}, {"TEST_SIZE": "-1"},
                                 {"LENGTHS": "a,b"}, {"MOCK_POLICY": "x"},
                                 {"HARNESS_RUNTIME": "bad"}, {"LOG_LEVEL": "loud"},
                                 {"CONCURRENCY": "-1"}])  # fmt: skip
def test_bad_environment_value_is_one_error_line(env):
    result = CliRunner().invoke(main, ["eval", "erm", "--model", "mock", "--dry-run"], env=env)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert f"(env var: '{next(iter(env))}')" in result.output
