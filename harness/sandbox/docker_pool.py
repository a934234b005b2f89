"""Docker backend: warm, network-less, read-only containers, each running one exec server.

Every container carries labels naming this harness and the owning process; containers whose
owner is gone (a crashed earlier run on this host: see ``leftovers``) are removed when a pool
starts, and a pool removes its own
at close and at interpreter exit. The host talks to the exec server over the container's attached
stdin/stdout (no port, no mount, no socket the program could reach).
"""

from __future__ import annotations

import atexit
import struct
import threading
import time
from typing import Any

from harness.sandbox.backend import RUNTIMES
from harness.sandbox.errors import SandboxError
from harness.sandbox.image import docker_client, require_image
from harness.sandbox.leftovers import LABEL, OWNER_LABEL, owner_id, remove_leftovers
from harness.sandbox.protocol import WorkerLost
from harness.sandbox.worker import Worker, recv_deadline_remaining

SERVER_CAPS = ("SETUID", "SETGID", "KILL")
IPC_SYSCTLS = {"kernel.shmmni": "0", "kernel.msgmni": "0", "kernel.sem": "0 0 0 0"}
CONTAINER_ENV = {"PYTHONHASHSEED": "0", "HARNESS_IN_CONTAINER": "1", "HOME": "/tmp",
                 "PYTHONPATH": "/opt/sandbox/site", "PYTHONDONTWRITEBYTECODE": "1",
                 "LANG": "C.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin"}


# Under gVisor the container's pids cgroup counts gVisor's own host threads (the Sentry's Go
# threads, the Gofer, and on the ptrace platform one stub process per address space with a
# thread per Sentry thread that entered it): an idle exec server already uses ~60, a forking
# one 80-110. At 64 the Sentry's clone() fails with EAGAIN and it panics ("error initializing
# first thread"), taking the whole container down. Processes *inside* the sandbox stay capped
# by RLIMIT_NPROC, which gVisor enforces itself (nproc ulimit 128 for the server, 0 for each
# program), so this limit only has to bound gVisor's threads on the host.
RUNSC_PIDS_LIMIT = 1024


class AttachTransport:
    """Frames over a docker attach socket; stdout arrives multiplexed (8-byte headers)."""

    def __init__(self, container: Any, sock: Any) -> None:
        self.container = container
        self.name = container.short_id
        self._raw = getattr(sock, "_sock", sock)
        self._keep = sock
        self._stream = bytearray()  # multiplexed bytes not yet demuxed
        self._buf = bytearray()  # demuxed stdout bytes
        self._dead = False

    def send(self, data: bytes) -> None:
        try:
            self._raw.settimeout(60)
            self._raw.sendall(data)
        except OSError as exc:
            self._dead = True
            raise WorkerLost(f"container {self.name} gone: {exc}") from None

    def _fill(self, deadline: float) -> None:
        self._raw.settimeout(recv_deadline_remaining(deadline))
        try:
            chunk = self._raw.recv(1 << 20)
        except TimeoutError:
            raise WorkerLost(f"container {self.name} did not answer in time") from None
        except OSError as exc:
            self._dead = True
            raise WorkerLost(f"container {self.name} connection lost: {exc}") from None
        if not chunk:
            self._dead = True
            raise WorkerLost(f"container {self.name} exited ({self._exit_reason()})")
        self._stream += chunk
        while len(self._stream) >= 8:
            kind, size = self._stream[0], struct.unpack_from(">I", self._stream, 4)[0]
            if len(self._stream) < 8 + size:
                break
            if kind == 1:  # stdout; stderr (2) is not attached, anything else is ignored
                self._buf += self._stream[8:8 + size]
            del self._stream[:8 + size]

    def _exit_reason(self) -> str:
        """The exit code and the last line the exec server wrote to stderr: why a worker was
        lost belongs in the record (the container is removed right after)."""
        try:
            self.container.wait(timeout=5)
            self.container.reload()
            state = self.container.attrs.get("State", {})
            tail = self.container.logs(stdout=False, stderr=True, tail=3).decode(
                "utf-8", "replace").strip().splitlines()
            oom = " OOM-killed" if state.get("OOMKilled") else ""
            return f"exit {state.get('ExitCode')}{oom}" + (f": {tail[-1][:200]}" if tail else "")
        except Exception as exc:  # noqa: BLE001 - a diagnosis must not raise
            return f"state unknown: {type(exc).__name__}"

    def recv_exact(self, n: int, deadline: float) -> bytes:
        while len(self._buf) < n:
            self._fill(deadline)
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def buffered(self) -> int:
        """Bytes received and not yet read as frames."""
        return len(self._buf) + len(self._stream)

    def alive(self) -> bool:
        if self._dead:
            return False
        try:
            self.container.reload()
        except Exception:  # noqa: BLE001
            return False
        return self.container.status == "running"

    def close(self) -> None:
        try:
            self._raw.close()
        except OSError:
            pass


