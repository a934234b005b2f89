"""`harness arc export-training` as the seed's generate_training_data.py is used: no RUN_DIRS
(every ARC run under runs/, links never followed), one --output file named as the seed names
its files, the validation split only when asked, the --hf-* flags recorded (nothing pushed),
and --debug's decisions on stderr. Run directories are made by hand, in a temporary cwd."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from harness.cli.arc import arc
from harness.families.arc.export import find_runs
from tests.test_arc_export import HALF_CODE, make_run, make_tasks, wrong


def run_cli(*args):
    """`harness arc ...`, the group alone (user mistakes are its `error: ...` line)."""
    return CliRunner().invoke(arc, [str(a) for a in args])


def test_without_run_dirs_every_arc_run_under_runs_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "runs"
    newer = make_run(runs, [wrong(1, HALF_CODE)], task_id="new", name="20250722-b")
    make_run(runs, [wrong(1, HALF_CODE)], task_id="old", name="20250721-a")
    outside = make_run(tmp_path, [wrong(1, HALF_CODE)], task_id="linked", name="elsewhere")
    (runs / "20250723-link").symlink_to(outside, target_is_directory=True)
    (runs / "20250724-erm").mkdir()
    (runs / "20250724-erm" / "manifest.json").write_text('{"task_family": "erm"}')
    (runs / "20250725-killed").mkdir()
    (runs / "20250725-killed" / "manifest.json").write_text('{"task_family": "arc"}')
    (runs / "notes.txt").write_text("not a run")
    found = find_runs(runs)
    assert found.runs == (runs / "20250721-a", newer)  # name order: oldest first
    assert (found.other_family, found.no_tasks, found.links) == (1, 1, 1)
    result = run_cli("export-training", "--out", "x", "--no-balance")
    assert result.exit_code == 0, result.output
    assert "runs: 2 ARC run(s) (skipped 1 run(s) of another task family, 1 ARC run(s) " \
        "without tasks/, 1 symlink(s), not followed)" in result.output
    tasks = [json.loads(r)["task_id"] for r in (tmp_path / "x" / "train.jsonl").open()]
    assert tasks == ["old", "new"]  # the linked run is never read
    assert run_cli("export-training", "--out", "x", "--limit", "1").exit_code == 0
    assert [json.loads(r)["task_id"] for r in (tmp_path / "x" / "train.jsonl").open()] == ["new"]
    info = json.loads((tmp_path / "x" / "export.json").read_text())
    assert info["found"]["links"] == 1
    assert info["run_dirs"] == ["runs/20250721-a", "runs/20250722-b"]


def test_no_run_found_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for runs_dir in (None, "elsewhere"):
        result = run_cli("export-training", *(["--runs-dir", runs_dir] if runs_dir else []))
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
        assert f"{runs_dir or 'runs'} is not a folder" in result.output
    (tmp_path / "runs" / "erm").mkdir(parents=True)
    (tmp_path / "runs" / "erm" / "manifest.json").write_text('{"task_family": "erm"}')
    result = run_cli("export-training")
    assert result.exit_code == 2 and result.output.strip() == (
        "error: no ARC run directories in runs (skipped 1 run(s) of another task family); "
        "name RUN_DIRS or run 'harness eval arc' first")
    assert not (tmp_path / "training_data").exists()


def test_output_file_and_the_validation_split(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = make_tasks(tmp_path, easy=5, hard=5)  # 15 records
    assert run_cli("export-training", run, "--output", "d/x.jsonl").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "x.export.json", "x.jsonl", "x.parquet"]  # no split unless asked, as in the seed
    assert len((tmp_path / "d" / "x.jsonl").read_text().splitlines()) == 15
    for flags in (["--validation"], ["--val-fraction", "0.5"]):
        result = run_cli("export-training", run, "--output", "d/y.jsonl", *flags)
        assert result.exit_code == 0, result.output
        val = [json.loads(r) for r in (tmp_path / "d" / "y_val.jsonl").open()]
        train = [json.loads(r) for r in (tmp_path / "d" / "y_train.jsonl").open()]
        assert len({r["task_id"] for r in val}) == (2 if flags[0] == "--validation" else 6)
        assert len(val) + len(train) == 15 and (tmp_path / "d" / "y_val.parquet").is_file()
    assert run_cli("export-training", run).exit_code == 0  # neither --out nor --output
    assert (tmp_path / "training_data" / "training_data.jsonl").is_file()
    assert run_cli("export-training", run, "--out", "o").exit_code == 0
    assert (tmp_path / "o" / "validation.jsonl").read_text() == ""  # always both in a folder
    for args, needle in ((["--out", "o", "--output", "f.jsonl"], "exclude each other"),
                         (["--output", "f.parquet"], "name the JSONL file"),
                         (["--output", "o"], "is a folder")):
        result = run_cli("export-training", run, *args)
        assert result.exit_code == 2 and needle in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_output_file_is_never_written_through_a_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = make_run(tmp_path, [wrong(1, HALF_CODE)])
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / "x.jsonl").symlink_to(target)
    assert run_cli("export-training", run, "--output", "x.jsonl").exit_code == 0
    assert not (tmp_path / "x.jsonl").is_symlink() and target.read_text() == "keep me"
    (tmp_path / "linked").symlink_to(tmp_path / "run", target_is_directory=True)
    result = run_cli("export-training", run, "--output", "linked/x.jsonl")
    assert result.exit_code == 2 and "not a plain folder" in result.output


def test_hub_flags_are_recorded_and_nothing_is_pushed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = make_run(tmp_path, [wrong(1, HALF_CODE)])
    result = run_cli("export-training", run, "--output", "a b.jsonl", "--validation",
                     "--hf-dataset-name", "v1", "--hf-org", "Org", "--hf-private")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        "hub: nothing was pushed (no network access or hub token here); to publish the Parquet "
        "files: huggingface-cli upload Org/v1 . . --repo-type=dataset '--include=a b_*.parquet' "
        "--private")
    info = json.loads((tmp_path / "a b.export.json").read_text())
    assert info["hub"] == {"repo_id": "Org/v1", "private": True, "pushed": False}
    result = run_cli("export-training", run, "--output", "c.jsonl", "--dataset", "arc-agi-1")
    assert "hub" not in result.output and json.loads(
        (tmp_path / "c.export.json").read_text())["hub"] is None


def test_debug_prints_each_decision_on_stderr(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("harness")
    monkeypatch.setattr(logger, "level", logger.level)
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    monkeypatch.setattr(logger, "propagate", logger.propagate)
    run = make_tasks(tmp_path, easy=3, hard=1)
    make_run(tmp_path, [wrong(1, HALF_CODE), wrong(2, "def transform(g):\n    return [[4, 3]]\n"),
                        wrong(3, HALF_CODE.replace("# swap", "# same"))], task_id="e0")
    quiet = run_cli("export-training", run, "--out", "o")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    result = run_cli("export-training", run, "--out", "o", "--debug")
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "tasks/e0.json attempt 1: kept (1 of 2 train pairs right)" in err
    assert ("tasks/e0.json attempt 2: dropped, hard-codes a train output: train output 2 is "
            "hard-coded in the program") in err
    assert "tasks/e0.json attempt 3: dropped, same train outputs as an earlier program" in err
    assert err.count(": dropped by balancing (") == 2  # 3 easy tasks cut to 1
    assert "decisions" not in result.stdout and "kept (" not in result.stdout
