"""The row types are the schema of results_attempts.jsonl: rows written by earlier versions (the
fixtures) declare no key the types do not know, and the check itself sees an unknown key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.row_schema import undeclared

FIXTURES = Path(__file__).parent / "fixtures" / "runs"


@pytest.mark.parametrize("name", ["erm-v1", "arc-v1"])
def test_fixture_rows_hold_only_declared_keys(name):
    assert undeclared(FIXTURES / name) == []


@pytest.mark.parametrize("name", ["erm-v1", "arc-v1"])
def test_an_undeclared_key_is_reported(name, tmp_path):
    run = tmp_path / name
    shutil.copytree(FIXTURES / name, run)
    rows = (run / "results_attempts.jsonl").read_text().splitlines()
    first = json.loads(rows[0]) | {"mystery_field": 1}
    (run / "results_attempts.jsonl").write_text("\n".join([json.dumps(first), *rows[1:]]) + "\n")
    assert undeclared(run) == ["mystery_field"]
