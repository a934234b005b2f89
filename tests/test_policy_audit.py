# ruff: noqa: E501  (program sources are kept one construct per line)
"""Audit of the allowed modules: no member may evaluate a string, or reach module globals, the
real builtins, frames or code, for a program (both policies); ordinary uses keep working.

Every escape program below tries to return ``os.listdir('/')`` or the environment; the safe
outcome is ``restricted`` (refused by the policy) or ``exception`` (the sink is simply absent),
and never ``ok``. Hostile programs run only through Docker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker

SAFE = ("restricted", "exception")
BOTH = ("standard", "strict")
STD = ("standard",)

# name -> (source, policies it runs under). Each returns the escape's proof if it worked.
ESCAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    # --- the three reported escapes, verbatim in substance
    "reported_typing_get_type_hints": ("""
import typing
def g(a: "[exec('import os; BOX.append(os.listdir(chr(47)))', {'BOX': BOX}), int][1]"):
    pass
def f(x):
    BOX = []
    typing.get_type_hints(g, globalns={'BOX': BOX})
    return BOX[0]
""", BOTH),
    "reported_forwardref_evaluate": ("""
import typing
def f(x):
    box = []
    ref = typing.ForwardRef("[exec('import os; B.append(os.listdir(chr(47)))', {'B': B}), int][1]")
    ref._evaluate({'B': box}, None, frozenset())
    return box[0]
""", BOTH),
    "reported_attrgetter_globals": ("""
import operator, typing
def f(x):
    g = operator.attrgetter("__globals__")(typing.get_type_hints)
    return g["sys"].modules["os"].listdir("/")
""", STD),
    # --- typing: every way to the evaluator
    "typing_hints_class_module_spoof": ("""
import typing
C = type('C', (), {'__module__': 'os', '__annotations__': {'a': 'listdir(chr(47))'}})
def f(x):
    return typing.get_type_hints(C)['a']
""", BOTH),
    "typing_hints_program_globals_exec": ("""
import typing
def g(a: "exec('1')"):
    pass
def f(x):
    return str(typing.get_type_hints(g))
""", BOTH),
    "typing_hints_unguarded_subclasses": ("""
import typing
def g(a: "().__class__.__base__.__subclasses__()"):
    pass
def f(x):
    return str(typing.get_type_hints(g)['a'])
""", BOTH),
    "typing_forwardref_subclass": ("""
import typing
class F(typing.ForwardRef):
    pass
def f(x):
    box = []
    F("[exec('import os; B.append(os.listdir(chr(47)))', {'B': B}), int][1]")._evaluate(
        {'B': box}, None, frozenset())
    return box[0]
""", BOTH),
    "typing_forwardref_getattr_computed": ("""
import typing
def f(x):
    ref = typing.ForwardRef("int")
    return str(getattr(ref, '_eval' + 'uate'))
""", BOTH),
    "typing_private_eval_type": ("""
import typing
def f(x):
    return str(getattr(typing, '_eval' + '_type'))
""", BOTH),
    "typing_namedtuple_string_annotation": ("""
from __future__ import annotations
import typing
class P(typing.NamedTuple):
    a: "[exec('import os'), int][1]"
def f(x):
    return str(typing.get_type_hints(P))
""", BOTH),
    "functools_singledispatch_annotation": ("""
import functools
@functools.singledispatch
def h(a):
    return 0
def f(x):
    @h.register
    def _(a: "[exec('import os'), int][1]"):
        return 1
    return h(1)
""", STD),
    # --- dataclasses: code generated from the program's strings
    "dataclass_field_name_injection": ("""
from dataclasses import dataclass
class C:
    __annotations__ = {"x=().__class__.__base__.__subclasses__()": int}
def f(x):
    D = dataclass(C)
    return str(D.__init__.__defaults__)
""", BOTH),
    "dataclass_module_spoof": ("""
import dataclasses
C = type('C', (), {'__module__': 'os', '__annotations__': {'a': int}})
def f(x):
    D = dataclasses.dataclass(C)
    if str(D(1)) != 'C(a=1)':
        return 'broken'
    return D.__init__.__globals__['listdir']('/')
