"""The run settings' flags come from one table (`RunConfig`'s fields): click applies flag >
environment variable > default, `--help` shows every variable, a bad variable is one line naming
it, `--resume` sees only what was typed, and `RunConfig.resolve` agrees with the command line."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

import harness.cli.eval as eval_cli
from harness.cli.main import main
from harness.errors import UserError
from harness.run.config import SETTINGS, RunConfig
from harness.run.settings import flag_name

# Every variable the table reads, cleared so the host's environment cannot leak into a test.
CLEAN: dict[str, str | None] = {var: None for s in SETTINGS.values() for var in s.env}
CLEAN |= {"OPENAI_API_KEY": None, "TAMU_API_KEY": None}


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The config (and resume flags) the commands would run with; nothing runs."""
    seen: dict[str, Any] = {}

    def fake_resume(run_dir: Any, given: dict[str, Any]) -> tuple[RunConfig, None]:
        seen["given"] = given
        return RunConfig.resolve({"run_id": "r"}, env={}), None

    monkeypatch.setattr(eval_cli.engine, "run", lambda config, *a, **k: seen.update(config=config))
    monkeypatch.setattr(eval_cli, "resume_config", fake_resume)
    monkeypatch.setattr(eval_cli, "finished", lambda *a: None)
    return seen


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=CLEAN | (env or {}))


def erm_config(captured: dict[str, Any], *args: str, env: dict[str, str] | None = None):
    captured.clear()
    result = invoke("eval", "erm", "--functions", "fn_a", *args, env=env)
    assert result.exit_code == 0, result.output
    return captured["config"]


# (field, variable, value in the variable, value on the command line, expected from each):
# one setting of each kind of type.
CASES = [
    ("test_size", "TEST_SIZE", "50", "60", 50, 60),  # int with a range
    ("timeout", "REQUEST_TIMEOUT", " 9.5 ", "3", 9.5, 3.0),  # float, padded variable
    ("api_mode", "API_MODE", "chat_completions", "responses", "chat_completions", "responses"),
    ("seed", "GLOBAL_SEED", "7", "8", 7, 8),  # variable name unlike the flag
    ("backend", "SANDBOX_BACKEND", "process", "docker", "process", "docker"),
    ("mock_policy", "MOCK_POLICY", "noisy", "arc", "noisy", "arc"),
    ("lengths", "LENGTHS", "4,8", "12", (4, 8), (12,)),  # multi-valued
]


@pytest.mark.parametrize(("name", "var", "env_text", "flag_text", "from_env", "from_flag"), CASES)
def test_flag_beats_variable_beats_default(captured, name, var, env_text, flag_text, from_env,
                                           from_flag):  # fmt: skip
    flag = flag_name(name)
    default = getattr(RunConfig.resolve({}, env={}), name)
    assert getattr(erm_config(captured), name) == default
    assert getattr(erm_config(captured, env={var: env_text}), name) == from_env
    assert getattr(erm_config(captured, flag, flag_text, env={var: env_text}), name) == from_flag
    assert getattr(erm_config(captured, env={var: "   "}), name) == default  # blank = unset
    # The same table without a command line (rerun, scripts) gives the same answers.
    assert getattr(RunConfig.resolve({}, env={var: env_text}), name) == from_env
    assert getattr(RunConfig.resolve({name: from_flag}, env={var: env_text}), name) == from_flag


def test_boolean_flag_and_two_variables(captured):
    assert erm_config(captured).enable_code_interpreter is False
    assert erm_config(captured, env={"ENABLE_CODE_INTERPRETER": "yes"}).enable_code_interpreter
    assert erm_config(captured, "--enable-code-interpreter",
                      env={"ENABLE_CODE_INTERPRETER": "0"}).enable_code_interpreter  # fmt: skip
    both = {"API_BASE_URL": "http://first/v1", "OPENAI_BASE_URL": "http://second/v1"}
    assert erm_config(captured, env=both).base_url == "http://first/v1"
    second = {"API_BASE_URL": " ", "OPENAI_BASE_URL": "http://second/v1"}
    assert erm_config(captured, env=second).base_url == "http://second/v1"
    assert erm_config(captured, "--api-base-url", "http://flag/v1", env=both).base_url == \
        "http://flag/v1"


def test_arc_votes_over_8_attempts_with_the_arc_mock_unless_told(captured):
    def arc_config(*args: str, env: dict[str, str] | None = None) -> RunConfig:
        captured.clear()
        result = invoke("eval", "arc", "--limit", "1", *args, env=env)
        assert result.exit_code == 0, result.output
        return captured["config"]

    assert (arc_config().attempts, arc_config().mock_policy) == (8, "arc")
    told = arc_config(env={"ATTEMPTS": "3", "MOCK_POLICY": "noisy"})
    assert (told.attempts, told.mock_policy) == (3, "noisy")
    assert arc_config("--attempts", "2", env={"ATTEMPTS": "3"}).attempts == 2
    assert arc_config(env={"ATTEMPTS": " "}).attempts == 8


