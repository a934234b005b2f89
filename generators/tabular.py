"""Tabular LLM-PV tasks (fn_m..fn_q): loaders for the real UCI file formats, obfuscated rendering.

The raw files cannot be downloaded in the sandboxed test environment, so loaders read a local
directory (`fetch_tabular` fills it where a network exists). Rows are rendered as `x0:v,x1:v,...`:
numeric values pass through a per-feature affine map a_i*v+b_i (a_i, b_i ~ N(0,1) from the dataset
seed, 2 decimals) and categorical values become `c{k}`, k the rank among the column's sorted
distinct values, so the model cannot lean on feature names or domain knowledge.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generators.errors import DatasetError

RawTable = tuple[list[str], list[list[str]], list[bool]]  # feature names, raw rows, labels
MISSING = ("?", "")


@dataclass(frozen=True)
class TabularSource:
    """Where a tabular task's raw data lives and how to read it."""

    fn: str
    name: str
    files: tuple[str, ...]
    urls: tuple[str, ...]
    numeric: frozenset[str]
    load: Callable[[Path], RawTable]
    hint: str


def _read(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(path)
    return path.read_text(encoding="utf-8", errors="replace")


ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
    "native-country",
]  # fmt: skip


def load_adult(folder: Path) -> RawTable:
    """adult.data + adult.test: comma+space separated, '?' for missing, test labels end in '.'."""
    rows: list[list[str]] = []
    labels: list[bool] = []
    for name in ("adult.data", "adult.test"):
        for line in _read(folder / name).splitlines():
            if not line.strip() or line.startswith("|"):
                continue
            fields = [f.strip() for f in line.split(",")]
            if len(fields) != 15:
                raise DatasetError(f"{folder / name}: expected 15 fields, got {len(fields)}")
            rows.append(fields[:14])
            labels.append(fields[14].rstrip(".") == ">50K")
    return ADULT_COLUMNS, rows, labels


def _header_csv(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(_read(path)), delimiter=delimiter)
    table = [[c.strip() for c in r] for r in reader if r]
    if not table:
        raise DatasetError(f"{path} is empty")
    return table[0], table[1:]


def load_mushroom(folder: Path) -> RawTable:
    """secondary_data.csv: ';' separated with a header; first column 'class' is e/p."""
    path = folder / "secondary_data.csv"
    header, body = _header_csv(path, ";")
    if header[0] != "class":
        raise DatasetError(f"{path}: expected the first column to be 'class', got {header[0]!r}")
    return header[1:], [r[1:] for r in body], [r[0] == "e" for r in body]


def load_cdc(folder: Path) -> RawTable:
    """diabetes_binary_health_indicators_BRFSS2015.csv: header, Diabetes_binary label column."""
    path = folder / "diabetes_binary_health_indicators_BRFSS2015.csv"
    header, body = _header_csv(path, ",")
    if "Diabetes_binary" not in header:
        raise DatasetError(f"{path}: no Diabetes_binary column")
    y = header.index("Diabetes_binary")
    keep = [i for i, h in enumerate(header) if i != y and h.upper() != "ID"]
    return [header[i] for i in keep], [[r[i] for i in keep] for r in body], [
        float(r[y]) == 1.0 for r in body
    ]


def load_htru2(folder: Path) -> RawTable:
    """HTRU_2.csv: no header, 8 numeric features then the class (0/1)."""
    path = folder / "HTRU_2.csv"
    rows = [r for r in csv.reader(io.StringIO(_read(path))) if r]
    names = ["ip_mean", "ip_std", "ip_kurt", "ip_skew", "dm_mean", "dm_std", "dm_kurt", "dm_skew"]
    if any(len(r) != 9 for r in rows):
        raise DatasetError(f"{path}: expected 9 comma-separated fields per line")
    return names, [r[:8] for r in rows], [r[8].strip() == "1" for r in rows]


