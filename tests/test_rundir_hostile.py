"""Run directories and model outputs treated as hostile on the host (issue 10, findings 3, 5-7).

Crafted run directories (planted symlinks to a file outside, FIFOs, oversized and deeply nested
JSON, fields of the wrong type, formula and escape-laden strings) are given to `report`,
`analyze`, `usage` and `arc export-training`: every malformed file is one error line with exit
code 2, nothing outside the run directory changes, CSV cells never start a formula and the
terminal never receives an escape sequence. Most tests need no Docker (synthetic runs from
tests/test_analyze.py and tests/test_arc_export.py); the `eval arc` one runs the real pool.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from harness import safe_io
from harness.cli.main import main
from harness.families.arc.family import task_log_name
from harness.run.store import RunStore, trial_log_name
from harness.safe_io import RunFileError
from tests.test_analyze import make_run
from tests.test_arc_export import FLIP, attempt
from tests.test_arc_export import make_run as make_arc_run

ESC = "\x1b]0;owned\x07\x1b[31m"
SECRET = "SECRET-OUTSIDE-THE-RUN"


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("datasets")


@pytest.fixture()
def erm(tmp_path: Path, datasets: Path) -> Path:
    return make_run(tmp_path / "runs", datasets)


@pytest.fixture()
def arc(tmp_path: Path) -> Path:
    good = [[[2, 1]], [[4, 3]]]
    return make_arc_run(tmp_path, [attempt(1, FLIP, good)], task_id="t1")


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """A folder outside every run directory, holding a file links point to."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.json").write_text(json.dumps({"task_id": SECRET, "train": [],
                                                    "test": [], "attempts": []}))
    old = time.time() - 1000
    os.utime(folder / "secret.json", (old, old))
    return folder


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result: Result) -> str:
    """The command failed cleanly: exit 2, one line, no traceback, no escape sequence."""
    text = result.output
    assert result.exit_code == 2, (result.exit_code, text, result.exception)
    assert "Traceback" not in text and "\x1b" not in text and "\x07" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].lower().startswith("error"), text
    return lines[0]


def rewrite_rows(run: Path, change: Callable[[dict], None]) -> None:
    path = run / "results_attempts.jsonl"
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    for row in rows:
        change(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def rewrite_json(path: Path, change: Callable[[dict], object]) -> None:
    doc = json.loads(path.read_text())
    out = change(doc)
    path.write_text(json.dumps(doc if out is None else out))


# ---------------------------------------------------------------------- 3: symlinks
def test_report_replaces_planted_links_never_their_targets(erm, outside):
    secret = outside / "secret.json"
    (erm / "report.html").symlink_to(secret)
    (erm / "report.html.tmp").symlink_to(secret)
    (erm / "analysis").mkdir()
    for name in ("summary_by_fn.csv.tmp", "summary_by_fn.csv", "gate.json", "gate.json.tmp",
                 "errors.png"):
        (erm / "analysis" / name).symlink_to(secret)
    before = snapshot(outside)
    result = cli("report", erm)
    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    for name in ("report.html", "analysis/summary_by_fn.csv", "analysis/gate.json",
                 "analysis/errors.png"):
        assert not (erm / name).is_symlink() and (erm / name).stat().st_size > 0
    assert "<html" in (erm / "report.html").read_text()


def test_a_linked_analysis_folder_is_refused(erm, outside):
    (erm / "analysis").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    assert "not a plain folder" in one_line_error(cli("analyze", erm, "--no-plots"))
    assert "not a plain folder" in one_line_error(cli("report", erm))
    assert snapshot(outside) == before


def test_run_store_never_writes_through_links(tmp_path, outside):
    secret = outside / "secret.json"
    run = tmp_path / "run"
    (run / "trials").mkdir(parents=True)
    (run / "runner.log").symlink_to(secret)
    (run / "manifest.json.tmp").symlink_to(secret)
    (run / "results_attempts.csv.tmp").symlink_to(secret)
    (run / "trials" / trial_log_name("t", 1)).symlink_to(secret)
    before = snapshot(outside)
    store = RunStore(run)
    with pytest.raises(RunFileError, match="symlink"):
        store.log("attempt", task_id="t")
    with pytest.raises(RunFileError, match="symlink"):
        store.append_attempt({"task_id": "t", "trial": 1, "attempt": 1})
    store.write_manifest({"run_id": "r"})
    store.write_csv([{"task_id": "t"}], ["task_id"])
    assert json.loads((run / "manifest.json").read_text()) == {"run_id": "r"}
    (run / "results_attempts.jsonl").unlink()
    (run / "results_attempts.jsonl").symlink_to(secret)
    with pytest.raises(RunFileError, match="symlink"):
        store.append_rows([{"task_id": "t"}])
    with pytest.raises(RunFileError, match="symlink"):
        store.read_rows()
    assert snapshot(outside) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "trials").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunFileError, match="not a plain folder"):
        RunStore(other)