@pytest.mark.parametrize(("args", "var", "flag"), [
    (["eval", "erm"], "ATTEMPTS", "--attempts"),
    (["eval", "arc", "--limit", "1"], "ATTEMPTS", "--attempts"),
    (["datasets", "generate"], "TEST_SIZE", "--test-size"),  # the same table's data flags
    (["exec", "p.py", "--inputs", "i.txt"], "HARNESS_RUNTIME", "--runtime"),
])  # fmt: skip
def test_bad_variable_is_one_line_naming_it(args, var, flag):
    result = invoke(*args, env={var: "lots"})
    assert result.exit_code == 2
    text = result.output.strip()
    assert text.count("\n") == 0 and "Traceback" not in text and "Usage:" not in text, text
    assert var in text and flag in text and "'lots'" in text
    with pytest.raises(UserError, match="TEST_SIZE"):
        RunConfig.resolve({}, env={"TEST_SIZE": "lots"})


def test_resume_is_given_only_what_was_typed(captured, tmp_path):
    result = invoke("eval", "erm", "--resume", str(tmp_path), "--attempts", "3",
                    env={"TEST_SIZE": "50", "CONCURRENCY": "2"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert captured["given"] == {"attempts": 3, "dry_run": False, "progress": True}


@pytest.mark.parametrize(("command", "groups"), [("erm", {"grid", "model", "data", "run"}),
                                                 ("arc", {"model", "run"})])  # fmt: skip
def test_help_shows_every_setting_with_its_variables(command, groups):
    cmd = main.commands["eval"].commands[command]
    ctx = click.Context(cmd, info_name=command)
    records = {p.name: p.get_help_record(ctx) for p in cmd.get_params(ctx)}
    offered = {name for name, s in SETTINGS.items() if s.group in groups}
    assert offered | {"attempts"} <= set(records)
    for name in offered:
        opts, text = records[name]
        assert flag_name(name) in opts and SETTINGS[name].help in text
        for var in SETTINGS[name].env:
            assert var in text, (name, text)
    assert {var for name in offered for var in SETTINGS[name].env} >= {
        "GLOBAL_SEED", "REQUEST_TIMEOUT", "SANDBOX_BACKEND", "HARNESS_RUNTIME", "MOCK_FAIL_RATE",
    } - ({"GLOBAL_SEED"} if command == "arc" else set())  # fmt: skip
    shown = " ".join(invoke("eval", command, "--help").output.split())
    assert "env var: HARNESS_RUNTIME; default: runc" in shown


# The variables each field has always read (the seed tools' names): renaming one breaks users.
VARIABLES = """functions=FUNCTIONS lengths=LENGTHS attempts=ATTEMPTS num_trials=NUM_TRIALS
model=MODEL,OPENAI_MODEL api_mode=API_MODE base_url=API_BASE_URL,OPENAI_BASE_URL
reasoning_effort=REASONING_EFFORT reasoning_summary=REASONING_SUMMARY
verbosity=VERBOSITY,TEXT_VERBOSITY
max_output_tokens=MAX_OUTPUT_TOKENS temperature=TEMPERATURE sampling_mode=SAMPLING_MODE
qwen_no_think=QWEN_NO_THINK tool_choice=TOOL_CHOICE enable_code_interpreter=ENABLE_CODE_INTERPRETER
input_rate=INPUT_RATE
output_rate=OUTPUT_RATE max_retries=MAX_RETRIES train_size=TRAIN_SIZE val_size=VAL_SIZE
test_size=TEST_SIZE seed=GLOBAL_SEED dataset_dir=DATASET_DIR tabular_dir=TABULAR_DIR
prompt_version=PROMPT_VERSION
concurrency=CONCURRENCY timeout=REQUEST_TIMEOUT,PER_CALL_TIMEOUT_S retry_delay=RETRY_DELAY
request_delay=REQUEST_DELAY max_cost=MAX_COST max_api_error_rate=MAX_API_ERROR_RATE
backend=SANDBOX_BACKEND
runtime=HARNESS_RUNTIME workers=SANDBOX_WORKERS time_limit=TIME_LIMIT batch_budget=BATCH_BUDGET
memory_mb=MEMORY_MB policy=SANDBOX_POLICY out_dir=OUT_DIR run_id=RUN_ID mock_policy=MOCK_POLICY
mock_seed=MOCK_SEED fail_rate=MOCK_FAIL_RATE dry_run=DRY_RUN progress="""


def test_variable_names_are_unchanged():
    expected = {k: tuple(filter(None, v.split(","))) for k, _, v in
                (item.partition("=") for item in VARIABLES.split())}  # fmt: skip
    assert {name: s.env for name, s in SETTINGS.items()} == expected
