#!/usr/bin/env python3
"""Exec server: a warm parent that runs each untrusted program in a fresh forked child.

Runs inside the sandbox container as PID 1 (or, weaker, as a local subprocess for ``--backend
process``). It knows nothing of the host harness. Talks to the host over its own stdin/stdout,
which it moves to private descriptors at start so that nothing a program prints can reach them.

Who can reach what (in the container): the server runs as uid 0 with exactly CAP_SETUID,
CAP_SETGID and CAP_KILL, non-dumpable. Every child drops, right after the fork and before it
reads its job, to a uid of its own with no capabilities, and installs a syscall filter
(seccomp.py: no sockets, exec, ptrace, io_uring, IPC that outlives it). A program therefore
cannot signal, ptrace or open ``/proc/<pid>/fd`` of the server (which holds the host channel)
or of any sibling, and the server can still kill everything a program leaves behind.

Host -> server frame: ``>I`` length of the rest, a 16-byte nonce, ``>I`` length of a JSON
meta object, the meta, then a raw payload (a run's program source; a put's inputs as JSON).
The nonce is read into one buffer that is never copied into a Python object and is wiped in every
child, so no program sees it; every reply that ends a request carries it back.

Server -> host frame: ``>I`` length + one kind byte + payload: ``J`` nonce + JSON reply,
``C`` a result chunk relayed from the child as it wrote it (``>ii`` range + JSON, see worker.py),
``H`` a heartbeat while a run goes on (empty), ``D`` nonce + the JSON end of one ``run``.

Requests (meta):
  {"op": "hello"}                                   -> J {"ok": true, ...}
  {"op": "put", "batch": ID}   + inputs JSON        -> J {"ok": true}   (inputs cached by id)
  {"op": "run", "batch": ID, "entry": ..., "policy": ..., "time_limit": S, "setup_limit": S,
   "batch_budget": S, "memory_mb": M, "caps": {...}}  + source  -> C ... C, then D {...}

Limits are enforced from here, outside the program, from the server's own view: user CPU time
per input (read from /proc, so a loaded machine does not turn a fast program into a timeout)
with a separate allowance for kernel time, a bound on the child's whole CPU time by the number
of inputs it has actually answered (the per-input counter the child writes is only a hint), a
backstop on time spent stopped or waiting, a CPU budget per batch (plus RLIMIT_CPU in the child
as the kernel's hard stop), and caps on what the child may send. The child is SIGKILLed with
its whole process group, and after every program every process but the server's own is killed.
"""

from __future__ import annotations

import gc
import json
import math
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
import seccomp  # noqa: E402
import worker  # noqa: E402

try:  # warm numpy, so each forked child starts with it loaded (sympy, scipy: see warm_for)
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


PROTOCOL_VERSION = 2
IN_CONTAINER = os.environ.get("HARNESS_IN_CONTAINER") == "1"
MAX_REQUEST = 1 << 30
NONCE_BYTES = 16
MAX_CACHED_BATCHES = 16
MAX_CRASH_RESTARTS = 3
POLL_S = 0.005
HEARTBEAT_S = 0.5  # the host takes a long silence for a stopped or lost server
#: A request that follows the last reply this soon means a stream of them: no warm-up compile
#: (it takes about 5 ms here; a job that arrives meanwhile waits for its end).
BUSY_GAP_S = 0.01
FLUSH_S = 0.05  # ask the child for its results when it has sent none for this long
BOUND_SLACK_S = 0.25  # flush delay + /proc tick granularity in the answered-inputs bound
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: Uids the children run under (one each, none shared with the server or a live sibling).
UID_BASE, UID_SPAN = 20000, 10000

#: The one buffer the nonce of the current request lives in (see the module docstring).
NONCE = bytearray(NONCE_BYTES)


def _libc() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return None


LIBC = _libc()


def set_dumpable(flag: int) -> None:
    """PR_SET_DUMPABLE: a non-dumpable process cannot be ptraced and its /proc entries belong to
    root, so no program can read its memory or its descriptors."""
    if LIBC is not None:
        LIBC.prctl(4, flag, 0, 0, 0)


