#!/usr/bin/env python3
"""Exec server: a warm parent that runs each untrusted program in a fresh forked child.

Runs inside the sandbox container (or, weaker, as a local subprocess for ``--backend process``).
It knows nothing of the host harness. Talks to the host over its own stdin/stdout, which it moves
to private descriptors at start so that nothing a program prints can ever reach the host channel.

Host -> server frames: ``>I`` length + JSON request. Server -> host frames: ``>I`` length +
one kind byte + payload: ``J`` a JSON reply, ``C`` a result chunk relayed from the child as it
wrote it (``>ii`` range + JSON, see worker.py), ``D`` the JSON end of one ``run``.

Requests:
  {"op": "hello"}                                   -> J {"ok": true, ...}
  {"op": "put", "batch": ID, "inputs": [...]}       -> J {"ok": true}   (inputs cached by id)
  {"op": "run", "id": NONCE, "batch": ID, "source": ..., "entry": ..., "policy": ...,
   "time_limit": S, "batch_budget": S, "memory_mb": M}  -> C ... C, then D {"id": NONCE, ...}

Limits are enforced from here, outside the program: CPU time per input (read from /proc, so a
loaded machine does not turn a fast program into a timeout), a wall-clock backstop several times
larger, a CPU budget per batch (plus RLIMIT_CPU in the child as the kernel's hard stop), and caps
on what the child may send. The child is SIGKILLed with its whole process group.
"""

from __future__ import annotations

import gc
import json
import mmap
import os
import select
import signal
import struct
import sys
import time
from collections import OrderedDict
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import policy  # noqa: E402
import worker  # noqa: E402

try:  # warm numpy, so each forked child starts with it loaded (sympy: see warm_for)
    import numpy  # noqa: E402,F401
except ImportError:  # pragma: no cover
    pass

WARMUP_PROGRAM = """
import math
from collections import Counter
class _Acc:
    def __init__(self):
        self._n = 0
def f(x):
    c = Counter(x)
    c['z'] += 1
    a = _Acc()
    a._n += len(x)
    return str(sum(1 for ch in x if ch == '1') % 2) + f"{a._n}"[:0]
"""


def warm_up(preload: bool = True) -> None:
    """Run the whole program path once, so lazy initialisation (caches in ast, RestrictedPython,
    json, re) happens before a program arrives.

    In the parent it runs once. In each pre-forked child it runs again while the child waits
    for its job: the copy-on-write page faults that the first compile in a fresh process pays
    (about 2 ms) are then taken off the program's critical path."""
    if preload:
        policy.preload_allowed_modules()
    for name in ("standard", "strict"):
        code, module, _ = policy.compile_program(WARMUP_PROGRAM, name)
        exec(code, module.__dict__)
        worker.to_plain([module.__dict__["f"]("0110")], worker.Budget())
    json.dumps({"v": ["0"], "e": {}}, separators=(",", ":"), allow_nan=False)


PROTOCOL_VERSION = 1
IN_CONTAINER = os.environ.get("HARNESS_IN_CONTAINER") == "1"
MAX_REQUEST = 1 << 30
MAX_CHILD_FRAME = 32 << 20
MAX_RELAY_BYTES = 256 << 20
MAX_CACHED_BATCHES = 16
MAX_CRASH_RESTARTS = 3
POLL_S = 0.005
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ host channel


class HostChannel:
    """Length-prefixed frames over two private descriptors (the original stdin/stdout)."""

    def __init__(self) -> None:
        self.fd_in = os.dup(0)
        self.fd_out = os.dup(1)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)
        os.close(devnull)

    def pending(self) -> bool:
        return self.wait_readable(0)

    def wait_readable(self, timeout: float) -> bool:
        return bool(select.select([self.fd_in], [], [], timeout)[0])

    def read_exact(self, n: int) -> bytes | None:
        chunks, got = [], 0
        while got < n:
            chunk = os.read(self.fd_in, min(n - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def read_request(self) -> dict[str, Any] | None:
        head = self.read_exact(4)
        if head is None:
            return None
        (size,) = struct.unpack(">I", head)
        if size > MAX_REQUEST:
            raise SystemExit("request too large")
        body = self.read_exact(size)
        if body is None:
            return None
        return json.loads(body)

    def send(self, kind: bytes, payload: bytes) -> None:
        data = struct.pack(">I", len(payload) + 1) + kind + payload
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd_out, view):]

    def send_json(self, kind: bytes, obj: dict[str, Any]) -> None:
        self.send(kind, json.dumps(obj, separators=(",", ":")).encode())


