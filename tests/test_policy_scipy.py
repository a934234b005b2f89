"""scipy's place in the language policy, checked on the host without running a program:
which of its modules are open (only the audited ``scipy.ndimage`` and ``scipy.special``),
which names are refused at compile time, and that every module an open scipy module names
publicly is read through the run-time guard. The programs that attack these paths run in
Docker: ``tests/test_policy_audit.py`` (escapes, everyday use) and the hostile corpus.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox_image"))

BOTH = ("standard", "strict")


SCIPY_OPEN = ("scipy", "scipy.ndimage", "scipy.ndimage.filters", "scipy.ndimage.measurements",
              "scipy.special")
SCIPY_REFUSED = ("scipy.io", "scipy.io.matlab", "scipy.datasets", "scipy.misc", "scipy.spatial",
                 "scipy.spatial.distance", "scipy.signal", "scipy.stats", "scipy.optimize",
                 "scipy.integrate", "scipy.sparse", "scipy.version", "scipy._lib",
                 "scipy._lib._ccallback", "scipy._lib._testutils", "scipy.special.cython_special",
                 "scipy.ndimage.tests", "scipy.special.tests", "scipy.ndimage._ni_support",
                 "scipyx")


@pytest.mark.parametrize("strict", [False, True])
def test_scipy_allow_list(strict):
    """scipy is open only through its audited submodules, under both policies."""
    import policy as pol

    for name in SCIPY_OPEN:
        assert pol.module_allowed(name, strict), name
    for name in SCIPY_REFUSED:
        assert not pol.module_allowed(name, strict), name
    # scipy's own C code may import its internals through the program's builtins
    assert pol.module_allowed("scipy.ndimage._ni_support", strict, private_ok=True)
    assert not pol.module_allowed("scipy.io", strict, private_ok=True)


@pytest.mark.parametrize("policy", BOTH)
def test_scipy_refused_names_compile(policy):
    pytest.importorskip("scipy")
    import policy as pol

    loaded_before = "scipy.io" in sys.modules
    for src in ("from scipy import LowLevelCallable\n", "from scipy import io\n",
                "from scipy import test\n", "from scipy.ndimage import test\n",
                "import scipy.stats\n", "from scipy._lib import _ccallback\n",
                "import scipy.special.cython_special\n", "from scipy import show_config\n"):
        with pytest.raises(pol.PolicyError) as err:
            pol.compile_program(src, policy)
        assert err.value.kind == "restricted", src
    # refused by name: scipy's lazy __getattr__ never imported it to find out
    assert loaded_before or "scipy.io" not in sys.modules
    pol.compile_program("from scipy import *\nfrom scipy.ndimage import *\n", policy)


def test_scipy_public_modules_always_take_the_guard():
    """Every module an open scipy module names publicly is read through the run-time guard
    (which refuses it unless allowed), never the unguarded fast path; no public name hands
    out LowLevelCallable (a C function pointer call) or pytest."""
    pytest.importorskip("scipy")
    import types

    import policy as pol

    pol.preload_allowed_modules(on_demand=["scipy"])
    from scipy import LowLevelCallable
    from scipy._lib._testutils import PytestTester

    checked = 0
    for name, mod in list(sys.modules.items()):
        if mod is None or not name.startswith("scipy") or not pol.module_allowed(name, False):
            continue
        for attr, value in list(vars(mod).items()):
            if attr.startswith("_"):
                continue
            checked += 1
            if isinstance(value, types.ModuleType):
                assert not pol.direct_attr_ok(attr), (name, attr)
            if isinstance(value, PytestTester | LowLevelCallable) or value is LowLevelCallable:
                assert attr in pol.FORBIDDEN_MODULE_ATTRS["scipy"], (name, attr)
    assert checked > 300
