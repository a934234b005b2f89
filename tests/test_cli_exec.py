"""``harness exec`` as a user types it, through Docker and the process backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-m", "harness.cli.main"] if False else [str(Path(sys.executable).parent
                                                                   / "harness")]


def run(*args):
    return subprocess.run(HARNESS + list(args), capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.mark.docker
@pytest.mark.parametrize("backend", ["docker", "process"])
def test_parity_example(backend):
    proc = run("exec", "examples/parity.py", "--inputs", "examples/bits.txt",
               "--backend", backend)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    labels = [line.split(" -> ")[1] for line in (ROOT / "examples/bits.txt").read_text().split(
        "\n") if line]
    assert [r["output"] for r in rows] == labels
    assert all(r["verdict"] == "ok" and r["detail"] is None for r in rows)
    assert [r["i"] for r in rows] == list(range(len(labels)))


@pytest.mark.docker
def test_grid_inputs_and_program_errors_exit_zero(tmp_path):
    prog = tmp_path / "p.py"
    prog.write_text("def transform(g):\n    return g[5]\n")
    proc = run("exec", str(prog), "--inputs", "examples/grids.jsonl")
    assert proc.returncode == 0
    assert {json.loads(x)["verdict"] for x in proc.stdout.splitlines()} == {"exception"}


@pytest.mark.parametrize("args,needle", [
    (["exec", "missing.py", "--inputs", "examples/bits.txt"], "cannot read program"),
    (["exec", "examples/parity.py", "--inputs", "missing.txt"], "cannot read inputs"),
    (["exec", "examples/parity.py", "--inputs", "pyproject.toml"], ".jsonl or .txt"),
    (["exec", "examples/parity.py", "--inputs", "examples/bits.txt", "--time-limit", "-1"],
     "--time-limit"),
    (["exec", "examples/parity.py", "--inputs", "examples/bits.txt", "--backend", "nope"],
     "Invalid value"),
])
def test_user_errors_are_one_line_exit_2(args, needle):
    proc = run(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
