"""The hidden-mapping family's prompt: the train lines it shows, what it hides, its wording."""

from __future__ import annotations

from harness.families.erm.task import build_prompt, load_task, problem_statement


def test_prompt_has_every_train_line_verbatim_and_no_val_or_test(tmp_path):
    task = load_task("fn_a", 20, test_size=200, dataset_dir=tmp_path)
    prompt = task.prompt
    block = prompt.split("```\n", 1)[1].split("\n```", 1)[0]
    assert block.splitlines() == [f"{x} -> {y}" for x, y in zip(
        task.train_inputs, (line.split(" -> ")[1] for line in block.splitlines()), strict=True)]
    assert len(block.splitlines()) == 100
    for x in task.eval_inputs:
        assert x not in prompt
    assert '{"code": "<python function>"}' in prompt
    assert "binary strings of length 20" in prompt and "not be a trainable model" in prompt
    assert task.messages() == [{"role": "user", "content": prompt}]
    assert task.task_id == "fn_a/L20" and len(task.eval_inputs) == 300


def test_decimal_and_tabular_wording():
    assert "decimal digit strings of length 20" in problem_statement("fn_i", 20)
    assert "decimal" in problem_statement("fn_k", 30)
    tab = problem_statement("fn_m", 14)
    assert "14 features" in tab and "dict" in tab
    prompt = build_prompt("fn_p", 8, [("x0:1.00,x1:c2", "1")])
    assert "```\nx0:1.00,x1:c2 -> 1\n```" in prompt
