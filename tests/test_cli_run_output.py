"""``eval erm|arc --quiet`` prints only the run directory line; ``--json`` one JSON summary."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from harness.cli.main import main

PROCESS = ["--model", "mock", "--attempts", "2", "--backend", "process", "--workers", "1"]
ERM = ["eval", "erm", *PROCESS, "--functions", "fn_a", "--lengths", "20", "--test-size", "50"]
ARC = ["eval", "arc", *PROCESS, "--subset", "shortest_training_10", "--limit", "2"]


def _stdout(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_quiet_prints_only_the_run_directory(tmp_path, monkeypatch):
    out, err = _stdout([*ERM, "--quiet"], tmp_path, monkeypatch)
    run_dir = next((tmp_path / "runs").iterdir())
    assert out.splitlines() == [f"run directory: runs/{run_dir.name}"]
    assert err == ""


@pytest.mark.parametrize("args,family", [(ERM, "erm"), (ARC, "arc")])
def test_json_is_one_summary(args, family, tmp_path, monkeypatch):
    out, err = _stdout([*args, "--json"], tmp_path, monkeypatch)
    summary = json.loads(out)  # the whole of stdout: one JSON document
    assert summary["status"] == "complete" and summary["task_family"] == family
    assert (tmp_path / summary["run_dir"] / "manifest.json").is_file()
    assert summary["counts"]["attempt"] >= 1 and summary["counts"]["harness_errors"] == 0
    if family == "erm":
        assert summary["scores"][0]["task_id"] == "fn_a/L20"
        assert summary["scores"][0]["test_acc_mean"] == 1.0  # the mock's oracle program
    else:
        assert summary["scores"]["metrics"]["tasks"] == 2
    assert err == ""
