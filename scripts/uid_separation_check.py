#!/usr/bin/env python3
"""Check the uid-separation design of the exec server inside a sandbox container, under runc
or gVisor: the server as PID 1 under uid 0 with only CAP_SETUID/CAP_SETGID/CAP_KILL, each
forked child dropping to its own uid. Prints one line per check; run it with the container's
flags, e.g. (TAG from `harness sandbox status`):

  docker run --rm -i --runtime runsc --network none --read-only --user 0:0 --cap-drop ALL \
    --cap-add SETUID --cap-add SETGID --cap-add KILL --security-opt no-new-privileges \
    --pids-limit 1024 --memory 2048m --memory-swap 2048m -v "$PWD/scripts:/exp:ro" \
    harness-sandbox:TAG python3 /exp/uid_separation_check.py
"""

import ctypes
import errno
import os
import resource
import signal
import time


def caps():
    for line in open("/proc/self/status"):
        if line.startswith(("CapEff", "CapPrm", "CapBnd", "NoNewPrivs")):
            yield line.split()[0] + line.split()[1]


def res(name, fn):
    try:
        print(f"{name}: {fn()}", flush=True)
    except Exception as e:
        print(f"{name}: FAILED {type(e).__name__}: {e}", flush=True)


print(
    "pid", os.getpid(), "uid", os.getresuid(), "gid", os.getresgid(), " ".join(caps()), flush=True
)
libc = ctypes.CDLL(None, use_errno=True)
res("prctl(PR_SET_DUMPABLE,0)", lambda: libc.prctl(4, 0, 0, 0, 0))


def spawn(uid, body):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setsid()
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            msg = (
                f"child uid={os.getresuid()} gid={os.getresgid()} groups={os.getgroups()} "
                + " ".join(caps())
            )
            os.write(w, msg.encode())
            os.close(w)
            body()
        except BaseException as e:
            os.write(w, f"child FAILED {type(e).__name__}: {e}".encode())
        os._exit(0)
    os.close(w)
    print(os.read(r, 4096).decode(), flush=True)
    return pid


def busy():
    while True:
        pass


def stat_cpu(pid):
    f = open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return f"utime={int(f[11]) / tck} stime={int(f[12]) / tck} state={f[0].decode()} pgrp={f[2].decode()}"


p = spawn(10001, busy)
time.sleep(1.0)
res("parent reads /proc/child/stat after 1s busy", lambda: stat_cpu(p))
res(
    "parent reads /proc/child/status Uid",
    lambda: [line.strip() for line in open(f"/proc/{p}/status") if line.startswith("Uid")][0],
)
res("killpg(child, SIGKILL)", lambda: os.killpg(p, signal.SIGKILL))
res("kill(child, SIGKILL)", lambda: os.kill(p, signal.SIGKILL))
res(
    "wait4",
    lambda: (
        lambda s: (
            f"signaled={os.WIFSIGNALED(s[1])} sig={os.WTERMSIG(s[1]) if os.WIFSIGNALED(s[1]) else None} utime={s[2].ru_utime:.2f}"
        )
    )(os.wait4(p, 0)),
)


# RLIMIT_CPU as the kernel's hard stop, under a dropped uid
def cpu_limited():
    resource.setrlimit(resource.RLIMIT_CPU, (1, 1))
    busy()


p = spawn(10002, cpu_limited)
t = time.monotonic()
_, st, ru = os.wait4(p, 0)
print(
    f"RLIMIT_CPU=1 busy child: signaled={os.WIFSIGNALED(st)} sig={signal.Signals(os.WTERMSIG(st)).name if os.WIFSIGNALED(st) else None} wall={time.monotonic() - t:.2f}s utime={ru.ru_utime:.2f}",
    flush=True,
)


# one child (uid A) must not be able to signal another (uid B), nor the server
def try_kill_other():
    time.sleep(0.3)
    out = []
    for target, name in (
        (int(os.environ["VICTIM"]), "other child"),
        (1 if os.getpid() != 1 else os.getppid(), "pid 1"),
        (os.getppid(), "server"),
    ):
        try:
            os.kill(target, 0)
            out.append(f"{name}: signal ALLOWED")
        except PermissionError:
            out.append(f"{name}: EPERM")
    try:
        open(f"/proc/{os.getppid()}/environ", "rb").read()
        out.append("server environ READABLE")
    except OSError as e:
        out.append(f"server environ: {e.strerror}")
    try:
        open(f"/proc/{os.getppid()}/mem", "rb")
        out.append("server mem OPENABLE")
    except OSError as e:
        out.append(f"server mem: {e.strerror}")
    os.write(2, ("child A: " + "; ".join(out) + "\n").encode())
    time.sleep(0.1)


victim = spawn(10003, lambda: time.sleep(30))
os.environ["VICTIM"] = str(victim)
a = spawn(10004, try_kill_other)
os.waitpid(a, 0)
os.kill(victim, signal.SIGKILL)
os.waitpid(victim, 0)


# the server (uid 0, CAP_KILL) kills a setsid'd grandchild-less child group; children cannot setuid back
def try_regain():
    try:
        os.setresuid(0, 0, 0)
        os.write(2, b"child regained uid 0 (BAD)\n")
    except PermissionError:
        os.write(2, b"child cannot regain uid 0: EPERM\n")


p = spawn(10005, try_regain)
os.waitpid(p, 0)


# which /proc/<server>/ entries a child under another uid can read (server non-dumpable)
def probe_proc():
    out = []
    for name in ("environ", "cmdline", "maps", "status", "stat", "auxv", "mem", "fd"):
        path = f"/proc/{os.getppid()}/{name}"
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb") as fh:
                    fh.read(64)
            out.append(f"{name}:readable")
        except OSError as e:
            out.append(f"{name}:{errno.errorcode.get(e.errno, e.errno)}")
    os.write(2, ("child reads /proc/<server>/: " + " ".join(out) + "\n").encode())


p = spawn(10006, probe_proc)
os.waitpid(p, 0)
print("done", flush=True)