def separate_uids() -> bool:
    """Children get uids of their own when we can switch uid: in the container, as uid 0 with
    CAP_SETUID (never on a user's machine, where the process backend runs as that user)."""
    return IN_CONTAINER and os.getuid() == 0


# ------------------------------------------------------------------ host channel


class HostChannel:
    """Frames over two private descriptors (the original stdin/stdout)."""

    def __init__(self) -> None:
        self.fd_in = os.dup(0)
        self.fd_out = os.dup(1)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)
        os.close(devnull)
        self.last_sent = time.monotonic()

    def pending(self) -> bool:
        return self.wait_readable(0)

    def wait_readable(self, timeout: float) -> bool:
        return bool(select.select([self.fd_in], [], [], timeout)[0])

    def read_into(self, buf: bytearray | memoryview) -> bool:
        view = memoryview(buf)
        got = 0
        while got < len(view):
            n = os.readv(self.fd_in, [view[got:]])
            if n == 0:
                return False
            got += n
        return True

    def read_request(self) -> tuple[dict[str, Any], bytearray, int] | None:
        """One request: (meta, body buffer, offset of the payload in it). The nonce goes
        straight into NONCE."""
        head = bytearray(4)
        if not self.read_into(head):
            return None
        (size,) = struct.unpack(">I", head)
        if not NONCE_BYTES + 4 <= size <= MAX_REQUEST:
            raise SystemExit("malformed request")
        if not self.read_into(NONCE):
            return None
        body = bytearray(size - NONCE_BYTES)
        if not self.read_into(body):
            return None
        (meta_len,) = struct.unpack_from(">I", body)
        meta = json.loads(bytes(body[4:4 + meta_len]))
        if not isinstance(meta, dict):
            raise SystemExit("malformed request")
        return meta, body, 4 + meta_len

    def send(self, kind: bytes, *parts: bytes | bytearray | memoryview) -> None:
        size = 1 + sum(len(p) for p in parts)
        write_all(self.fd_out, [struct.pack(">I", size) + kind, *parts])
        self.last_sent = time.monotonic()

    def reply(self, kind: bytes, obj: dict[str, Any]) -> None:
        """A frame that ends a request: it carries the request's nonce back."""
        self.send(kind, NONCE, json.dumps(obj, separators=(",", ":")).encode())

    def heartbeat(self) -> None:
        if time.monotonic() - self.last_sent >= HEARTBEAT_S:
            self.send(b"H")


# ------------------------------------------------------------------ children


