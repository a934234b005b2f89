"""An example invocation in every command's ``--help``, kept in one table.

One table, rather than a paragraph in each docstring, so a test can check that no command is
without one and the examples read as one consistent set; they are the README's tour.
"""

from __future__ import annotations

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("harness eval erm --model mock --functions fn_a --lengths 20",
         "harness sandbox status"),
    "exec": ("harness exec examples/parity.py --inputs examples/bits.txt",
             "harness exec examples/flip.py --inputs examples/grids.jsonl --backend process"),
    "sandbox": ("harness sandbox build", "harness sandbox status", "harness sandbox clean"),
    "sandbox build": ("harness sandbox build",
                      "harness sandbox build --base-image python:3.11-slim-bookworm --force"),
    "sandbox status": ("harness sandbox status",),
    "sandbox clean": ("harness sandbox clean",
                      "harness sandbox clean --all     # every harness container, live runs too"),
    "datasets": ("harness datasets generate --functions fn_a fn_g --lengths 20 50",),
    "datasets generate": ("harness datasets generate --functions fn_a fn_g --lengths 20 50",
                          "harness datasets generate --test-size 1000 --workers 2"),
    "datasets show": ("harness datasets show fn_e --length 50",),
    "datasets fetch": ("harness datasets fetch --functions fn_m fn_n",),
    "datasets verify": ("harness datasets verify", "harness datasets verify data/"),
    "arc": ("harness arc subsets --dataset arc-agi-1", "harness arc show 6150a2bd"),
    "arc subsets": ("harness arc subsets --dataset arc-agi-2",),
    "arc show": ("harness arc show 6150a2bd",),
    "arc resolve": ("harness arc resolve shortest_training_10",
                    "harness arc resolve my_tasks.txt --dataset arc-agi-2"),
    "arc export-training": ("harness arc export-training --limit 100 --validation",
                            "harness arc export-training runs/<arc_run> --out data/"),
    "arc export-tasks": ("harness arc export-tasks arc-agi-1 all_training",),
    "mock-server": ("harness mock-server --policy oracle",
                    "harness mock-server --policy replay:answers.jsonl --port 8000"),
    "eval": ("harness eval erm --model mock --functions fn_a --lengths 20",
             "harness eval arc --model mock --subset shortest_training_10 --attempts 4"),
    "eval erm": ("harness eval erm --model gpt-5 --functions fn_a fn_b --lengths 50 --attempts 5",
                 "harness eval erm --model mock --mock-policy oracle --test-size 1000",
                 "harness eval erm --dry-run --functions fn_a --lengths 20",
                 "harness eval erm --resume runs/<run_id>",
                 "harness eval erm --model mock --json | jq .scores"),
    "eval arc": ("harness eval arc --dataset arc-agi-1 --subset shortest_training_10 "
                 "--model mock --attempts 4",
                 "harness eval arc --model gpt-4.1-mini --dry-run"),
    "rerun": ("harness rerun runs/<run_id> --test-size 20000 --seed 7",),
    "usage": ("harness usage runs/<run_id>",
              "harness usage runs/<a> runs/<b>/results_attempts.csv"),
    "analyze": ("harness analyze runs/<run_id>", "harness analyze runs/<a> runs/<b> --no-plots"),
    "report": ("harness report runs/<run_id>",),
}


def _walk(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _walk(sub, f"{path} {name}".strip())
    return found


def add_examples(root: click.Group) -> None:
    """Put each command's examples in its epilog (``\\b``: printed as written, not rewrapped)."""
    for path, command in _walk(root, ""):
        lines = EXAMPLES.get(path)
        if lines and command.epilog is None:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def commands(root: click.Group) -> list[tuple[str, click.Command]]:
    """Every command under ``root`` by its path ("" for the root), for tests."""
    return _walk(root, "")
