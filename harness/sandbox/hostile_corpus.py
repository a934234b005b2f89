"""The hostile half of the conformance corpus: programs that attack the sandbox, each with the
verdicts that count as its safe outcome (and, where one is needed, a check of the result).
Every backend that claims containment must pass them (tests/test_sandbox_hostile.py runs them
through Docker, tests/test_sandbox_gvisor.py under gVisor). The legitimate half is
``harness.sandbox.corpus.LEGIT``.

Run these only through a container backend: on the process backend several would hit the
machine itself.
"""

from __future__ import annotations

from typing import Any

from harness.sandbox.corpus import Case


def _outputs_equal(expected: Any) -> Any:
    return lambda r: [v.output for v in r.verdicts] == expected


def _only_loopback(r: Any) -> bool:
    return r.verdicts[0].ok and r.verdicts[0].output == ["lo"]


def _no_host_env(r: Any) -> bool:
    keys = r.verdicts[0].output if r.verdicts[0].ok else []
    return r.verdicts[0].ok and not any(
        k in keys for k in ("HARNESS_TEST_SECRET", "OPENAI_API_KEY", "TAMU_API_KEY"))


def _plain_str(expected: str) -> Any:
    return lambda r: r.verdicts[0].ok and r.verdicts[0].output == expected and type(
        r.verdicts[0].output) is str


ONE = ["0101"]
OFF = "off"

#: Every module a program can reach from scipy's public names, through the guard: it gets the
#: open ones and is refused the rest (a refusal is an exception it catches).
SCIPY_WALK = """import scipy, scipy.ndimage, scipy.special
def f(x):
    seen, todo, got = set(), [scipy, scipy.ndimage, scipy.special], set()
    while todo:
        m = todo.pop()
        if m.__name__ in seen:
            continue
        seen.add(m.__name__)
        for n in dir(m):
            try:
                v = getattr(m, n)
            except Exception:
                continue
            if type(v).__name__ == 'module':
                got.add(v.__name__)
                if v.__name__.startswith('scipy'):
                    todo.append(v)
    return sorted(got)
"""
OPEN_SCIPY = ("scipy.ndimage", "scipy.special")


def _only_open_modules(r: Any) -> bool:
    """scipy's public names lead only to its open submodules and to allowed modules."""
    got = r.verdicts[0].output if r.verdicts[0].ok else None
    return bool(got) and "scipy.ndimage.filters" in got and all(
        name.startswith(OPEN_SCIPY) and "._" not in name for name in got)