def test_a_linked_task_log_is_refused_not_shown(arc, outside):
    (arc / "tasks" / "zz.json").symlink_to(outside / "secret.json")
    before = snapshot(outside)
    for args in (("report", arc), ("usage", arc),
                 ("arc", "export-training", arc, "--out", arc.parent / "export")):
        line = one_line_error(cli(*args))
        assert "symlink" in line and SECRET not in line
    assert not (arc / "report.html").exists()
    assert snapshot(outside) == before


def test_linked_manifest_and_rows_are_refused(erm, outside):
    (erm / "results_attempts.jsonl").unlink()
    (erm / "results_attempts.jsonl").symlink_to(outside / "secret.json")
    assert "symlink" in one_line_error(cli("analyze", erm, "--no-plots"))
    (erm / "manifest.json").unlink()
    (erm / "manifest.json").symlink_to(outside / "secret.json")
    assert "symlink" in one_line_error(cli("report", erm))
    assert "symlink" in one_line_error(cli("usage", erm))


# ---------------------------------------------------------------------- 5: CSV formulas
def _formula_rows(row: dict) -> None:
    row["fn"] = "=" + row["fn"]
    row["task_id"] = "=" + row["task_id"]
    row["model"] = "@evil"


def _cells(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_cells_never_start_a_formula(erm, tmp_path):
    rewrite_rows(erm, _formula_rows)
    assert cli("analyze", erm, "--no-plots").exit_code == 0
    by_fn = _cells(erm / "analysis" / "summary_by_fn.csv")
    assert {r["fn"] for r in by_fn} == {"'=fn_a", "'=fn_c"}
    errors = _cells(erm / "analysis" / "errors.csv")
    assert {"'=fn_a/L20", "'=fn_c/L20"} <= {r["task_id"] for r in errors}
    out = tmp_path / "usage.csv"
    assert cli("usage", erm, "--csv", out).exit_code == 0
    (row,) = _cells(out)
    assert row["model"] == "'@evil" and row["calls"] == "15"

    store = RunStore(tmp_path / "store")
    store.write_csv([{"task_id": "+t", "code": "=cmd|'/c calc'!A1", "model": "-x",
                      "val_acc": -0.5, "fn": "\tx"}], ["task_id", "code", "model", "val_acc",
                                                       "fn"])  # fmt: skip
    (row,) = _cells(store.csv_path)
    assert row == {"task_id": "'+t", "code": "'=cmd|'/c calc'!A1", "model": "'-x",
                   "val_acc": "-0.5", "fn": "'\tx"}


# ---------------------------------------------------------------------- 6: terminal escapes
def test_untrusted_strings_never_reach_the_terminal_raw(erm):
    def hostile(row: dict) -> None:
        row["model"] = f"{ESC}[bold]model"
        row["fn"] = f"{ESC}fn"
        row["task_id"] = f"{ESC}fn/L20"

    rewrite_rows(erm, hostile)
    rewrite_json(erm / "manifest.json", lambda m: m.update(run_id=f"{ESC}run"))
    for args in (("usage", erm), ("analyze", erm, "--no-plots"), ("report", erm)):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
    usage = cli("usage", erm).output
    assert "\\x1b]0;owned\\x07" in usage and "[bold]model" in usage
    rewrite_json(erm / "manifest.json", lambda m: m.update(task_family=f"{ESC}erm"))
    assert "\\x1b" in one_line_error(cli("report", erm))


def test_html_report_escapes_untrusted_text(erm):
    def script(row: dict) -> None:
        row["task_id"] = row["task_id"].replace("fn_a", "<script>alert(1)</script>")
        if row.get("code"):
            row["code"] = "</pre><img src=x onerror=alert(2)>"

    rewrite_rows(erm, script)
    assert cli("report", erm).exit_code == 0
    html = (erm / "report.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


# ---------------------------------------------------------------------- 7: malformed files
def _manifest(value: object) -> Callable[[Path], None]:
    return lambda run: (run / "manifest.json").write_text(json.dumps(value))


def _manifest_field(**fields: object) -> Callable[[Path], None]:
    return lambda run: rewrite_json(run / "manifest.json", lambda m: m.update(fields))


def _row_field(**fields: object) -> Callable[[Path], None]:
    return lambda run: rewrite_rows(run, lambda r: r.update(fields))


def _best_field(**fields: object) -> Callable[[Path], None]:
    return lambda run: rewrite_rows(
        run, lambda r: r.update(fields) if r.get("row_type") == "best" else None)


def _sparse_manifest(run: Path) -> None:
    with open(run / "manifest.json", "wb") as fh:
        fh.truncate(safe_io.MAX_JSON_BYTES + (64 << 20))  # 128 MiB, sparse: nothing read


MALFORMED_ERM = {
    "manifest is a list": (_manifest([1, 2]), "expected a JSON object"),
    "manifest not JSON": (lambda run: (run / "manifest.json").write_text("{oops"),
                          "not valid JSON"),
    "manifest not UTF-8": (lambda run: (run / "manifest.json").write_bytes(b'{"a": "\xff"}'),
                           "manifest.json"),
    "manifest deep": (lambda run: (run / "manifest.json").write_text(
        '{"a": ' + "[" * 100 + "]" * 100 + "}"), "nested deeper"),
    "manifest very deep": (lambda run: (run / "manifest.json").write_text(
        "[" * 100_000 + "]" * 100_000), "not valid JSON"),
    "manifest 128 MiB": (_sparse_manifest, "larger than"),
    "config a string": (_manifest_field(config="fast"), "'config'"),
    "datasets a list": (_manifest_field(datasets=["x"]), "'datasets'"),
    "created_at a dict": (_manifest_field(created_at={"a": 1}), "'created_at'"),
    "trial a string": (_row_field(trial="x"), "'trial'"),
    "errors a string": (_row_field(errors="boom"), "'errors'"),
    "task id a list": (_row_field(task_id=["a"]), "'task_id'"),
    "val_acc a string": (_row_field(val_acc="high"), "'val_acc'"),
    "length huge": (_row_field(length=10**400), "not valid JSON|'length'"),
    "best row without trial": (_best_field(trial=None), "best row"),
    "rows a FIFO-free folder": (lambda run: ((run / "results_attempts.jsonl").unlink(),
                                             (run / "results_attempts.jsonl").mkdir()),
                                "not a regular file"),
}


@pytest.mark.parametrize("case", list(MALFORMED_ERM))
def test_malformed_erm_files_are_one_line_errors(case, erm, tmp_path):
    damage, expected = MALFORMED_ERM[case]
    damage(erm)
    for args in (("report", erm), ("analyze", erm, "--no-plots"), ("usage", erm)):
        line = one_line_error(cli(*args))
        assert any(e in line for e in expected.split("|")), line
    assert not (erm / "report.html").exists()


def test_a_manifest_over_the_cap_is_refused(erm, monkeypatch):
    rewrite_json(erm / "manifest.json", lambda m: m.update(pad="x" * 5000))
    monkeypatch.setattr(safe_io, "MAX_JSON_BYTES", 4096)
    assert "larger than 4096 bytes" in one_line_error(cli("report", erm))


def _task_log(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return lambda run: rewrite_json(run / "tasks" / "t1.json", change)


MALFORMED_ARC = {
    "attempts a string": (_task_log(lambda t: t.update(attempts="many")), "'attempts'"),
    "a pair not an object": (_task_log(lambda t: t.update(train=[1, 2])), "'train'"),
    "predictions a dict": (_task_log(lambda t: t["attempts"][0].update(
        train_predictions={"a": 1})), "'train_predictions'"),
    "reasoning a number": (_task_log(lambda t: t["attempts"][0].update(reasoning_text=3)),
                           "'reasoning_text'"),
    "task log a list": (lambda run: (run / "tasks" / "t1.json").write_text("[]"),
                        "expected a JSON object"),
    "manifest task_ids numbers": (lambda run: rewrite_json(
        run / "manifest.json", lambda m: m.update(task_ids=[1])), "'task_ids'"),
    "model a number": (_task_log(lambda t: t.update(model=3)), "'model'"),
    "test verdicts a string": (_task_log(lambda t: t["attempts"][0].update(
        test_verdicts="ok")), "'test_verdicts'"),
}


@pytest.mark.parametrize("case", list(MALFORMED_ARC))
def test_malformed_arc_files_are_one_line_errors(case, arc):
    damage, expected = MALFORMED_ARC[case]
    damage(arc)
    for args in (("report", arc), ("usage", arc),
                 ("arc", "export-training", arc, "--out", arc.parent / "export")):
        assert expected in one_line_error(cli(*args))


def test_an_export_input_that_is_not_a_grid_is_one_line(arc):
    rewrite_json(arc / "tasks" / "t1.json", lambda t: t["train"][0].update(input="grid"))
    line = one_line_error(cli("arc", "export-training", arc, "--out", arc.parent / "x"))
    assert "a train input is not a grid" in line

    def damage(task: dict) -> None:
        task["train"][0]["input"] = [[1, 2]]
        task["test"][0]["output"] = [[True]]

    rewrite_json(arc / "tasks" / "t1.json", damage)
    line = one_line_error(cli("arc", "export-training", arc, "--out", arc.parent / "x"))
    assert "a test output is not a grid" in line


def test_export_never_writes_through_links(arc, outside):
    out = arc.parent / "export"
    out.mkdir()
    (out / "train.jsonl").symlink_to(outside / "secret.json")
    before = snapshot(outside)
    assert cli("arc", "export-training", arc, "--out", out).exit_code == 0
    assert not (out / "train.jsonl").is_symlink() and snapshot(outside) == before
    linked = arc.parent / "linked"
    linked.symlink_to(outside, target_is_directory=True)
    line = one_line_error(cli("arc", "export-training", arc, "--out", linked))
    assert "not a plain folder" in line and snapshot(outside) == before


def test_export_of_escapes_and_lone_surrogates(arc):
    """A model name with terminal escapes and reasoning with a lone surrogate (valid JSON) are
    exported as text: nothing reaches the terminal, Parquet gets the escaped form."""

    def damage(task: dict) -> None:
        task.update(model=ESC, task_id="t1" + ESC)
        task["attempts"][0]["reasoning_text"] = "why \ud800"

    rewrite_json(arc / "tasks" / "t1.json", damage)
    result = cli("arc", "export-training", arc, "--out", arc.parent / "x",
                 "--keep-train-perfect", "--val-fraction", "0")
    assert result.exit_code == 0 and "\x1b" not in result.output, result.output
    import pyarrow.parquet as pq

    (row,) = pq.read_table(arc.parent / "x" / "train.parquet").to_pylist()
    assert row["reasoning"] == "why \\ud800" and row["model"] == ESC


@pytest.mark.parametrize("command", ["report", "analyze", "usage", "export-training"])
def test_a_fifo_manifest_never_hangs(command, arc, erm):
    run = arc if command == "export-training" else erm
    (run / "manifest.json").unlink()
    os.mkfifo(run / "manifest.json")
    args = (["arc", "export-training", str(run), "--out", str(run.parent / "x")]
            if command == "export-training" else [command, str(run)])  # fmt: skip
    entry = "from harness.cli.main import main; main()"
    proc = subprocess.run([sys.executable, "-c", entry, *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "not a regular file" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_log_names_from_ids_are_safe_and_collision_free(tmp_path):
    store = RunStore(tmp_path / "run")
    ids = ["a<b", "a>b", "a_b", "tâche", "../x", ESC]
    for task_id in ids:
        store.append_attempt({"task_id": task_id, "trial": 1, "attempt": 1})
    names = sorted(p.name for p in (tmp_path / "run" / "trials").iterdir())
    assert len(names) == len(ids) and all(n.isascii() and n.isprintable() for n in names)
    arc_names = {task_log_name(t, 1, 1) for t in ids} | {task_log_name(t, 2, 3) for t in ids}
    assert len(arc_names) == 2 * len(ids) and all(n.isascii() for n in arc_names)


# ---------------------------------------------------------------------- eval arc (Docker)
@pytest.mark.docker
def test_eval_arc_and_rerun_with_hostile_task_ids(tmp_path):
    """Non-ASCII, colliding and escape-laden ids: `eval arc` runs, logs stay distinct, the
    terminal gets escapes only as text; `rerun` of that run prints them the same way."""
    data = tmp_path / "data"
    data.mkdir()
    pair = {"input": [[1, 2]], "output": [[2, 1]]}
    ids = ["tâche", "a<b", "a>b", f"{ESC}red"]
    for task_id in ids:
        (data / f"{task_id}.json").write_text(json.dumps({"train": [pair], "test": [pair]}))
    base = ["--model", "mock", "--data-dir", str(data), "--subset", "all_training",
            "--attempts", "1", "--workers", "1", "--no-progress", "--out-dir", str(tmp_path)]
    result = CliRunner().invoke(main, ["eval", "arc", *base, "--run-id", "hostile"],
                                env={"OPENAI_API_KEY": None, "ATTEMPTS": None,
                                     "MOCK_POLICY": None})  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "tâche" in result.output and "\\x1b]0;owned" in result.output, result.output
    run = tmp_path / "hostile"
    summary = json.loads((run / "summary.json").read_text())
    assert sorted(summary["task_ids"]) == sorted(ids)
    logs = sorted(p.name for p in (run / "tasks").iterdir())
    assert len(logs) == 4 and all(n.isascii() and n.isprintable() for n in logs)
    assert cli("report", run).exit_code == 0
    again = CliRunner().invoke(main, ["rerun", str(run), "--data-dir", str(data),
                                      "--run-id", "again", "--workers", "1", "--no-progress"])
    assert again.exit_code == 0, again.output + repr(again.exception)
    assert "\x1b" not in again.output and "tâche" in again.output


def test_task_header_is_ascii_for_any_id():
    """A non-ASCII id crashed `eval arc` in httpx (header values must be ASCII); CR/LF would
    split the header."""
    from harness.models.sdk import task_headers

    for task_id in ("tâche", "a\r\nX-Evil: 1", ESC, "fn_a/L20"):
        (value,) = task_headers(task_id).values()
        assert value.isascii() and value.isprintable()
    assert task_headers("fn_a/L20") == {"X-Harness-Task": "fn_a/L20"}
