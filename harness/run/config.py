"""One frozen `RunConfig` per evaluation run: flag > environment variable > default.

Every field has a default; many also read an environment variable (named in `ENV_VARS`, the seed
tools' names where they define one: `API_MODE`, `API_BASE_URL`, the data sizes...). The CLI passes
the flags the user actually gave (None = not given) to `RunConfig.resolve`, which fills the rest
from the environment and the defaults, converts and validates. API keys are never part of the
config: they are resolved by `harness.models.factory.resolve_api_key` when the client is built,
and the manifest records only which variable supplied one.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from harness.errors import UserError
from harness.sandbox.backend import BACKENDS, RUNTIMES
from harness.sandbox.limits import POLICIES, Limits
from harness.untrusted_text import check_run_id, redact_url

DEFAULT_FUNCTIONS: tuple[str, ...] = tuple(f"fn_{c}" for c in "abcdefghijkl")
REASONING_EFFORTS = ("minimal", "low", "medium", "high", "none")
VERBOSITIES = ("low", "medium", "high")
TOOL_CHOICES = ("auto", "none", "required")

ENV_VARS: dict[str, tuple[str, ...]] = {
    "functions": ("FUNCTIONS",),
    "lengths": ("LENGTHS",),
    "attempts": ("ATTEMPTS",),
    "num_trials": ("NUM_TRIALS",),
    "model": ("MODEL",),
    "api_mode": ("API_MODE",),
    "base_url": ("API_BASE_URL", "OPENAI_BASE_URL"),
    "reasoning_effort": ("REASONING_EFFORT",),
    "verbosity": ("VERBOSITY",),
    "max_output_tokens": ("MAX_OUTPUT_TOKENS",),
    "tool_choice": ("TOOL_CHOICE",),
    "enable_code_interpreter": ("ENABLE_CODE_INTERPRETER",),
    "input_rate": ("INPUT_RATE",),
    "output_rate": ("OUTPUT_RATE",),
    "max_retries": ("MAX_RETRIES",),
    "train_size": ("TRAIN_SIZE",),
    "val_size": ("VAL_SIZE",),
    "test_size": ("TEST_SIZE",),
    "seed": ("GLOBAL_SEED",),
    "dataset_dir": ("DATASET_DIR",),
    "tabular_dir": ("TABULAR_DIR",),
    "concurrency": ("CONCURRENCY",),
    "timeout": ("REQUEST_TIMEOUT",),
    "retry_delay": ("RETRY_DELAY",),
    "backend": ("SANDBOX_BACKEND",),
    "runtime": ("HARNESS_RUNTIME",),
    "workers": ("SANDBOX_WORKERS",),
    "time_limit": ("TIME_LIMIT",),
    "batch_budget": ("BATCH_BUDGET",),
    "memory_mb": ("MEMORY_MB",),
    "policy": ("SANDBOX_POLICY",),
    "out_dir": ("OUT_DIR",),
    "run_id": ("RUN_ID",),
    "mock_policy": ("MOCK_POLICY",),
    "mock_seed": ("MOCK_SEED",),
    "fail_rate": ("MOCK_FAIL_RATE",),
}

# Fields that may differ when a run is resumed: they change speed, not results. The backend
# and the dataset folder are among them so a resume can always choose the safer sandbox and
# its own dataset cache (datasets are checked against their seeds on resume).
RUNTIME_FIELDS = frozenset({"concurrency", "workers", "timeout", "retry_delay", "max_retries",
                            "dry_run", "progress", "backend", "runtime",
                            "dataset_dir"})  # fmt: skip

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
    functions: tuple[str, ...] = DEFAULT_FUNCTIONS
    lengths: tuple[int, ...] = ()  # empty: each function's own default lengths
    attempts: int = 5
    num_trials: int = 1
    # model
    model: str = "gpt-5"
    api_mode: str = "responses"
    base_url: str | None = None
    reasoning_effort: str | None = "high"
    verbosity: str | None = "low"
    max_output_tokens: int | None = 20000
    tool_choice: str | None = "auto"
    enable_code_interpreter: bool = False
    input_rate: float | None = None
    output_rate: float | None = None
    max_retries: int = 3
    # data
    train_size: int = 100
    val_size: int = 100
    test_size: int = 10000
    seed: int = 42
    dataset_dir: str = "datasets"
    tabular_dir: str | None = None
    # infrastructure
    concurrency: int = 5
    timeout: float = 1200.0
    retry_delay: float = 1.0
    # sandbox
    backend: str = "docker"
    runtime: str = "runc"
    workers: int = field(default_factory=_default_workers)
    time_limit: float = 0.5
    batch_budget: float = 10.0
    memory_mb: int = 1024
    policy: str = "standard"
    # outputs
    out_dir: str = "runs"
    run_id: str = ""
    # mock model (only used when the model is "mock...")
    mock_policy: str = "oracle"
    mock_seed: int = 0
    fail_rate: float = 0.0
    # behaviour
    dry_run: bool = False
    progress: bool = True

    # ------------------------------------------------------------------ building
    @classmethod
    def resolve(cls, flags: Mapping[str, Any], env: Mapping[str, str] | None = None) -> RunConfig:
        """flag (not None) > environment variable > default; converted and validated."""
        env = os.environ if env is None else env
        known = {f.name: f for f in fields(cls)}
        unknown = set(flags) - set(known)
        if unknown:
            raise TypeError(f"unknown config fields: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, f in known.items():
            raw = flags.get(name)
            if raw is None or (isinstance(raw, tuple) and not raw and name in ENV_VARS):
                for var in ENV_VARS.get(name, ()):
                    text = env.get(var)
                    if text is not None and text.strip():
                        raw = _from_env(name, text.strip(), var)
                        break
            if raw is None or (isinstance(raw, tuple) and not raw):
                continue
            values[name] = _convert(name, f.type, raw)
        config = cls(**values)
        if not config.run_id:
            config = dataclasses.replace(config, run_id=new_run_id(config.model))
        config.validate()
        return config

    def validate(self) -> None:
        def need(cond: bool, message: str) -> None:
            if not cond:
                raise UserError(message)

        def within(flag: str, value: int, low: int, high: int) -> None:
            need(low <= value <= high, f"{flag} must be within {low}..{high}, got {value}")

        need(bool(self.functions), "no functions given")
        need(len(self.functions) <= MAX_FUNCTIONS, f"at most {MAX_FUNCTIONS} functions")
        within("--attempts", self.attempts, 1, MAX_ATTEMPTS)
        within("--num-trials", self.num_trials, 1, MAX_TRIALS)
        need(len(self.lengths) <= MAX_FUNCTIONS, f"at most {MAX_FUNCTIONS} lengths")
        need(all(1 <= L <= MAX_LENGTH for L in self.lengths),
             f"lengths must be within 1..{MAX_LENGTH}")
        within("--train-size", self.train_size, 0, MAX_TRAIN_SIZE)
        within("--val-size", self.val_size, 0, MAX_VAL_SIZE)
        within("--test-size", self.test_size, 2, MAX_TEST_SIZE)
        within("--concurrency", self.concurrency, 1, MAX_CONCURRENCY)
        within("--workers", self.workers, 1, MAX_WORKERS)
        need(0 < self.timeout <= 86400, f"--timeout must be in (0, 86400] s, got {self.timeout}")
        need(0 <= self.retry_delay <= 3600, f"--retry-delay must be within 0..3600 s, got "
             f"{self.retry_delay}")
        within("--max-retries", self.max_retries, 0, MAX_RETRIES)
        need(self.api_mode in ("responses", "chat_completions"),
             f"unknown API mode {self.api_mode!r}: use responses or chat_completions")
        need(self.backend in BACKENDS, f"--backend must be one of {', '.join(BACKENDS)}")
        need(self.runtime in RUNTIMES, f"--runtime must be one of {', '.join(RUNTIMES)}")
        need(self.runtime == "runc" or self.backend == "docker",
             f"--runtime {self.runtime} needs --backend docker (the {self.backend} backend runs "
             "no container)")
        need(self.policy in POLICIES, f"--policy must be one of {', '.join(POLICIES)}")
        need(0 < self.time_limit <= 60, "--time-limit must be in (0, 60] seconds")
        need(0 < self.batch_budget <= 3600, "--batch-budget must be in (0, 3600] seconds")
        need(64 <= self.memory_mb <= 65536, "--memory-mb must be within 64..65536")
        need(0.0 <= self.fail_rate <= 1.0, "--fail-rate must be within [0, 1]")
        need(self.max_output_tokens is None or 0 < self.max_output_tokens <= MAX_OUTPUT_TOKENS,
             f"--max-output-tokens must be within 1..{MAX_OUTPUT_TOKENS}")
        need(self.reasoning_effort is None or self.reasoning_effort in REASONING_EFFORTS,
             f"--reasoning-effort must be one of {', '.join(REASONING_EFFORTS)}")
        need(self.verbosity is None or self.verbosity in VERBOSITIES,
             f"--verbosity must be one of {', '.join(VERBOSITIES)}")
        need(self.tool_choice is None or self.tool_choice in TOOL_CHOICES,
             f"--tool-choice must be one of {', '.join(TOOL_CHOICES)}")
        policy_ok = self.mock_policy in ("oracle", "noisy", "arc") or (
            self.mock_policy.startswith("replay:") and len(self.mock_policy) > 7)
        need(policy_ok, "--mock-policy must be oracle, noisy, arc or replay:FILE")
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
        known = {f.name: f for f in fields(cls)}
        values = {k: _convert(k, known[k].type, v) for k, v in data.items()
                  if k in known and v is not None}  # fmt: skip
        return cls(**values)

    def differences(self, other: RunConfig) -> list[str]:
        """Names of fields that differ and change results (runtime fields excluded)."""
        return [f.name for f in fields(self) if f.name not in RUNTIME_FIELDS
                and getattr(self, f.name) != getattr(other, f.name)]  # fmt: skip


# ---------------------------------------------------------------------- conversion helpers
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _from_env(name: str, text: str, var: str) -> Any:
    if name in ("functions", "lengths"):
        return tuple(t for t in text.replace(",", " ").split() if t)
    if name == "enable_code_interpreter":
        low = text.lower()
        if low not in _TRUE | _FALSE:
            raise UserError(f"{var}={text!r} is not a boolean (use 1/0, true/false)")
        return low in _TRUE
    return text


def _convert(name: str, type_name: Any, raw: Any) -> Any:
    t = str(type_name)
    try:
        if t.startswith("tuple[int"):
            return tuple(int(v) for v in raw)
        if t.startswith("tuple[str"):
            return tuple(str(v) for v in raw)
        if t == "bool":
            return raw if isinstance(raw, bool) else str(raw).lower() in _TRUE
        if t.startswith("int"):
            return int(raw)
        if t.startswith("float"):
            return float(raw)
        if t.startswith("str"):
            text = str(raw)
            return None if "None" in t and text.lower() in ("null", "") else text
    except (TypeError, ValueError):
        raise UserError(f"bad value for {name}: {raw!r}") from None
    return raw
