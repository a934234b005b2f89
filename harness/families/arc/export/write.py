"""Writing an export: ``train``/``validation`` as JSONL and Parquet, plus ``export.json``.

The seed pushes its dataset to the Hugging Face Hub; this harness runs without network access
(and must never hold a hub token), so it writes the same table locally instead: one Parquet
file per split with the seed's column types (grids as lists of lists of int64, correctness as
lists of bools), which ``datasets.load_dataset("parquet", data_files=...)`` reads as it is and
``huggingface-cli upload`` can publish. The JSONL files hold the same rows for tools that
prefer text. Every file is replaced atomically and never written through a link.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.safe_io import make_folder, write_atomic

SPLITS = ("train", "validation")


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


def write_export(records: list[dict[str, Any]], out: Path, *, messages: bool = False,
                 info: dict[str, Any] | None = None) -> dict[str, Path]:
    """``<split>.jsonl`` and ``<split>.parquet`` for both splits (an empty split gives empty
    files, so a reader never finds last export's data), and ``export.json`` from ``info``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = make_folder(out)
    schema = _schema(messages)
    written: dict[str, Path] = {}
    for split in SPLITS:
        rows = [{k: v for k, v in r.items() if k != "split"} for r in records
                if r["split"] == split]
        jsonl = out / f"{split}.jsonl"
        write_atomic(jsonl, "".join(json.dumps(row, separators=(",", ":")) + "\n"
                                    for row in rows), root=out)  # fmt: skip
        buf = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist([_parquet_row(r) for r in rows], schema=schema), buf)
        write_atomic(out / f"{split}.parquet", buf.getvalue().to_pybytes(), root=out)
        written[split] = jsonl
    if info is not None:
        write_atomic(out / "export.json", json.dumps(info, indent=2) + "\n", root=out)
    return written
