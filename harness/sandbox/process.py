"""Local fallback backend: the same exec server as a plain subprocess, no container.

For laptops without Docker. It keeps the fresh process per program, the CPU/wall/memory limits
and the policy, but NOT the container layer (no network cut, no read-only filesystem, no pids
limit, same user as you): a program that escapes the language policy reaches your machine.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from typing import Any

import psutil

from harness.sandbox.protocol import WorkerLost
from harness.sandbox.sources import exec_server_path
from harness.sandbox.worker import Worker, recv_deadline_remaining

WARNING = ("process backend: programs run as local processes WITHOUT container isolation "
           "(no network cut, no read-only filesystem); use it only for trusted experiments")


class PipeTransport:
    """Frames over a subprocess's stdin/stdout."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.name = f"process-{proc.pid}"
        self._fd = proc.stdout.fileno()  # type: ignore[union-attr]
        self._buf = bytearray()

    def send(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise WorkerLost(f"exec server gone: {exc}") from None

    def recv_exact(self, n: int, deadline: float) -> bytes:
        while len(self._buf) < n:
            ready, _, _ = select.select([self._fd], [], [], recv_deadline_remaining(deadline))
            if not ready:
                continue
            chunk = os.read(self._fd, max(1 << 16, n - len(self._buf)))
            if not chunk:
                raise WorkerLost(f"exec server exited (code {self.proc.poll()})")
            self._buf += chunk
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def buffered(self) -> int:
        """Bytes received and not yet read as frames."""
        return len(self._buf)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Kill the exec server and every process below it: its pre-forked children and
        whatever a program started, even one that left the server's process group."""
        kill_tree(self.proc.pid)
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001
                pass


def kill_tree(pid: int) -> int:
    """SIGKILL ``pid``, its process group and all its descendants (found before the kill, as
    they are reparented after it); returns how many processes were signalled."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # the session it was started in, first
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(family[1:], timeout=5)  # the root is reaped by its Popen
    return len(family)


class ProcessWorkerFactory:
    kind = "process"

    def __init__(self, python: str | None = None) -> None:
        self.python = python or sys.executable

    def create(self) -> Worker:
        env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "LANG": "C.UTF-8"}
        proc = subprocess.Popen(
            [self.python, "-s", str(exec_server_path())], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
            cwd="/")
        worker = Worker(PipeTransport(proc))
        try:
            worker.hello(timeout_s=60)
        except Exception:
            worker.close()
            raise
        return worker

    def destroy(self, worker: Worker) -> None:
        worker.close()

    def describe(self) -> dict[str, Any]:
        return {"python": self.python, "isolation": "process only", "warning": WARNING}


def wait_gone(worker: Worker, timeout_s: float = 5.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if not worker.transport.alive():
            return True
        time.sleep(0.05)
    return False
