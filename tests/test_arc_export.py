"""Training export in the seed's competition format: record fields, quality rules, dedup,
transduction filter, reasoning, 50/50 balancing, stratified split, log filters, written files.
Run directories are built by hand (no Docker, no program is run)."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from harness.cli.arc import arc
from harness.errors import UserError
from harness.families.arc.export import (
    ExportOptions,
    LogFilter,
    code_key,
    export_records,
    strip_comments,
    write_export,
)

TRAIN = [{"input": [[1, 2]], "output": [[2, 1]]}, {"input": [[3, 4]], "output": [[4, 3]]}]
TEST = [{"input": [[5, 6]], "output": [[6, 5]]}]
FLIP = "def transform(g):\n    # mirror\n    return [r[::-1] for r in g]\n"
GOOD = [[[2, 1]], [[4, 3]]]  # FLIP's train outputs: both right
HALF = [[[2, 1]], [[0, 0]]]  # first pair right, second wrong
ZERO = [[[0, 0]], [[0, 0]]]  # both wrong
#: Right on the first train pair only (the kind of program the seed keeps); no train output in it.
HALF_CODE = "def transform(g):\n    # swap\n    return [g[0][::-1]] if g[0][0] == 1 else [[0, 0]]\n"
DAY = 1753056000  # 2025-07-21 00:00 UTC


def attempt(n, code, train_pred, verdicts=("correct", "correct"), test_correct=(True,),
            transductive=False, test_pred=((6, 5),), reasoning="think"):
    return {"attempt": n, "code": code, "train_verdicts": list(verdicts),
            "train_predictions": train_pred, "test_predictions": [[list(test_pred[0])]],
            "test_correct": list(test_correct), "transductive": transductive,
            "reasoning_text": reasoning}


def wrong(n, code, train_pred=HALF, test_ok=False, **kw):
    """An attempt right on the first train pair only (what the seed keeps), test as asked."""
    verdicts = ["correct" if p == t["output"] else "wrong"
                for p, t in zip(train_pred, TRAIN, strict=True)]
    return attempt(n, code, train_pred, verdicts, (test_ok,),
                   test_pred=((6, 5),) if test_ok else ((0, 0),), **kw)


def make_run(tmp_path, attempts, task_id="t1", name="run", model="m", dataset="arc-agi-1",
             subset="all_training", created_at=DAY):
    run = tmp_path / name
    (run / "tasks").mkdir(parents=True, exist_ok=True)
    if not (run / "manifest.json").exists():
        (run / "manifest.json").write_text(json.dumps({
            "task_family": "arc", "run_id": name, "created_at": created_at,
            "config": {"model": model}, "arc": {"dataset": dataset, "subset": subset}}))
    (run / "tasks" / f"{task_id}.json").write_text(json.dumps(
        {"task_id": task_id, "run_id": name, "train": TRAIN, "test": TEST,
         "attempts": attempts}))
    return run


def export(runs, **opts):
    flt = opts.pop("flt", None)
    return export_records(runs, ExportOptions(**{"val_fraction": 0.0, **opts}), flt)


def test_record_format(tmp_path):
    run = make_run(tmp_path, [wrong(1, HALF_CODE)])
    records, counts = export([run], balance=False)
    assert counts.kept == 1
    (rec,) = records
    assert rec == {
        "task_id": "t1", "reasoning": "", "code": HALF_CODE,
        "train_input": [[[1, 2]], [[3, 4]]], "train_output": [[[2, 1]], [[4, 3]]],
        "predicted_train_output": HALF, "correct_train_input": [True, False],
        "test_input": [[[5, 6]]], "test_output": [[[6, 5]]],
        "predicted_test_output": [[[0, 0]]], "correct_test_input": [False],
        "model": "m", "generation": 0, "dataset": "arc-agi-1", "subset": "all_training",
        "source_run": "run", "source_attempt": 1, "split": "train"}


def test_quality_rules(tmp_path):
    hardcoded = "def transform(g):\n    return [[4, 3]]\n"  # a train output, literally
    run = make_run(tmp_path, [
        attempt(1, None, []),
        attempt(2, FLIP, GOOD, transductive=True),
        wrong(3, hardcoded),  # recorded as not transductive; the export checks again
        attempt(4, "def transform(g):\n    return 7\n", [None, None],
                ("invalid_output", "invalid_output"), (False,)),
        attempt(5, "def transform(g):\n    return g[9]\n", [None, None],
                ("exception", "exception"), (False,)),
        attempt(6, FLIP, GOOD),  # solves every train pair: no room to learn, the seed drops it
        attempt(7, "def transform(g):\n    return [[0, 0]] if g[0][0] == 3 else g[9]\n",
                [None, [[0, 0]]], ("exception", "wrong"), (False,)),
        wrong(8, "def transform(g):\n    return [[2, True]]\n", [[[2, True]], [[0, 0]]]),
    ])
    records, counts = export([run], balance=False)
    assert counts.dropped == {"no_program": 1, "transductive": 2, "invalid_output": 2,
                              "no_train_output": 1, "train_perfect": 1}
    (rec,) = records  # attempt 7: the failed input is dropped, the rest kept
    assert rec["source_attempt"] == 7
    assert rec["train_input"] == [[[3, 4]]] and rec["predicted_train_output"] == [[[0, 0]]]
    assert rec["correct_train_input"] == [False]
    kept, counts = export([run], balance=False, keep_train_perfect=True,
                          transduction_filter=False)
    assert [r["source_attempt"] for r in kept] == [2, 3, 7]  # 6 is a duplicate of 2 now
    assert counts.dropped == {"no_program": 1, "invalid_output": 2, "no_train_output": 1,
                              "duplicate_code": 1}
    assert kept[0]["correct_train_input"] == [True, True]


def test_verdicts_do_not_decide_correctness(tmp_path):
    """A log claiming "correct" for a wrong grid is not believed: correctness is recomputed."""
    run = make_run(tmp_path, [attempt(1, "def transform(g):\n    return [[0, 0]]\n", ZERO,
                                      ("correct", "correct"), (True,), test_pred=((0, 0),))])
    (rec,), _ = export([run], balance=False)
    assert rec["correct_train_input"] == [False, False]
    assert rec["correct_test_input"] == [False] and rec["reasoning"] == ""


def test_unknown_verdicts_count_as_failed_runs(tmp_path):
    run = make_run(tmp_path, [attempt(1, HALF_CODE, HALF, ({"x": 1}, ["y"]), (False,)),
                              attempt(2, HALF_CODE, HALF[:1], ("correct",), (False,))])
    _, counts = export([run], balance=False)
    assert counts.dropped == {"no_train_output": 2}  # lists of the wrong length: not trusted


def test_dedup_within_a_task(tmp_path):
    half = HALF_CODE
    run = make_run(tmp_path, [
        wrong(1, half, test_ok=True),
        wrong(2, half.replace("# swap", "# other words\n"), test_ok=True),  # same code
        wrong(3, half.replace("[[0, 0]]", "[[0] * 2]")),  # not test-correct: by outputs
        wrong(4, half.replace("== 1", "< 2")),  # other code, same train outputs
        wrong(5, "def transform(g):\n    return [[0, 0]]\n", ZERO),
    ])
    make_run(tmp_path, [wrong(1, half, test_ok=True)], task_id="t2")  # another task: kept
    records, counts = export([run], balance=False)
    assert [(r["task_id"], r["source_attempt"]) for r in records] == [
        ("t1", 1), ("t1", 3), ("t1", 5), ("t2", 1)]
    assert counts.dropped == {"duplicate_code": 1, "duplicate_outputs": 1}
    assert len(export([run], balance=False, dedup=False)[0]) == 6


def test_reasoning_only_for_test_correct_programs(tmp_path):
    run = make_run(tmp_path, [wrong(1, HALF_CODE,
                                    test_ok=True, reasoning="  the rule  "),
                              wrong(2, "def transform(g):\n    return [[0, 0]]\n", ZERO)])
    records, _ = export([run], balance=False)
    assert [r["reasoning"] for r in records] == ["the rule", ""]
    records, _ = export([run], balance=False, reasoning=False)
    assert [r["reasoning"] for r in records] == ["", ""]


def make_tasks(tmp_path, easy, hard):
    """A run with `easy` tasks (a program right on one train pair) and `hard` ones (none)."""
    run = None
    for i in range(easy):
        run = make_run(tmp_path, [wrong(1, HALF_CODE),
                                  wrong(2, "def transform(g):\n    return [[0, 0]]\n", ZERO)],
                       task_id=f"e{i}")
    for i in range(hard):
        run = make_run(tmp_path, [wrong(1, "def transform(g):\n    return [[0, 0]]\n", ZERO)],
                       task_id=f"h{i}")
    return run


def test_balancing_keeps_as_many_tasks_of_each_difficulty(tmp_path):
    run = make_tasks(tmp_path, easy=5, hard=2)
    records, counts = export([run])
    tasks = {r["task_id"] for r in records}
    assert {t for t in tasks if t.startswith("h")} == {"h0", "h1"}
    assert len([t for t in tasks if t.startswith("e")]) == 2
    assert counts.balance == {"with_correct": 5, "without_correct": 2, "dropped_tasks": 3,
                              "dropped_records": 6, "skipped": None}
    assert counts.dropped["balance"] == 6 and counts.kept == 6
    again, _ = export([run])
    assert again == records  # deterministic for one seed
    picks = {frozenset(r["task_id"] for r in export([run], seed=s)[0]) for s in range(12)}
    assert len(picks) > 1  # and the seed decides which tasks stay
    assert len(export([run], balance=False)[0]) == 12


def test_balancing_is_skipped_when_a_group_is_empty(tmp_path):
    records, counts = export([make_tasks(tmp_path, easy=3, hard=0)])
    assert len(records) == 6 and counts.balance["skipped"] == "no task without a correct " \
        "train example"


def test_validation_split_is_by_task_and_stratified(tmp_path):
    run = make_tasks(tmp_path, easy=2, hard=2)
    records, _ = export([run], val_fraction=0.5)
    split = {r["task_id"]: r["split"] for r in records}
    assert all(split[r["task_id"]] == r["split"] for r in records)  # a task is in one split
    assert Counter(split[t] for t in ("e0", "e1")) == {"train": 1, "validation": 1}
    assert Counter(split[t] for t in ("h0", "h1")) == {"train": 1, "validation": 1}
    assert {r["split"] for r in export([run], val_fraction=1.0)[0]} == {"validation"}


def test_log_filters(tmp_path):
    older = make_run(tmp_path, [wrong(1, HALF_CODE)],
                     name="20250720-a", model="Org/Model-A", created_at=DAY - 86400)
    make_run(tmp_path, [wrong(1, HALF_CODE)], task_id="t2",
             name="20250720-a")
    newer = make_run(tmp_path, [wrong(1, HALF_CODE)],
                     name="20250721-b", model="B", dataset="arc-agi-2", subset="x")

    def picked(**flt):
        records, _ = export([older, newer], balance=False, dedup=False, flt=LogFilter(**flt))
        return [(r["source_run"], r["task_id"]) for r in records]

    both = [("20250720-a", "t1"), ("20250720-a", "t2"), ("20250721-b", "t1")]
    assert picked() == both
    assert picked(models=("org/model-a",)) == both[:2]
    assert picked(models=("nope", "b")) == both[2:]
    assert picked(dataset="arc-agi-2") == picked(subset="x") == both[2:]
    assert picked(date_from="20250721") == both[2:]
    assert picked(date_to="20250720") == both[:2]
    assert picked(pattern="a/tasks/t2") == [both[1]]
    assert picked(limit=2) == both[1:]  # the last N logs
    assert picked(limit=1, models=("org/model-a",)) == [both[1]]


def test_written_files(tmp_path):
    run = make_run(tmp_path, [wrong(1, HALF_CODE, test_ok=True)])
    records, counts = export([run], balance=False, val_fraction=1.0, messages=True,
                             strip=True)
    assert "# swap" not in records[0]["code"] and "return [g[0]" in records[0]["code"]
    assert records[0]["completion"].startswith("<think>\nthink\n</think>")
    prompt = json.dumps(records[0]["messages"])
    assert "[[2 1]]" in prompt and "[[6 5]]" not in prompt  # no test output in the prompt
    write_export(records, tmp_path / "out", messages=True, info={"counts": counts.as_dict()})
    table = pq.read_table(tmp_path / "out" / "validation.parquet")
    grids = pa.list_(pa.list_(pa.list_(pa.int64())))
    assert table.schema.field("predicted_train_output").type == grids
    assert table.schema.field("correct_train_input").type == pa.list_(pa.bool_())
    row = json.loads((tmp_path / "out" / "validation.jsonl").read_text())
    assert table.to_pylist() == [row] and "split" not in row
    assert (tmp_path / "out" / "train.jsonl").read_text() == ""
    assert pq.read_table(tmp_path / "out" / "train.parquet").num_rows == 0
    assert json.loads((tmp_path / "out" / "export.json").read_text())["counts"]["kept"] == 1


def test_cli(tmp_path):
    run = make_run(tmp_path, [wrong(1, HALF_CODE, test_ok=True)])
    help_text = CliRunner().invoke(arc, ["export-training", "--help"]).output
    for flag in ("--model", "--dataset", "--subset", "--date-from", "--date-to", "--pattern",
                 "--limit", "--no-reasoning", "--with-reasoning", "--no-dedup",
                 "--no-transduction-filter", "--no-balance", "--keep-train-perfect", "--seed",
                 "--val-fraction", "--clean-code", "--generation", "--messages", "--output",
                 "--out", "--runs-dir", "--validation", "--hf-private", "--hf-dataset-name",
                 "--hf-org", "--debug"):
        assert flag in help_text
    help_text = CliRunner().invoke(arc, ["export-tasks", "--help"]).output
    for flag in ("--out", "--save-local", "--validation", "--val-fraction", "--seed",
                 "--hf-private", "--hf-dataset-name", "--hf-org", "--data-dir"):
        assert flag in help_text
    out = tmp_path / "out"
    for flags, reasoning in (([], "think"), (["--no-reasoning"], ""),
                             (["--with-reasoning"], "think")):
        result = CliRunner().invoke(arc, ["export-training", str(run), "--out", str(out),
                                          "--val-fraction", "0", "--generation", "3", *flags])
        assert result.exit_code == 0, result.output
        row = json.loads((out / "train.jsonl").read_text())
        assert row["reasoning"] == reasoning and row["generation"] == 3
    assert "1 records from 1 tasks" in result.output
    bad = CliRunner().invoke(arc, ["export-training", str(run), "--out", str(out),
                                   "--date-from", "2025-07-21"])
    assert bad.exit_code == 2 and "YYYYMMDD" in bad.output


def test_helpers():
    assert strip_comments("def f(:\n  pass") is None
    code = 'def f():\n    """doc"""\n\n    s = """a  \n\nb"""  # c\n    return s\n'
    assert strip_comments(code) == 'def f():\n    """doc"""\n    s = """a  \n\nb"""\n    return s\n'
    assert code_key(code) == code_key(code.replace("  # c", "")) != code_key(
        code.replace('"""doc"""', "pass"))


def test_not_a_run_directory(tmp_path):
    with pytest.raises(UserError):
        export_records([tmp_path])