def load_chess(folder: Path) -> RawTable:
    """kr-vs-kp.data: 36 categorical attributes then won/nowin, no header."""
    path = folder / "kr-vs-kp.data"
    rows = [r for r in csv.reader(io.StringIO(_read(path))) if r]
    if any(len(r) != 37 for r in rows):
        raise DatasetError(f"{path}: expected 37 comma-separated fields per line")
    return [f"a{i}" for i in range(36)], [r[:36] for r in rows], [r[36] == "won" for r in rows]


_UCI = "https://archive.ics.uci.edu"
SOURCES: dict[str, TabularSource] = {
    "fn_m": TabularSource(
        "fn_m", "adult_income", ("adult.data", "adult.test"),
        (f"{_UCI}/ml/machine-learning-databases/adult/adult.data",
         f"{_UCI}/ml/machine-learning-databases/adult/adult.test"),
        frozenset({"age", "fnlwgt", "education-num", "capital-gain", "capital-loss",
                   "hours-per-week"}),
        load_adult, "UCI Adult (id 2)",
    ),
    "fn_n": TabularSource(
        "fn_n", "mushroom", ("secondary_data.csv",),
        (f"{_UCI}/static/public/848/secondary+mushroom+dataset.zip",),
        frozenset({"cap-diameter", "stem-height", "stem-width"}),
        load_mushroom, "UCI Secondary Mushroom (id 848)",
    ),
    "fn_o": TabularSource(
        "fn_o", "cdc_diabetes", ("diabetes_binary_health_indicators_BRFSS2015.csv",),
        (f"{_UCI}/static/public/891/cdc+diabetes+health+indicators.zip",),
        frozenset(),  # every column is numeric
        load_cdc, "UCI CDC Diabetes Health Indicators (id 891; also on Kaggle)",
    ),
    "fn_p": TabularSource(
        "fn_p", "htru2", ("HTRU_2.csv",), (f"{_UCI}/static/public/372/htru2.zip",),
        frozenset(),  # every column is numeric
        load_htru2, "UCI HTRU2 (id 372)",
    ),
    "fn_q": TabularSource(
        "fn_q", "chess", ("kr-vs-kp.data",),
        (f"{_UCI}/ml/machine-learning-databases/chess/king-rook-vs-king-pawn/kr-vs-kp.data",),
        frozenset(), load_chess, "UCI Chess (King-Rook vs. King-Pawn, id 22)",
    ),
}  # fmt: skip
ALL_NUMERIC = {"fn_o", "fn_p"}


def _source(fn: str) -> TabularSource:
    if fn not in SOURCES:
        raise DatasetError(f"{fn} is not a tabular task; tabular tasks: {', '.join(SOURCES)}")
    return SOURCES[fn]


def load_raw(fn: str, folder: str | Path) -> RawTable:
    """Read the raw table, or fail naming the missing file and where to put it."""
    src = _source(fn)
    folder = Path(folder)
    missing = [f for f in src.files if not (folder / f).is_file()]
    if missing:
        raise DatasetError(
            f"{fn} ({src.name}) needs {', '.join(missing)} from {src.hint} in {folder}; "
            f"run `harness datasets fetch --functions {fn} --cache-dir {folder}` where a network "
            "exists, or copy the file there"
        )
    return src.load(folder)


def source_hashes(fn: str, folder: str | Path) -> dict[str, str]:
    """SHA-256 of each raw file that exists, so a cached dataset is rebuilt if the data change."""
    out: dict[str, str] = {}
    for name in _source(fn).files:
        path = Path(folder) / name
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            out[name] = digest.hexdigest()
    return out


def _format_number(v: float) -> str:
    s = f"{v:.2f}"
    return "0.00" if s == "-0.00" else s