# ------------------------------------------------------------------ children


class Child:
    """A forked child waiting for its one job; forked ahead of time so a program starts at once."""

    def __init__(self, channel: HostChannel, batches: OrderedDict[str, list[Any]]) -> None:
        self.known = frozenset(batches)
        job_r, self.job_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.shm = mmap.mmap(-1, 8)
        self.progress = memoryview(self.shm).cast("q")
        self.progress[0] = -1
        self.killed_by_us = False
        # Park every object the parent has in the permanent generation: the child's garbage
        # collector then never walks (and copy-on-write faults) the whole warm heap.
        gc.freeze()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - runs in the child
            code = 70
            try:
                _child_main(channel, batches, job_r, res_w, self.progress)
                code = 0
            finally:
                os._exit(code)
        os.close(job_r)
        os.close(res_w)

    def start(self, job: dict[str, Any], inline_inputs: bytes | None = None) -> None:
        """Hand the child its one job; with the inputs too when it was forked before they
        arrived (cheaper than killing the children forked ahead and forking new ones)."""
        job = dict(job, inline=inline_inputs is not None)
        body = json.dumps(job).encode()
        data = struct.pack(">I", len(body)) + body
        if inline_inputs is not None:
            data += struct.pack(">I", len(inline_inputs)) + inline_inputs
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.job_w, view):]
        except OSError:
            pass  # the child died already; the monitor will see it
        os.close(self.job_w)
        self.job_w = -1

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def kill(self) -> None:
        self.killed_by_us = True
        self.kill_group_quietly()

    def reap(self) -> tuple[int, float]:
        """Wait for the child; return its wait status and the CPU seconds it used."""
        self.kill_group_quietly()
        _, status, usage = os.wait4(self.pid, 0)
        self.close_fds()
        return status, usage.ru_utime + usage.ru_stime

    def intact(self) -> bool:
        """Still alive and not stopped? (An earlier program under ``--policy off`` could have
        signalled it: this program must not inherit that damage.)"""
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG | os.WUNTRACED)
        except ChildProcessError:
            return False
        return pid == 0

    def try_reap(self) -> bool:
        """Reap without waiting; True once the child is gone."""
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid = self.pid
        if pid == 0:
            return False
        self.close_fds()
        return True

    def close_fds(self) -> bool:
        for fd in (self.res_r, self.job_w):
            if fd >= 0:
                os.close(fd)
        self.res_r = self.job_w = -1
        return False

    def kill_group_quietly(self) -> None:
        """SIGKILL the child's process group and the child itself: a child killed before it
        ran its own setsid() has no group yet, and must not survive that race."""
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except OSError:
                pass


def _child_main(channel: HostChannel, batches: OrderedDict[str, list[Any]], job_r: int,
                res_w: int, progress: Any) -> None:  # pragma: no cover - runs in the child
    os.setsid()
    close_fds_except({job_r, res_w})
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Warm up only while no job waits: it pays off only off the program's critical path.
    if not _readable(job_r):
        warm_up(preload=False)
        sys.modules.pop("solution", None)
        if not _readable(job_r):
            _touch(batches)
    head = _read_exact(job_r, 4)
    if head is None:
        return
    body = _read_exact(job_r, struct.unpack(">I", head)[0])
    if body is None:
        return
    job = json.loads(body)
    if job.get("inline"):
        head = _read_exact(job_r, 4)
        raw = _read_exact(job_r, struct.unpack(">I", head)[0]) if head else None
        if raw is None:
            return
        inputs = json.loads(raw)
    else:
        inputs = batches[job["batch"]]
    os.close(job_r)
    worker.apply_limits(job["memory_mb"], job["cpu_seconds"], IN_CONTAINER)
    try:
        worker.run_job(job, inputs, res_w, progress)
    except worker.WorkerBug as exc:  # our own fault, reported rather than hidden as a crash
        worker.Sender(res_w).send(worker.FATAL, worker.FATAL, {"fatal": ["crash", str(exc)]})


