"""Tabular loaders on tiny files in the real UCI formats, rendering, balance and clear failures."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from generators import TARGETS, DatasetError, build_dataset
from generators.tabular import _extract, load_raw, parse_row, render_rows

SIZES = {"train_size": 4, "val_size": 4, "test_size": 8}  # 8 per class


def write_adult(folder: Path, n: int = 12) -> None:
    """Rows in adult.data/adult.test style; income >50K exactly for Male rows."""

    def row(i: int, rich: bool, test: bool) -> str:
        work = "?" if i % 5 == 0 else ("Private" if i % 2 else "State-gov")
        label = (">50K" if rich else "<=50K") + ("." if test else "")
        sex = "Male" if rich else "Female"
        return (
            f"{20 + i}, {work}, {77516 + 13 * i}, Bachelors, 13, Never-married, Adm-clerical, "
            f"Not-in-family, White, {sex}, {i * 10}, 0, 40, United-States, {label}"
        )

    data = [row(i, i % 2 == 0, False) for i in range(n)]
    test = [row(100 + i, i % 2 == 0, True) for i in range(n)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adult.data").write_text("\n".join(data) + "\n\n")
    (folder / "adult.test").write_text("|1x3 Cross validator\n" + "\n".join(test) + "\n")


MUSHROOM_HEADER = (
    "class;cap-diameter;cap-shape;cap-surface;cap-color;does-bruise-or-bleed;gill-attachment;"
    "gill-spacing;gill-color;stem-height;stem-width;stem-root;stem-surface;stem-color;veil-type;"
    "veil-color;has-ring;ring-type;spore-print-color;habitat;season"
)


def write_mushroom(folder: Path, n: int = 24) -> None:
    lines = [MUSHROOM_HEADER]
    for i in range(n):
        cls = "e" if i % 2 else "p"
        season = "a" if cls == "e" else "w"
        lines.append(f"{cls};{15.26 + i:.2f};x;g;o;f;e;;w;{16.95 + i:.2f};17.09;s;y;w;u;w;t;g;;d;"
                     f"{season}")  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secondary_data.csv").write_text("\n".join(lines) + "\n")


CDC_HEADER = (
    "Diabetes_binary,HighBP,HighChol,CholCheck,BMI,Smoker,Stroke,HeartDiseaseorAttack,PhysActivity,"
    "Fruits,Veggies,HvyAlcoholConsump,AnyHealthcare,NoDocbcCost,GenHlth,MentHlth,PhysHlth,DiffWalk,"
    "Sex,Age,Education,Income"
)


def write_cdc(folder: Path, n: int = 24, dup_conflict: bool = False) -> None:
    lines = [CDC_HEADER]
    for i in range(n):
        y = i % 2
        vals = [y, y, 1, 1, 20 + i] + [0] * 9 + [i % 5, 0, 0, 0, 1, 9, 4, 3]
        lines.append(",".join(f"{float(v):.1f}" for v in vals))
    if dup_conflict:  # the same features with both labels: must be dropped
        lines.append(lines[1])
        lines.append("1.0" + lines[1][3:])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "diabetes_binary_health_indicators_BRFSS2015.csv").write_text("\n".join(lines) + "\n")


def write_htru(folder: Path, n: int = 24) -> None:
    lines = []
    for i in range(n):
        y = i % 2
        feats = [140.5625 + i, 55.683782, -0.234571 + y, -0.699648, 3.199, 19.11, 7.97, 74.2]
        lines.append(",".join(str(f) for f in feats) + f",{y}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "HTRU_2.csv").write_text("\r\n".join(lines) + "\r\n")


def write_chess(folder: Path, n: int = 24) -> None:
    lines = []
    for i in range(n):
        won = i % 2 == 0
        attrs = ["t" if won else "f"] + [("t" if (i >> k) & 1 else "f") for k in range(34)] + ["n"]
        lines.append(",".join(attrs) + ("," + ("won" if won else "nowin")))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kr-vs-kp.data").write_text("\n".join(lines) + "\n")


WRITERS = {
    "fn_m": write_adult,
    "fn_n": write_mushroom,
    "fn_o": write_cdc,
    "fn_p": write_htru,
    "fn_q": write_chess,
}
FEATURES = {"fn_m": 14, "fn_n": 20, "fn_o": 21, "fn_p": 8, "fn_q": 36}
NUM = re.compile(r"-?\d+\.\d\d")


@pytest.mark.parametrize("fn", list(WRITERS))
def test_loader_and_balanced_dataset(fn: str, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    WRITERS[fn](raw)
    ds = build_dataset(fn, None, dataset_dir=tmp_path / "ds", tabular_dir=raw, **SIZES)
    d = FEATURES[fn]
    assert ds.meta["length"] == d == TARGETS[fn].default_lengths[0]
    assert ds.meta["kind"] == "tabular" and ds.meta["features"] == d
    seen: dict[str, str] = {}
    for name, rows in (("train", ds.train), ("val", ds.val), ("test", ds.test)):
        assert sum(y == "1" for _, y in rows) * 2 == len(rows) == SIZES[f"{name}_size"]
        for x, _ in rows:
            assert seen.setdefault(x, name) == name
            row = parse_row(x)
            assert list(row) == [f"x{i}" for i in range(d)]
            for key, value in row.items():
                text = x.split(f"{key}:", 1)[1].split(",", 1)[0]
                if isinstance(value, str):
                    assert re.fullmatch(r"c\d+", value)
                else:
                    assert NUM.fullmatch(text), text
    # the label is recoverable from the feature we tied it to in the tiny files
    labels_by_key: dict[str, set[str]] = {}
    key = {"fn_m": "x9", "fn_n": "x19", "fn_o": "x0", "fn_p": "x2", "fn_q": "x0"}[fn]
    for x, y in ds.train + ds.val + ds.test:
        labels_by_key.setdefault(str(parse_row(x)[key]), set()).add(y)
    assert all(len(v) == 1 for v in labels_by_key.values()) and len(labels_by_key) == 2
    if fn == "fn_m":
        assert {str(parse_row(x)["x9"]): y for x, y in ds.train} == {"c1": "1", "c0": "0"}
    if fn == "fn_q":
        assert {str(parse_row(x)["x0"]): y for x, y in ds.train} == {"c1": "1", "c0": "0"}


def test_adult_parsing_details(tmp_path: Path) -> None:
    write_adult(tmp_path)
    names, rows, labels = load_raw("fn_m", tmp_path)
    assert len(names) == 14 and len(rows) == 24 and sum(labels) == 12
    assert "?" in {r[1] for r in rows}  # missing values stay as their own category
    assert all(len(r) == 14 for r in rows)


def test_rendering_is_affine_for_numbers_and_rank_for_categories() -> None:
    names = ["num", "cat"]
    rows = [["1", "b"], ["2", "a"], ["4", "c"], ["10", "a"]]
    labels = [True, False, True, False]
    out, notes = render_rows("fn_m", (names, rows, labels), np.random.default_rng(3))
    assert notes["feature_kinds"] == ["categorical", "categorical"]  # fn_m: neither is numeric
    assert [parse_row(x)["x1"] for x in out] == ["c1", "c0", "c2", "c0"]
    table = (["HTRU"] * 8, [[str(v)] * 8 for v in (1, 2, 4, 10)], [True] * 4)
    out, notes = render_rows("fn_p", table, np.random.default_rng(3))
    assert notes["feature_kinds"] == ["numeric"] * 8
    xs = np.array([1, 2, 4, 10], dtype=float)
    for j in range(8):
        ys = np.array([parse_row(x)[f"x{j}"] for x in out], dtype=float)
        slope, intercept = np.polyfit(xs, ys, 1)
        assert np.abs(slope * xs + intercept - ys).max() <= 0.006


def test_conflicting_duplicates_are_dropped(tmp_path: Path) -> None:
    write_cdc(tmp_path / "raw", dup_conflict=True)
    ds = build_dataset("fn_o", 21, dataset_dir=tmp_path, tabular_dir=tmp_path / "raw", **SIZES)
    assert ds.meta["conflicting_inputs_dropped"] == 1


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    write_chess(tmp_path / "raw")
    raw = tmp_path / "raw"
    a = build_dataset("fn_q", None, dataset_dir=tmp_path / "a", tabular_dir=raw, **SIZES)
    b = build_dataset("fn_q", None, dataset_dir=tmp_path / "b", tabular_dir=raw, **SIZES)
    for name in ("train.txt", "val.txt", "test.txt", "meta.json"):
        assert (a.path / name).read_bytes() == (b.path / name).read_bytes()


def test_missing_files_name_the_file_and_the_folder(tmp_path: Path) -> None:
    where = re.escape(str(tmp_path))
    with pytest.raises(DatasetError, match=r"adult\.data, adult\.test.*" + where):
        build_dataset("fn_m", None, dataset_dir=tmp_path, tabular_dir=tmp_path, **SIZES)
    with pytest.raises(DatasetError, match="HTRU_2.csv.*fetch"):
        build_dataset("fn_p", None, dataset_dir=tmp_path, tabular_dir=tmp_path, **SIZES)


def test_too_few_rows_in_a_class(tmp_path: Path) -> None:
    write_htru(tmp_path, n=10)  # 5 per class, 8 needed
    with pytest.raises(DatasetError, match="only 5 distinct (positive|negative) rows.*need 8"):
        build_dataset("fn_p", None, dataset_dir=tmp_path, tabular_dir=tmp_path, **SIZES)


def test_wrong_length_and_malformed_file(tmp_path: Path) -> None:
    write_htru(tmp_path)
    with pytest.raises(DatasetError, match="has 8 features"):
        build_dataset("fn_p", 9, dataset_dir=tmp_path, tabular_dir=tmp_path, **SIZES)
    (tmp_path / "kr-vs-kp.data").write_text("t,f,won\n")
    with pytest.raises(DatasetError, match="37 comma-separated"):
        build_dataset("fn_q", None, dataset_dir=tmp_path, tabular_dir=tmp_path, **SIZES)


def test_parse_row_accepts_file_lines() -> None:
    assert parse_row("x0:-1.50,x1:c2,x2:0.00 -> 1") == {"x0": -1.5, "x1": "c2", "x2": 0.0}
    with pytest.raises(ValueError):
        parse_row("x0")


def test_extract_finds_files_in_nested_zips() -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("MushroomDataset/secondary_data.csv", "class;a\ne;1\n")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("MushroomDataset.zip", inner.getvalue())
    assert _extract(outer.getvalue(), "secondary_data.csv") == b"class;a\ne;1\n"
    assert _extract(outer.getvalue(), "nothing.csv") is None


def test_cache_follows_the_raw_files(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_htru(raw)
    events: list[str] = []
    kw = {"dataset_dir": tmp_path / "ds", "tabular_dir": raw, "progress": events.append, **SIZES}
    first = build_dataset("fn_p", None, **kw)
    build_dataset("fn_p", None, **kw)
    (raw / "HTRU_2.csv").unlink()
    again = build_dataset("fn_p", None, **kw)  # raw files gone: the valid cache still serves
    assert events == ["generated", "cached", "cached"] and again.test == first.test
    write_htru(raw, n=30)
    build_dataset("fn_p", None, **kw)
    assert events[-1] == "generated"
