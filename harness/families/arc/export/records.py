"""Hindsight-relabelled training data from ARC run logs.

A program that ran cleanly on every train input defines a task of its own: whatever it output
*is* the right answer for that task. So each such program becomes a new (prompt, program) pair
whose prompt shows the program's actual outputs. Test-correct programs are kept as they are;
duplicates within a source task are dropped (test-correct ones by normalised code, the rest by
their train outputs, which is what a learner would see); hard-coded (transductive) programs
never teach anything. No program is executed.

The logs may come from someone else's run directory: they are read with `harness.safe_io` (no
link followed, no FIFO, size and depth caps) and checked by `harness.run.schema`; a malformed
log is one error line. The output files are replaced atomically (never written through a link).
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.families.arc.data import ArcPair, ArcTask
from harness.families.arc.prompt import DEFAULT_VERSION, build_messages
from harness.judge.scoring import validate_grid
from harness.run import schema as run_schema
from harness.safe_io import RunFileError, list_files, read_json, write_atomic


@dataclass
class ExportCounts:
    logs: int = 0
    attempts: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"logs": self.logs, "attempts": self.attempts, "kept": self.kept,
                "dropped": dict(self.dropped)}


def strip_comments(code: str) -> str | None:
    """Code without comments (docstrings kept); None when the result no longer compiles."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type != tokenize.COMMENT]
        stripped = tokenize.untokenize(tokens)
        compile(stripped, "<program>", "exec")  # compile only: nothing runs
    except (SyntaxError, tokenize.TokenError, ValueError, RecursionError, MemoryError):
        return None  # a program nested too deep for the compiler teaches nothing either
    return "\n".join(line.rstrip() for line in stripped.splitlines()).strip() + "\n"


def normalise_code(code: str) -> str:
    """Code with comments, docstrings and layout removed: two spellings of one program match."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code.strip()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    try:
        return ast.unparse(tree)
    except RecursionError:  # an expression nested deeper than unparse recurses
        return code.strip()


def _grids(values: Iterable[Any]) -> list[list[list[int]]] | None:
    out = []
    for v in values:
        grid = validate_grid(v)
        if grid is None:
            return None
        out.append(grid)
    return out


def _log_files(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(task log, its run directory) for every run directory given."""
    from harness.untrusted_text import printable

    files: list[tuple[Path, Path]] = []
    for path in paths:
        path = Path(path)
        not_arc = UserError(f"{printable(path)} is not an ARC run directory (no manifest.json "
                            "and tasks/)")
        try:
            manifest = read_json(path / "manifest.json", root=path)
        except (FileNotFoundError, NotADirectoryError):
            raise not_arc from None
        run_schema.check_manifest(manifest, str(path / "manifest.json"))
        logs = list_files(path / "tasks", ".json", root=path)
        if not (path / "tasks").is_dir():
            raise not_arc
        if manifest.get("task_family") not in (None, "arc"):
            raise UserError(f"{printable(path)} is a {printable(manifest['task_family'])} run, "
                            "not an ARC run")
        files += [(log, path) for log in logs]
    return files


def _read_log(path: Path, root: Path) -> dict[str, Any]:
    """One task log, checked: the fields used below have their types, inputs are grids."""
    from harness.untrusted_text import printable

    log = read_json(path, root=root)
    run_schema.check_task_log(log, str(path))
    log.setdefault("task_id", path.stem)
    for split in ("train", "test"):
        if _grids(p.get("input") for p in log.get(split) or []) is None:
            raise RunFileError(f"{printable(path)}: a {split} input is not a grid")
    return log