def render_rows(fn: str, table: RawTable, rng: np.random.Generator) -> tuple[list[str], dict]:
    """Obfuscated `x0:v,...` strings, one per usable raw row (rows with a bad number dropped)."""
    names, rows, _ = table
    src = _source(fn)
    d = len(names)
    numeric = [fn in ALL_NUMERIC or n in src.numeric for n in names]
    a, b = rng.normal(size=d), rng.normal(size=d)
    codes = []
    for j in range(d):
        if numeric[j]:
            codes.append(None)
        else:
            values = sorted({r[j] for r in rows})
            codes.append({v: f"c{k}" for k, v in enumerate(values)})
    out: list[str] = []
    for r in rows:
        parts = []
        for j in range(d):
            if numeric[j]:
                try:
                    v = float(r[j])
                except ValueError:
                    parts = None
                    break
                parts.append(f"x{j}:{_format_number(a[j] * v + b[j])}")
            else:
                parts.append(f"x{j}:{codes[j][r[j]]}")
        out.append(",".join(parts) if parts is not None else "")
    kinds = ["numeric" if k else "categorical" for k in numeric]
    return out, {"features": d, "feature_kinds": kinds}


def tabular_pools(
    fn: str, need_pos: int, need_neg: int, rng: np.random.Generator, folder: Path
) -> tuple[list[str], list[str], dict]:
    """Distinct rendered inputs per class, in a seed-determined order; inputs seen with both
    labels are dropped. Fails clearly when a class is too small for the request."""
    table = load_raw(fn, folder)
    rendered, notes = render_rows(fn, table, rng)
    labels = table[2]
    seen: dict[str, set[bool]] = {}
    for x, y in zip(rendered, labels, strict=True):
        if x:
            seen.setdefault(x, set()).add(y)
    clean = [x for x, ys in seen.items() if len(ys) == 1]
    pos = [x for x in clean if True in seen[x]]
    neg = [x for x in clean if False in seen[x]]
    src = _source(fn)
    for cls, pool, need in (("positive", pos, need_pos), ("negative", neg, need_neg)):
        if len(pool) < need:
            raise DatasetError(
                f"{fn} ({src.name}) has only {len(pool)} distinct {cls} rows, but the requested "
                f"sizes need {need} per class; lower --test-size (or --train-size/--val-size)"
            )
    pos = [pos[i] for i in rng.permutation(len(pos))]
    neg = [neg[i] for i in rng.permutation(len(neg))]
    notes.update(
        {
            "source_files": list(src.files),
            "raw_rows": len(rendered),
            "distinct_positive": len(pos),
            "distinct_negative": len(neg),
            "conflicting_inputs_dropped": sum(len(ys) > 1 for ys in seen.values()),
        }
    )
    return pos[:need_pos], neg[:need_neg], notes


_CODE = re.compile(r"c\d+")


def parse_row(line: str) -> dict[str, float | str]:
    """The dict a program receives: numbers as float, category codes as str.

    Accepts a bare rendered input or a whole file line (`<input> -> <label>`).
    """
    x = line.rsplit(" -> ", 1)[0].strip()
    out: dict[str, float | str] = {}
    for part in x.split(","):
        key, sep, value = part.partition(":")
        if not sep:
            raise ValueError(f"not a k:v pair: {part!r}")
        out[key] = value if _CODE.fullmatch(value) else float(value)
    return out


def _extract(blob: bytes, wanted: str) -> bytes | None:
    """Find `wanted` by base name in a zip, looking into nested zips too."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for info in zf.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if base == wanted:
                return zf.read(info)
            if base.endswith(".zip"):
                found = _extract(zf.read(info), wanted)
                if found is not None:
                    return found
    return None


def fetch_tabular(fn: str, cache_dir: str | Path, timeout: float = 60.0) -> list[str]:
    """Download a task's raw files into cache_dir (needs a network; tests never call it)."""
    src = _source(fn)
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for url in src.urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
                blob = resp.read()
        except OSError as exc:
            raise DatasetError(
                f"could not download {url} ({exc}); place {', '.join(src.files)} from {src.hint} "
                f"in {folder} by hand"
            ) from None
        if url.endswith(".zip"):
            for name in src.files:
                data = _extract(blob, name)
                if data is not None:
                    (folder / name).write_bytes(data)
                    written.append(name)
        else:
            name = url.rsplit("/", 1)[-1]
            (folder / name).write_bytes(blob)
            written.append(name)
    missing = [f for f in src.files if not (folder / f).is_file()]
    if missing:
        raise DatasetError(
            f"downloaded {src.hint} but {', '.join(missing)} was not in it; place it in {folder}"
        )
    return written