def close_fds_except(keep: set[int], top: int = 1024) -> None:
    """Close every descriptor from 3 to ``top`` except ``keep``, in a few ``close_range`` calls.

    Not one ``close()`` per number: under gVisor (runsc) every system call traps into its
    user-space kernel, and 1,021 of them cost 20-40 ms on the program's critical path."""
    low = 3
    for fd in sorted(keep) + [top]:
        if fd >= low:
            os.closerange(low, min(fd, top))
            low = fd + 1


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _touch(batches: OrderedDict[str, list[Any]]) -> None:  # pragma: no cover - in the child
    """Take the copy-on-write faults of the cached inputs now, while the child waits for its
    job: reading a Python object writes its reference count, which copies its page."""
    stack: list[Any] = list(batches.values())[-4:]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def _read_exact(fd: int, n: int) -> bytes | None:
    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


# ------------------------------------------------------------------ one run


class Run:
    """Runs one program over one batch, restarting children past timeouts and crashes."""

    def __init__(self, server: Server, req: dict[str, Any], inputs: list[Any]) -> None:
        self.server = server
        self.req = req
        self.inputs = inputs
        self.n = len(inputs)
        self.covered = bytearray(self.n)
        self.time_limit = float(req.get("time_limit", 0.5))
        self.setup_limit = max(2.0, 4 * self.time_limit)
        self.budget = float(req.get("batch_budget", 10.0))
        self.memory_mb = int(req.get("memory_mb", 1024))
        self.cpu_used = 0.0
        self.relayed = 0
        self.children = 0
        self.parent_emitted: set[int] = set()
        self.child_timing: dict[str, float] = {}

    # frames the parent writes itself, in the child's format
    def emit(self, indices: list[int], kind: str, detail: str) -> None:
        indices = [i for i in indices if not self.covered[i]]
        start = 0
        while start < len(indices):
            end = start
            while end + 1 < len(indices) and indices[end + 1] == indices[end] + 1:
                end += 1
            a, b = indices[start], indices[end] + 1
            body = json.dumps({"v": [None] * (b - a),
                               "e": {str(i): [kind, detail] for i in range(a, b)}}).encode()
            self.server.channel.send(b"C", struct.pack(">ii", a, b) + body)
            self.covered[a:b] = b"\x01" * (b - a)
            self.parent_emitted.update(range(a, b))
            start = end + 1

    def uncovered(self) -> list[int]:
        return [i for i in range(self.n) if not self.covered[i]]

    def execute(self) -> dict[str, Any]:
        start = 0
        crashes = 0
        wall0 = time.monotonic()
        while True:
            child = self.server.take_child(self.req["batch"])
            self.children += 1
            job = {
                "batch": self.req["batch"], "source": self.req["source"],
                "entry": self.req.get("entry"), "policy": self.req.get("policy", "standard"),
                "start": start, "skip": sorted(i for i in self.parent_emitted if i >= start),
                "memory_mb": self.memory_mb,
                "cpu_seconds": max(1.0, self.budget - self.cpu_used) + self.setup_limit,
            }
            child.start(job, None if self.req["batch"] in child.known
                        else self.server.batch_json[self.req["batch"]])
            outcome, index, detail = self.monitor(child)
            if outcome in ("end", "fatal"):
                # Tearing a process down costs milliseconds: do it after the reply is sent.
                self.cpu_used += child.cpu_seconds()
                self.server.retire(child)
                break
            status, cpu = child.reap()
            self.cpu_used += cpu
            self.server.sweep()
            if outcome == "overflow":
                self.emit(self.uncovered(), "invalid_output", detail)
                break
            if outcome == "died":
                outcome, detail = _death_cause(status, detail)
            if index < 0:  # setup (compile, module body, entry lookup) failed
                kind = "timeout" if outcome == "timeout" else outcome
                self.server.channel.send(b"C", struct.pack(">ii", -1, -1) + json.dumps(
                    {"fatal": [kind, f"module: {detail}"]}).encode())
                break
            self.emit([index], outcome, detail)
            if outcome in ("crash", "memory"):
                crashes += 1
                if crashes >= MAX_CRASH_RESTARTS:
                    self.emit(self.uncovered(), "crash", "not run: the program crashed its "
                              f"process {crashes} times")
                    break
            if self.cpu_used >= self.budget:
                self.emit(self.uncovered(), "timeout",
                          f"not run: batch CPU budget of {self.budget:g}s exhausted")
                break
            nxt = self.covered.find(0, start)
            if nxt < 0:
                break
            start = nxt
        return {"id": self.req["id"], "cpu_s": round(self.cpu_used, 4),
                "wall_s": round(time.monotonic() - wall0, 4), "children": self.children,
                "child_ms": self.child_timing}

    def monitor(self, child: Child) -> tuple[str, int, str]:
        """Relay the child's frames until it ends; kill it when a limit is crossed."""
        buf = bytearray()
        index = -1
        cpu_base = self.cpu_used
        idx_cpu0 = 0.0
        idx_wall0 = time.monotonic()
        poller = select.poll()
        poller.register(child.res_r, select.POLLIN | select.POLLHUP | select.POLLERR)
        last_check = 0.0
        while True:
            events = poller.poll(POLL_S * 1000)
            if events:
                try:
                    chunk = os.read(child.res_r, 1 << 20)
                except OSError:
                    chunk = b""
                if not chunk:
                    return "died", child.progress[0], ""
                buf += chunk
                while len(buf) >= 4:
                    (size,) = struct.unpack_from(">I", buf)
                    if size < 8 or size > MAX_CHILD_FRAME:
                        child.kill()
                        return "died", child.progress[0], "malformed result frame"
                    if len(buf) < 4 + size:
                        break
                    frame = bytes(buf[4:4 + size])
                    del buf[:4 + size]
                    a, b = struct.unpack_from(">ii", frame)
                    self.relayed += size
                    if self.relayed > MAX_RELAY_BYTES:
                        child.kill()
                        return "overflow", -1, "outputs exceeded the size cap"
                    if a == worker.END:
                        try:  # the child's own timings: informative only, never trusted
                            timing = json.loads(frame[8:]).get("timing_ms")
                            if isinstance(timing, dict):
                                self.child_timing = {str(k)[:20]: float(v)
                                                     for k, v in list(timing.items())[:5]}
                        except (ValueError, TypeError, AttributeError):
                            pass
                        return "end", self.n, ""
                    if a == worker.FATAL:
                        self.server.channel.send(b"C", frame)
                        return "fatal", -1, ""
                    if not (0 <= a < b <= self.n) or any(self.covered[a:b]):
                        child.kill()
                        return "died", child.progress[0], "result range out of order"
                    self.covered[a:b] = b"\x01" * (b - a)
                    self.server.channel.send(b"C", frame)
            now = time.monotonic()
            if now - last_check < POLL_S:
                continue
            last_check = now
            cpu = child.cpu_seconds()
            current = child.progress[0]
            if current != index:
                index, idx_cpu0, idx_wall0 = current, cpu, now
            limit = self.setup_limit if index < 0 else self.time_limit
            if cpu - idx_cpu0 > limit:
                child.kill()
                return "timeout", index, f"exceeded {limit:g}s CPU time"
            if now - idx_wall0 > 3 * limit + 1.0:
                child.kill()
                return "timeout", index, f"exceeded {3 * limit + 1.0:g}s wall time"
            if cpu_base + cpu > self.budget + (self.setup_limit if index < 0 else 0):
                child.kill()
                return "timeout", index, f"batch CPU budget of {self.budget:g}s exhausted"


