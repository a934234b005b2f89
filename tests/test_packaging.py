"""An installed wheel works outside the checkout: its files (report template, prompt templates)
ship inside the package, not beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "runs" / "erm-v1"


def test_an_installed_wheel_writes_a_report_away_from_the_checkout(tmp_path):
    # From a clean copy of the sources: a build/ folder left in the checkout would lend the
    # wheel files that the package data does not declare.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "runs", "datasets", "tests"))
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(wheels)],
                           capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "harness/report/templates/report.html.j2" in names
    assert "harness/families/arc/prompts/arc_v1.txt" in names

    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                                "--target", str(site), str(wheel)],
                               capture_output=True, text=True)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    run = tmp_path / "elsewhere" / "erm-v1"
    shutil.copytree(FIXTURE, run)
    env = {**os.environ, "PYTHONPATH": str(site)}
    script = ("import harness, sys; print(harness.__file__, file=sys.stderr); "
              "from harness.cli.main import main; main()")
    report = subprocess.run([sys.executable, "-c", script, "report", str(run)],
                            capture_output=True, text=True, env=env, cwd=run.parent)  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr
    assert str(site) in report.stderr.splitlines()[0]  # the wheel's harness, not the checkout's
    assert (run / "report.html").stat().st_size > 10_000
