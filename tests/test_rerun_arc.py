"""`harness rerun` on an ARC run: same tasks, and stored programs on another subset (Docker)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from tests.row_schema import undeclared

pytestmark = pytest.mark.docker
HARNESS = str(Path(sys.executable).parent / "harness")


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=600)


def invoke(*args: str):
    """In process, one sandbox worker: the pool starts in a fraction of a subprocess's time."""
    result = CliRunner().invoke(main, [*args, "--workers", "1", "--no-progress"],
                                env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None})  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_arc_rerun_on_own_tasks_and_on_another_subset(tmp_path):
    replay = tmp_path / "replay.jsonl"
    rot = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
    replay.write_text(json.dumps({"task": "6150a2bd", "code": rot}) + "\n")
    invoke("eval", "arc", "--dataset", "arc-agi-1", "--subset", "shortest_training_1",
           "--model", "mock", "--mock-policy", f"replay:{replay}", "--attempts", "1",
           "--out-dir", str(tmp_path), "--run-id", "src")
    invoke("rerun", str(tmp_path / "src"), "--run-id", "same")
    summary = json.loads((tmp_path / "same" / "summary.json").read_text())
    assert undeclared(tmp_path / "same") == []
    assert summary["tasks"]["6150a2bd"]["score"] == 1.0
    manifest = json.loads((tmp_path / "same" / "manifest.json").read_text())
    assert manifest["rerun_of"]["run_id"] == "src" and manifest["schema"] == "harness.manifest/1"
    stored = json.loads((tmp_path / "src" / "results_attempts.jsonl").read_text()
                        .splitlines()[0])["code"]
    assert "grid[::-1]" in stored
    assert manifest["programs"][0]["sha256"] == hashlib.sha256(stored.encode()).hexdigest()

    invoke("rerun", str(tmp_path / "src"), "--subset", "shortest_training_3", "--run-id", "other")
    tasks = json.loads((tmp_path / "other" / "summary.json").read_text())["tasks"]
    assert list(tasks)[:2] == ["6150a2bd", "d631b094"]
    assert tasks["6150a2bd"]["score"] == 1.0 and tasks["d631b094"]["score"] == 0.0


def test_arc_only_flags_on_a_hidden_mapping_run_are_refused(tmp_path):
    run = tmp_path / "erm"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"task_family": "erm", "config": {}}))
    (run / "results_attempts.jsonl").write_text("")
    proc = harness("rerun", str(run), "--subset", "shortest_training_3")
    assert proc.returncode == 2 and "apply to ARC runs" in proc.stderr
    assert "Traceback" not in proc.stderr