""", BOTH),
    # --- operator / functools: C helpers reaching attributes without the guard
    "attrgetter_subclasses": ("""
import operator
def f(x):
    subs = operator.attrgetter('__class__.__base__.__subclasses__')(())()
    return [c.__name__ for c in subs][:3]
""", STD),
    "attrgetter_module_member": ("""
import operator, typing
def f(x):
    return operator.attrgetter('sys')(typing).modules['os'].listdir('/')
""", STD),
    "methodcaller_reduce_ex": ("""
import operator
def f(x):
    return str(operator.methodcaller('__reduce_ex__', 2)(f))
""", STD),
    "attrgetter_private_library": ("""
import operator, random
def f(x):
    return str(operator.attrgetter('_randbelow')(random.Random()))
""", STD),
    "partial_of_attrgetter": ("""
import functools, operator
def f(x):
    g = functools.partial(operator.attrgetter('__globals__'))
    return str(g(f))
""", STD),
    "update_wrapper_merges_globals": ("""
import functools, typing
def g():
    return 1
def f(x):
    functools.update_wrapper(g, typing.cast, assigned=(), updated=('__globals__',))
    return str(sys.modules['os'].listdir('/'))
""", STD),
    "update_wrapper_swaps_code": ("""
import functools, typing
def evil(s):
    return eval(s)
def f(x):
    functools.update_wrapper(typing.cast, evil, assigned=('__code__',), updated=())
    return typing.cast("__import__('os').listdir('/')")
""", STD),
    "update_wrapper_into_module": ("""
import functools, typing
def g():
    return 1
g.eval = print
def f(x):
    functools.update_wrapper(typing, g)
    return 'written'
""", STD),
    # --- copy: a reducer that picks what state is written into
    "copy_reduce_writes_module": ("""
import copy, typing
def mk():
    return typing
R = type('R', (), {'__reduce_ex__': lambda self, p: (mk, (), {'compile': print})})
def f(x):
    copy.copy(R())
    return 'written'
""", BOTH),
    "copy_reduce_sets_code": ("""
import copy, typing
def evil(s):
    return eval(s)
def mk():
    return typing.cast
R = type('R', (), {'__reduce_ex__': lambda self, p: (mk, (), (None, {'__code__': evil.__code__})) })
def f(x):
    copy.deepcopy(R())
    return typing.cast("__import__('os').listdir('/')")
""", BOTH),
    "copy_dispatch_table": ("""
import copy
def f(x):
    return str(copy.dispatch_table)
""", BOTH),
    # --- enum
    "enum_convert_reads_module": ("""
import enum
def f(x):
    E = enum.Enum._convert_('E', 'os', lambda n: n == 'listdir')
    return E.listdir.value('/')
""", BOTH),
    "enum_global_enum": ("""
import enum
def f(x):
    E = enum.Enum('E', {'eval': 1}, module='typing')
    enum.global_enum(E)
    return 'written'
""", BOTH),
    # --- private attributes and identity writes on library objects
    "private_read_library_object": ("""
import random
def f(x):
    return str(random.Random()._randbelow)
""", BOTH),
    "private_write_library_object": ("""
import random
def f(x):
    r = random.Random()
    r._randbelow = len
    return 'written'
""", BOTH),
    "setattr_class_of_instance": ("""
class A:
    pass
def f(x):
    a = A()
    setattr(a, '__class__', int)
    return 'written'
""", BOTH),
    "module_spoof_by_setattr": ("""
class A:
    pass
def f(x):
    setattr(A, '__module__', 'os')
    return 'written'
""", BOTH),
    "library_function_annotations": ("""
import typing
def f(x):
    typing.cast.__annotations__ = {'a': 'listdir'}
    return 'written'
""", BOTH),
    # --- numpy
    "numpy_bmat_frame_globals": ("""
import numpy as np
def f(x):
    return str(np.bmat('__builtins__'))
""", STD),
    "numpy_f2py_lazy_submodule": ("""
import numpy as np
def f(x):
    return str(np.f2py)
