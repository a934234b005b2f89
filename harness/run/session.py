"""The model side of one run: a client for the configured API, and the mock server behind it
when the model is a mock and no base URL was given.

A context manager, so the mock server (a thread on loopback) stops with the run whatever ends
it; the async client is closed by whoever ran it, on the event loop that used it.
"""

from __future__ import annotations

from typing import Any, Protocol

from harness.errors import UserError
from harness.models.base import Completion, ModelRequest
from harness.models.factory import api_key_source, is_mock_model, make_client
from harness.models.pricing import estimate_cost
from harness.untrusted_text import printable, redact_url


class Prompted(Protocol):
    """What a request is made from: a task's messages and its id (the mock's task header)."""

    @property
    def task_id(self) -> str: ...

    def messages(self) -> list[dict[str, str]]: ...


class ModelSession:
    """A model client for a run (see the module docstring)."""

    def __init__(self, config: Any, *, require_key: bool = True) -> None:
        from harness.mock.server import MockServer

        self.config = config
        self.server: MockServer | None = None
        base_url = config.base_url
        if is_mock_model(config.model) and not base_url and not config.dry_run:
            try:
                self.server = MockServer(config.mock_policy, seed=config.mock_seed,
                                         fail_rate=config.fail_rate,
                                         slow_s=min(5.0, config.timeout + 1.0))  # fmt: skip
            except ValueError as exc:
                raise UserError(str(exc)) from None
            base_url = self.server.start()
        self.base_url = base_url
        self.client = make_client(config.api_mode, config.model, base_url=base_url,
                                  timeout_s=config.timeout, max_retries=config.max_retries,
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
        c = self.config
        return ModelRequest(messages=task.messages(), model=c.model,
                            reasoning_effort=c.reasoning_effort, verbosity=c.verbosity,
                            max_output_tokens=c.max_output_tokens, tool_choice=c.tool_choice,
                            enable_code_interpreter=c.enable_code_interpreter,
                            task_id=task.task_id)  # fmt: skip

    def cost(self, completion: Completion) -> float | None:
        cost = estimate_cost(self.config.model, completion.usage, self.config.input_rate,
                             self.config.output_rate)  # fmt: skip
        return None if cost is None else round(cost, 8)

    def __enter__(self) -> ModelSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_server()

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
