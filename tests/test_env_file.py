"""`.env` as the seed tools load it: the current directory's or `--env-file PATH`'s, before any
flag reads a variable; never over a variable already set; names said on stderr, values never; a
run directory's `.env` never read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.env_file import load_env_file
from harness.errors import UserError
from tests.test_cli_run_options import captured, erm_config, invoke  # noqa: F401 - fixture

SECRET = "sk-not-to-be-printed-123"
# The conftest turns .env loading off for the suite; these tests turn it back on.
ON = {"HARNESS_ENV_FILE": None, "EXTRA_NAME": None}


def write_env(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".env"
    path.write_text(text)
    return path


def test_sets_what_is_unset_and_keeps_what_is_set(tmp_path):
    write_env(tmp_path, f"OPENAI_API_KEY={SECRET}\nMODEL=gpt-4.1\nexport API_MODE='chat'\n"
                        "BLANK_BEFORE=x\n# a comment\nBARE\n")  # fmt: skip
    env = {"MODEL": "gpt-5", "BLANK_BEFORE": "  "}
    loaded = load_env_file(None, env, cwd=tmp_path)
    assert env == {"MODEL": "gpt-5", "OPENAI_API_KEY": SECRET, "API_MODE": "chat",
                   "BLANK_BEFORE": "x"}  # fmt: skip
    assert loaded.set == ["OPENAI_API_KEY", "API_MODE", "BLANK_BEFORE"]
    assert loaded.kept == ["MODEL"]
    said = loaded.describe()
    assert said is not None and "OPENAI_API_KEY" in said and "MODEL" in said
    assert SECRET not in said and "gpt-4.1" not in said and "chat" not in said


def test_only_the_current_directory_never_a_parent(tmp_path):
    write_env(tmp_path, "MODEL=from-parent\n")
    (tmp_path / "sub").mkdir()
    env: dict[str, str] = {}
    loaded = load_env_file(None, env, cwd=tmp_path / "sub")
    assert env == {} and loaded.path is None and loaded.describe() is None


def test_a_run_directory_is_never_read_as_the_current_directory(tmp_path):
    write_env(tmp_path, "API_BASE_URL=http://elsewhere.invalid/v1\n")
    (tmp_path / "manifest.json").write_text("{}")
    env: dict[str, str] = {}
    loaded = load_env_file(None, env, cwd=tmp_path)
    assert env == {} and loaded.path is None
    assert loaded.describe() is not None and "run directory" in loaded.describe()


def test_named_file_none_and_missing(tmp_path):
    named = write_env(tmp_path / "elsewhere", "MODEL=named\n")
    write_env(tmp_path, "MODEL=cwd\n")
    env: dict[str, str] = {}
    load_env_file(str(named), env, cwd=tmp_path)
    assert env == {"MODEL": "named"}
    env = {}
    assert load_env_file("none", env, cwd=tmp_path).path is None and env == {}
    with pytest.raises(UserError, match="no such file"):
        load_env_file(str(tmp_path / "missing.env"), {}, cwd=tmp_path)
    with pytest.raises(UserError, match="not a regular file"):
        load_env_file(str(tmp_path), {}, cwd=tmp_path)


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / ".env")
    assert load_env_file(None, {}, cwd=tmp_path).path is None
    with pytest.raises(UserError, match="not a regular file"):
        load_env_file(str(tmp_path / ".env"), {}, cwd=tmp_path)


# ---------------------------------------------------------------------- through the command
def test_cwd_env_feeds_the_run_settings(captured, tmp_path, monkeypatch):  # noqa: F811
    write_env(tmp_path, f"OPENAI_MODEL=gpt-4.1\nPER_CALL_TIMEOUT_S=33\nEXTRA_NAME={SECRET}\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("eval", "erm", "--functions", "fn_a", env=ON)
    assert result.exit_code == 0, result.output
    config = captured["config"]
    assert (config.model, config.timeout) == ("gpt-4.1", 33.0)
    assert "OPENAI_MODEL, PER_CALL_TIMEOUT_S, EXTRA_NAME" in result.stderr
    assert SECRET not in result.output and "gpt-4.1" not in result.output


def test_the_shell_beats_the_file(captured, tmp_path, monkeypatch):  # noqa: F811
    write_env(tmp_path, "MODEL=from-file\nATTEMPTS=3\n")
    monkeypatch.chdir(tmp_path)
    config = erm_config(captured, env=ON | {"MODEL": "from-shell"})
    assert (config.model, config.attempts) == ("from-shell", 3)


def test_env_file_option_and_variable(captured, tmp_path, monkeypatch):  # noqa: F811
    named = write_env(tmp_path / "keys", "OPENAI_MODEL=named-model\n")
    write_env(tmp_path, "OPENAI_MODEL=cwd-model\n")
    monkeypatch.chdir(tmp_path)
    for args, env in (([f"--env-file={named}"], ON), ([], ON | {"HARNESS_ENV_FILE": str(named)})):
        result = invoke(*args, "eval", "erm", "--functions", "fn_a", env=env)
        assert result.exit_code == 0, result.output
        assert captured["config"].model == "named-model"
    result = invoke("--env-file", "none", "eval", "erm", "--functions", "fn_a", env=ON)
    assert captured["config"].model == "gpt-5" and "loaded" not in result.output


def test_missing_env_file_is_one_line(tmp_path):
    result = invoke("--env-file", str(tmp_path / "nope"), "eval", "erm", env=ON)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no such file" in result.output


def test_resume_never_reads_the_run_directorys_env(captured, tmp_path, monkeypatch):  # noqa: F811
    run_dir = tmp_path / "runs" / "r1"
    write_env(run_dir, "OPENAI_MODEL=planted\nEXTRA_NAME=planted\n")
    (run_dir / "manifest.json").write_text(json.dumps({"config": {}}))
    monkeypatch.chdir(tmp_path)
    result = invoke("eval", "erm", "--resume", str(run_dir), env=ON)
    assert result.exit_code == 0, result.output
    assert "planted" not in result.output and "loaded" not in result.output
    assert "EXTRA_NAME" not in os.environ
    monkeypatch.chdir(run_dir)  # even from inside it
    result = invoke("eval", "erm", "--resume", ".", env=ON)
    assert "EXTRA_NAME" not in os.environ and "not loading" in result.stderr