""", BOTH),
    "numpy_info_imports": ("""
import numpy as np
def f(x):
    np.info('listdir', toplevel='os')
    return 'ran'
""", BOTH),
    "numpy_add_newdoc_imports": ("""
import numpy.lib
def f(x):
    numpy.lib.add_newdoc('os', 'listdir', 'x')
    return 'ran'
""", BOTH),
    # --- scipy (scipy.ndimage, scipy.special): module globals, wrapped functions, shims
    "scipy_label_globals": ("""
from scipy import ndimage
def f(x):
    return getattr(ndimage.label, '__glo' + 'bals__')['os'].listdir('/')
""", BOTH),
    "scipy_wrapped_globals_attrgetter": ("""
import operator
from scipy import ndimage
def f(x):
    return operator.attrgetter('__wrapped__.__globals__')(ndimage.label)['os'].listdir('/')
""", STD),
    "scipy_module_dict": ("""
import scipy.ndimage
def f(x):
    return str(getattr(scipy.ndimage, '__di' + 'ct__')['_nd_image'])
""", BOTH),
    "scipy_module_loader": ("""
import scipy.special
def f(x):
    return str(getattr(scipy.special, '__spe' + 'c__').loader)
""", BOTH),
    "scipy_shim_private_importer": ("""
from scipy.ndimage import filters
def f(x):
    return str(getattr(filters, '_sub_module' + '_deprecation'))
""", BOTH),
    "scipy_shim_getattr_hook": ("""
from scipy.ndimage import measurements
def f(x):
    return str(getattr(measurements, '__get' + 'attr__')('label'))
""", BOTH),
    "scipy_public_alias_of_private_module": ("""
import scipy.special
def f(x):
    for n in dir(scipy.special):
        try:
            v = getattr(scipy.special, n)
        except Exception:
            continue
        if type(v).__name__ == 'module' and '._' in v.__name__:
            return 'ran'
    raise LookupError('no private module behind a public name')
""", BOTH),
    "scipy_lazy_submodule_by_name": ("""
import scipy
def f(x):
    return str(getattr(scipy, 'i' + 'o').loadmat)
""", BOTH),
    # --- sympy
    "dataclasses_private_create_fn": ("""
from dataclasses import _create_fn
def f(x):
    g = _create_fn('g', [], ['return ().__class__.__base__.__subclasses__()'])
    return [c.__name__ for c in g()][:3]
""", BOTH),
    "dataclasses_create_fn_via_module": ("""
import dataclasses
def f(x):
    g = getattr(dataclasses, '_create' + '_fn')
    return str(g)
""", BOTH),
    "private_import_typing": ("""
def f(x):
    m = __import__
    return 1
from typing import _eval_type
""", BOTH),
    "sympy_get_class": ("""
import sympy.utilities.source as src
def f(x):
    return src.get_class('os.listdir')('/')
""", STD),
    "sympy_matrix_string": ("""
import sympy
def f(x):
    return str(sympy.Matrix("__import__('os').listdir('/')"))
""", STD),
    "sympy_rational_string": ("""
from sympy import Rational
def f(x):
    return str(Rational("__import__('os').listdir('/')"))
""", STD),
    "sympy_monomial_build": ("""
from sympy.polys.monomials import MonomialOps
def f(x):
    return str(MonomialOps(2)._build("import os", "os"))
