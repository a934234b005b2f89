"""safe_io and untrusted_text: run-directory files opened as hostile input (no Docker needed)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from rich.console import Console

from harness import safe_io
from harness.safe_io import (
    RunFileError,
    check_folders,
    list_files,
    loads_json,
    make_folder,
    open_append,
    open_update,
    read_bytes,
    read_json,
    read_jsonl,
    read_text,
    write_atomic,
)
from harness.untrusted_text import console_text, csv_cell, printable, safe_file_name


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """A file outside the run directory that a planted link points to."""
    target = tmp_path / "outside" / "secret.txt"
    target.parent.mkdir()
    target.write_text("precious\n")
    old = time.time() - 1000
    os.utime(target, (old, old))
    return target


def _unchanged(target: Path) -> bool:
    return target.read_text() == "precious\n" and target.stat().st_mtime < time.time() - 500


@pytest.fixture()
def run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    return run


# ---------------------------------------------------------------------- symlinks
def test_reads_refuse_a_symlink(run, outside):
    (run / "manifest.json").symlink_to(outside)
    for reader in (read_bytes, read_text, read_json, read_jsonl):
        with pytest.raises(RunFileError, match="symlink"):
            reader(run / "manifest.json", root=run)


def test_writes_refuse_a_symlink_and_leave_its_target_alone(run, outside):
    (run / "runner.log").symlink_to(outside)
    with pytest.raises(RunFileError, match="symlink"):
        open_append(run / "runner.log", root=run)
    (run / "rows.jsonl").symlink_to(outside)
    with pytest.raises(RunFileError, match="symlink"):
        open_update(run / "rows.jsonl", root=run)
    assert _unchanged(outside)


def test_atomic_write_replaces_a_link_never_its_target(run, outside):
    (run / "report.html").symlink_to(outside)
    (run / "report.html.tmp").symlink_to(outside)  # a planted fixed temp name is never used
    write_atomic(run / "report.html", "<html>new</html>", root=run)
    assert not (run / "report.html").is_symlink()
    assert (run / "report.html").read_text() == "<html>new</html>"
    assert _unchanged(outside)
    assert sorted(p.name for p in run.iterdir()) == ["report.html", "report.html.tmp"]


def test_a_linked_folder_is_never_gone_through(run, tmp_path, outside):
    (run / "trials").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(RunFileError, match="not a plain folder"):
        open_append(run / "trials" / "x.jsonl", root=run)
    with pytest.raises(RunFileError, match="not a plain folder"):
        write_atomic(run / "trials" / "x.json", "{}", root=run)
    with pytest.raises(RunFileError, match="not a plain folder"):
        read_json(run / "trials" / "secret.txt", root=run)
    with pytest.raises(RunFileError, match="not a plain folder"):
        make_folder(run / "trials", root=run)
    with pytest.raises(RunFileError, match="not a plain folder"):
        list_files(run / "trials", ".txt", root=run)
    assert sorted(p.name for p in outside.parent.iterdir()) == ["secret.txt"]
    assert _unchanged(outside)
    with pytest.raises(RunFileError, match="not inside"):
        check_folders(tmp_path / "elsewhere" / "x", root=run)


def test_the_run_directory_named_by_the_user_may_itself_be_a_link(run, tmp_path):
    (run / "manifest.json").write_text('{"a": 1}')
    link = tmp_path / "latest"
    link.symlink_to(run, target_is_directory=True)
    assert read_json(link / "manifest.json", root=link) == {"a": 1}


# ---------------------------------------------------------------------- FIFOs, caps, depth
def test_a_fifo_is_refused_without_blocking(run):
    os.mkfifo(run / "manifest.json")
    started = time.monotonic()
    with pytest.raises(RunFileError, match="not a regular file"):
        read_json(run / "manifest.json", root=run)
    with pytest.raises(RunFileError, match="not a regular file"):
        open_append(run / "manifest.json", root=run)  # no reader: ENXIO, not a hang
    assert time.monotonic() - started < 5


def test_size_caps(run, monkeypatch):
    (run / "big.json").write_text(json.dumps({"pad": "x" * 2000}))
    with pytest.raises(RunFileError, match="larger than"):
        read_json(run / "big.json", max_bytes=1000, root=run)
    monkeypatch.setattr(safe_io, "MAX_JSON_BYTES", 1000)  # the default is looked up per call
    with pytest.raises(RunFileError, match="larger than 1000 bytes"):
        read_json(run / "big.json", root=run)
    with open(run / "huge.json", "wb") as fh:  # sparse: refused by size before any read
        fh.truncate(200 << 20)
    with pytest.raises(RunFileError, match="larger than"):
        read_json(run / "huge.json", root=run)
    (run / "rows.jsonl").write_text('{"a": 1}\n' * 300)
    with pytest.raises(RunFileError, match="larger than"):
        read_jsonl(run / "rows.jsonl", max_bytes=1000, root=run)


def test_json_depth_nan_and_top_level_type(run):
    with pytest.raises(RunFileError, match="deeper than"):
        loads_json("[" * 100 + "]" * 100, "x")
    with pytest.raises(RunFileError, match="not valid JSON"):
        loads_json("[" * 200_000 + "]" * 200_000, "x")  # the decoder's own recursion limit
    with pytest.raises(RunFileError, match="not valid JSON"):
        loads_json('{"a": NaN}', "x")
    (run / "m.json").write_text("[1, 2]")
    with pytest.raises(RunFileError, match="expected a JSON object, found array"):
        read_json(run / "m.json", root=run)
    (run / "bad.json").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(RunFileError, match="not valid JSON|not UTF-8"):
        read_json(run / "bad.json", root=run)


def test_jsonl_skips_torn_lines_and_refuses_deep_ones(run):
    (run / "rows.jsonl").write_text('{"a": 1}\n[1]\n\n{"a": 2}\n{"torn')
    assert read_jsonl(run / "rows.jsonl", root=run) == [{"a": 1}, {"a": 2}]
    (run / "deep.jsonl").write_text('{"a": 1}\n' + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(RunFileError, match=r"deep.jsonl:2: JSON nested deeper"):
        read_jsonl(run / "deep.jsonl", root=run)


def test_error_lines_escape_names_from_the_run_directory(run):
    name = "\x1b[2Jx.json"
    (run / name).symlink_to(run)
    with pytest.raises(RunFileError) as info:
        read_json(run / name, root=run)
    assert "\x1b" not in str(info.value) and "\\x1b[2Jx.json" in str(info.value)


def test_lone_surrogates_are_written_as_escapes(run):
    write_atomic(run / "x.json", json.dumps({"id": "a\ud800"}, ensure_ascii=False), root=run)
    assert read_json(run / "x.json", root=run) == {"id": "a\ud800"}


# ---------------------------------------------------------------------- untrusted text
def test_csv_cell_neutralises_formulas_only():
    for text in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"):
        assert csv_cell(text) == "'" + text
    for value in ("plain", "fn_a/L20", "", 3, -0.5, 0, None, True):
        assert csv_cell(value) == value


def test_printable_and_console_text():
    hostile = "id\x1b]0;pwned\x07\x1b[31m\u202eevil\r\n"
    shown = printable(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\n" not in shown
    assert "\u202e" not in shown and "\\x1b" in shown and "\\u202e" in shown
    assert printable("a\nb", keep_newlines=True) == "a\nb"
    console = Console(record=True, width=200, force_terminal=True)
    console.print(console_text("[red]x[/] \x1b[1m"), end="")
    assert console.export_text() == "[red]x[/] \\x1b[1m"


def test_safe_file_name_is_plain_distinct_and_never_hidden():
    assert safe_file_name("007bbfb7") == "007bbfb7"
    names = {safe_file_name(x) for x in ("a<b", "a>b", "a_b", "a/b", "a\\b", "a:b", "a b")}
    assert len(names) == 7
    for hostile in ("tâche", "日本", "..", ".", "", ".hidden", "../../etc/passwd", "\x00",
                    "x" * 500, "\ud800"):
        name = safe_file_name(hostile)
        assert name and name.isascii() and "/" not in name and not name.startswith(".")
        assert name not in (".", "..") and len(name) <= 120
    assert safe_file_name("x" * 500) != safe_file_name("x" * 501)


def test_task_ids_from_a_run_name_one_file():
    from harness.errors import UserError
    from harness.untrusted_text import check_task_id

    for ok in ("007bbfb7", "tâche", "a<b", "\x1b]0;t"):
        assert check_task_id(ok) == ok
    for bad in ("../x", "a/b", "a\\b", ".hidden", "", "x" * 201, "a\0b"):
        with pytest.raises(UserError):
            check_task_id(bad)