def _death_cause(status: int, detail: str) -> tuple[str, str]:
    if detail:
        return "crash", detail
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return "timeout", "CPU time limit (RLIMIT_CPU)"
        if sig == signal.SIGKILL:
            return "memory", "killed by SIGKILL (out of memory)"
        return "crash", f"killed by {name}"
    return "crash", f"process exited with code {os.WEXITSTATUS(status)}"


# ------------------------------------------------------------------ the server


class Server:
    """Serves requests one at a time; between them, when the host is not waiting, it reaps
    finished children and forks the next ones, so neither is on a request's critical path."""

    STOCK = 2  # children forked ahead of time

    def __init__(self) -> None:
        self.channel = HostChannel()
        self.batches: OrderedDict[str, list[Any]] = OrderedDict()
        self.batch_json: dict[str, bytes] = {}  # for children forked before a batch arrived
        self.ready: list[Child] = []
        self.to_reap: list[Child] = []
        self.swept = True

    # ---------------------------------------------------------------- children
    def take_child(self, batch: str) -> Child:
        while self.ready:
            child = self.ready.pop(0)
            if child.intact():
                return child
            self.retire(child)
        return Child(self.channel, self.batches)

    def retire(self, child: Child) -> None:
        """Kill a child now; wait for it later (a process's teardown costs milliseconds)."""
        child.kill_group_quietly()
        self.to_reap.append(child)
        self.swept = False

    def drop_ready(self) -> None:
        for child in self.ready:
            self.retire(child)
        self.ready.clear()

    def maintenance_step(self) -> bool:
        """One unit of background work; False when there is nothing left to do."""
        for child in self.to_reap:
            if child.try_reap():
                self.to_reap.remove(child)
                return True
        if not self.swept and not self.to_reap:
            self.sweep()
            self.swept = True
            return True
        if len(self.ready) < self.STOCK:
            self.ready.append(Child(self.channel, self.batches))
            return True
        return bool(self.to_reap)

    def idle(self) -> None:
        """Do background work until a request is waiting or nothing is left to do."""
        while not self.channel.pending():
            if not self.maintenance_step():
                return
            if self.to_reap and not self.channel.pending():
                if not any(c.try_reap() for c in list(self.to_reap)):
                    self.channel.wait_readable(0.002)

    def sweep(self) -> None:
        """After a program: drop pre-forked children it may have signalled and, in the
        container, kill any process it left behind (setsid escapes killpg)."""
        damaged = [c for c in self.ready if not c.intact()]
        for child in damaged:
            self.ready.remove(child)
            self.retire(child)
        if not IN_CONTAINER:
            return
        keep = {1, os.getpid()} | {c.pid for c in self.ready}
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in keep:
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        while True:  # reap whatever was ours
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            self.to_reap = [c for c in self.to_reap if c.pid != pid or c.close_fds()]

    def warm_for(self, source: str) -> None:
        """Import sympy into the parent the first time a program needs it.

        sympy doubles the parent's memory, and with it the cost of every fork and exit; most
        programs (ARC grids, bit strings) never touch it, so it is loaded on demand, and every
        child forked afterwards inherits it warm.
        """
        if "sympy" in source and "sympy" not in sys.modules:
            import sympy  # noqa: F401

            policy.preload_allowed_modules()
            self.drop_ready()

    # ---------------------------------------------------------------- requests
    def serve(self) -> None:
        while True:
            self.idle()
            req = self.channel.read_request()
            if req is None:
                return
            op = req.get("op")
            if op == "hello":
                self.channel.send_json(b"J", {"ok": True, "protocol": PROTOCOL_VERSION,
                                              "pid": os.getpid(),
                                              "python": sys.version.split()[0]})
            elif op == "put":
                self.batches[req["batch"]] = req["inputs"]
                self.batch_json[req["batch"]] = json.dumps(req["inputs"]).encode()
                self.batches.move_to_end(req["batch"])
                while len(self.batches) > MAX_CACHED_BATCHES:
                    old, _ = self.batches.popitem(last=False)
                    self.batch_json.pop(old, None)
                self.channel.send_json(b"J", {"ok": True})
            elif op == "run":
                inputs = self.batches.get(req.get("batch"))
                if inputs is None:
                    self.channel.send_json(b"D", {"id": req.get("id"), "error": "unknown_batch"})
                    continue
                self.batches.move_to_end(req["batch"])
                self.warm_for(str(req.get("source", "")))
                result = Run(self, req, inputs).execute()
                self.channel.send_json(b"D", result)
            elif op == "quit":
                return
            else:
                self.channel.send_json(b"J", {"ok": False, "error": f"unknown op {op!r}"})


def forbid_ptrace() -> None:
    """Make the server (and, inherited, its children) non-dumpable: a program running under the
    same uid then cannot ptrace it or read /proc/<pid>/mem to forge later programs' results."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    forbid_ptrace()
    warm_up()
    server = Server()
    try:
        server.serve()
    finally:
        for child in server.ready + server.to_reap:
            child.kill_group_quietly()


if __name__ == "__main__":
    main()
