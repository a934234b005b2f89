"""Hidden-mapping (LLM-ERM / LLM-PV) tasks: the grid, dataset loading and host-side scoring.

One `ErmTask` per grid point (fn, L). It holds the prompt (train lines verbatim, in the wording
of its prompt version: `harness.families.erm.prompt`), the program
inputs of validation then test (tabular rows already parsed to the dict a program receives) and
the labels, which stay on the host: the sandbox receives `eval_inputs` only, once, as a Batch.
Nothing here executes code; `evaluate` asks a sandbox pool and scores what comes back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generators import TARGETS, DatasetError, build_dataset
from harness.errors import UserError
from harness.families.erm.prompt import DEFAULT_PROMPT_VERSION, build_prompt
from harness.judge.extract import extract_code
from harness.judge.scoring import normalise_binary_label
from harness.judge.transduction import detect_lookup_table
from harness.models.base import Completion
from harness.sandbox.limits import ERROR_VERDICTS, Limits
from harness.sandbox.results import ProgramResult

if TYPE_CHECKING:
    from harness.sandbox.backend import Backend

ERROR_KINDS: tuple[str, ...] = ERROR_VERDICTS
"""Per-input error kinds counted for every attempt (syntax ... crash)."""


# ---------------------------------------------------------------------- tasks
@dataclass
class ErmTask:
    """One grid point, ready to be attempted. Labels never leave this object."""

    fn: str
    length: int
    prompt: str
    train_inputs: list[str]
    eval_inputs: list[Any]  # val then test, as the program receives them
    val_labels: list[str]
    test_labels: list[str]
    meta: dict[str, Any]
    path: Path
    prompt_version: str = DEFAULT_PROMPT_VERSION
    dataset_source: str = "reused"  # or "generated": whether the cache held the dataset
    batch: Any = field(default=None, repr=False)  # the sandbox Batch of eval_inputs, once made

    @property
    def task_id(self) -> str:
        return f"{self.fn}/L{self.length}"

    @property
    def key(self) -> dict[str, Any]:
        return {"fn": self.fn, "length": self.length}

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.prompt}]

    def extract(self, completion: Completion) -> str | None:
        return extract_code(completion.text, completion.reasoning_text)

    def row_fields(self) -> dict[str, Any]:
        """Dataset facts copied into every row."""
        return {
            "prompt_version": self.prompt_version,
            "target_name": self.meta.get("target_name"),
            "global_seed": self.meta.get("base_seed"),
            "dataset_seed": self.meta.get("derived_seed"),
            "dataset_path": str(self.path),
            "train_size": len(self.train_inputs),
            "val_size": len(self.val_labels),
            "test_size": len(self.test_labels),
        }

    async def evaluate(self, code: str, pool: Backend, limits: Limits) -> dict[str, Any]:
        """Run `code` on val+test inputs in the sandbox and score it on the host."""
        if self.batch is None:
            self.batch = pool.batch(self.eval_inputs)
        result = await pool.arun(code, self.batch, limits=limits)
        fields_ = score_result(result, self.val_labels, self.test_labels)
        flagged, reason = detect_lookup_table(code, self.train_inputs)
        fields_["transductive"] = flagged
        fields_["transductive_reason"] = reason
        return fields_


def grid_points(functions: tuple[str, ...], lengths: tuple[int, ...],
                notice: Callable[[str], None] | None = None) -> list[tuple[str, int]]:
    """(fn, L) pairs: every function with `lengths` (or its own defaults; tabular: fixed).

    fn_h reads bit pairs as brackets and a balanced word has an even number of them, so its L
    must be a multiple of 4. When a given length is not (the seed tools' common grid
    ``100 50 30 25 20`` has three such), fn_h runs at its own lengths instead, as the seed tools
    do, and ``notice`` hears one line saying so: a grid meant for every function should run,
    not stop on fn_h.
    """
    unknown = [f for f in functions if f not in TARGETS]
    if unknown:
        raise UserError(f"unknown function(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    bad = [L for L in lengths if L < 1]
    if bad:
        raise UserError(f"lengths must be positive, got {bad[0]}")
    points: list[tuple[str, int]] = []
    for fn in functions:
        spec = TARGETS[fn]
        use = spec.default_lengths if spec.kind == "tabular" or not lengths else lengths
        odd = [L for L in use if fn == "fn_h" and L % 4]
        if odd:
            use = spec.default_lengths
            if notice is not None:
                notice(f"fn_h (dyck2) needs lengths that are multiples of 4 "
                       f"({' '.join(map(str, odd))} {'is' if len(odd) == 1 else 'are'} not): "
                       f"it runs at its own lengths "
                       f"{' '.join(map(str, use))}, as the seed tools do")  # fmt: skip
        for L in use:
            if (fn, L) not in points:
                points.append((fn, L))
    return points


def load_task(fn: str, length: int, *, train_size: int = 100, val_size: int = 100,
              test_size: int = 10000, seed: int = 42, dataset_dir: str | Path = "datasets",
              tabular_dir: str | Path | None = None,
              prompt_version: str = DEFAULT_PROMPT_VERSION) -> ErmTask:
    """Build (or reuse from the cache) the dataset of one grid point and make its task."""
    status: list[str] = []  # build_dataset says "cached" or "generated"
    try:
        ds = build_dataset(fn, length, train_size, val_size, test_size, seed, dataset_dir,
                           progress=status.append, tabular_dir=tabular_dir)  # fmt: skip
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    tabular = TARGETS[fn].kind == "tabular"
    if tabular:
        from generators.tabular import parse_row

        def to_program(x: str) -> Any:
            return parse_row(x)
    else:

        def to_program(x: str) -> Any:
            return x

    eval_rows = ds.val + ds.test
    return ErmTask(
        fn=fn,
        length=int(ds.meta["length"]),
        prompt=build_prompt(fn, int(ds.meta["length"]), ds.train, prompt_version),
        train_inputs=[x for x, _ in ds.train],
        eval_inputs=[to_program(x) for x, _ in eval_rows],
        val_labels=[y for _, y in ds.val],
        test_labels=[y for _, y in ds.test],
        meta=ds.meta,
        path=ds.path,
        prompt_version=prompt_version,
        dataset_source="generated" if "generated" in status else "reused",
    )


# ---------------------------------------------------------------------- scoring
def score_result(result: ProgramResult, val_labels: list[str],
                 test_labels: list[str]) -> dict[str, Any]:
    """val/test accuracy (errors count as wrong) and error counts by kind over val+test.

    An `ok` verdict whose value does not normalise to '0'/'1' counts as `invalid_output`.
    A fatal verdict (the program never reached its inputs) becomes `compile_error`.
    """
    n_val = len(val_labels)
    labels = list(val_labels) + list(test_labels)
    if len(result.verdicts) != len(labels):
        raise ValueError(f"{len(result.verdicts)} verdicts for {len(labels)} inputs")
    errors: Counter[str] = Counter()
    hits_val = hits_test = 0
    for i, (v, label) in enumerate(zip(result.verdicts, labels, strict=True)):
        if v.verdict == "ok":
            pred = normalise_binary_label(v.output)
            if pred is None:
                errors["invalid_output"] += 1
                continue
            if pred == label:
                if i < n_val:
                    hits_val += 1
                else:
                    hits_test += 1
        else:
            errors[v.verdict] += 1
    compile_error = result.fatal.verdict if result.fatal is not None else None
    return {
        "val_acc": hits_val / n_val if n_val else 0.0,
        "test_acc": hits_test / len(test_labels) if test_labels else 0.0,
        "compile_error": compile_error,
        "compile_error_detail": result.fatal.detail if result.fatal is not None else None,
        "errors": {k: errors.get(k, 0) for k in ERROR_KINDS},
        "first_error": _first_error(result),
        "sandbox_cpu_s": round(result.cpu_s, 4),
        "sandbox_wall_s": round(result.wall_s, 4),
        "sandbox_retried": result.retried,
    }


def _first_error(result: ProgramResult) -> str | None:
    for v in result.verdicts:
        if v.verdict != "ok":
            return f"{v.verdict}: {v.detail}"[:300] if v.detail else v.verdict
    return None


def attempt_outcome(row: dict[str, Any]) -> str:
    """One word per attempt for summaries: api_error/timeout, no_code_found, the fatal kind,
    the most frequent per-input error kind, or ok."""
    if row.get("api_error"):
        return str(row["api_error"])
    if row.get("compile_error"):
        return str(row["compile_error"])
    errors = row.get("errors") or {}
    worst = max(errors.items(), key=lambda kv: kv[1], default=(None, 0))
    return str(worst[0]) if worst[1] else "ok"
