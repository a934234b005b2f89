"""Build a `ModelClient` from flags and environment, following the seed tools' precedence.

Key: flag > TAMU_API_KEY > OPENAI_API_KEY (TAMU first because the gateway users keep an OpenAI
key around too and the seed README says TAMU wins). Base URL: flag > API_BASE_URL >
OPENAI_BASE_URL. API mode: flag > API_MODE > "responses". A "mock" model needs no key.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from typing import Literal

from harness.errors import UserError
from harness.models.base import API_MODES, ModelClient
from harness.models.openai_chat import OpenAIChatClient
from harness.models.openai_responses import OpenAIResponsesClient
from harness.models.retry import RetryPolicy
from harness.models.sdk import SdkSettings

ApiMode = Literal["responses", "chat_completions"]
MOCK_KEY = "mock-key"
KEY_VARIABLES: tuple[str, ...] = ("TAMU_API_KEY", "OPENAI_API_KEY")  # the first one set wins


def is_mock_model(model: str) -> bool:
    return model.strip().lower().startswith("mock")


def resolve_api_key(flag: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    for value in (flag, *(env.get(name) for name in KEY_VARIABLES)):
        if value and value.strip():
            return value.strip()
    return None


def api_key_source(env: Mapping[str, str] | None = None) -> str | None:
    """Which variable supplies the API key (never its value)."""
    env = os.environ if env is None else env
    for name in KEY_VARIABLES:
        if (env.get(name) or "").strip():
            return name
    return None


def resolve_base_url(flag: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    for value in (flag, env.get("API_BASE_URL"), env.get("OPENAI_BASE_URL")):
        if value and value.strip():
            return value.strip()
    return None


def resolve_api_mode(flag: str | None = None, env: Mapping[str, str] | None = None) -> ApiMode:
    env = os.environ if env is None else env
    mode = (flag or env.get("API_MODE") or "responses").strip().lower().replace("-", "_")
    if mode not in API_MODES:
        raise UserError(f"unknown API mode {mode!r}: use one of {', '.join(API_MODES)}")
    return mode  # type: ignore[return-value]


def make_client(
    api_mode: str,
    model: str,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 600.0,
    max_retries: int = 3,
    retry_delay: float = 1.0,
    *,
    request_delay: float = 0.0,
    env: Mapping[str, str] | None = None,
    require_key: bool = True,
    rng: random.Random | None = None,
) -> ModelClient:
    """A client for `api_mode`. `api_key`/`base_url` are the flag values (None = look in env).

    `require_key=False` is for --dry-run, which only calls `request_body`.
    """
    mode = resolve_api_mode(api_mode, env)
    key = resolve_api_key(api_key, env)
    if key is None:
        if is_mock_model(model) or not require_key:
            key = MOCK_KEY
        else:
            raise UserError(
                f"no API key for model {model!r}: set TAMU_API_KEY or "
                "OPENAI_API_KEY (or use --model mock with the mock server)"
            )
    if timeout_s <= 0:
        raise UserError(f"timeout must be positive, got {timeout_s}")
    if max_retries < 0:
        raise UserError(f"max retries must be >= 0, got {max_retries}")
    settings = SdkSettings(
        api_key=key, base_url=resolve_base_url(base_url, env), timeout_s=timeout_s
    )
    retry = RetryPolicy(
        max_retries=max_retries, retry_delay=retry_delay, timeout_s=timeout_s, rng=rng,
        request_delay=request_delay,
    )
    if mode == "responses":
        return OpenAIResponsesClient(settings, retry)
    return OpenAIChatClient(settings, retry)