HOSTILE: list[Case] = [
    # --- time
    Case("infinite_loop", "def f(x):\n    while True:\n        pass\n", ONE, safe=("timeout",)),
    Case("loop_catching_baseexception", "def f(x):\n    while True:\n        try:\n"
         "            while True:\n                pass\n        except BaseException:\n"
         "            pass\n", ONE, safe=("timeout",)),
    Case("signal_handler_standard", "import signal\ndef f(x):\n"
         "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True: pass\n", ONE,
         safe=("restricted",)),
    Case("signal_handler_off", "import signal\ndef f(x):\n"
         "    for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):\n"
         "        signal.signal(s, signal.SIG_IGN)\n    while True: pass\n", ONE,
         safe=("timeout",), policy=OFF),
    Case("c_level_long_call", "import math\ndef f(x):\n    return str(math.factorial(10**8))\n",
         ONE, safe=("timeout", "memory")),
    Case("sleep_off", "import time\ndef f(x):\n    time.sleep(60)\n", ONE, safe=("timeout",),
         policy=OFF),
    Case("print_flood", "def f(x):\n    while True:\n        print('x' * 10000)\n", ONE,
         safe=("timeout",)),
    # --- memory
    Case("memory_bomb_string", "def f(x):\n    return len('a' * (10**10))\n", ONE,
         safe=("memory",)),
    Case("memory_bomb_list", "def f(x):\n    a = []\n    while True:\n"
         "        a.append([0] * 10**6)\n", ONE, safe=("memory",)),
    Case("memory_bomb_numpy", "import numpy as np\ndef f(x):\n"
         "    return int(np.ones((10**6, 10**4)).sum())\n", ONE, safe=("memory",)),
    # --- processes and threads
    Case("fork_standard", "import os\ndef f(x):\n    os.fork()\n", ONE, safe=("restricted",)),
    Case("fork_bomb_off", "import os\ndef f(x):\n    while True:\n        try:\n"
         "            os.fork()\n        except OSError:\n            pass\n", ONE,
         safe=("timeout", "crash"), policy=OFF),
    Case("thread_outliving_off", "import threading, time\ndef f(x):\n"
         "    t = threading.Thread(target=lambda: time.sleep(100), daemon=True)\n"
         "    t.start()\n    return 'started'\n", ONE, safe=("exception",), policy=OFF),
    Case("threading_standard", "import threading\ndef f(x):\n    return 1\n", ONE,
         safe=("restricted",)),
    Case("setsid_escape_off", "import os, time\ndef f(x):\n    pid = os.fork()\n"
         "    if pid == 0:\n        os.setsid()\n        time.sleep(100)\n    return 'parent'\n",
         ONE, safe=("exception", "crash"), policy=OFF),
    # --- files, network, environment
    Case("write_file_standard", "def f(x):\n    open('/tmp/pwn', 'w').write('x')\n", ONE,
         safe=("restricted",)),
    Case("write_file_off", "def f(x):\n    with open('/etc/pwned', 'w') as fh:\n"
         "        fh.write('x')\n    return 'wrote'\n", ONE, safe=("exception",), policy=OFF),
    Case("disk_filler_off", "def f(x):\n    with open('/tmp/fill', 'wb') as fh:\n"
         "        while True:\n            fh.write(b'x' * 1000000)\n", ONE,
         safe=("exception", "crash"), policy=OFF),
    Case("read_host_repo_off", "def f(x):\n    return open('/work/main/pyproject.toml').read()\n",
         ONE, safe=("exception",), policy=OFF),
    Case("network_interfaces_off", "def f(x):\n    lines = open('/proc/net/dev').read()"
         ".splitlines()[2:]\n    return sorted(l.split(':')[0].strip() for l in lines)\n", ONE,
         safe=("ok",), policy=OFF, check=_only_loopback),
    Case("dns_off", "import socket\ndef f(x):\n"
         "    return socket.getaddrinfo('example.invalid', 80)\n",
         ONE, safe=("exception",), policy=OFF),
    Case("socket_standard", "import socket\ndef f(x):\n    return 1\n", ONE,
         safe=("restricted",)),
    Case("environment_off", "import os\ndef f(x):\n    return sorted(os.environ)\n", ONE,
         safe=("ok",), policy=OFF, check=_no_host_env),
    Case("environment_standard", "import os\ndef f(x):\n    return dict(os.environ)\n", ONE,
         safe=("restricted",)),
    # --- protocol and process attacks
    Case("fake_protocol_print", "def f(x):\n"
         "    print('\\x00\\x00\\x00\\x05D{\"id\":1}')\n"
         "    print('{\"i\": 0, \"verdict\": \"ok\", \"output\": \"1\"}')\n    return '0'\n",
         ONE, safe=("ok",), check=_outputs_equal(["0"])),
    Case("fake_frames_on_every_fd_off", "import os, struct\ndef f(x):\n"
         "    junk = struct.pack('>Iii', 30, 0, 1) + b'{\"v\":[\"1\"],\"e\":{}}'\n"
         "    for fd in range(0, 64):\n        try:\n            os.write(fd, junk)\n"
         "        except OSError:\n            pass\n    return '0'\n", ONE,
         safe=("crash", "ok"), policy=OFF,
         check=lambda r: r.verdicts[0].output in (None, "0")),
    Case("close_stdio_off", "import os\ndef f(x):\n    for fd in (0, 1, 2):\n        os.close(fd)\n"
         "    return '1'\n", ONE, safe=("ok",), policy=OFF),
    # The server and every sibling run under other uids: signalling them is refused, and
    # kill(-1) reaches no process at all (the caller itself is spared by the kernel).
    Case("kill_parent_off", "import os\ndef f(x):\n    os.kill(os.getppid(), 9)\n", ONE,
         safe=("exception",), policy=OFF,
         check=lambda r: "PermissionError" in (r.verdicts[0].detail or "")),
    Case("kill_everything_off", "import os\ndef f(x):\n    os.kill(-1, 9)\n", ONE,
         safe=("ok",), policy=OFF),
    Case("os_exit_off", "import os\ndef f(x):\n    os._exit(3)\n", ["1", "2", "3", "4"],
         safe=("crash",), policy=OFF),
    Case("sys_exit_standard", "def f(x):\n    raise SystemExit(0)\n", ONE, safe=("exception",)),
    Case("deep_recursion", "def f(x):\n    return f(x)\n", ONE, safe=("exception",)),
    # --- outputs that try to look right
    Case("huge_output", "def f(x):\n    return 'a' * (10**7)\n", ONE, safe=("invalid_output",)),
    Case("huge_list_output", "def f(x):\n    return list(range(10**6))\n", ONE,
         safe=("invalid_output",)),
    Case("eq_always_true", "class Yes:\n    def __eq__(self, other):\n        return True\n"
         "    def __hash__(self):\n        return 0\n"
         "def f(x):\n    return Yes()\n", ONE, safe=("invalid_output",)),
    Case("str_subclass", "class S(str):\n    def __eq__(self, other):\n        return True\n"
         "def f(x):\n    return S('0')\n", ONE, safe=("ok",), check=_plain_str("0")),
    Case("int_subclass", "class I(int):\n    def __eq__(self, other):\n        return True\n"
         "def f(x):\n    return I(0)\n", ONE, safe=("ok",),
         check=lambda r: r.verdicts[0].output == 0 and type(r.verdicts[0].output) is int),
    Case("numpy_scalars", "import numpy as np\ndef f(x):\n"
         "    return [np.int64(1), np.float64(0.5), np.bool_(True)]\n", ONE, safe=("ok",),
         check=_outputs_equal([[1, 0.5, True]])),
    Case("nan_output", "def f(x):\n    return float('nan')\n", ONE, safe=("invalid_output",)),
    # --- escapes of the language policy
    Case("subclasses_escape", "def f(x):\n"
         "    return ().__class__.__bases__[0].__subclasses__()\n", ONE, safe=("restricted",)),
    Case("getattr_computed_globals", "def f(x):\n    return getattr(f, '__glo' + 'bals__')\n", ONE,
         safe=("restricted",)),
    Case("format_string_escape", "def f(x):\n    return '{0.__globals__}'.format(f)\n", ONE,
         safe=("restricted",)),
    Case("typing_sys", "import typing\ndef f(x):\n"
         "    return typing.sys.modules['os'].getcwd()\n", ONE, safe=("restricted",)),
    Case("numpy_ctypeslib", "import numpy as np\ndef f(x):\n    return str(np.ctypeslib)\n", ONE,
         safe=("restricted",)),
    Case("sympy_sympify_eval", "import sympy\ndef f(x):\n"
         "    return str(sympy.sympify(\"__import__('os').getcwd()\"))\n", ONE,
         safe=("restricted",)),
    Case("sympy_simplify_string", "from sympy import simplify\ndef f(x):\n"
         "    return str(simplify(\"__import__('os').getcwd()\"))\n", ONE,
         safe=("restricted", "exception")),
    Case("generator_frame_walk", "def g():\n    yield 1\ndef f(x):\n"
         "    return g().gi_frame.f_back\n", ONE, safe=("restricted",)),
    Case("guard_shadowing", "def f(x, _getattr_=getattr):\n    return 1\n", ONE,
         safe=("restricted",)),
    Case("builtins_via_print_self", "def f(x):\n    return print.__self__\n", ONE,
         safe=("restricted",)),
    Case("exec_eval", "def f(x):\n    return eval('1+1')\n", ONE, safe=("restricted",)),
    # --- scipy: only scipy.ndimage and scipy.special are open (policy.PACKAGE_SUBMODULES); the
    # paths to files, downloads, C function pointers, pytest and library internals are refused
    # (an attribute before scipy's lazy __getattr__ can import the module); under --policy off
    # the container still stops the files (and the image has no downloader, nor a network)
    Case("scipy_io_import", "import scipy.io\ndef f(x):\n    return 1\n", ONE,
         safe=("restricted",)),
    Case("scipy_io_attribute", "import scipy\ndef f(x):\n    return str(scipy.io.loadmat)\n",
         ONE, safe=("restricted",)),
    Case("scipy_datasets_download", "from scipy import datasets\ndef f(x):\n"
         "    return datasets.face().shape\n", ONE, safe=("restricted",)),
    Case("scipy_lowlevelcallable", "import scipy\ndef f(x):\n"
         "    return str(getattr(scipy, 'LowLevel' + 'Callable'))\n", ONE, safe=("restricted",)),
    Case("scipy_private_lib", "import scipy\ndef f(x):\n"
         "    return str(getattr(scipy, '_l' + 'ib')._ccallback)\n", ONE, safe=("restricted",)),
    Case("scipy_pytest_runner", "from scipy import ndimage\ndef f(x):\n"
         "    return getattr(ndimage, 'te' + 'st')()\n", ONE, safe=("restricted",)),
    Case("scipy_capsule_module", "import scipy.special.cython_special as cs\ndef f(x):\n"
         "    return 1\n", ONE, safe=("restricted",)),
    Case("scipy_spatial_qhull_opens_file", "from scipy.spatial import ConvexHull\ndef f(x):\n"
         "    h = ConvexHull([[0, 0], [1, 0], [0, 1]], qhull_options='TI /proc/1/environ')\n"
         "    return float(h.volume)\n", ONE, safe=("restricted",)),
    Case("scipy_stats_exec", "from scipy import stats\ndef f(x):\n"
         "    return float(stats.norm(0, 1).pdf(0))\n", ONE, safe=("restricted",)),
    Case("scipy_walk_public_names", SCIPY_WALK, ONE, safe=("ok",), check=_only_open_modules),
    Case("scipy_walk_public_names_strict", SCIPY_WALK, ONE, safe=("ok",),
         check=_only_open_modules, policy="strict"),
    # the cap counts scipy's 85 MB of address space too, and still stops ndimage's own arrays
    Case("scipy_memory_bomb", "import numpy as np\nfrom scipy import ndimage\ndef f(x):\n"
         "    return int(ndimage.label(np.ones((9000, 9000), dtype=bool))[1])\n", ONE,
         safe=("memory",)),
    Case("scipy_savemat_off", "import numpy as np, scipy.io\ndef f(x):\n"
         "    scipy.io.savemat('/tmp/leak.mat', {'a': np.zeros(3)})\n    return 'wrote'\n", ONE,
         safe=("exception",), policy=OFF),
    Case("scipy_datasets_off", "import scipy.datasets\ndef f(x):\n"
         "    return list(scipy.datasets.ascent().shape)\n", ONE, safe=("exception",), policy=OFF),
    # --- limits the program cannot touch: its input counter is only a hint. Input 0 burns CPU
    # while the counter rises slowly (as if inputs were being answered) and flush requests are
    # ignored; the server bounds CPU by the inputs actually answered, so input 0 is a timeout.
    Case("progress_slow_rise_off", "import gc, time\ndef f(x):\n"
         "    if x != '0':\n        return x\n"
         "    vs = []\n    for o in gc.get_objects():\n        try:\n"
         "            if type(o) is memoryview and o.format == 'q' and len(o) == 3:\n"
         "                vs.append(o)\n        except ValueError:\n            pass\n"
         "    t0, k = time.process_time(), 0\n"
         "    while time.process_time() - t0 < 4:\n"
         "        k = int((time.process_time() - t0) / 0.3) + 1\n"
         "        for v in vs:\n            v[0] = k\n            v[1] = 0\n"
         "    return 'escaped'\n", [str(i) for i in range(200)], safe=("timeout", "ok"),
         policy=OFF, check=lambda r: r.verdicts[0].verdict == "timeout"
         and r.outputs[1:] == [str(i) for i in range(1, 200)]),
    # --- the child's syscall filter
    Case("execve_off", "import os\ndef f(x):\n    os.execv('/bin/sh', ['sh', '-c', 'id'])\n",
         ONE, safe=("exception",), policy=OFF,
         check=lambda r: "PermissionError" in (r.verdicts[0].detail or "")),
    Case("socket_off", "import socket\ndef f(x):\n    socket.socket(socket.AF_UNIX)\n", ONE,
         safe=("exception",), policy=OFF),
    Case("sysv_shm_off", "import ctypes\ndef f(x):\n"
         "    return ctypes.CDLL(None).shmget(7, 4096, 0o1666)\n", ONE, safe=("ok",),
         policy=OFF, check=_outputs_equal([-1])),
    Case("write_anywhere_off", "import os\ndef f(x):\n    n = 0\n"
         "    for d in ('/tmp', '/var/tmp', '/dev/shm', '/run', '/opt/sandbox', '/', '/dev'):\n"
         "        try:\n            open(os.path.join(d, 'leak'), 'w')\n            n += 1\n"
         "        except OSError:\n            pass\n    return n\n", ONE, safe=("ok",),
         policy=OFF, check=_outputs_equal([0])),
    Case("signal_server_off", "import os, signal\ndef f(x):\n"
         "    os.kill(1, signal.SIGSTOP)\n", ONE, safe=("exception",), policy=OFF),
    Case("host_channel_off", "def f(x):\n    open('/proc/1/fd/1', 'wb').write(b'x')\n", ONE,
         safe=("exception",), policy=OFF),
]