def _in_validation(task_id: str, fraction: float) -> bool:
    """Whole source tasks go to validation (by a hash of the id), so no task leaks across."""
    digest = int(hashlib.sha256(task_id.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < fraction


def export_records(run_dirs: Iterable[Path], *, strip: bool = False, reasoning: bool = False,
                   val_fraction: float = 0.1,
                   prompt_version: str = DEFAULT_VERSION) -> tuple[list[dict], ExportCounts]:
    counts = ExportCounts()
    seen_code: set[str] = set()
    seen_outputs: set[str] = set()
    records: list[dict] = []
    for log_path, run_dir in _log_files(run_dirs):
        log = _read_log(log_path, run_dir)
        counts.logs += 1
        train_inputs = [p["input"] for p in log.get("train") or []]
        test_inputs = [p["input"] for p in log.get("test") or []]
        source = log["task_id"]
        for attempt in log.get("attempts") or []:
            counts.attempts += 1
            code = attempt.get("code")
            if not code:
                counts.dropped["no_program"] += 1
                continue
            if attempt.get("transductive"):
                counts.dropped["transductive"] += 1
                continue
            verdicts = attempt.get("train_verdicts") or []
            if len(verdicts) != len(train_inputs) or any(
                    v not in ("correct", "wrong") for v in verdicts):
                counts.dropped["train_errors"] += 1
                continue
            train_outputs = _grids(attempt.get("train_predictions") or [])
            if train_outputs is None or len(train_outputs) != len(train_inputs):
                counts.dropped["invalid_train_output"] += 1
                continue
            test_correct = bool(attempt.get("test_correct")) and all(attempt["test_correct"])
            if strip:
                stripped = strip_comments(code)
                if stripped is None:
                    counts.dropped["strip_broke_compile"] += 1
                    continue
                code = stripped
            key_code = source + "\0" + normalise_code(code)
            key_outputs = hashlib.sha256(json.dumps(
                [source, train_outputs]).encode()).hexdigest()
            if test_correct:
                if key_code in seen_code:
                    counts.dropped["duplicate_code"] += 1
                    continue
                seen_code.add(key_code)
            else:
                if key_outputs in seen_outputs:
                    counts.dropped["duplicate_outputs"] += 1
                    continue
                seen_outputs.add(key_outputs)
            test_outputs = _grids(attempt.get("test_predictions") or [])
            relabelled = ArcTask(
                task_id=f"{source}.r{len(records)}",
                train=[ArcPair(i, o) for i, o in zip(train_inputs, train_outputs, strict=True)],
                test=[ArcPair(i, None) for i in test_inputs])
            completion = f"```python\n{code.rstrip()}\n```"
            if reasoning and test_correct and attempt.get("reasoning_text"):
                completion = attempt["reasoning_text"].strip() + "\n\n" + completion
            records.append({
                "id": relabelled.task_id, "source_task": source, "source_run": log.get("run_id"),
                "source_attempt": attempt.get("attempt"), "test_correct": test_correct,
                "split": "validation" if _in_validation(source, val_fraction) else "train",
                "messages": build_messages(relabelled, prompt_version),
                "completion": completion, "code": code,
                "train_inputs": train_inputs, "train_outputs": train_outputs,
                "test_inputs": test_inputs,
                "test_outputs": test_outputs if test_outputs and len(test_outputs) == len(
                    test_inputs) else None,
            })
            counts.kept += 1
    return records, counts


def write_export(records: list[dict], out: Path) -> dict[str, Path]:
    """JSONL and Parquet per split (the layout Hugging Face ``datasets`` loads directly)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for split in ("train", "validation"):
        rows = [r for r in records if r["split"] == split]
        jsonl = out / f"{split}.jsonl"
        write_atomic(jsonl, "".join(json.dumps(row, separators=(",", ":")) + "\n"
                                    for row in rows), root=out)  # fmt: skip
        flat = [{**r, "messages": json.dumps(r["messages"]),
                 "train_inputs": json.dumps(r["train_inputs"]),
                 "train_outputs": json.dumps(r["train_outputs"]),
                 "test_inputs": json.dumps(r["test_inputs"]),
                 "test_outputs": json.dumps(r["test_outputs"])} for r in rows]
        schema = pa.schema([(k, pa.string()) for k in (
            "id", "source_task", "source_run", "split", "messages", "completion", "code",
            "train_inputs", "train_outputs", "test_inputs", "test_outputs")]
            + [("source_attempt", pa.int64()), ("test_correct", pa.bool_())])
        table = pa.Table.from_pylist(flat, schema=schema)
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf)
        write_atomic(out / f"{split}.parquet", buf.getvalue().to_pybytes(), root=out)
        written[split] = jsonl
    return written
