"""RunConfig: value (not None) > environment variable > default, converted and validated by
the one table of settings; its round trip through a manifest; which differences matter on
resume. (The command line's side of the same table: tests/test_cli_run_options.py.)"""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.run.config import RunConfig


def test_config_precedence_flag_env_default():
    env = {"API_MODE": "chat_completions", "TEST_SIZE": "500", "API_BASE_URL": "http://x/v1",
           "FUNCTIONS": "fn_a,fn_b", "ENABLE_CODE_INTERPRETER": "1"}
    c = RunConfig.resolve({"test_size": 300}, env=env)
    assert c.test_size == 300 and c.api_mode == "chat_completions"
    assert c.base_url == "http://x/v1" and c.functions == ("fn_a", "fn_b")
    assert c.enable_code_interpreter is True and c.attempts == 5 and c.run_id
    d = RunConfig.resolve({}, env={})
    assert d.api_mode == "responses" and d.test_size == 10000 and d.model == "gpt-5"
    assert RunConfig.from_dict(c.to_dict()) == c
    assert c.differences(RunConfig.from_dict({**c.to_dict(), "concurrency": 9})) == []
    assert c.differences(RunConfig.from_dict({**c.to_dict(), "attempts": 9})) == ["attempts"]
    with pytest.raises(UserError):
        RunConfig.resolve({"attempts": 0}, env={})
    with pytest.raises(UserError):
        RunConfig.resolve({"mock_policy": "bogus"}, env={})
    assert "api_key" not in c.to_dict()


def test_env_names_in_order_blank_values_ignored_and_bad_values_named():
    both = {"API_BASE_URL": "http://first/v1", "OPENAI_BASE_URL": "http://second/v1"}
    assert RunConfig.resolve({}, env=both).base_url == "http://first/v1"
    assert RunConfig.resolve({}, env={"OPENAI_BASE_URL": "http://second/v1"}).base_url == \
        "http://second/v1"
    assert RunConfig.resolve({}, env={"TEST_SIZE": "  "}).test_size == 10000
    assert RunConfig.resolve({"functions": ()}, env={"FUNCTIONS": "fn_c"}).functions == ("fn_c",)
    with pytest.raises(UserError, match="ENABLE_CODE_INTERPRETER"):
        RunConfig.resolve({}, env={"ENABLE_CODE_INTERPRETER": "maybe"})
    with pytest.raises(UserError, match="--test-size.*TEST_SIZE.*'lots'"):
        RunConfig.resolve({}, env={"TEST_SIZE": "lots"})


def test_null_switches_an_optional_setting_off():
    assert RunConfig.resolve({}, env={"REASONING_EFFORT": "null"}).reasoning_effort is None
    assert RunConfig.resolve({"base_url": ""}, env={"API_BASE_URL": "http://x/v1"}).base_url \
        is None  # a value given, even empty, wins over the variable
    with pytest.raises(UserError, match="--max-output-tokens"):
        RunConfig.resolve({}, env={"MAX_OUTPUT_TOKENS": "null"})  # not optional


def test_manifest_values_are_read_first_and_judged_by_validate():
    loose = RunConfig.from_dict({"test_size": "1000000000", "attempts": 2, "bogus": 1,
                                 "mock_policy": "nonsense", "tabular_dir": None})  # fmt: skip
    assert (loose.test_size, loose.attempts, loose.tabular_dir) == (10**9, 2, None)
    with pytest.raises(UserError, match="'--test-size': 1000000000 is not in the range"):
        loose.validate()
    with pytest.raises(UserError, match="--mock-policy"):
        RunConfig.from_dict({"mock_policy": "nonsense"}).validate()
    with pytest.raises(UserError, match="--attempts"):
        RunConfig.from_dict({"attempts": "many"})