""", STD),
}

_LS = Path("/").exists()  # noqa: F841 (documentation: the proof is a listing of "/")


def _escaped(v) -> bool:
    """An ``ok`` verdict whose output looks like a root listing or an environment."""
    return v.verdict == "ok" and isinstance(v.output, (list, str)) and any(
        k in str(v.output) for k in ("'etc'", "etc", "PATH", "written", "ran"))


@pytest.mark.parametrize(("name", "policy"), [(n, p) for n, (_s, pols) in ESCAPES.items()
                                              for p in pols])
def test_escape_is_refused(docker_pool, name, policy):
    source = ESCAPES[name][0]
    result = docker_pool.run(source, ["0101"], limits=Limits(policy=policy))
    if result.fatal is not None:
        assert result.fatal.verdict in SAFE, result.fatal
        return
    v = result.verdicts[0]
    assert not _escaped(v), (name, v)
    assert v.verdict in SAFE, (name, v)


def test_reported_escapes_are_restricted(docker_pool):
    for name in ("reported_typing_get_type_hints", "reported_forwardref_evaluate",
                 "reported_attrgetter_globals"):
        for policy in ESCAPES[name][1]:
            r = docker_pool.run(ESCAPES[name][0], ["0"], limits=Limits(policy=policy))
            verdict = r.fatal.verdict if r.fatal else r.verdicts[0].verdict
            assert verdict == "restricted", (name, policy, r)


# ------------------------------------------------------------------ ordinary programs

# name -> (source, input, expected output, also under strict?)
ORDINARY: dict[str, tuple[str, object, object, bool]] = {
    "typing_hints": ("from typing import List, Optional, Dict, Tuple\n"
                     "def f(x: str) -> Optional[str]:\n    d: Dict[str, int] = {}\n"
                     "    t: Tuple[int, ...] = (1,)\n    l: List[int] = [int(c) for c in x]\n"
                     "    return str(sum(l) + len(d) + len(t))\n", "0101", "3", True),
    "future_annotations": ("from __future__ import annotations\nclass Node:\n"
                           "    def __init__(self, v: int, nxt: Node | None = None) -> None:\n"
                           "        self.v = v\n        self.nxt = nxt\n"
                           "def f(x: str) -> str:\n    n = Node(1, Node(2))\n"
                           "    return str(n.v + n.nxt.v)\n", "0", "3", True),
    "string_annotations_get_type_hints": (
        "import typing\nclass Box:\n    pass\ndef g(a: 'Box', b: 'typing.List[int]') -> 'int':\n"
        "    return 0\ndef f(x):\n    h = typing.get_type_hints(g)\n"
        "    return [h['a'] is Box, h['b'] == typing.List[int], h['return'] is int]\n",
        "0", [True, True, True], True),
    "dataclass_default_factory": (
        "from dataclasses import dataclass, field\n@dataclass\nclass A:\n    n: int = 0\n"
        "    xs: list = field(default_factory=list)\ndef f(x):\n    a = A()\n"
        "    a.xs.append(x)\n    a.n += 2\n    return [a.n, a.xs, repr(A(1))]\n", "q",
        [2, ["q"], "A(n=1, xs=[])"], True),
    "dataclass_frozen_order": (
        "from dataclasses import dataclass\n@dataclass(frozen=True, order=True)\nclass P:\n"
        "    x: int\n    y: int = 0\ndef f(x):\n    ps = sorted([P(2, 1), P(1, 5), P(1, 2)])\n"
        "    try:\n        ps[0].x = 9\n        frozen = False\n    except Exception:\n"
        "        frozen = True\n    return [[p.x, p.y] for p in ps] + [frozen, hash(P(1)) == hash(P(1))]\n",
        "0", [[1, 2], [1, 5], [2, 1], True, True], True),
    "dataclass_slots_private": (
        "from dataclasses import dataclass\n@dataclass(slots=True)\nclass S:\n    _v: int = 1\n"
        "    def bump(self):\n        self._v += 1\n        return self._v\n"
        "def f(x):\n    return S().bump()\n", "0", 2, True),
    "dataclass_future_annotations": (
        "from __future__ import annotations\nfrom dataclasses import dataclass, asdict, replace\n"
        "@dataclass\nclass P:\n    x: int\n    tags: list[str]\n"
        "def f(x):\n    p = replace(P(1, ['a']), x=5)\n    return asdict(p)['x']\n", "0", 5, True),
    "make_dataclass": ("from dataclasses import make_dataclass\n"
                       "P = make_dataclass('P', [('x', int), ('y', int, 0)])\n"
                       "def f(x):\n    return repr(P(3))\n", "0", "P(x=3, y=0)", True),
    "namedtuple_private_api": (
        "from collections import namedtuple\nP = namedtuple('P', 'x y', defaults=[0])\n"
        "def f(x):\n    p = P(1)\n    q = p._replace(y=7)\n"
        "    return [q._asdict()['y'], list(P._fields), list(P._make([4, 5])), P._field_defaults['y']]\n",
        "0", [7, ["x", "y"], [4, 5], 0], True),
    "typing_namedtuple": (
        "from typing import NamedTuple\nclass P(NamedTuple):\n    x: int\n    y: int = 2\n"
        "    def s(self):\n        return self.x + self.y\n"
        "def f(x):\n    p = P(1)\n    return [p.s(), p._replace(x=5).s(), p._asdict()['y']]\n",
        "0", [3, 7, 2], True),
    "typing_namedtuple_future": (
        "from __future__ import annotations\nimport typing\nclass P(typing.NamedTuple):\n"
        "    x: int\n    y: typing.Optional[str] = None\n"
        "def f(x):\n    return [P(1).x, str(typing.get_type_hints(P)['x'].__name__)]\n",
        "0", [1, "int"], True),
    "typeddict_protocol_generic": (
        "from typing import TypedDict, Generic, TypeVar\nT = TypeVar('T')\n"
        "class Movie(TypedDict):\n    name: str\n    year: int\n"
        "class Box(Generic[T]):\n    def __init__(self, v: T):\n        self._v = v\n"
        "    def get(self) -> T:\n        return self._v\n"
        "def f(x):\n    m: Movie = {'name': 'a', 'year': 1}\n    return [m['year'], Box[int](4).get()]\n",
        "0", [1, 4], True),
    "enum_class": ("from enum import Enum, IntEnum, auto\nclass C(Enum):\n    RED = 1\n"
                   "    GREEN = auto()\nclass N(IntEnum):\n    A = 3\n"
                   "def f(x):\n    return [C.RED.value, C.GREEN.name, C(1) is C.RED, N.A + 1, "
                   "[c.name for c in C], C.RED._value_]\n", "0",
                   [1, "GREEN", True, 4, ["RED", "GREEN"], 1], True),
    "enum_functional": ("from enum import Enum\nColor = Enum('Color', 'RED GREEN')\n"
                        "def f(x):\n    return [Color.GREEN.value, Color['RED'].name]\n", "0",
                        [2, "RED"], True),
    "class_private_cache": ("class Memo:\n    def __init__(self):\n        self._cache = {}\n"
                            "        self.__hidden = 1\n    def get(self, k):\n"
                            "        if k not in self._cache:\n            self._cache[k] = k * 2\n"
                            "        return self._cache[k] + self.__hidden\n"
                            "def f(x):\n    m = Memo()\n    return [m.get(2), m.get(2), len(m._cache)]\n",
                            "0", [5, 5, 1], True),
    "subclass_of_dict_private": (
        "class D(dict):\n    def __init__(self):\n        super().__init__()\n        self._n = 0\n"
        "    def __missing__(self, k):\n        self._n += 1\n        return 0\n"
        "def f(x):\n    d = D()\n    return [d['a'], d['b'], d._n, hasattr(d, '_zzz')]\n", "0",
        [0, 0, 2, False], True),
    "super_private_method": (
        "class A:\n    def _helper(self):\n        return 1\nclass B(A):\n"
        "    def _helper(self):\n        return super()._helper() + 1\n"
        "def f(x):\n    return B()._helper()\n", "0", 2, True),
    "class_attr_and_classmethod": (
        "class K:\n    _count = 0\n    @classmethod\n    def make(cls):\n"
        "        cls._count += 1\n        return cls._count\n    @staticmethod\n"
        "    def twice(v):\n        return 2 * v\n    @property\n    def p(self):\n"
        "        return 7\n"
        "def f(x):\n    K.make()\n    return [K.make(), K.twice(3), K().p, type(K()).__name__]\n",
        "0", [2, 6, 7, "K"], True),
    "function_attribute": ("def f(x):\n    def g():\n        return 1\n    g._memo = {'a': 1}\n"
                           "    return g._memo['a'] + g()\n", "0", 2, True),
    "counter_defaultdict_deque": (
        "from collections import Counter, defaultdict, deque, OrderedDict\ndef f(x):\n"
        "    c = Counter(x)\n    d = defaultdict(list)\n    d['a'].append(1)\n"
        "    q = deque([1, 2, 3], maxlen=2)\n    o = OrderedDict(a=1)\n    o.move_to_end('a')\n"
        "    return [c.most_common(1)[0][1], d['a'], list(q), list(o)]\n", "0101",
        [2, [1], [2, 3], ["a"]], True),
    "copy_deepcopy_objects": (
        "import copy\nclass A:\n    def __init__(self):\n        self._xs = [[1]]\n"
        "def f(x):\n    a = A()\n    b = copy.deepcopy(a)\n    c = copy.copy(a)\n"
        "    b._xs[0].append(2)\n    return [a._xs, b._xs, c._xs is a._xs, copy.deepcopy([(1, [2])])]\n",
        "0", [[[1]], [[1, 2]], True, [[1, [2]]]], True),
    "lru_cache_reduce_partial": (
        "from functools import lru_cache, reduce, partial, cmp_to_key, cache, wraps, total_ordering\n"
        "@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "@cache\ndef sq(n):\n    return n * n\n"
        "def deco(fn):\n    @wraps(fn)\n    def inner(*a):\n        return fn(*a) + 1\n    return inner\n"
        "@deco\ndef one():\n    'doc'\n    return 1\n"
        "@total_ordering\nclass V:\n    def __init__(self, v):\n        self.v = v\n"
        "    def __eq__(self, o):\n        return self.v == o.v\n    def __lt__(self, o):\n"
        "        return self.v < o.v\n"
        "def f(x):\n    add = partial(lambda a, b: a + b, 10)\n"
        "    srt = sorted([3, 1, 2], key=cmp_to_key(lambda a, b: b - a))\n"
        "    return [fib(30), reduce(lambda a, b: a * b, [1, 2, 3, 4]), add(1), srt, sq(4), one(),"
        " one.__name__, V(2) >= V(1), fib.cache_info().hits > 0]\n",
        "0", [832040, 24, 11, [3, 2, 1], 16, 2, "one", True, True], False),
    "operator_getters": (
        "import operator\nfrom collections import namedtuple\nP = namedtuple('P', 'x y')\n"
        "class Q:\n    def __init__(self, v):\n        self.v = v\n        self._w = -v\n"
        "    def m(self, k):\n        return self.v * k\n"
        "def f(x):\n    ps = [P(2, 'b'), P(1, 'a')]\n    qs = [Q(3), Q(1)]\n"
        "    return [operator.itemgetter(1)([5, 6]), [p.y for p in sorted(ps, key=operator.attrgetter('x'))],"
        " [q.v for q in sorted(qs, key=operator.attrgetter('_w'))],"
        " operator.attrgetter('x', 'y')(ps[0]), list(map(operator.methodcaller('m', 2), qs)),"
        " operator.add(1, 2), operator.getitem('ab', 1)]\n",
        "0", [6, ["a", "b"], [3, 1], [2, "b"], [6, 2], 3, "b"], False),
    "singledispatch": (
        "from functools import singledispatch\n@singledispatch\ndef k(a):\n    return 'obj'\n"
        "@k.register\ndef _(a: int):\n    return 'int'\n@k.register(str)\ndef _(a):\n    return 'str'\n"
        "def f(x):\n    return [k(1), k('s'), k(1.5)]\n", "0", ["int", "str", "obj"], False),
    "string_template_and_format": (
        "import string\ndef f(x):\n    t = string.Template('$a-$b').substitute(a=1, b=x)\n"
        "    return [t, '{0}:{1:>3}'.format('k', 7), f'{x!r}', string.ascii_lowercase[:3],"
        " string.capwords('ab cd')]\n", "z", ["1-z", "k:  7", "'z'", "abc", "Ab Cd"], False),
    "numpy_everyday": (
        "import numpy as np\ndef f(x):\n    a = np.array([[1, 0, 2], [0, 3, 0]])\n"
        "    z = np.zeros((2, 2), dtype=int)\n    u, c = np.unique(a, return_counts=True)\n"
        "    return [np.argwhere(a > 0).tolist(), int(z.sum()), u.tolist(), c.tolist(),"
        " a.T.shape[0], int(np.max(a)), np.r_[1:3, 7].tolist(), np.bmat([[np.eye(1)]]).shape[0],"
        " np.where(a == 0, 9, a).tolist()[0]]\n", "0",
        [[[0, 0], [0, 2], [1, 1]], 0, [0, 1, 2, 3], [3, 1, 1, 1], 3, 3, [1, 2, 7], 1, [1, 9, 2]],
        True),
    "numpy_vectorize_and_random": (
        "import numpy as np\ndef f(x):\n    v = np.vectorize(lambda t: t * 2)\n"
        "    rng = np.random.default_rng(0)\n    r = rng.integers(0, 10, size=3)\n"
        "    return [v(np.arange(3)).tolist(), len(r), np.array(['a', 'b']).tolist()]\n",
        "0", [[0, 2, 4], 3, ["a", "b"]], True),
    "sympy_everyday": (
        "from sympy import isprime, factorint, Symbol, expand, simplify, Rational, sqrt, Integer\n"
        "import sympy\ndef f(x):\n    s = Symbol('s')\n    e = expand((s + 1) ** 2)\n"
        "    return [isprime(97), sorted(factorint(360).items()), str(e),"
        " str(simplify((s**2 - 1) / (s - 1))), str(Rational(1, 3) + Rational('1/6')), str(sqrt(8)),"
        " str(sympy.factor(s**2 - 1)), int(Integer('12')), str(sympy.symbols('a b')[1])]\n",
        "0", [True, [[2, 3], [3, 2], [5, 1]], "s**2 + 2*s + 1", "s + 1", "1/2", "2*sqrt(2)",
              "(s - 1)*(s + 1)", 12, "b"], False),
    "fractions_decimal_statistics": (
        "from fractions import Fraction\nfrom decimal import Decimal, getcontext\nimport statistics\n"
        "def f(x):\n    getcontext().prec = 5\n    return [str(Fraction('1/3') + Fraction(1, 6)),"
        " str(Decimal('1') / Decimal('3')), statistics.mean([1, 2, 3]), statistics.median([3, 1, 2])]\n",
        "0", ["1/2", "0.33333", 2, 2], True),
    "re_heapq_bisect_itertools": (
        "import re, heapq, bisect, itertools, math, cmath, array, hashlib, random\n"
        "def f(x):\n    h = [5, 1, 3]\n    heapq.heapify(h)\n    random.seed(1)\n"
        "    return [re.sub(r'1', 'I', x), heapq.heappop(h), bisect.bisect_left([1, 3, 5], 4),"
        " list(itertools.accumulate([1, 2, 3])), math.gcd(12, 18), cmath.sqrt(-1).imag,"
        " array.array('i', [1, 2]).tolist(), hashlib.md5(b'a').hexdigest()[:4],"
        " random.randint(1, 1)]\n", "0101",
        ["0I0I", 1, 2, [1, 3, 6], 6, 1.0, [1, 2], "0cc1", 1], True),
    "getattr_dynamic_public": (
        "class A:\n    def __init__(self):\n        self.x = 1\n        self._y = 2\n"
        "def f(x):\n    a = A()\n    setattr(a, 'z', 3)\n    setattr(a, '_q', 4)\n"
        "    return [getattr(a, 'x'), getattr(a, '_y'), a.z, a._q, getattr(a, 'nope', 5),"
        " hasattr('s', 'upper'), getattr('abc', 'upper')()]\n", "0", [1, 2, 3, 4, 5, True, "ABC"],
        True),
    "exceptions_and_class_hierarchy": (
        "class MyErr(ValueError):\n    def __init__(self, m):\n        super().__init__(m)\n"
        "        self._m = m\ndef f(x):\n    try:\n        raise MyErr('bad')\n"
        "    except ValueError as e:\n        return [e._m, str(e), type(e).__name__,"
        " isinstance(e, Exception)]\n", "0", ["bad", "bad", "MyErr", True], True),
    "scipy_ndimage_everyday": (
        "import numpy as np\nfrom scipy import ndimage\nfrom scipy.ndimage import binary_fill_holes, "
        "find_objects\nimport scipy.special\ndef f(x):\n"
        "    g = np.array([[1, 1, 0, 0], [1, 0, 0, 2], [0, 0, 2, 2], [3, 0, 0, 0]])\n"
        "    lab, n = ndimage.label(g > 0, structure=np.ones((3, 3), dtype=int))\n"
        "    boxes = [[s.start for s in sl] for sl in find_objects(lab)]\n"
        "    grown = ndimage.binary_dilation(g == 3).sum()\n"
        "    ring = np.pad(np.ones((3, 3), dtype=bool), 1)\n    ring[2, 2] = False\n"
        "    sizes = ndimage.sum_labels(g > 0, lab, range(1, n + 1)).tolist()\n"
        "    return [int(n), boxes, int(grown), int(binary_fill_holes(ring).sum()), sizes,"
        " int(scipy.special.comb(5, 2, exact=True)), ndimage.filters.maximum_filter(g, 3)[0].tolist()]\n",
        "0", [3, [[0, 0], [1, 2], [3, 0]], 3, 9, [3.0, 3.0, 1.0], 10, [1, 1, 2, 2]], True),
    "hot_loop_count": ("def f(x):\n    t = 0\n    for i in range(10000):\n"
                       "        t += x.count('1')\n    return t\n", "0101", 20000, True),
}


@pytest.mark.parametrize(("name", "policy"), [(n, "standard") for n in ORDINARY] +
                         [(n, "strict") for n, c in ORDINARY.items() if c[3]])
def test_ordinary_program(docker_pool, name, policy):
    source, arg, expected, _strict = ORDINARY[name]
    result = docker_pool.run(source, [arg], limits=Limits(policy=policy))
    assert result.fatal is None, result.fatal
    assert result.verdicts[0].verdict == "ok", result.verdicts[0]
    assert result.verdicts[0].output == expected


def test_audit_counts():
    assert len(ORDINARY) >= 30
    assert len(ESCAPES) >= 13


# ------------------------------------------------------------------ compile-only rules

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox_image"))


@pytest.mark.parametrize("policy", BOTH)
def test_compile_rules_for_attributes(policy):
    import policy as pol

    ok = ["def f(x):\n    return x._cache\n", "def f(x):\n    x._n += 1\n",
          "def f(x):\n    return x.__class__.__name__\n", "def f(x):\n    x.__doc__ = 'd'\n"]
    refused = ["def f(x):\n    x.__class__ = int\n", "def f(x):\n    x.__module__ = 'os'\n",
               "def f(x):\n    del x.__dict__\n", "def f(x):\n    return x.__globals__\n",
               "def f(x):\n    return x.__subclasses__\n", "def f(x):\n    x.__class__ += 1\n",
               "from copy import dispatch_table\n", "from enum import global_enum\n",
               "from numpy import info\n", "def f(x):\n    return x.gi_frame\n"]
    for src in ok:
        pol.compile_program(src, policy)
    for src in refused:
        with pytest.raises(pol.PolicyError) as err:
            pol.compile_program(src, policy)
        assert err.value.kind == "restricted", src


def test_private_writes_compile_to_checked_writes():
    import ast

    import policy as pol
    from RestrictedPython import compile_restricted_exec

    src = "def f(x):\n    x._n = 1\n    x.y = 2\n    x._m += 1\n"
    result = compile_restricted_exec(src, "<program>", policy=pol.PolicyTransformer)
    assert not result.errors
    tree = pol.PolicyTransformer().visit(ast.parse(src))
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name)]
    assert calls.count("_hx_pwrite") == 2 and calls.count("_write_") == 1


def test_attribute_problem_write_flag():
    import policy as pol

    assert pol.attribute_problem("__class__", False) is None
    assert pol.attribute_problem("__class__", False, write=True)
    assert pol.attribute_problem("__module__", True, write=True)
    assert pol.attribute_problem("_cache", True, write=True) is None

