"""`harness report`: one self-contained HTML file, loaded in headless Chromium.

Chromium is found on PATH (chromium, chromium-browser, google-chrome) or in $HARNESS_CHROMIUM;
`scripts/ensure-chromium.sh` installs Debian's package. Missing Chromium fails loudly, like a
missing Docker daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.report.html import write_report
from tests.test_analyze import make_run

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]  # fmt: skip


@pytest.fixture(scope="module")
def chromium() -> str:
    candidates = [os.environ.get("HARNESS_CHROMIUM", ""), "chromium", "chromium-browser",
                  "google-chrome", "google-chrome-stable"]  # fmt: skip
    for name in candidates:
        if name and shutil.which(name):
            return str(shutil.which(name))
    pytest.fail("Chromium not found: run `bash scripts/ensure-chromium.sh` (or set "
                "HARNESS_CHROMIUM)", pytrace=False)


def _browse(chromium: str, page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra,
                           page.resolve().as_uri()], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def console_problems(stderr: str) -> list[str]:
    """Console messages and uncaught errors of the page, as Chromium logs them to stderr."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


class _Dom(HTMLParser):
    """Cells of every table by (table id, row key, column), plus img sources and body attrs."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.images: list[str] = []
        self.links: list[str] = []
        self.body: dict[str, str | None] = {}
        self._table = ""
        self._row = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "table":
            self._table = a.get("id") or ""
        elif tag == "tr":
            self._row = a.get("data-key") or ""
        elif tag == "td" and a.get("data-col"):
            self.cells[(self._table, self._row, str(a["data-col"]))] = a.get("data-value") or ""
        elif tag == "img":
            self.images.append(a.get("src") or "")
        for key in ("href", "src"):
            if key in a and tag != "img":
                self.links.append(a[key] or "")


def _expected_summary(run: Path) -> dict[str, tuple[float, float]]:
    """Mean val/test of each trial's best-by-validation attempt, from the attempt rows."""
    rows = [json.loads(line) for line in (run / "results_attempts.jsonl").read_text().splitlines()]
    trials: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        if r["row_type"] == "attempt":
            trials.setdefault((r["task_id"], r["trial"]), []).append(r)
    best: dict[str, list[dict]] = {}
    for (task, _), rs in trials.items():
        rs.sort(key=lambda r: r["attempt"])
        top = max(rs, key=lambda r: (r["val_acc"], -r["attempt"]))
        best.setdefault(task, []).append(top)
    return {t: (sum(b["val_acc"] for b in bs) / len(bs), sum(b["test_acc"] for b in bs) / len(bs))
            for t, bs in best.items()}


@pytest.mark.chromium
def test_report_loads_in_chromium_with_the_runs_numbers(tmp_path, chromium):
    run = make_run(tmp_path, tmp_path / "datasets")
    path = write_report(run)
    assert path == run / "report.html"
    text = path.read_text()
    assert "http://" not in text and "https://" not in text  # nothing fetched
    done = _browse(chromium, path, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_problems(done.stderr) == []
    dom = _Dom()
    dom.feed(done.stdout)
    assert int(dom.body.get("data-ready") or 0) >= 5  # the inline script ran: no JS error
    expected = _expected_summary(run)
    assert set(expected) == {"fn_a/L20", "fn_c/L20"}
    for task, (val, test) in expected.items():
        assert float(dom.cells[("summary", task, "val_acc_mean")]) == pytest.approx(val)
        assert float(dom.cells[("summary", task, "test_acc_mean")]) == pytest.approx(test)
    assert float(dom.cells[("errors", "ALL", "compile_rate")]) == pytest.approx(12 / 14, abs=1e-6)
    assert dom.cells[("leakage", "fn_a/L20", "status")] == '"ok"'
    assert len(dom.images) == 4 and all(s.startswith("data:image/png;base64,") for s in dom.images)
    assert all(link.startswith("#") for link in dom.links)
    assert 'data-task="fn_a/L20"' in done.stdout  # the selected programs section

    shot = tmp_path / "report.png"
    done = _browse(chromium, path, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    assert done.returncode == 0 and console_problems(done.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


@pytest.mark.chromium
def test_console_error_detection_works(tmp_path, chromium):
    """The check above would see a broken page: console errors and uncaught exceptions."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); undefined_fn();</script>"
                   "</body></html>")
    done = _browse(chromium, bad, tmp_path, "--dump-dom")
    problems = console_problems(done.stderr)
    assert any("boom" in p for p in problems) and any("undefined_fn" in p for p in problems)


def test_cli_report_and_arc_sections(tmp_path):
    run = make_run(tmp_path, tmp_path / "datasets")
    result = CliRunner().invoke(main, ["report", str(run)])
    assert result.exit_code == 0 and result.output.strip() == str(run / "report.html")
    arc = tmp_path / "arc"
    (arc / "tasks").mkdir(parents=True)
    (arc / "summary.json").write_text(json.dumps({"run_id": "arc1", "score": 0.5}))
    task = {"task_id": "007bbfb7", "score": 1.0,
            "train": [{"input": [[1, 0], [0, 1]], "output": [[0, 1], [1, 0]]}],
            "test": [{"input": [[2, 0]], "output": [[0, 2]]}],
            "attempts": [{"attempt": 1, "train_predictions": [[[0, 1], [1, 0]]],
                          "test_predictions": [[[0, 2]]], "test_correct": [True]},
                         {"attempt": 2, "train_predictions": [None],
                          "test_predictions": [[[2, 2]]], "test_correct": [False]}]}
    (arc / "tasks" / "007bbfb7.json").write_text(json.dumps(task))
    text = write_report(arc).read_text()
    assert 'data-task="007bbfb7"' in text and text.count("data:image/png;base64,") == 2
    assert "badge solved" in text and "badge failed" in text
