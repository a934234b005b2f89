"""`--out-jsonl` / `--out-csv` / `--out-manifest` (env `OUT_JSONL`, `OUT_CSV`, `OUT_MANIFEST`):
copies of a finished run's files where the seed tools wrote theirs; atomic, never through a link
at either end, never chosen by a manifest, nothing for a dry run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import harness.cli.eval as eval_cli
from harness.errors import UserError
from harness.run.exports import EXPORTS, check_targets, export_results
from harness.run.store import CSV_NAME, JSONL_NAME, MANIFEST_NAME
from tests.test_cli_run_options import invoke

FILES = {JSONL_NAME: '{"row": 1}\n', CSV_NAME: "a,b\n1,2\n", MANIFEST_NAME: '{"config": {}}\n'}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "runs" / "r1"
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    return folder


def test_copies_each_file_asked_for(run_dir, tmp_path):
    targets = {"out_jsonl": str(tmp_path / "a" / "b" / "rows.jsonl"),
               "out_csv": str(tmp_path / "rows.csv"), "out_manifest": None}  # fmt: skip
    done = export_results(run_dir, targets)
    assert [name for name, _ in done] == [JSONL_NAME, CSV_NAME]
    assert (tmp_path / "a" / "b" / "rows.jsonl").read_text() == FILES[JSONL_NAME]
    assert (tmp_path / "rows.csv").read_text() == FILES[CSV_NAME]
    assert export_results(run_dir, {}) == []
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_a_link_at_the_destination_is_replaced_not_followed(run_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    dest = tmp_path / "out.jsonl"
    dest.symlink_to(victim)
    export_results(run_dir, {"out_jsonl": str(dest)})
    assert victim.read_text() == "keep me"
    assert not dest.is_symlink() and dest.read_text() == FILES[JSONL_NAME]


def test_a_link_in_the_run_directory_is_not_followed(run_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    (run_dir / JSONL_NAME).unlink()
    (run_dir / JSONL_NAME).symlink_to(secret)
    with pytest.raises(UserError, match="symlink") as err:
        export_results(run_dir, {"out_jsonl": str(tmp_path / "out.jsonl")})
    assert "the run is complete in" in str(err.value)
    assert not (tmp_path / "out.jsonl").exists()


def test_mistakes_are_found_before_the_run(tmp_path):
    with pytest.raises(UserError, match="--out-csv .*is a folder"):
        check_targets({"out_csv": str(tmp_path)})
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    with pytest.raises(UserError, match="--out-jsonl"):
        check_targets({"out_jsonl": str(tmp_path / "linked" / "x.jsonl")})
    check_targets({"out_jsonl": str(tmp_path / "new" / "x.jsonl"), "out_csv": None})


# ---------------------------------------------------------------------- through the command
@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the command hands the engine, ``finished`` and ``resume_config``; nothing runs."""
    from harness.run.config import RunConfig

    got: dict[str, Any] = {}
    monkeypatch.setattr(eval_cli.engine, "run", lambda config, *a, **k: got.update(config=config))
    monkeypatch.setattr(eval_cli.engine, "dry_run", lambda *a: got.update(dry=True))
    monkeypatch.setattr(eval_cli, "finished", lambda run, targets, *_: got.update(targets=targets))
    monkeypatch.setattr(eval_cli, "resume_config", lambda run_dir, given: (
        got.update(given=given) or RunConfig.resolve({"run_id": "r"}, env={}), None))
    return got


@pytest.mark.parametrize("command", [["eval", "erm", "--functions", "fn_a"],
                                     ["eval", "arc", "--limit", "1"]])  # fmt: skip
def test_flags_and_variables_reach_the_copy_not_the_config(seen, command, tmp_path):
    env = {"OUT_JSONL": str(tmp_path / "env.jsonl"), "OUT_CSV": " ", "OUT_MANIFEST": None}
    result = invoke(*command, "--out-manifest", str(tmp_path / "m.json"), env=env)
    assert result.exit_code == 0, result.output
    assert seen["targets"] == {"out_jsonl": str(tmp_path / "env.jsonl"), "out_csv": None,
                               "out_manifest": str(tmp_path / "m.json")}  # fmt: skip
    assert not {e.name for e in EXPORTS} & set(seen["config"].to_dict())


def test_resume_copies_too_but_the_paths_are_not_settings(seen, tmp_path):
    result = invoke("eval", "erm", "--resume", str(tmp_path), "--out-csv", "x.csv")
    assert result.exit_code == 0, result.output
    assert "out_csv" not in seen["given"] and seen["targets"]["out_csv"] == "x.csv"


def test_dry_run_copies_nothing(seen, tmp_path):
    result = invoke("eval", "erm", "--functions", "fn_a", env={"DRY_RUN": "1",
                                                               "OUT_JSONL": "x.jsonl"})
    assert result.exit_code == 0, result.output
    assert seen == {"dry": True}


def test_bad_destination_is_one_line_before_anything_runs(seen, tmp_path):
    result = invoke("eval", "erm", "--functions", "fn_a", "--out-jsonl", str(tmp_path))
    assert result.exit_code == 2 and seen == {}
    assert result.output.strip().count("\n") == 0 and "is a folder" in result.output


def test_a_real_run_copies_its_files(tmp_path, monkeypatch):
    """A tiny mock run, end to end (the process backend: the mock's oracle programs only)."""
    monkeypatch.chdir(tmp_path)
    result = invoke("eval", "erm", "--model", "mock", "--functions", "fn_a", "--lengths", "20",
                    "--attempts", "1", "--test-size", "20", "--backend", "process",
                    "--workers", "1", "--run-id", "r1", "--no-progress",
                    "--out-csv", "copies/rows.csv",
                    env={"OUT_JSONL": "rows.jsonl", "OUT_MANIFEST": "manifest-copy.json"})
    assert result.exit_code == 0, result.output
    run_dir = tmp_path / "runs" / "r1"
    for name, dest in ((JSONL_NAME, "rows.jsonl"), (CSV_NAME, "copies/rows.csv"),
                       (MANIFEST_NAME, "manifest-copy.json")):  # fmt: skip
        assert (tmp_path / dest).read_bytes() == (run_dir / name).read_bytes()
        assert f"copied {name} to {dest}" in result.output
    assert os.stat(tmp_path / "rows.jsonl").st_size > 0
