"""Every command's ``--help``: an example, every option described, defaults in one shape."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from harness.cli.examples import EXAMPLES, commands
from harness.cli.main import main

ALL = commands(main)


@pytest.mark.parametrize("path,command", ALL, ids=[p or "harness" for p, _ in ALL])
def test_help_has_an_example_and_every_option_described(path, command):
    result = CliRunner().invoke(main, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:\n    harness" in result.output
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path} {param.opts[0]} has no help text"
            # one shape for defaults: click's "[default: X]", never "(default: X)" in prose
            assert not re.search(r"\(default\b|\bDefault:", param.help), (path, param.help)


def test_examples_name_real_commands():
    paths = {path for path, _ in ALL}
    assert set(EXAMPLES) == paths
    for line in (line for lines in EXAMPLES.values() for line in lines):
        words = line.split()
        assert words[0] == "harness" and any(p == " ".join(words[1:1 + len(p.split())])
                                             for p in paths if p), line


def test_same_option_same_range_across_commands():
    """--workers / --test-size take one range wherever they appear (harness.run.config)."""
    ranges: dict[str, set[tuple]] = {}
    for _, command in ALL:
        for param in command.params:
            kind = param.type
            if param.name in ("workers", "test_size") and isinstance(kind, click.IntRange):
                ranges.setdefault(param.name, set()).add((kind.min, kind.max))
    assert all(len(found) == 1 for found in ranges.values()), ranges
    assert set(ranges) == {"workers", "test_size"}


def test_mock_policy_is_validated_and_completed():
    from harness.run.settings import MockPolicy

    names = [c.value for c in MockPolicy().shell_complete(None, None, "")]  # type: ignore[arg-type]
    assert names == ["oracle", "noisy", "arc", "replay:"]
    bad = CliRunner().invoke(main, ["mock-server", "--policy", "oracel"])
    assert bad.exit_code == 2 and bad.output.startswith("error: ")
