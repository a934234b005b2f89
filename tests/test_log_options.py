"""`LOG_LEVEL`, `--log-level` and `--debug` set how much of the harness's logging reaches stderr;
what is logged: each runner.log event as one printable line, and model-call retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from harness.models.retry import RetryPolicy, call_with_retries
from harness.run.store import echo_event
from tests.test_cli_run_options import captured, invoke  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def harness_logger() -> Iterator[logging.Logger]:
    """The ``harness`` logger as it was before the test (the CLI configures it)."""
    logger = logging.getLogger("harness")
    before = (logger.level, list(logger.handlers), logger.propagate)
    yield logger
    logger.setLevel(before[0])
    logger.handlers[:] = before[1]
    logger.propagate = before[2]


@pytest.mark.parametrize(("args", "env", "level"), [
    ("eval erm", {}, logging.WARNING),
    ("eval erm", {"LOG_LEVEL": "INFO"}, logging.INFO),
    ("eval erm", {"LOG_LEVEL": " "}, logging.WARNING),  # blank = unset
    ("--log-level error eval erm", {"LOG_LEVEL": "INFO"}, logging.ERROR),
    ("--debug eval erm", {"LOG_LEVEL": "ERROR"}, logging.DEBUG),
    ("eval erm --debug", {"LOG_LEVEL": "ERROR"}, logging.DEBUG),  # where the seeds had it
    ("eval erm --log-level info", {}, logging.INFO),
    ("--debug eval arc --log-level error", {}, logging.ERROR),  # the command's wins
])  # fmt: skip
def test_level_from_flag_variable_or_default(captured, harness_logger, args, env,  # noqa: F811
                                             level):  # fmt: skip
    more = ["--limit", "1"] if " arc" in args else ["--functions", "fn_a"]
    result = invoke(*args.split(), *more, env={"LOG_LEVEL": None} | env)
    assert result.exit_code == 0, result.output
    assert harness_logger.level == level


def test_bad_level_is_one_line_naming_the_variable():
    result = invoke("eval", "erm", env={"LOG_LEVEL": "loud"})
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.count("\n") == 0 and "LOG_LEVEL" in line and "Traceback" not in line


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected(harness_logger) -> Collect:
    handler = Collect()
    harness_logger.addHandler(handler)
    harness_logger.setLevel(logging.INFO)
    return handler


def test_events_are_echoed_briefly_and_printably(collected):
    echo_event("attempt", {"task_id": "fn_a/L20\x1b[2J", "trial": 1, "score": 0.5,
                           "note": "x" * 500})  # fmt: skip
    echo_event("harness_error", {"traceback": "Traceback...\n  File x\nValueError: boom\n"})
    echo_event("invocation", {"argv": ["harness"]})  # DEBUG: below the level
    lines = [(r.levelno, r.getMessage()) for r in collected.records]
    assert len(lines) == 2
    level, text = lines[0]
    assert level == logging.INFO and text.startswith("attempt task_id=fn_a/L20\\x1b[2J trial=1")
    assert "score=0.5" in text and "x" * 200 + "..." in text and "x" * 201 not in text
    assert lines[1] == (logging.WARNING, "harness_error traceback=ValueError: boom")


def test_retries_are_logged(collected):
    calls = iter([TimeoutError(), "done"])

    async def call() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    async def no_sleep(_s: float) -> None:
        return None

    outcome = asyncio.run(call_with_retries(call, RetryPolicy(retry_delay=0.0, sleep=no_sleep)))
    assert outcome.value == "done"
    messages = [r.getMessage() for r in collected.records if r.name == "harness.models"]
    assert len(messages) == 1 and "timeout" in messages[0] and "retrying" in messages[0]
