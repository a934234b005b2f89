"""The one entry point the rest of the harness uses: ``make_backend(...)`` -> a pool with
``run(source, inputs, entry, limits) -> ProgramResult``.

Backends register by name; each is a WorkerPool over a factory of workers that speak the same
exec-server protocol, so the same conformance tests hold for all of them (a Ray-backed factory
is the planned route past one machine).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from harness.sandbox.errors import SandboxError
from harness.sandbox.limits import Limits
from harness.sandbox.pool import WorkerFactory, WorkerPool
from harness.sandbox.protocol import Batch
from harness.sandbox.results import ProgramResult

RUNTIMES = ("runc", "runsc")  # Docker's OCI runtime: runc (default) or gVisor's runsc


class Backend(Protocol):
    name: str

    def run(self, source: str, inputs: Sequence[Any] | Batch, entry: str | None = None,
            limits: Limits | None = None) -> ProgramResult: ...

    async def arun(self, source: str, inputs: Sequence[Any] | Batch, entry: str | None = None,
                   limits: Limits | None = None) -> ProgramResult: ...

    def batch(self, inputs: Sequence[Any]) -> Batch: ...

    def describe(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Provider:
    """A backend by name: the module and class of its worker factory (imported only when the
    backend is chosen), and whether its workers run in containers (then a runtime other than
    runc may be asked for, and the container's memory cap is sized above the program's). A
    module that defines ``WARNING`` has it shown when the backend is chosen."""

    module: str
    factory: str
    containers: bool


#: The registered backends; a new provider is one ``register`` call, not an edit here.
PROVIDERS: dict[str, Provider] = {
    "docker": Provider("harness.sandbox.docker_pool", "DockerWorkerFactory", containers=True),
    "process": Provider("harness.sandbox.process", "ProcessWorkerFactory", containers=False),
}


BACKENDS = tuple(PROVIDERS)  # (the CLI's choices: providers registered at import)


def register(name: str, provider: Provider) -> None:
    PROVIDERS[name] = provider


def make_backend(name: str = "docker", workers: int | None = None,
                 warn: Callable[[str], None] | None = None, limits: Limits | None = None,
                 **options: Any) -> WorkerPool:
    """Start a warm pool. ``options`` go to the worker factory (image, cpus, memory_mb,
    runtime...).

    With ``limits``, a container's memory cap is sized above the per-program cap, so a program
    that hits its own limit gets ``memory`` rather than taking the exec server down.
    ``runtime="runsc"`` runs the containers under gVisor (container backends only)."""
    provider = PROVIDERS.get(name)
    if provider is None:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(PROVIDERS)}")
    check_runtime(name, options.get("runtime"))
    if provider.containers:
        if limits is not None and "memory_mb" not in options:
            options["memory_mb"] = max(2048, limits.memory_mb + 768)
    else:
        options.pop("runtime", None)
    module = importlib.import_module(provider.module)
    warning = getattr(module, "WARNING", None)
    if warning:
        (warn or (lambda m: print(f"WARNING: {m}", file=sys.stderr)))(warning)
    factory: WorkerFactory = getattr(module, provider.factory)(**options)
    return WorkerPool(factory, workers or default_workers())


def check_runtime(backend: str, runtime: str | None) -> None:
    """A runtime other than runc needs containers: refuse it with the process backend."""
    if runtime is None:
        return
    if runtime not in RUNTIMES:
        raise SandboxError(f"unknown runtime {runtime!r}; choose from {', '.join(RUNTIMES)}")
    provider = PROVIDERS.get(backend)
    if runtime != "runc" and (provider is None or not provider.containers):
        raise SandboxError(f"--runtime {runtime} needs --backend docker (the {backend} backend "
                        "runs no container)")
