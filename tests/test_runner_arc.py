"""End-to-end `harness eval arc`: the real Docker pool and the real mock model over HTTP."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.families.arc.data import find_task
from harness.families.arc.prompt import format_grid
from tests.row_schema import undeclared

pytestmark = pytest.mark.docker

FAST = ["--workers", "2", "--time-limit", "0.5", "--batch-budget", "5", "--retry-delay", "0.05",
        "--no-progress"]  # fmt: skip

FLIP = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
FLIP_NUMPY = "import numpy as np\n\n\ndef transform(grid):\n    return np.fliplr(np.array(grid))\n"
# Right on width-3 grids only: the first test input (3 wide), wrong on the second (4 wide).
FLIP_WIDTH3 = ("def transform(grid):\n    if len(grid[0]) == 3:\n"
               "        return [row[::-1] for row in grid]\n    return [row[:] for row in grid]\n")
IDENTITY = "def transform(grid):\n    return [row[:] for row in grid]\n"
CRASH = "def transform(grid):\n    return grid[99]\n"
HARDCODED = "def transform(grid):\n    return [[3, 2, 1], [6, 5, 4]]\n"

TRAIN = [
    {"input": [[1, 2, 3], [4, 5, 6]], "output": [[3, 2, 1], [6, 5, 4]]},
    {"input": [[0, 1, 1], [2, 0, 0]], "output": [[1, 1, 0], [0, 0, 2]]},
]
TEST_TWO = [
    {"input": [[7, 8, 9], [9, 9, 0]], "output": [[9, 8, 7], [0, 9, 9]]},
    {"input": [[5, 6, 7, 8]], "output": [[8, 7, 6, 5]]},
]
TEST_ONE = [{"input": [[4, 4, 7], [8, 3, 3]], "output": [[7, 4, 4], [3, 3, 8]]}]


def _write_tasks(root: Path, tasks: dict[str, list]) -> Path:
    data = root / "tasks"
    data.mkdir()
    for task_id, test in tasks.items():
        (data / f"{task_id}.json").write_text(json.dumps({"train": TRAIN, "test": test}))
    return data


def _replay(root: Path, entries: list[tuple[str, str]]) -> Path:
    path = root / "replay.jsonl"
    path.write_text("".join(json.dumps({"task": t, "code": c}) + "\n" for t, c in entries))
    return path


def _eval(tmp_path: Path, *args: str, run_id: str = "r1"):
    base = ["eval", "arc", "--model", "mock", "--out-dir", str(tmp_path / "runs"),
            "--run-id", run_id, *FAST]  # fmt: skip
    result = CliRunner().invoke(main, [*base, *args],
                                env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None,
                                     "ATTEMPTS": None, "MOCK_POLICY": None})  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    run_dir = tmp_path / "runs" / run_id
    assert undeclared(run_dir) == []
    return result, run_dir, json.loads((run_dir / "summary.json").read_text())


def test_mock_arc_policy_on_shortest_training_10(tmp_path: Path) -> None:
    """The done-when command: the seeded arc mix offers rotate_180 (a fitting program) for
    6150a2bd within 4 attempts, so the 180-degree rotation task is solved."""
    # (The first three tasks of the subset: each task's replies are seeded by the task alone,
    # so these are the answers the whole subset gets; the full subset took 25 s.)
    result, run_dir, summary = _eval(tmp_path, "--dataset", "arc-agi-1", "--subset",
                                     "shortest_training_10", "--limit", "3", "--attempts", "4",
                                     "--mock-seed", "0")  # fmt: skip
    assert summary["task_ids"][:2] == ["6150a2bd", "d631b094"]
    assert len(summary["tasks"]) == 3
    t = summary["tasks"]["6150a2bd"]
    assert t["score"] == 1.0 and t["oracle"] is True and t["train_perfect"] is True
    m = summary["metrics"]
    assert m["responses"] == 12 and m["tasks"] == 3
    assert 0 < m["score"] <= m["oracle_score"] <= 1.0
    for tid, task in summary["tasks"].items():
        log = json.loads((run_dir / "tasks" / f"{tid}.json").read_text())
        assert log["task_id"] == tid and len(log["attempts"]) == 4
        assert log["messages"][0]["role"] == "system"
        assert {"score", "oracle", "train_perfect", "weighted_guesses",
                "train_majority_guesses"} <= set(task)  # fmt: skip
    # hostile programs from the mix ran in the sandbox and did nothing to the host
    assert not Path("/tmp/pwned").exists()
    assert "official score" in result.output and "run directory" in result.output
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["task_family"] == "arc" and manifest["status"] == "complete"
    assert manifest["schema"] == "harness.manifest/1" and len(manifest["invocations"]) == 1
    assert manifest["config"]["mock_policy"] == "arc" and manifest["config"]["attempts"] == 4


def test_pixel_accuracy_in_the_summary_and_pass_at_k_in_analyze(tmp_path: Path) -> None:
    """Run-level pixels are the sum of the tasks' (the cells of every test output, whatever the
    attempts did), and analyze's pass@attempts is the run's oracle rate."""
    result, run_dir, summary = _eval(tmp_path, "--limit", "2", "--attempts", "2",
                                     "--workers", "1")  # fmt: skip
    m, tasks = summary["metrics"], summary["tasks"]
    cells = {tid: find_task("arc-agi-1", tid).test_cells for tid in summary["task_ids"]}
    assert set(tasks) == set(cells) and len(cells) == 2
    for tid, task in tasks.items():
        assert task["total_pixels"] == cells[tid]
        assert 0 <= task["correct_pixels"] <= task["total_pixels"]
        assert task["pixel_accuracy"] == round(task["correct_pixels"] / task["total_pixels"], 6)
        assert task["score"] < 1.0 or task["correct_pixels"] == task["total_pixels"]
    assert m["total_pixels"] == sum(cells.values())
    assert m["correct_pixels"] == sum(t["correct_pixels"] for t in tasks.values())
    assert m["pixel_accuracy"] == round(m["correct_pixels"] / m["total_pixels"], 6)
    assert summary["runs"][0]["metrics"]["pixel_accuracy"] == m["pixel_accuracy"]
    assert f"pixel accuracy {m['correct_pixels']}/{m['total_pixels']}" in result.output

    analyzed = CliRunner().invoke(main, ["analyze", str(run_dir), "--no-plots"])
    assert analyzed.exit_code == 0, analyzed.output
    assert "ARC pass@k" in analyzed.output
    with open(run_dir / "analysis" / "arc_pass_at_k.csv") as f:
        curve = list(csv.DictReader(f))
    assert [int(r["k"]) for r in curve] == [1, 2]
    assert float(curve[0]["pass_at_k"]) <= float(curve[1]["pass_at_k"])
    assert float(curve[1]["pass_at_k"]) == pytest.approx(m["oracle_rate"], abs=1e-6)


def test_replay_scores_every_test_input_and_fractional_credit(tmp_path: Path) -> None:
    data = _write_tasks(tmp_path, {"both": TEST_TWO, "first_only": TEST_TWO, "vote": TEST_ONE})
    replay = _replay(tmp_path, [
        ("both", FLIP), ("both", FLIP_NUMPY),
        ("first_only", FLIP_WIDTH3), ("first_only", FLIP_WIDTH3),
        # voting: a crash and a wrong program never beat the train-perfect answer
        ("vote", CRASH), ("vote", IDENTITY), ("vote", FLIP), ("vote", IDENTITY),
    ])  # fmt: skip
    _, run_dir, summary = _eval(tmp_path, "--data-dir", str(data), "--subset", "all_training",
                                "--attempts", "4", "--mock-policy", f"replay:{replay}")
    tasks = summary["tasks"]
    assert tasks["both"]["score"] == 1.0 and tasks["both"]["all_test_solved"] is True
    assert tasks["both"]["weighted_guesses"][0] == [t["output"] for t in TEST_TWO]
    assert tasks["first_only"]["score"] == 0.5
    assert tasks["first_only"]["oracle"] is False and tasks["first_only"]["oracle_score"] == 0.5
    assert tasks["first_only"]["train_perfect"] is True
    assert tasks["vote"]["score"] == 1.0
    assert tasks["vote"]["candidates"] == 3  # the crash does not vote
    assert tasks["vote"]["weighted_guesses"][0] == [TEST_ONE[0]["output"]]
    # train-majority: only the train-perfect FLIP group qualifies
    assert tasks["vote"]["train_majority_guesses"] == [[TEST_ONE[0]["output"]]]
    assert summary["metrics"]["score"] == (1.0 + 0.5 + 1.0) / 3
    log = json.loads((run_dir / "tasks" / "first_only.json").read_text())
    a = log["attempts"][0]
    assert a["test_verdicts"] == ["correct", "wrong"] and a["train_verdicts"] == ["correct"] * 2
    assert a["test_predictions"][1] == [[5, 6, 7, 8]]
    crash = [x for x in json.loads((run_dir / "tasks" / "vote.json").read_text())["attempts"]
             if x["code"] == CRASH.rstrip()]  # fmt: skip
    assert crash and crash[0]["test_verdicts"] == ["exception"]


def test_transduction_filter_and_switch(tmp_path: Path) -> None:
    data = _write_tasks(tmp_path, {"hc": TEST_ONE})
    replay = _replay(tmp_path, [("hc", HARDCODED), ("hc", IDENTITY)])
    _, run_dir, summary = _eval(tmp_path, "--data-dir", str(data), "--subset", "all_training",
                                "--attempts", "2", "--mock-policy", f"replay:{replay}")
    log = json.loads((run_dir / "tasks" / "hc.json").read_text())
    hard = [a for a in log["attempts"] if "[[3, 2, 1]" in (a["code"] or "")][0]
    assert hard["transductive"] is True and hard["executed"] is False
    assert hard["outcome"] == "transductive" and hard["train_verdicts"] == ["not_run"] * 2
    assert summary["tasks"]["hc"]["candidates"] == 1 and summary["tasks"]["hc"]["transductive"] == 1
    assert summary["metrics"]["transductive"] == 1

    _, run_dir, summary = _eval(tmp_path, "--data-dir", str(data), "--subset", "all_training",
                                "--attempts", "2", "--mock-policy", f"replay:{replay}",
                                "--no-transduction-filter", run_id="r2")  # fmt: skip
    log = json.loads((run_dir / "tasks" / "hc.json").read_text())
    hard = [a for a in log["attempts"] if "[[3, 2, 1]" in (a["code"] or "")][0]
    assert hard["transductive"] is True and hard["executed"] is True
    assert hard["train_verdicts"] == ["correct", "wrong"]
    # it now votes, and its train accuracy makes it the top guess
    assert summary["tasks"]["hc"]["candidates"] == 2
    assert summary["tasks"]["hc"]["weighted_guesses"][0] == [[[3, 2, 1], [6, 5, 4]]]


def test_multi_turn_feedback_stops_when_train_solved_and_never_leaks(tmp_path: Path) -> None:
    data = _write_tasks(tmp_path, {"mt": TEST_TWO})
    replay = _replay(tmp_path, [("mt", IDENTITY), ("mt", FLIP), ("mt", CRASH)])
    _, run_dir, summary = _eval(tmp_path, "--data-dir", str(data), "--subset", "all_training",
                                "--attempts", "1", "--concurrency", "1", "--max-turns", "4",
                                "--mock-policy", f"replay:{replay}")  # fmt: skip
    log = json.loads((run_dir / "tasks" / "mt.json").read_text())
    attempt = log["attempts"][0]
    assert attempt["turns_used"] == 2  # turn 2 solved every train pair: no turn 3
    turns = attempt["turns"]
    assert turns[0]["train_verdicts"] == ["wrong", "wrong"]
    assert turns[1]["train_verdicts"] == ["correct", "correct"]
    assert attempt["code"].strip() == FLIP.strip() and attempt["all_train_correct"] is True
    assert summary["tasks"]["mt"]["score"] == 1.0
    feedback = turns[0]["feedback"]
    assert "Training examples solved: 0/2" in feedback
    assert format_grid(TRAIN[0]["input"]) in feedback  # its own wrong output (identity)
    conversation = log["messages"] + turns[1]["messages_added"]
    assert conversation[-1]["content"] == feedback
    sent = "\n".join(m["content"] for m in conversation)
    for test in TEST_TWO:
        assert format_grid(test["output"]) not in sent
        assert str(test["output"]) not in sent
    assert "test" not in feedback.lower()
    # usage is summed over the turns
    assert attempt["prompt_tokens"] == sum(t["usage"]["prompt_tokens"] for t in turns)


def test_repeat_runs_aggregate(tmp_path: Path) -> None:
    data = _write_tasks(tmp_path, {"rr": TEST_ONE})
    replay = _replay(tmp_path, [("rr", FLIP), ("rr", FLIP), ("rr", IDENTITY), ("rr", IDENTITY)])
    result, run_dir, summary = _eval(tmp_path, "--data-dir", str(data), "--subset",
                                     "all_training", "--attempts", "2", "--repeat-runs", "2",
                                     "--concurrency", "1", "--mock-policy",
                                     f"replay:{replay}")  # fmt: skip
    assert summary["n_runs"] == 2 and len(summary["runs"]) == 2
    assert (run_dir / "tasks" / "rr_run1.json").is_file()
    assert (run_dir / "tasks" / "rr_run2.json").is_file()
    agg = json.loads((run_dir / "aggregate.json").read_text())["metrics"]
    scores = sorted(r["metrics"]["score"] for r in summary["runs"])
    assert agg["score"]["n"] == 2 and sorted(agg["score"]["values"]) == scores
    assert agg["score"]["ci_low"] <= agg["score"]["mean"] <= agg["score"]["ci_high"]
    assert "aggregate over runs" in result.output
    # run 1 flips (6 of 6 cells), run 2 copies the input (2 of 6); each run pools its own
    assert sorted(agg["pixel_accuracy"]["values"]) == [round(2 / 6, 6), 1.0]
    assert "2/6 (0.333)" in result.output and "6/6 (1.000)" in result.output


def test_dry_run_and_user_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "arc", "--model", "gpt-5", "--subset",
                                       "shortest_training_1", "--dry-run"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6150a2bd" in result.output and "## Test Input 1" in result.output
    result = CliRunner().invoke(main, ["eval", "arc", "--subset", "no_such_subset",
                                       "--dry-run"])  # fmt: skip
    assert result.exit_code == 2 and "no_such_subset" in result.output