class DockerWorkerFactory:
    kind = "docker"

    def __init__(self, image: str | None = None, cpus: float = 1.0, memory_mb: int = 2048,
                 pids_limit: int | None = None, runtime: str | None = None) -> None:
        runtime = runtime or "runc"
        if runtime not in RUNTIMES:
            raise SandboxError(f"unknown runtime {runtime!r}; choose from {', '.join(RUNTIMES)}")
        self.client = docker_client()
        if runtime != "runc":
            require_runtime(self.client, runtime)
        self.image = image or require_image(self.client)
        self.cpus = cpus
        self.memory_mb = memory_mb
        self.pids_limit = pids_limit or (RUNSC_PIDS_LIMIT if runtime == "runsc" else 64)
        self.runtime = runtime
        self.owner = owner_id()
        self._lock = threading.Lock()
        self._containers: dict[str, Any] = {}
        remove_leftovers(self.client)
        atexit.register(self.destroy_all)

    def container_kwargs(self) -> dict[str, Any]:
        """The hardening flags (see ../shared/specs/hardening-reference.md, section 2)."""
        import docker.types

        kw: dict[str, Any] = dict(
            image=self.image, command=["python3", "/opt/sandbox/exec_server.py"], detach=True,
            stdin_open=True, tty=False, network_mode="none", read_only=True,
            # No writable path at all: a read-only root and an empty read-only /tmp (gVisor
            # would otherwise mount a writable tmpfs there), so no file or name can pass from
            # one program to the next.
            tmpfs={"/tmp": "ro,noexec,nosuid,nodev,size=4k,mode=0555"},
            # The exec server is PID 1 (no docker-init sharing a uid with programs) as uid 0
            # with only the capabilities it needs: switching each child to a uid of its own,
            # and killing whatever a program leaves behind.
            user="0:0", cap_drop=["ALL"], cap_add=list(SERVER_CAPS),
            security_opt=["no-new-privileges"],
            # A private IPC namespace with every System V IPC limit at zero: no shared memory,
            # semaphore or message queue can outlive a program (POSIX queues: RLIMIT_MSGQUEUE).
            ipc_mode="none", sysctls=dict(IPC_SYSCTLS), pids_limit=self.pids_limit,
            mem_limit=f"{self.memory_mb}m", memswap_limit=f"{self.memory_mb}m",
            nano_cpus=int(self.cpus * 1e9), init=False, environment=dict(CONTAINER_ENV),
            ulimits=[docker.types.Ulimit(name="nofile", soft=256, hard=256),
                     docker.types.Ulimit(name="nproc", soft=128, hard=128),
                     docker.types.Ulimit(name="fsize", soft=16 << 20, hard=16 << 20),
                     docker.types.Ulimit(name="core", soft=0, hard=0)],
            log_config=docker.types.LogConfig(type="json-file",
                                              config={"max-size": "1m", "max-file": "1"}),
            labels={LABEL: "1", OWNER_LABEL: self.owner},
        )
        if self.runtime != "runc":
            kw["runtime"] = self.runtime
        return kw

    def create(self) -> Worker:
        container = self.client.containers.run(**self.container_kwargs())
        with self._lock:
            self._containers[container.id] = container
        try:
            sock = self.client.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 0, "stream": 1})
            worker = Worker(AttachTransport(container, sock))
            worker.hello(timeout_s=60)
        except Exception:
            self._remove(container)
            raise
        return worker

    def destroy(self, worker: Worker) -> None:
        worker.close()
        container = getattr(worker.transport, "container", None)
        if container is not None:
            self._remove(container)

    def _remove(self, container: Any) -> None:
        # Forgotten only once removed: an exit handler running meanwhile (a second Ctrl-C)
        # must still see it, or the process could end with its removal half done.
        try:
            container.remove(force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
        with self._lock:
            self._containers.pop(container.id, None)

    def container_ids(self) -> list[str]:
        """The ids of this factory's live containers (make bench reads their cgroups)."""
        with self._lock:
            return list(self._containers)

    def destroy_all(self) -> None:
        with self._lock:
            containers = list(self._containers.values())
        for c in containers:
            self._remove(c)

    def describe(self) -> dict[str, Any]:
        image = self.client.images.get(self.image)
        return {"image": self.image, "image_id": image.id, "cpus_per_container": self.cpus,
                "memory_mb_per_container": self.memory_mb, "pids_limit": self.pids_limit,
                "network": "none", "read_only_root": True, "writable_paths": [],
                "server_user": "0:0 with CAP_SETUID, CAP_SETGID, CAP_KILL only",
                "program_user": "a uid of its own per program, no capabilities",
                "runtime": self.runtime}


def docker_runtimes(client: Any) -> set[str]:
    """The OCI runtimes this Docker daemon knows (``docker info``)."""
    return set((client.info().get("Runtimes") or {}).keys())


def require_runtime(client: Any, runtime: str) -> None:
    if runtime not in docker_runtimes(client):
        raise SandboxError(f"Docker does not know the {runtime} runtime: run "
                        f"`make sandbox RUNTIME={runtime}` (as root) to install and register it")


def count_containers(client: Any) -> int:
    return len(client.containers.list(all=True, filters={"label": LABEL}))


def wait_no_containers(client: Any, timeout_s: float = 20.0) -> int:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        n = count_containers(client)
        if n == 0:
            return 0
        time.sleep(0.2)
    return count_containers(client)
