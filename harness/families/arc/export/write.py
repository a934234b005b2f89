"""Writing an export: ``train``/``validation`` as JSONL and Parquet, plus the export's info.

The seed pushes its dataset to the Hugging Face Hub; this harness runs without network access
(and must never hold a hub token), so it writes the same table locally instead: one Parquet
file per split with the seed's column types (grids as lists of lists of int64, correctness as
lists of bools), which ``datasets.load_dataset("parquet", data_files=...)`` reads as it is and
``huggingface-cli upload`` can publish. The JSONL files hold the same rows for tools that
prefer text. Every file is replaced atomically and never written through a link.

Two layouts. ``--out DIR`` (`folder_layout`): ``DIR/train.jsonl``, ``DIR/validation.jsonl``,
their ``.parquet`` twins and ``DIR/export.json``, both splits always (an empty one as empty
files, so a reader never finds an older export's data). ``--output FILE`` (`file_layout`), the
seed's one-file habit and its naming: without a validation split the records go to FILE
itself; with one, to ``<stem>_train<suffix>`` and ``<stem>_val<suffix>`` (the seed's report:
``training_data_train.jsonl``, ``training_data_val.jsonl``). The Parquet twins take the same
stems, and the info goes to ``<stem>.export.json``, so several exports can share a folder.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.safe_io import make_folder, write_atomic
from harness.untrusted_text import printable

SPLITS = ("train", "validation")


@dataclass(frozen=True)
class Layout:
    """Where an export's files go: one folder, a (JSONL, Parquet) pair of names per split
    written, and the name of the info file."""

    folder: Path
    files: dict[str, tuple[str, str]]
    info: str

    def parquet_names(self) -> list[str]:
        """The Parquet files: what an upload publishes (the JSONL twins are for local tools)."""
        return [parquet for _, parquet in self.files.values()]


def folder_layout(out: Path) -> Layout:
    """``--out DIR``: ``<split>.jsonl``/``.parquet`` for both splits and ``export.json``."""
    return Layout(Path(out), {s: (f"{s}.jsonl", f"{s}.parquet") for s in SPLITS}, "export.json")


def file_layout(output: Path, split: bool) -> Layout:
    """``--output FILE``, named as the seed names its files (module docstring); a FILE that
    could not hold JSONL beside its Parquet twin is one line."""
    output = Path(output)
    if output.suffix == ".parquet":
        raise UserError(f"--output {printable(output)}: name the JSONL file; its .parquet twin "
                        "is written beside it")
    if not output.name or output.name in (".", ".."):
        raise UserError(f"--output {printable(output)}: name a file (use --out for a folder)")
    try:
        is_folder = stat.S_ISDIR(os.lstat(output).st_mode)
    except OSError:
        is_folder = False
    if is_folder:
        raise UserError(f"--output {printable(output)} is a folder; name a file in it, or use "
                        "--out DIR")
    stem, suffix = output.stem, output.suffix
    if split:
        files = {"train": (f"{stem}_train{suffix}", f"{stem}_train.parquet"),
                 "validation": (f"{stem}_val{suffix}", f"{stem}_val.parquet")}
    else:
        files = {"train": (output.name, f"{stem}.parquet")}
    return Layout(output.parent, files, f"{stem}.export.json")


def _schema(messages: bool) -> Any:
    """The Parquet schema: the seed's competition columns, then this harness's extras."""
    import pyarrow as pa

    grids = pa.list_(pa.list_(pa.list_(pa.int64())))
    columns = [
        ("task_id", pa.string()), ("reasoning", pa.string()), ("code", pa.string()),
        ("train_input", grids), ("train_output", grids), ("predicted_train_output", grids),
        ("correct_train_input", pa.list_(pa.bool_())),
        ("test_input", grids), ("test_output", grids), ("predicted_test_output", grids),
        ("correct_test_input", pa.list_(pa.bool_())),
        ("model", pa.string()), ("generation", pa.int64()),
        ("dataset", pa.string()), ("subset", pa.string()), ("source_run", pa.string()),
        ("source_attempt", pa.int64()),
    ]  # fmt: skip
    if messages:
        message = pa.struct([("role", pa.string()), ("content", pa.string())])
        columns += [("messages", pa.list_(message)), ("completion", pa.string())]
    return pa.schema(columns)


def _utf8(text: Any) -> Any:
    """A string Parquet can store: a lone surrogate (JSON can carry one: "\\ud800", e.g. in a
    model's reasoning) becomes the text ``\\ud800`` instead of failing the whole export."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(
        text, str) else text


def _parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: _utf8(v) for k, v in row.items()}
    if "messages" in row:
        out["messages"] = [{k: _utf8(v) for k, v in m.items()} for m in row["messages"]]
    return out


def write_export(records: list[dict[str, Any]], out: Path | Layout, *, messages: bool = False,
                 info: dict[str, Any] | None = None) -> dict[str, Path]:
    """Each split of ``out`` (a folder: `folder_layout`) as JSONL and Parquet, even when empty,
    and ``info`` (plus the names of the files written) as the info file. Returns the JSONL path
    of each split."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    layout = out if isinstance(out, Layout) else folder_layout(out)
    stray = {r["split"] for r in records} - set(layout.files)
    if stray:
        raise ValueError(f"records of split(s) {sorted(stray)} have no file in this layout")
    folder = make_folder(layout.folder)
    schema = _schema(messages)
    written: dict[str, Path] = {}
    for split, (jsonl, parquet) in layout.files.items():
        rows = [{k: v for k, v in r.items() if k != "split"} for r in records
                if r["split"] == split]
        write_atomic(folder / jsonl, "".join(json.dumps(row, separators=(",", ":")) + "\n"
                                             for row in rows), root=folder)  # fmt: skip
        buf = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist([_parquet_row(r) for r in rows], schema=schema), buf)
        write_atomic(folder / parquet, buf.getvalue().to_pybytes(), root=folder)
        written[split] = folder / jsonl
    if info is not None:
        files = [name for pair in layout.files.values() for name in pair]
        write_atomic(folder / layout.info, json.dumps({**info, "files": files}, indent=2)
                     + "\n", root=folder)  # fmt: skip
    return written
