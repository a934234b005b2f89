"""`harness mock-server`: run the OpenAI-compatible mock model until Ctrl-C.

Point any run at it with `--api-base-url <printed URL> --model mock` (any API key works).
Registered in harness/cli/main.py by the lead; kept here so the CLI module stays a list of commands.
"""

from __future__ import annotations

import sys

import click

from harness.errors import UserError
from harness.mock.server import MockServer
from harness.run.settings import MockPolicy


@click.command("mock-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    default=0,
    type=click.IntRange(0, 65535),
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--policy",
    default="oracle",
    show_default=True,
    type=MockPolicy(),
    help="oracle | noisy | arc | replay:FILE (JSONL of {task, code}).",
)
@click.option("--seed", default=0, type=int, show_default=True, help="Seed of all answers.")
@click.option(
    "--fail-rate",
    default=0.0,
    type=click.FloatRange(0.0, 1.0),
    show_default=True,
    help="Share of requests answered with 429 / 500 / a stall.",
)
@click.option(
    "--slow-s",
    default=30.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="Length of a stall fault.",
)
@click.option(
    "--latency-s",
    default=0.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="Delay before every answer.",
)
def mock_server(
    host: str,
    port: int,
    policy: str,
    seed: int,
    fail_rate: float,
    slow_s: float,
    latency_s: float,
) -> None:
    """Serve scripted model answers over the OpenAI API (responses and chat completions)."""
    try:  # a replay file that cannot be read, or a host or port that cannot be bound
        server = MockServer(
            policy,
            seed=seed,
            fail_rate=fail_rate,
            slow_s=slow_s,
            host=host,
            port=port,
            latency_s=latency_s,
        )
        server.bind()
    except (ValueError, OSError, OverflowError) as exc:
        raise UserError(
            str(exc) if isinstance(exc, ValueError) else f"cannot serve on {host}:{port}: {exc}"
        ) from exc
    click.echo(server.base_url)
    sys.stdout.flush()
    click.echo(f"policy={policy} seed={seed} fail_rate={fail_rate}; Ctrl-C to stop", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("mock server stopped", err=True)
