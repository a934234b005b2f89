"""The model side of one run: a client for the configured API, the mock server behind it
when the model is a mock and no base URL was given, and the run's request fitted to its model
and endpoint once (``harness.models.plan``: a setting the model cannot take is a user error
before any call, and ``--dry-run`` prints what the run sends).

A context manager, so the mock server (a thread on loopback) stops with the run whatever ends
it; the async client is closed by whoever ran it, on the event loop that used it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from harness.errors import UserError
from harness.models.base import Completion, ModelRequest
from harness.models.factory import api_key_source, is_mock_model, make_client
from harness.models.plan import Asked, call_timeout, plan_request
from harness.models.pricing import Rates, estimate_cost, resolve_rates
from harness.untrusted_text import printable, redact_url


class Prompted(Protocol):
    """What a request is made from: a task's messages and its id (the mock's task header)."""

    @property
    def task_id(self) -> str: ...

    def messages(self) -> list[dict[str, str]]: ...


def run_request(config: Any) -> ModelRequest:
    """The request of every prompt of a run with ``config`` (no messages yet): its model
    settings fitted to the model and the configured endpoint (a mock started here counts as
    OpenAI's, so ``--dry-run`` shows what the run sends)."""
    asked = {f.name: getattr(config, f.name) for f in dataclasses.fields(Asked)}
    return plan_request(config.model, Asked(**asked))


class ModelSession:
    """A model client for a run (see the module docstring)."""

    def __init__(self, config: Any, *, require_key: bool = True) -> None:
        from harness.mock.server import MockServer

        self.config = config
        self.template = run_request(config)
        timeout = call_timeout(config.timeout, config.qwen_no_think)
        self.server: MockServer | None = None
        base_url = config.base_url
        if is_mock_model(config.model) and not base_url and not config.dry_run:
            try:
                self.server = MockServer(config.mock_policy, seed=config.mock_seed,
                                         fail_rate=config.fail_rate,
                                         slow_s=min(5.0, timeout + 1.0))  # fmt: skip
            except ValueError as exc:
                raise UserError(str(exc)) from None
            base_url = self.server.start()
        self.base_url = base_url
        self.client = make_client(config.api_mode, config.model, base_url=base_url,
                                  timeout_s=timeout, max_retries=config.max_retries,
                                  retry_delay=config.retry_delay,
                                  request_delay=config.request_delay,
                                  require_key=require_key and not config.dry_run)  # fmt: skip
        self.key_note = self._key_note()

    def _key_note(self) -> str | None:
        """What the console says about the key: which variable, where to (never the key)."""
        if self.server is not None or self.config.dry_run:
            return None
        source = api_key_source()
        if source is None:
            return None
        where = printable(redact_url(self.base_url)) if self.base_url else "the default endpoint"
        return f"using API key from {source} for {where}"

    def request(self, task: Prompted) -> ModelRequest:
        return dataclasses.replace(self.template, messages=task.messages(), task_id=task.task_id)

    def cost(self, completion: Completion) -> float | None:
        cost = estimate_cost(self.config.model, completion.usage, self.config.input_rate,
                             self.config.output_rate)  # fmt: skip
        return None if cost is None else round(cost, 8)

    def rates(self) -> Rates:
        """The rates ``cost`` uses, and where they come from (the rows record them)."""
        return resolve_rates(self.config.model, self.config.input_rate, self.config.output_rate)

    def __enter__(self) -> ModelSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_server()

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