class Child:
    """A forked child waiting for its one job; forked ahead of time so a program starts at once."""

    def __init__(self, server: Server, preharden: bool = True) -> None:
        self.known = frozenset(server.batches)
        self.preharden = preharden  # may harden the libraries while it waits (never for off)
        # The warm-up compile costs more CPU than it saves a program: worth it only while
        # requests leave the server idle between them, never under a stream of them.
        self.warm = preharden and not server.busy
        job_r, self.job_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.shm = mmap.mmap(-1, 24)
        # [0]..[2] the range of inputs being run (a hint), [1] the parent asks for a flush
        self.ctl = memoryview(self.shm).cast("q")
        self.ctl[0] = self.ctl[2] = -1
        self.uid = server.next_uid()
        # Park every object the parent has in the permanent generation: the child's garbage
        # collector then never walks (and copy-on-write faults) the whole warm heap.
        gc.freeze()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - runs in the child
            code = 70
            try:
                _child_main(server, self, job_r, res_w)
                code = 0
            finally:
                os._exit(code)
        os.close(job_r)
        os.close(res_w)

    def start(self, job: dict[str, Any], source: memoryview,
              inline_inputs: bytes | None = None) -> None:
        """Hand the child its one job; with the inputs too when it was forked before they
        arrived (cheaper than killing the children forked ahead and forking new ones)."""
        job = dict(job, inline=inline_inputs is not None)
        body = json.dumps(job).encode()
        parts: list[Any] = [struct.pack(">I", len(body)), body,
                            struct.pack(">I", len(source)), source]
        if inline_inputs is not None:
            parts += [struct.pack(">I", len(inline_inputs)), inline_inputs]
        try:
            write_all(self.job_w, parts)
        except OSError:
            pass  # the child died already; the monitor will see it
        os.close(self.job_w)
        self.job_w = -1

    def cpu(self) -> tuple[float, float]:
        """(user, user + system) CPU seconds of the child, from the kernel's accounting."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            user, system = int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK
            return user, user + system
        except (OSError, IndexError, ValueError):
            return 0.0, 0.0

    def kill(self) -> None:
        self.kill_group_quietly()

    def reap(self) -> tuple[int, float]:
        """Wait for the child; return its wait status and the CPU seconds it used."""
        self.kill_group_quietly()
        _, status, usage = os.wait4(self.pid, 0)
        self.close_fds()
        self.unmap()
        return status, usage.ru_utime + usage.ru_stime

    def intact(self) -> bool:
        """Still alive and not stopped? (Damage from outside must not reach a program.)"""
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

    def unmap(self) -> None:
        try:
            self.ctl.release()
            self.shm.close()
        except (BufferError, ValueError):
            pass

    def kill_group_quietly(self) -> None:
        """SIGKILL the child's process group and the child itself: a child killed before it
        ran its own setsid() has no group yet, and must not survive that race."""
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except OSError:
                pass


def _child_main(server: Server, me: Child, job_r: int,
                res_w: int) -> None:  # pragma: no cover - runs in the child
    # Nothing of the server's but this child's own job may stay reachable: wipe the nonce,
    # unmap the control pages of the other children, close every descriptor but ours.
    NONCE[:] = bytes(NONCE_BYTES)
    for other in server.ready + server.to_reap:
        other.unmap()
    os.setsid()
    close_fds_except({job_r, res_w})
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if server.separate:
        # A uid of its own, no supplementary groups, no capabilities left (all uids non-zero),
        # and not dumpable: it can reach neither the server nor any sibling.
        os.setgroups([])
        os.setresgid(me.uid, me.uid, me.uid)
        os.setresuid(me.uid, me.uid, me.uid)
    set_dumpable(0)
    seccomp.install()  # fails closed: a child that cannot filter never runs a program
    # Warm up only while no job waits: it pays off only off the program's critical path.
    # Cheapest and surest gain first: the inputs' pages (the input loop saves more than this
    # costs), then the compile path (only when the server is idle between requests), then the
    # libraries (needed by every program).
    if not _readable(job_r):
        _touch(server.batches)
    if me.warm and not _readable(job_r):
        warm_up(preload=False)
        sys.modules.pop("solution", None)
    if me.preharden and not _readable(job_r):
        policy.harden_libraries("standard")  # the program's own state is read at call time
    head = _read_exact(job_r, 4)
    if head is None:
        return
    body = _read_exact(job_r, struct.unpack(">I", head)[0])
    head = _read_exact(job_r, 4)
    source = _read_exact(job_r, struct.unpack(">I", head)[0]) if head else None
    if body is None or source is None:
        return
    job = json.loads(body)
    if job.get("inline"):
        head = _read_exact(job_r, 4)
        raw = _read_exact(job_r, struct.unpack(">I", head)[0]) if head else None
        if raw is None:
            return
        inputs = json.loads(raw)
    else:
        inputs = server.batches[job["batch"]]
    os.close(job_r)
    worker.apply_limits(job["memory_mb"], job["cpu_seconds"], IN_CONTAINER)
    try:
        worker.run_job(job, source.decode("utf-8", "replace"), inputs, res_w, me.ctl)
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


def write_all(fd: int, parts: list[Any]) -> None:
    """Every byte of ``parts`` to ``fd`` in as few system calls as the pipe allows."""
    views = [memoryview(p) for p in parts]
    while views:
        n = os.writev(fd, views)
        while views and n >= len(views[0]):
            n -= len(views[0])
            views.pop(0)
        if views and n:
            views[0] = views[0][n:]


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _touch(batches: OrderedDict[str, list[Any]]) -> None:  # pragma: no cover - in the child
    """Take the copy-on-write faults of the cached inputs now, while the child waits for its
    job: reading a Python object writes its reference count, which copies its page. Copying a
    list references every item at C speed (a Python walk cost five times as much); grids get
    their rows touched too. Only the batch used last (the best guess for the next job): the
    others would cost every program, whatever it runs on."""
    if not batches:
        return
    items = list(next(reversed(batches.values())))
    if items and type(items[0]) is list:
        for item in items:
            if type(item) is list:
                list(item)


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


def _number(req: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    value = req.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return default
    return min(hi, max(lo, float(value)))


def _caps(req: dict[str, Any]) -> dict[str, int]:
    caps = dict(worker.DEFAULT_CAPS)
    given = req.get("caps")
    if isinstance(given, dict):
        for key in caps:
            value = given.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                caps[key] = value
    return caps


class ChildView:
    """What the server knows of one child while it runs, from its own observation only."""

    def __init__(self, child: Child, start: int) -> None:
        self.child = child
        self.start = start
        self.ready = False
        self.answered = 0  # inputs covered by result frames this child sent
        self.hint = start - 1  # the highest input index the child claimed, accepted if rising
        self.hint_end = start  # the end of the range claimed with it (hint + 1 for one input)
        now = time.monotonic()
        self.base = (0.0, 0.0, now)  # (user, total, wall) when the current phase/input began
        self.ready_cpu = (0.0, 0.0)
        self.last_frame = now


class Run:
    """Runs one program over one batch, restarting children past timeouts and crashes."""

    def __init__(self, server: Server, req: dict[str, Any], source: memoryview,
                 inputs: list[Any]) -> None:
        self.server = server
        self.req = req
        self.source = source
        self.inputs = inputs
        self.n = len(inputs)
        self.covered = bytearray(self.n)
        self.time_limit = _number(req, "time_limit", 0.5, 0.001, 3600)
        # The host sends its rule (harness/sandbox/limits.py, Limits.setup_limit_s); this
        # default only serves a request without it.
        self.setup_limit = _number(req, "setup_limit", 2.0, 0.01, 3600)
        self.budget = _number(req, "batch_budget", 10.0, 0.001, 36000)
        self.memory_mb = int(_number(req, "memory_mb", 1024, 16, 1 << 20))
        # Kernel time (page faults of a large allocation, system calls) gets its own allowance,
        # so a memory bomb meets its memory cap rather than a CPU limit on a slow machine.
        self.sys_allowance = max(2 * self.time_limit, self.memory_mb / 128)
        self.caps = _caps(req)
        self.cpu_used = 0.0
        self.relayed = 0
        self.children = 0
        self.parent_emitted: set[int] = set()
        self.child_timing: dict[str, float] = {}
        self.child_marks: tuple[float, float] | None = None
        self.t_dispatch = 0.0
        # Inputs before this index run one per claim (see worker.Pacer): set to the end of the
        # batch once a child was stopped inside a range of several, so that the input at fault
        # is found and blamed alone; the range is then run again, one input at a time.
        self.careful_until = 0

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
            self.server.channel.send(b"C", struct.pack(">ii", a, b), body)
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
            try:
                child = self.server.take_child(str(self.req.get("policy", "standard")))
            except OSError as exc:  # no process could be made: this program only is lost
                self.emit(self.uncovered(), "crash", f"could not start a process: {exc}"[:200])
                break
            self.children += 1
            job = {
                "batch": self.req["batch"], "entry": self.req.get("entry"),
                "policy": self.req.get("policy", "standard"), "caps": self.caps,
                "start": start, "skip": sorted(i for i in self.parent_emitted if i >= start),
                "memory_mb": self.memory_mb, "time_limit": self.time_limit,
                "careful_until": self.careful_until,
                "cpu_seconds": max(1.0, self.budget - self.cpu_used) + self.setup_limit,
            }
            if self.children == 1:
                self.t_dispatch = time.monotonic()
            child.start(job, self.source, None if self.req["batch"] in child.known
                        else self.server.batch_json[self.req["batch"]])
            view = ChildView(child, start)
            outcome, index, detail = self.monitor(view)
            if outcome in ("end", "fatal"):
                # Tearing a process down costs milliseconds: do it after the reply is sent.
                self.cpu_used += child.cpu()[1]
                self.server.retire(child)
                break
            status, cpu = child.reap()
            self.server.sweep()
            if self.run_again(view, outcome):
                # Charged up to the range's start only: its inputs are run again, so the batch
                # budget counts the same CPU as if they had run one per claim from the start.
                self.cpu_used += min(cpu, view.base[1])
                self.careful_until = self.n
                start = self.covered.find(0, start)
                if start < 0:
                    break
                continue
            self.cpu_used += cpu
            if outcome == "overflow":
                self.emit(self.uncovered(), "invalid_output", detail)
                break
            if outcome == "died":
                outcome, detail = _death_cause(status, detail, cpu >= math.ceil(
                    job["cpu_seconds"]) - 0.05, self.server.new_oom_kill())
            if index < 0:  # setup (compile, module body, entry lookup) failed
                kind = "timeout" if outcome == "timeout" else outcome
                self.server.channel.send(b"C", struct.pack(">ii", -1, -1), json.dumps(
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
        now = time.monotonic()
        return {"cpu_s": round(self.cpu_used, 4), "wall_s": round(now - wall0, 4),
                "children": self.children, "child_ms": self.child_timing,
                "server_ms": self.server_timing(now)}

    def run_again(self, view: ChildView, outcome: str) -> bool:
        """Was the child stopped inside a range of several inputs it claimed? Then which input
        was at fault is not known (nor, for the batch budget, whether the inputs before it
        would have been answered in time): the range is run again one input per claim. At most
        once per run (every input after it is careful), so a child that claims wide ranges
        gains nothing but one restart."""
        if view.hint < self.careful_until or view.hint_end - view.hint <= 1 or not view.ready:
            return False
        return outcome in ("timeout", "died")

    def server_timing(self, now: float) -> dict[str, float]:
        """Where the server's time went around the child (for make bench): from the request
        read to the job handed over, to the child starting it, and from its end frame to
        now. The child's clock marks are its own word: informative only."""
        if self.child_marks is None or self.children != 1:
            return {}
        t_start, t_end = self.child_marks
        return {"dispatch": round((self.t_dispatch - self.server.t_request) * 1e3, 3),
                "wake": round((t_start - self.t_dispatch) * 1e3, 3),
                "after_child": round((now - t_end) * 1e3, 3)}

    def note_claim(self, view: ChildView) -> bool:
        """Take the range the child claims to be running, if it rose (True then)."""
        claim = view.child.ctl[0]
        if not view.hint < claim < self.n:
            return False
        end = view.child.ctl[2]
        view.hint, view.hint_end = claim, end if claim < end <= self.n else claim + 1
        return True

    def blame(self, view: ChildView) -> int:
        """The input a limit or a death is charged to: the child's last claim when it is
        plausible (an input of its range not yet answered), else the first input it has not
        answered. The claim is read again here: a fast child may have started its inputs, or
        moved on by thousands, since the last look every ``POLL_S``."""
        if not view.ready and view.child.ctl[0] >= 0:
            self.set_ready(view, time.monotonic())
        if not view.ready:
            return -1
        self.note_claim(view)
        if view.start <= view.hint < self.n and not self.covered[view.hint]:
            return view.hint
        nxt = self.covered.find(0, view.start)
        return nxt if nxt >= 0 else -1

    def monitor(self, view: ChildView) -> tuple[str, int, str]:
        """Relay the child's frames until it ends; kill it when a limit is crossed."""
        child = view.child
        buf = bytearray()
        cpu_base = self.cpu_used
        max_frame = self.caps["frame_bytes"] + 8
        poller = select.poll()
        poller.register(child.res_r, select.POLLIN | select.POLLHUP | select.POLLERR)
        last_check = 0.0
        channel = self.server.channel
        while True:
            events = poller.poll(POLL_S * 1000)
            if events:
                try:
                    chunk = os.read(child.res_r, 1 << 20)
                except OSError:
                    chunk = b""
                if not chunk:
                    return "died", self.blame(view), ""
                buf += chunk
                while len(buf) >= 4:
                    (size,) = struct.unpack_from(">I", buf)
                    if size < 8 or size > max_frame:
                        child.kill()
                        return "died", self.blame(view), "malformed result frame"
                    if len(buf) < 4 + size:
                        break
                    frame = bytes(buf[4:4 + size])
                    del buf[:4 + size]
                    a, b = struct.unpack_from(">ii", frame)
                    self.relayed += size
                    if self.relayed > self.caps["total_bytes"]:
                        child.kill()
                        return "overflow", -1, "outputs exceeded the size cap"
                    view.last_frame = time.monotonic()
                    if a == worker.END:
                        self._timing(frame)
                        return "end", self.n, ""
                    if a == worker.FATAL and not view.ready:
                        channel.send(b"C", frame)
                        return "fatal", -1, ""
                    if not (0 <= a < b <= self.n) or any(self.covered[a:b]):
                        child.kill()
                        return "died", self.blame(view), "result frame out of order"
                    if not view.ready:
                        self.set_ready(view, view.last_frame)
                    self.covered[a:b] = b"\x01" * (b - a)
                    view.answered += b - a
                    channel.send(b"C", frame)
            now = time.monotonic()
            if now - last_check < POLL_S:
                continue
            last_check = now
            channel.heartbeat()
            verdict = self.check_limits(view, now, cpu_base)
            if verdict is not None:
                child.kill()
                return "timeout", self.blame(view), verdict

    def check_limits(self, view: ChildView, now: float, cpu_base: float) -> str | None:
        """Why the child must be stopped now, or None. Everything here is the server's own
        observation; the child's input counter only moves the per-input clock forward."""
        child = view.child
        if not view.ready and child.ctl[0] >= 0:
            self.set_ready(view, now)
        user, total = child.cpu()
        if cpu_base + total > self.budget + (0 if view.ready else self.setup_limit):
            return f"batch CPU budget of {self.budget:g}s exhausted"
        if view.ready:
            if self.note_claim(view):  # a rising claim starts a new input's clock
                view.base = (user, total, now)
            limit = self.time_limit
            ready_user, ready_total = view.ready_cpu
            allowed = view.answered + 1
            if user - ready_user > allowed * limit + BOUND_SLACK_S or \
                    total - ready_total > allowed * (limit + self.sys_allowance) + BOUND_SLACK_S:
                return (f"exceeded {limit:g}s CPU time (more than {allowed} inputs may use "
                        "before answering)")
            if now - view.last_frame > FLUSH_S:
                child.ctl[1] = 1
        else:
            limit = self.setup_limit
        base_user, base_total, base_wall = view.base
        if user - base_user > limit:
            return f"exceeded {limit:g}s CPU time"
        if total - base_total > limit + self.sys_allowance:
            return f"exceeded {limit + self.sys_allowance:g}s CPU time (in the kernel)"
        idle = (now - base_wall) - (total - base_total)
        if idle > 3 * limit + 1.0:
            return f"stopped or waiting for more than {3 * limit + 1.0:g}s"
        return None

    @staticmethod
    def set_ready(view: ChildView, now: float) -> None:
        """Set-up (compile, module body) is over once the child claims an input or answers one.
        A child can only leave set-up early this way, for the stricter per-input limits."""
        view.ready = True
        user, total = view.child.cpu()
        view.ready_cpu = (user, total)
        view.base = (user, total, now)

    def _timing(self, frame: bytes) -> None:
        try:  # the child's own timings: informative only, never trusted
            end = json.loads(frame[8:])
            timing, marks = end.get("timing_ms"), end.get("mono")
            if isinstance(timing, dict):
                self.child_timing = {str(k)[:20]: float(v) for k, v in list(timing.items())[:5]
                                     if isinstance(v, (int, float))}
            if isinstance(marks, list) and len(marks) == 2 and all(
                    type(m) is float for m in marks):
                self.child_marks = (marks[0], marks[1])
        except (ValueError, TypeError, AttributeError, OverflowError):
            pass


