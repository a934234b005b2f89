"""One frozen `RunConfig` per evaluation run, and the one table of how each of its fields is set.

Each field is declared once, with all the outside world needs to set it (a `Setting`): its
default, its click type (which carries the allowed range or choices), the environment variables
read when the flag is absent (the seed tools' names where they define one: `API_MODE`,
`API_BASE_URL`, the data sizes...) and its help text. `harness.cli.run_options` makes the click
options of `eval erm` / `eval arc` from this table with `envvar=`, so click reads the environment
itself; `RunConfig.resolve` applies the same table for callers without a command line (rerun,
tests). Precedence everywhere: flag > environment variable (the first one not blank, stripped) >
default. API keys are never part of the config: they are resolved by
`harness.models.factory.resolve_api_key` when the client is built, and the manifest records only
which variable supplied one.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import click

from harness.errors import UserError
from harness.models.base import API_MODES
from harness.models.plan import REASONING_SUMMARIES, SAMPLING_MODES
from harness.run.settings import (
    MockPolicy,
    Nullable,
    Setting,
    _setting,
    env_value,
    flag_name,
)
from harness.sandbox.backend import BACKENDS, RUNTIMES
from harness.sandbox.limits import (
    MAX_BATCH_BUDGET_S,
    MAX_MEMORY_MB,
    MAX_TIME_LIMIT_S,
    MIN_MEMORY_MB,
    POLICIES,
    Limits,
)
from harness.untrusted_text import check_run_id, redact_url

DEFAULT_FUNCTIONS: tuple[str, ...] = tuple(f"fn_{c}" for c in "abcdefghijkl")
ERM_PROMPT_VERSIONS = ("llm_erm", "erm_v1")  # harness.families.erm.prompt.PROMPTS
REASONING_EFFORTS = ("minimal", "low", "medium", "high", "none")
VERBOSITIES = ("low", "medium", "high")
TOOL_CHOICES = ("auto", "none", "required")

# Fields that may differ when a run is resumed: they change speed, not results. The backend
# and the dataset folder are among them so a resume can always choose the safer sandbox and
# its own dataset cache (datasets are checked against their seeds on resume).
RUNTIME_FIELDS = frozenset({"concurrency", "workers", "timeout", "retry_delay", "max_retries",
                            "request_delay", "max_cost", "max_api_error_rate",
                            "dry_run", "progress", "backend", "runtime",
                            "dataset_dir"})  # fmt: skip

# Settings added after runs were first written, with the value those runs used: a manifest
# without one ran with this, not with today's default (a resume or rerun must not change it).
LEGACY_VALUES: dict[str, Any] = {"prompt_version": "erm_v1"}

# Upper bounds: a typo or a hostile manifest must not ask for a billion attempts or test inputs
# (each is host memory, sandbox time or API money). Far above any real run.
MAX_ATTEMPTS = 1000
MAX_TRIALS = 1000
MAX_TRAIN_SIZE = 100_000
MAX_VAL_SIZE = 1_000_000
MAX_TEST_SIZE = 1_000_000
MAX_LENGTH = 100_000
MAX_FUNCTIONS = 1000
MAX_CONCURRENCY = 1024
MAX_WORKERS = 256
MAX_RETRIES = 100
MAX_OUTPUT_TOKENS = 10_000_000
MAX_TIMEOUT_S = 86400.0
MAX_RETRY_DELAY_S = 3600.0
_LIMITS = Limits()  # the sandbox's own defaults are the run's

def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def new_run_id(model: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in model)[:40]
    return f"{stamp}-{safe}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run (and a little that only changes its speed)."""

    # grid
    functions: tuple[str, ...] = _setting(DEFAULT_FUNCTIONS, str, "FUNCTIONS",
                                          "Function ids fn_a..fn_q.", "grid", multiple=True,
                                          shown="fn_a..fn_l")  # fmt: skip
    lengths: tuple[int, ...] = _setting((), click.IntRange(1, MAX_LENGTH), "LENGTHS",
                                        "Input lengths.", "grid", multiple=True,
                                        shown="each function's own")  # fmt: skip
    attempts: int = _setting(5, click.IntRange(1, MAX_ATTEMPTS), "ATTEMPTS",
                             "Attempts per trial.", "grid",
                             aliases=("--max_attempts",))  # fmt: skip
    num_trials: int = _setting(1, click.IntRange(1, MAX_TRIALS), "NUM_TRIALS",
                               "Trials per grid point.", "grid")  # fmt: skip
    # model
    model: str = _setting("gpt-5", str, ("MODEL", "OPENAI_MODEL"),
                          "Model name; 'mock' starts the mock model.", "model")  # fmt: skip
    api_mode: str = _setting("responses", click.Choice(API_MODES), "API_MODE",
                             "OpenAI API to call.", "model")  # fmt: skip
    base_url: str | None = _setting(None, Nullable(click.STRING),
                                    ("API_BASE_URL", "OPENAI_BASE_URL"),
                                    "OpenAI-compatible base URL.", "model",
                                    aliases=("--api-base-url",))  # fmt: skip
    reasoning_effort: str | None = _setting("high", Nullable(click.Choice(REASONING_EFFORTS)),
                                            "REASONING_EFFORT", "Reasoning effort, for models "
                                            "that take one (none: not sent; OpenRouter: a "
                                            "2000/8000/32000-token budget).", "model",
                                            aliases=("--reasoning_effort",))  # fmt: skip
    reasoning_summary: str | None = _setting(None, Nullable(click.Choice(REASONING_SUMMARIES)),
                                             "REASONING_SUMMARY", "Ask for a reasoning summary "
                                             "(Responses API).", "model", shown="off")  # fmt: skip
    verbosity: str | None = _setting("low", Nullable(click.Choice(VERBOSITIES)),
                                     ("VERBOSITY", "TEXT_VERBOSITY"),
                                     "Verbosity, for models that take it.", "model")  # fmt: skip
    max_output_tokens: int | None = _setting(None, click.IntRange(1, MAX_OUTPUT_TOKENS),
                                             "MAX_OUTPUT_TOKENS", "Output token cap, at most the "
                                             "model's ceiling (unknown model: not sent).", "model",
                                             aliases=("--max-tokens",),
                                             shown="20000 or the ceiling")  # fmt: skip
    temperature: float | None = _setting(None, Nullable(click.FloatRange(0, 2)), "TEMPERATURE",
                                         "Sampling temperature (reasoning models refuse it).",
                                         "model", shown="not sent")  # fmt: skip
    sampling_mode: str = _setting("off", click.Choice(SAMPLING_MODES), "SAMPLING_MODE",
                                  "auto: the ARC seed's adaptive sampling, min_p 0.05 for a "
                                  "host:port endpoint, else top_k 50 and top_p 0.9 (what the "
                                  "model takes); off: --temperature only.", "model")  # fmt: skip
    qwen_no_think: bool = _setting(False, bool, "QWEN_NO_THINK", "Qwen on an open-weight "
                                   "server: chat_template_kwargs enable_thinking=false, 120 s "
                                   "per call at most.", "model")  # fmt: skip
    tool_choice: str | None = _setting("auto", Nullable(click.Choice(TOOL_CHOICES)),
                                       "TOOL_CHOICE", "Tool choice (null: not sent).",
                                       "model")  # fmt: skip
    enable_code_interpreter: bool = _setting(False, bool, "ENABLE_CODE_INTERPRETER",
                                             "Give the model the code interpreter tool.",
                                             "model")  # fmt: skip
    input_rate: float | None = _setting(None, float, "INPUT_RATE",
                                        "USD per 1M input tokens (override).",
                                        "model")  # fmt: skip
    output_rate: float | None = _setting(None, float, "OUTPUT_RATE",
                                         "USD per 1M output tokens (override).",
                                         "model")  # fmt: skip
    max_retries: int = _setting(3, click.IntRange(0, MAX_RETRIES), "MAX_RETRIES", "API retries.",
                                "model")  # fmt: skip
    # data
    train_size: int = _setting(100, click.IntRange(0, MAX_TRAIN_SIZE), "TRAIN_SIZE",
                               "Train examples in the prompt.", "data")  # fmt: skip
    val_size: int = _setting(100, click.IntRange(0, MAX_VAL_SIZE), "VAL_SIZE",
                             "Validation inputs.", "data")  # fmt: skip
    test_size: int = _setting(10000, click.IntRange(2, MAX_TEST_SIZE), "TEST_SIZE",
                              "Test inputs.", "data")  # fmt: skip
    seed: int = _setting(42, int, "GLOBAL_SEED", "Base dataset seed.", "data")
    dataset_dir: str = _setting("datasets", str, "DATASET_DIR", "Dataset cache root.", "data")
    tabular_dir: str | None = _setting(None, Nullable(click.STRING), "TABULAR_DIR",
                                       "Raw UCI files.", "data",
                                       shown="<dataset-dir>/raw")  # fmt: skip
    prompt_version: str = _setting("llm_erm", click.Choice(ERM_PROMPT_VERSIONS),
                                   "PROMPT_VERSION",
                                   "Prompt wording: llm_erm, the seed tools' word for word (as "
                                   "their published numbers were measured), or erm_v1, ours "
                                   "(also says what x is).", "data")  # fmt: skip
    # infrastructure
    concurrency: int = _setting(5, click.IntRange(1, MAX_CONCURRENCY), "CONCURRENCY",
                                "Attempts in flight at once (API calls in parallel).",
                                aliases=("--max_workers",))  # fmt: skip
    timeout: float = _setting(1200.0, click.FloatRange(0, MAX_TIMEOUT_S, min_open=True),
                              ("REQUEST_TIMEOUT", "PER_CALL_TIMEOUT_S"),
                              "Seconds per API call.")  # fmt: skip
    retry_delay: float = _setting(1.0, click.FloatRange(0, MAX_RETRY_DELAY_S), "RETRY_DELAY",
                                  "Base backoff between API retries, seconds.")  # fmt: skip
    request_delay: float = _setting(0.0, click.FloatRange(0, MAX_RETRY_DELAY_S), "REQUEST_DELAY",
                                    "Seconds an attempt waits before each of its model calls, "
                                    "holding its --concurrency slot: a crude rate limit.",
                                    aliases=("--rate_limit_delay",))  # fmt: skip
    max_cost: float | None = _setting(None, Nullable(click.FloatRange(0, min_open=True)),
                                      "MAX_COST",
                                      "USD: no new attempt once the run's estimated cost "
                                      "reaches this; the run is then interrupted (resumable, "
                                      "exit 3).", shown="no limit")  # fmt: skip
    max_api_error_rate: float = _setting(1.0, click.FloatRange(0, 1), "MAX_API_ERROR_RATE",
                                         "Exit 1 (status failed) when more than this share of "
                                         "the attempts failed at the API; all of them failing "
                                         "always does.")  # fmt: skip
    # sandbox
    backend: str = _setting("docker", click.Choice(BACKENDS), "SANDBOX_BACKEND",
                            "Sandbox backend.")  # fmt: skip
    runtime: str = _setting("runc", click.Choice(RUNTIMES), "HARNESS_RUNTIME",
                            "Docker runtime: runc, or runsc for gVisor; recorded in the "
                            "manifest.")  # fmt: skip
    workers: int = _setting(_default_workers, click.IntRange(1, MAX_WORKERS), "SANDBOX_WORKERS",
                            "Sandbox pool size.", shown="CPU count")  # fmt: skip
    time_limit: float = _setting(_LIMITS.time_limit_s,
                                 click.FloatRange(0, MAX_TIME_LIMIT_S, min_open=True),
                                 "TIME_LIMIT", "CPU seconds per input.")  # fmt: skip
    batch_budget: float = _setting(_LIMITS.batch_budget_s,
                                   click.FloatRange(0, MAX_BATCH_BUDGET_S, min_open=True),
                                   "BATCH_BUDGET",
                                   "CPU seconds per program over all its inputs.")  # fmt: skip
    memory_mb: int = _setting(_LIMITS.memory_mb, click.IntRange(MIN_MEMORY_MB, MAX_MEMORY_MB),
                              "MEMORY_MB", "Memory cap per program, MB.")  # fmt: skip
    policy: str = _setting(_LIMITS.policy, click.Choice(POLICIES), "SANDBOX_POLICY",
                           "Language policy; recorded in the manifest.")  # fmt: skip
    # outputs
    out_dir: str = _setting("runs", str, "OUT_DIR", "Parent of run directories.")
    run_id: str = _setting("", str, "RUN_ID", "Run directory name.",
                           shown="time-model-random")  # fmt: skip
    # mock model (only used when the model is "mock...")
    mock_policy: str = _setting("oracle", MockPolicy(), "MOCK_POLICY",
                                "Mock model: what it answers (replay: a file of them).")
    mock_seed: int = _setting(0, int, "MOCK_SEED", "Mock model seed.")
    fail_rate: float = _setting(0.0, click.FloatRange(0, 1), "MOCK_FAIL_RATE",
                                "Mock model: share of requests failing with 429/500/stall.")
    # behaviour (each command writes its own flags for these)
    dry_run: bool = _setting(False, bool, "DRY_RUN",
                             "Print the exact request bodies and exit (no key, no sandbox, "
                             "nothing written).", group="")  # fmt: skip
    progress: bool = _setting(True, bool, group="")

    # ------------------------------------------------------------------ building
    @classmethod
    def resolve(cls, values: Mapping[str, Any], env: Mapping[str, str] | None = None) -> RunConfig:
        """value (not None, not an empty tuple) > environment variable > default; converted
        and validated. The CLI passes everything click parsed (flag, variable or default,
        read by this same table); other callers (rerun, tests) pass only what they know."""
        env = os.environ if env is None else env
        unknown = set(values) - set(SETTINGS)
        if unknown:
            raise TypeError(f"unknown config fields: {', '.join(sorted(unknown))}")
        chosen: dict[str, Any] = {}
        for name, setting in SETTINGS.items():
            raw, where = values.get(name), f"'{flag_name(name)}'"
            if raw is None or (isinstance(raw, tuple) and not raw):
                found = env_value(setting.env, env)
                if found is None:
                    continue
                where += f" (env var: '{found[0]}')"
                raw = found[1]
            chosen[name] = setting.convert(raw, where)
        config = cls(**chosen)
        if not config.run_id:
            config = dataclasses.replace(config, run_id=new_run_id(config.model))
        config.validate()
        return config

    def validate(self) -> None:
        """Each field within its setting's type and range, then the rules between fields. Run
        on every config whatever made it: a manifest read back on resume is untrusted input."""
        for name, setting in SETTINGS.items():
            value = getattr(self, name)
            if value is not None:
                setting.convert(value, f"'{flag_name(name)}'")

        def need(cond: bool, message: str) -> None:
            if not cond:
                raise UserError(message)

        need(bool(self.functions), "no functions given")
        need(len(self.functions) <= MAX_FUNCTIONS, f"at most {MAX_FUNCTIONS} functions")
        need(len(self.lengths) <= MAX_FUNCTIONS, f"at most {MAX_FUNCTIONS} lengths")
        need(self.runtime == "runc" or self.backend == "docker",
             f"--runtime {self.runtime} needs --backend docker (the {self.backend} backend runs "
             "no container)")
        check_run_id(self.run_id, "--run-id")

    # ------------------------------------------------------------------ serialising
    def limits(self) -> Limits:
        """The sandbox limits these settings ask for."""
        return Limits(time_limit_s=self.time_limit, batch_budget_s=self.batch_budget,
                      memory_mb=self.memory_mb, policy=self.policy)

    def sandbox_options(self) -> dict[str, Any]:
        """Options for ``make_backend`` beyond the backend's name, workers and limits."""
        return {"runtime": self.runtime} if self.backend == "docker" else {}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples become lists) for the manifest and the log. Holds no
        secrets: API keys are never in the config and a base URL's credentials are redacted."""
        out = dataclasses.asdict(self)
        out["base_url"] = redact_url(self.base_url)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """A config as a manifest recorded it: unknown keys are ignored, a missing one is its
        ``LEGACY_VALUES`` value (what older runs used) or the default, and None means the default
        (older and newer manifests keep opening); values are converted to the fields' types but
        not judged: call ``validate`` (a rerun first replaces some of them)."""
        data = {**LEGACY_VALUES, **data}
        return cls(**{k: SETTINGS[k].convert(v, f"'{flag_name(k)}'", check=False)
                      for k, v in data.items() if k in SETTINGS and v is not None})  # fmt: skip

    def differences(self, other: RunConfig) -> list[str]:
        """Names of fields that differ and change results (runtime fields excluded)."""
        return [f.name for f in fields(self) if f.name not in RUNTIME_FIELDS
                and getattr(self, f.name) != getattr(other, f.name)]  # fmt: skip


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(RunConfig)}
"""The table: every `RunConfig` field's `Setting`, in the order ``--help`` lists them."""
