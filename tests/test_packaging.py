"""An installed wheel works outside the checkout: its files (report template, prompt templates,
the sandbox image's sources) ship inside the packages, not beside them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "runs" / "erm-v1"


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory):
    """The wheel built from a clean copy of the sources, and the folder it is installed in."""
    tmp = tmp_path_factory.mktemp("wheel")
    # From a clean copy: a build/ folder left in the checkout would lend the wheel files that
    # the package data does not declare. Symlinks stay symlinks, as in the checkout.
    src = tmp / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "runs", "datasets", "tests"))
    wheels = tmp / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(wheels)],
                           capture_output=True, text=True, cwd=tmp)  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("*.whl")
    site = tmp / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                                "--target", str(site), str(wheel)],
                               capture_output=True, text=True)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    return wheel, site


def run_installed(site: Path, script: str, *args: str,
                  cwd: Path) -> subprocess.CompletedProcess[str]:
    """``script`` under the wheel's harness only: the checkout is neither the cwd nor on the
    path, and the first stderr line says which harness was imported."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    prelude = "import harness, sys; print(harness.__file__, file=sys.stderr); "
    proc = subprocess.run([sys.executable, "-c", prelude + script, *args],
                          capture_output=True, text=True, env=env, cwd=cwd)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert str(site) in proc.stderr.splitlines()[0]  # the wheel's harness, not the checkout's
    return proc


def test_an_installed_wheel_writes_a_report_away_from_the_checkout(wheel_site, tmp_path):
    wheel, site = wheel_site
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "harness/report/templates/report.html.j2" in names
    assert {f"harness/families/arc/prompts/{n}.txt" for n in ("arc_v1", "soar", "soar_system",
                                                             "soar_feedback")} <= names
    assert "harness/families/arc/seed_subsets.json" in names

    run = tmp_path / "elsewhere" / "erm-v1"
    shutil.copytree(FIXTURE, run)
    run_installed(site, "from harness.cli.main import main; main()", "report", str(run),
                  cwd=run.parent)
    assert (run / "report.html").stat().st_size > 10_000


SANDBOX_PROBE = """
import json, tempfile
from pathlib import Path
from harness.sandbox import image, sources
from harness.sandbox.process import ProcessWorkerFactory

context = Path(tempfile.mkdtemp())
wheels = Path(tempfile.mkdtemp())
(wheels / "fake-0-py3-none-any.whl").write_bytes(b"")
image.stage_context(context, wheels)
factory = ProcessWorkerFactory()
factory.destroy(factory.create())  # the wheel's exec server starts and answers hello
print(json.dumps({
    "exec_server": str(sources.exec_server_path()),
    "dockerfile": str(sources.dockerfile_path()),
    "hashed": [name for name, _ in sources.source_files()],
    "tag": image.image_tag(),
    "context": sorted(p.relative_to(context).as_posix()
                      for p in context.rglob("*") if p.is_file()),
}))
"""


def test_an_installed_wheel_finds_the_sandbox_sources_and_tags_the_image_alike(wheel_site,
                                                                             tmp_path):
    from harness.sandbox.image import image_tag
    from harness.sandbox.sources import source_files

    wheel, site = wheel_site
    sandbox_files = sorted(p.relative_to(REPO).as_posix()
                           for p in (REPO / "sandbox_image").rglob("*")
                           if p.is_file() and "__pycache__" not in p.parts)
    archive = zipfile.ZipFile(wheel)
    assert set(sandbox_files) <= set(archive.namelist())
    assert not any(n.startswith("sandbox_image/") and n not in sandbox_files
                   for n in archive.namelist())
    # the file itself, not the checkout's symlink to it
    assert (archive.read("harness/sandbox/Dockerfile.sandbox")
            == (REPO / "Dockerfile.sandbox").read_bytes())

    proc = run_installed(site, SANDBOX_PROBE, cwd=tmp_path)
    found = json.loads(proc.stdout)
    installed = site.resolve()
    assert Path(found["exec_server"]).resolve() == installed / "sandbox_image" / "exec_server.py"
    assert (Path(found["dockerfile"]).resolve()
            == installed / "harness" / "sandbox" / "Dockerfile.sandbox")
    assert found["hashed"] == [name for name, _ in source_files()]
    assert found["hashed"] == ["Dockerfile.sandbox"] + sandbox_files
    assert found["tag"] == image_tag()  # the images built from the checkout stay valid
    assert found["context"] == sorted(found["hashed"] + ["build/wheels/fake-0-py3-none-any.whl"])