def _death_cause(status: int, detail: str, at_cpu_limit: bool,
                 maybe_oom: bool) -> tuple[str, str]:
    """Why a child died that we did not kill. With soft == hard, the kernel's RLIMIT_CPU stop
    is a SIGKILL, not SIGXCPU: the CPU the child used tells them apart; the memory cgroup's
    OOM-kill count tells an out-of-memory kill from a program that killed itself."""
    if detail:
        return "crash", detail
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and at_cpu_limit):
            return "timeout", "CPU time limit (RLIMIT_CPU)"
        if sig == signal.SIGKILL and maybe_oom:
            return "memory", "killed by SIGKILL (out of memory)"
        return "crash", f"killed by {name}"
    return "crash", f"process exited with code {os.WEXITSTATUS(status)}"


_OOM_FILES = (("/sys/fs/cgroup/memory.events", b"oom_kill "),
              ("/sys/fs/cgroup/memory/memory.oom_control", b"oom_kill "))


def oom_kills() -> int | None:
    """The container's count of out-of-memory kills (cgroup v2 or v1); None where unknown."""
    for path, key in _OOM_FILES:
        try:
            with open(path, "rb") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return None


# ------------------------------------------------------------------ the server


class Server:
    """Serves requests one at a time; between them, when the host is not waiting, it reaps
    finished children and forks the next ones, so neither is on a request's critical path."""

    STOCK = 2  # children forked ahead of time

    def __init__(self) -> None:
        self.channel = HostChannel()
        self.t_request = 0.0  # when the request being served was read (make bench)
        self.batches: OrderedDict[str, list[Any]] = OrderedDict()
        self.batch_json: dict[str, bytes] = {}  # for children forked before a batch arrived
        self.ready: list[Child] = []
        self.to_reap: list[Child] = []
        self.swept = True
        self.separate = separate_uids()
        self.ooms = oom_kills()
        self.proc_fd_exposed = self.separate and other_uids_open_our_fds(self)
        self.t_replied = 0.0  # when the last request was answered
        self.busy = False  # the last request came right after the one before (see Child)
        self._uid_seq = 0

    def new_oom_kill(self) -> bool:
        """Has the memory cgroup killed a process since we last asked? (True where unknown.)"""
        count = oom_kills()
        new = count is None or count != self.ooms
        self.ooms = count
        return new

    def next_uid(self) -> int:
        self._uid_seq += 1
        return UID_BASE + self._uid_seq % UID_SPAN

    # ---------------------------------------------------------------- children
    MAX_UNREAPED = 6  # retired children waiting to be reaped (each holds a pid until then)

    def take_child(self, policy_name: str) -> Child:
        if policy_name == "off":  # full Python: a process whose libraries were never hardened
            self.reap_retired(block=len(self.to_reap) > self.MAX_UNREAPED)
            return Child(self, preharden=False)
        while self.ready:
            child = self.ready.pop(0)
            if child.intact():
                return child
            self.retire(child)
        self.reap_retired(block=len(self.to_reap) > self.MAX_UNREAPED)
        try:
            return Child(self)
        except OSError:  # out of pids (the container's limit): reap everything, then retry
            self.reap_retired(block=True)
            return Child(self)

    def reap_retired(self, block: bool) -> None:
        """Reap retired children now. Under a stream of requests the idle loop never runs,
        and unreaped children would use up the container's pids."""
        for child in list(self.to_reap):
            if block:
                try:
                    os.waitpid(child.pid, 0)
                except ChildProcessError:
                    pass
                child.close_fds()
                self.to_reap.remove(child)
            elif child.try_reap():
                self.to_reap.remove(child)

    def retire(self, child: Child) -> None:
        """Kill a child now; wait for it later (a process's teardown costs milliseconds)."""
        child.kill_group_quietly()
        child.unmap()
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
            try:
                self.ready.append(Child(self))
            except OSError:  # out of pids for now: the next request forks on demand
                return False
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
        """After a program: drop pre-forked children that were damaged and, in the container,
        kill any process left behind (setsid escapes killpg)."""
        damaged = [c for c in self.ready if not c.intact()]
        for child in damaged:
            self.ready.remove(child)
            self.retire(child)
        if not IN_CONTAINER:
            return
        keep = {os.getpid()} | {c.pid for c in self.ready}
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in keep:
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        while True:  # reap whatever was ours (as PID 1, orphans are ours too)
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            self.to_reap = [c for c in self.to_reap if c.pid != pid or c.close_fds()]

    def warm_for(self, source: bytearray, offset: int) -> None:
        """Import sympy or scipy into the parent the first time a program names it.

        sympy doubles the parent's memory, scipy.ndimage adds ~25 MB resident and ~85 MB of
        address space (which every child's RLIMIT_AS then counts), and with them grows the cost
        of every fork and exit; most programs never touch them, so they are loaded on demand
        (policy.ON_DEMAND_MODULES), and every child forked afterwards inherits them warm.
        """
        if policy.on_demand_wanted(source, offset):
            self.channel.send(b"H")
            policy.preload_allowed_modules(on_demand=policy.on_demand_wanted(source, offset))
            self.drop_ready()

    # ---------------------------------------------------------------- requests
    def serve(self) -> None:
        while True:
            self.idle()
            request = self.channel.read_request()
            if request is None:
                return
            self.t_request = time.monotonic()
            self.busy = self.t_request - self.t_replied < BUSY_GAP_S
            meta, body, offset = request
            try:
                if not self.handle(meta, body, offset):
                    return
            finally:
                body[:] = bytes(len(body))  # no later child may find this program's source
                self.t_replied = time.monotonic()

    def handle(self, meta: dict[str, Any], body: bytearray, offset: int) -> bool:
        op = meta.get("op")
        if op == "hello":
            self.channel.reply(b"J", {"ok": True, "protocol": PROTOCOL_VERSION,
                                      "pid": os.getpid(), "separate_uids": self.separate,
                                      "seccomp": seccomp.supported(),
                                      "proc_fd_exposed": self.proc_fd_exposed,
                                      "python": sys.version.split()[0]})
        elif op == "put" and isinstance(meta.get("batch"), str):
            raw = bytes(body[offset:])
            inputs = json.loads(raw)
            if not isinstance(inputs, list):
                self.channel.reply(b"J", {"ok": False, "error": "inputs must be a list"})
                return True
            self.batches[meta["batch"]] = inputs
            self.batch_json[meta["batch"]] = raw
            self.batches.move_to_end(meta["batch"])
            while len(self.batches) > MAX_CACHED_BATCHES:
                old, _ = self.batches.popitem(last=False)
                self.batch_json.pop(old, None)
            self.channel.reply(b"J", {"ok": True})
        elif op == "run":
            inputs = self.batches.get(meta.get("batch"))  # type: ignore[arg-type]
            if inputs is None:
                self.channel.reply(b"D", {"error": "unknown_batch"})
                return True
            self.batches.move_to_end(meta["batch"])
            self.warm_for(body, offset)
            result = Run(self, meta, memoryview(body)[offset:], inputs).execute()
            if self.channel.pending():
                # The host sends nothing while it waits for a run's end: these bytes were
                # written by the program (a runtime whose /proc lets it open our descriptors).
                raise SystemExit("unexpected bytes on the host channel during a run")
            self.channel.reply(b"D", result)
            if self.proc_fd_exposed:  # siblings forked ahead were open to that program
                self.drop_ready()
        elif op == "quit":
            return False
        else:
            self.channel.reply(b"J", {"ok": False, "error": f"unknown op {str(op)[:40]!r}"})
        return True


def other_uids_open_our_fds(server: Server) -> bool:
    """Can a process under another uid open our descriptors through /proc/<pid>/fd? Linux
    refuses (ptrace access rules); gVisor's /proc (runsc, 2022) lets it. Where it can, no child
    forked ahead is reused once a program has run beside it (see Server.handle)."""
    probe_r, probe_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe child
        code = 0
        try:
            os.setgroups([])
            os.setresgid(UID_BASE - 1, UID_BASE - 1, UID_BASE - 1)
            os.setresuid(UID_BASE - 1, UID_BASE - 1, UID_BASE - 1)
            os.close(os.open(f"/proc/{os.getppid()}/fd/{probe_w}", os.O_WRONLY | os.O_NONBLOCK))
            code = 1
        except OSError:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    os.close(probe_r)
    os.close(probe_w)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    # A write to a pipe whose reader died is an error we handle (EPIPE), never our death.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    # As PID 1 the kernel delivers no signal we do not handle: stop cleanly on docker stop.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    set_dumpable(0)
    warm_up()
    if seccomp.supported():
        seccomp.prepare()
    server = Server()
    try:
        server.serve()
    finally:
        for child in server.ready + server.to_reap:
            child.kill_group_quietly()


if __name__ == "__main__":
    main()
