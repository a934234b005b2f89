"""The language policy (layer 3): RestrictedPython, customised so ordinary programs run.

Stock RestrictedPython rejects everyday model-written code (``counts[k] += 1``, ``self._x``,
``nonlocal``, dataclasses, ``match``) and its ``safe_builtins`` lack ``list``/``min``/``sum``.
A harness that used it unchanged would silently score good programs as wrong. This module keeps
RestrictedPython's guard machinery but swaps its rules for ours:

* names: ``_private`` names are fine; dunders only from an allow-list; the guard names
  (``_getattr_``, ``_write_`` ...) and our own ``_hx_`` temporaries can never be bound;
* attributes: escape dunders and frame/code internals are refused at compile time and again at
  run time (``getattr`` with a computed name goes through the same check);
* imports: an allow-list of pure modules, checked at compile time and again at run time; a module
  reached through an attribute (``typing.sys``) is checked too;
* ``standard`` lets ``fn.__code__.co_argcount`` through (real hand-written ARC DSLs use it),
  ``strict`` refuses it and the modules that reach attributes without the guard.

This file runs only inside the sandbox (it knows nothing of the host harness).
"""

from __future__ import annotations

import _string
import ast
import builtins
import importlib
import importlib.util
import keyword
import operator
import re
import string
import types
from collections.abc import Callable
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

POLICIES = ("standard", "strict", "off")


class RestrictedError(Exception):
    """Raised when a program reaches for something the policy refuses (verdict ``restricted``)."""


# ---------------------------------------------------------------- names and attributes

#: Data-model method names a program may *define* (``def __eq__`` in a class).
DEFINABLE_DUNDERS = frozenset(
    f"__{n}__"
    for n in (
        "init new del repr str bytes format hash bool len length_hint iter next reversed "
        "contains getitem setitem delitem missing call enter exit lt le eq ne gt ge "
        "add sub mul matmul truediv floordiv mod divmod pow lshift rshift and xor or "
        "radd rsub rmul rmatmul rtruediv rfloordiv rmod rdivmod rpow rlshift rrshift rand "
        "rxor ror iadd isub imul imatmul itruediv ifloordiv imod ipow ilshift irshift iand "
        "ixor ior neg pos abs invert complex int float index round trunc floor ceil "
        "post_init getattr setattr delattr get set delete set_name init_subclass "
        "class_getitem copy deepcopy"
    ).split()
)

#: Dunder attributes a program may *read* (``type(x).__name__``, ``obj.__len__()``).
READABLE_DUNDERS = (
    frozenset(
        f"__{n}__"
        for n in (
            "name qualname doc module class annotations slots match_args dataclass_fields "
            "version all"
        ).split()
    )
    | DEFINABLE_DUNDERS
) - frozenset({"__del__", "__getattr__", "__setattr__", "__delattr__", "__set_name__",
               "__init_subclass__", "__get__", "__set__", "__delete__"})

#: ``_private`` names readable on any object: documented APIs of namedtuple and enum members.
PRIVATE_API = frozenset({"_replace", "_asdict", "_fields", "_make", "_field_defaults",
                         "_value_", "_name_", "_member_names_"})

#: Dunders a program may read but never write (identity of an object and of its class).
UNWRITABLE_DUNDERS = frozenset({"__class__", "__module__", "__dict__", "__bases__", "__mro__",
                                "__slots__"})

#: The filename of the program's code: the mark of functions the program defined.
PROGRAM_FILENAME = "<program>"
#: The filename of annotations compiled under the policy (typing's forward references).
ANNOTATION_FILENAME = "<annotation>"

#: Global names a program may bind or read although they are dunders.
NAMEABLE_DUNDERS = frozenset({"__name__", "__all__", "__slots__", "__doc__", "__version__",
                              "__annotations__", "__match_args__"})

#: Attribute names refused everywhere: introspection that walks out of the program.
FORBIDDEN_ATTRS = frozenset(INSPECT_ATTRIBUTES) | frozenset(
    {"f_locals", "f_globals", "f_builtins", "f_back", "tb_frame", "gi_frame", "cr_frame",
     "ag_frame", "co_code", "co_consts", "ctypes", "ctypeslib", "mro", "format_map"}
)

#: ``fn.__code__.<x>`` reads allowed under ``standard`` (plain integers and name tuples).
CODE_INFO_ATTRS = frozenset({"co_argcount", "co_varnames", "co_name", "co_posonlyargcount",
                             "co_kwonlyargcount", "co_nlocals", "co_flags"})

#: Names only the rewriter may use.
RESERVED_PREFIX = "_hx_"


def _is_guard_name(name: str) -> bool:
    """``_getattr_``-style names: binding one would replace a guard with the program's own."""
    return len(name) > 2 and name.startswith("_") and name.endswith("_") and not (
        name.startswith("__") and name.endswith("__"))


def name_problem(name: str, *, definition: bool = False) -> str | None:
    """Why ``name`` may not be used as a variable/function/parameter name, or None."""
    if name.startswith(RESERVED_PREFIX) or _is_guard_name(name):
        return f'"{name}" is a reserved name'
    if name.startswith("__") and name.endswith("__") and len(name) > 4:
        if name in NAMEABLE_DUNDERS or (definition and name in DEFINABLE_DUNDERS):
            return None
        return f'"{name}" is a restricted name'
    if name in ("printed", "builtins", "breakpoint"):
        return f'"{name}" is a reserved name'
    return None


def attribute_problem(name: str, strict: bool, *, write: bool = False) -> str | None:
    """Why ``obj.<name>`` may not be read (or written) on any object, or None.

    ``_private`` names pass here: whether the object is the program's own is decided at run
    time (see make_guards.private_ok)."""
    if write and name in UNWRITABLE_DUNDERS:
        return f'setting "{name}" is not allowed'
    if name in FORBIDDEN_ATTRS:
        return f'access to "{name}" is not allowed'
    if name.startswith("__") and name.endswith("__"):
        if name in READABLE_DUNDERS:
            return None
        return f'access to "{name}" is not allowed'
    return None


# ---------------------------------------------------------------- modules

ALLOWED_MODULES_STANDARD = frozenset({
    "math", "cmath", "itertools", "functools", "collections", "heapq", "bisect", "re", "string",
    "typing", "dataclasses", "copy", "fractions", "decimal", "statistics", "operator", "enum",
    "array", "random", "hashlib", "numpy", "sympy", "scipy",
})
#: Heavy packages the exec server imports into its warm parent only when a program names them
#: (exec_server.warm_for), each with every module of it a program may then use: loaded in the
#: parent, they are in the direct-attribute table before any child runs (sympy imports these
#: lazily, and sympifies strings while doing so, which a program's process refuses).
ON_DEMAND_MODULES = {
    "sympy": ("sympy", "sympy.physics.units", "sympy.tensor.tensor", "sympy.tensor.array"),
    "scipy": ("scipy", "scipy.ndimage", "scipy.special"),
}
#: Packages open only through the submodules listed (audited one by one), not the whole tree.
#: scipy: ndimage (label, binary_fill_holes...: ARC programs) and special, which ndimage
#: imports. Refused, among others: io (reads and writes files), datasets (downloads), misc,
#: spatial (Qhull's "TI <file>" option opens any file), signal and stats (stats compiles
#: generated code with exec; with their imports +50 MB resident in the warm parent), _lib
#: (ctypes, subprocess), LowLevelCallable (FORBIDDEN_MODULE_ATTRS).
PACKAGE_SUBMODULES = {"scipy": ("scipy.ndimage", "scipy.special")}
#: Reach attributes without RestrictedPython's guard (or evaluate strings): not under strict.
STRICT_EXCLUDED = frozenset({"functools", "operator", "string", "sympy"})
ALLOWED_MODULES_STRICT = ALLOWED_MODULES_STANDARD - STRICT_EXCLUDED

#: Submodules of allowed packages that reach the OS, C memory or a string evaluator.
FORBIDDEN_SUBMODULES = (
    "numpy.ctypeslib", "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.lib.format",
    "sympy.external", "sympy.testing", "sympy.utilities.autowrap",
    "sympy.utilities.codegen", "sympy.utilities.lambdify", "sympy.utilities.runtests",
    "sympy.parsing", "sympy.interactive", "sympy.printing.preview", "sympy.plotting",
    # C function pointers for LowLevelCallable (__pyx_capi__); pytest suites
    "scipy.special.cython_special", "scipy.ndimage.tests", "scipy.special.tests",
)
#: Module attributes refused although the module is allowed (string evaluators, raw formatters).
FORBIDDEN_MODULE_ATTRS = {
    "string": frozenset({"Formatter"}),
    # copy.dispatch_table is copyreg's: a reducer put there picks what copy writes state into
    "copy": frozenset({"dispatch_table"}),
    # writes an enum's members into the globals of the module its __module__ names
    "enum": frozenset({"global_enum"}),
    "sympy": frozenset({"sympify", "parse_expr", "lambdify", "S", "preview", "init_printing",
                        "init_session", "var", "symbols_from_string", "import_module",
                        "get_class", "get_mod_func", "lazy_function", "pollute", "dispatch",
                        "interactive_traversal"}),
    "numpy": frozenset({"load", "save", "savez", "savez_compressed", "fromfile", "memmap",
                        "loadtxt", "savetxt", "genfromtxt", "DataSource", "lib", "info",
                        "test", "show_config", "show_runtime", "add_newdoc", "add_docstring",
                        "add_newdoc_ufunc", "source", "lookfor", "who"}),
    # LowLevelCallable runs a C function pointer; test() runs pytest (imports, files)
    "scipy": frozenset({"LowLevelCallable", "test", "show_config"}),
}


def module_allowed(name: str, strict: bool, *, private_ok: bool = False) -> bool:
    """Is module ``name`` importable/reachable? Private submodules only for library internals.

    ``private_ok`` is for the run-time import hook: C code of an allowed library (numpy's
    ``ndarray.sum`` importing ``numpy._core._methods``) imports through the builtins of the
    calling frame, which are the program's. The program itself cannot name private modules:
    the compile-time check refuses them.
    """
    if name == "__future__":  # compiler directives (``from __future__ import annotations``)
        return True
    allowed = ALLOWED_MODULES_STRICT if strict else ALLOWED_MODULES_STANDARD
    parts = name.split(".")
    if parts[0] not in allowed:
        return False
    private = any(p.startswith("_") for p in parts)
    if not private_ok and private:
        return False
    subs = PACKAGE_SUBMODULES.get(parts[0])
    if subs and len(parts) > 1 and not private and not any(
            name == sub or name.startswith(sub + ".") for sub in subs):
        return False
    return not any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_SUBMODULES)


# ---------------------------------------------------------------- direct attribute reads

#: Modules whose attribute names never get the unguarded fast path (see direct_attr_ok).
_DANGER_MODULES = ("os", "os.path", "sys", "subprocess", "builtins", "importlib", "ctypes",
                   "socket", "shutil", "pathlib", "io", "gc", "inspect", "signal", "threading",
                   "multiprocessing", "pickle", "marshal", "resource", "types", "codecs", "posix")
_sensitive_names: frozenset[str] | None = None


def _compute_sensitive_names() -> frozenset[str]:
    import sys

    names: set[str] = set()
    for mod_name in _DANGER_MODULES:
        try:
            names.update(dir(importlib.import_module(mod_name)))
        except ImportError:
            pass
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or mod_name.split(".")[0] not in ALLOWED_MODULES_STANDARD:
            continue
        for attr, value in list(vars(mod).items()):
            if isinstance(value, types.ModuleType):
                names.add(attr)
    for banned in FORBIDDEN_MODULE_ATTRS.values():
        names.update(banned)
    names.update(_submodule_names())
    names.update({"format", "format_map", "attrgetter", "methodcaller", "update_wrapper"})
    return frozenset(names)


def _submodule_names() -> set[str]:
    """Names of the not-yet-loaded submodules that an allowed package imports on first
    attribute access (numpy's module ``__getattr__``: ``np.f2py``), found by listing its
    directory. Loaded submodules are already members of their package (see above)."""
    import os
    import sys

    names: set[str] = set()
    for top in ALLOWED_MODULES_STANDARD:
        mod = sys.modules.get(top)
        if mod is None or "__getattr__" not in vars(mod):
            continue
        for path in list(getattr(mod, "__path__", None) or ()):
            try:
                entries = os.listdir(path)
            except OSError:
                continue
            for entry in entries:
                if entry.endswith(".py") or ".cpython-" in entry or os.path.isfile(
                        os.path.join(path, entry, "__init__.py")):
                    names.add(entry.split(".", 1)[0])
    names.discard("__init__")
    return names


def direct_attr_ok(name: str) -> bool:
    """May ``obj.<name>`` (a read) skip the run-time guard? (``standard`` only.)

    The guard's run-time work is only needed where the object could be a module (a module
    reached as an attribute, a refused module member) or a ``str.format``. A name that is no
    member of any module the OS can be reached from, names no submodule of an allowed library,
    and is not private or a dunder, cannot lead there: ``x.count`` in a 10,000-input loop then
    costs what it costs outside the sandbox. Computed once in the warm parent.
    """
    global _sensitive_names
    if name.startswith("_"):
        return False
    if _sensitive_names is None:
        _sensitive_names = _compute_sensitive_names()
    return name not in _sensitive_names


def preload_allowed_modules(on_demand: list[str] | tuple[str, ...] = ()) -> None:
    """Import every allowed module once (in the warm parent) so direct_attr_ok sees them all;
    an on-demand package only when it is named in ``on_demand`` or already loaded (a program
    named it before: exec_server.warm_for)."""
    import sys

    names = [n for n in sorted(ALLOWED_MODULES_STANDARD) if n not in ON_DEMAND_MODULES]
    for top, modules in ON_DEMAND_MODULES.items():
        if top in on_demand or top in sys.modules:
            names += modules
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    global _sensitive_names
    _sensitive_names = _compute_sensitive_names()


def on_demand_wanted(source: bytes | bytearray, offset: int = 0) -> list[str]:
    """The on-demand packages ``source`` names and the parent has not loaded yet."""
    import sys

    return [top for top, modules in ON_DEMAND_MODULES.items()
            if any(m not in sys.modules for m in modules)
            and source.find(top.encode(), offset) >= 0]


# ---------------------------------------------------------------- the transformer


class PolicyTransformer(RestrictingNodeTransformer):
    """RestrictedPython's rewriter with our rules for names, attributes and statements."""

    strict = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hx_idx = 0
        self._hx_classes: list[str] = []

    def _tmp(self) -> str:
        self._hx_idx += 1
        return f"{RESERVED_PREFIX}{self._hx_idx}"

    # names ------------------------------------------------------------
    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name is None or name == "_":
            return
        problem = name_problem(name, definition=allow_magic_methods)
        if problem:
            self.error(node, problem)

    def visit_Global(self, node: ast.Global) -> Any:
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        for name in node.names:
            self.check_name(node, name)
        return node

    # imports ----------------------------------------------------------
    def _check_module(self, node: ast.AST, module: str) -> None:
        if not module_allowed(module, self.strict):
            self.error(node, f'import of "{module}" is not allowed')

    def visit_Import(self, node: ast.Import) -> Any:
        for alias in node.names:
            self._check_module(node, alias.name)
        return self.check_import_names(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        if node.level:
            self.error(node, "relative imports are not allowed")
            return node
        module = node.module or ""
        self._check_module(node, module)
        if any(a.name == "*" for a in node.names) and module_allowed(module, self.strict):
            node.names = [ast.alias(name=n) for n in _public_names(module, self.strict)]
            if not node.names:  # only submodules (``from scipy import *``): nothing to bind
                return ast.copy_location(ast.Pass(), node)
        for alias in node.names:
            self._check_module(node, f"{module}.{alias.name}") if _is_submodule(
                module, alias.name) else None
            banned = FORBIDDEN_MODULE_ATTRS.get(module.split(".")[0], frozenset())
            if alias.name in banned or attribute_problem(alias.name, self.strict) or (
                    alias.name.startswith("_") and module != "__future__"):
                self.error(node, f'importing "{alias.name}" from "{module}" is not allowed')
        return self.check_import_names(node)

    # attributes -------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr in CODE_INFO_ATTRS and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "__code__" and isinstance(node.ctx, ast.Load):
            if self.strict:
                self.error(node, 'access to "__code__" is not allowed under the strict policy')
                return node
            inner = self.visit(node.value.value)
            new = ast.Call(func=ast.Name("_hx_code_info", ast.Load()),
                           args=[inner, ast.Constant(node.attr)], keywords=[])
            ast.copy_location(new, node)
            return new
        load = isinstance(node.ctx, ast.Load)
        problem = attribute_problem(node.attr, self.strict, write=not load)
        if problem:
            self.error(node, problem)
            return node
        if load and not self.strict and direct_attr_ok(node.attr):
            return self.node_contents_visit(node)
        # Let the base class rewrite to _getattr_/_write_ without its "_" rule: hide the name.
        real = node.attr
        node.attr = "a"
        new = super().visit_Attribute(node)
        if isinstance(new, ast.Call):  # load: _getattr_(obj, "a")
            new.args[1] = ast.Constant(self._mangle(real))
        else:
            new.attr = real
            if real.startswith("_"):  # _write_(obj).x -> _hx_pwrite(obj, "_x")._x
                new.value.func = ast.Name("_hx_pwrite", ast.Load())
                new.value.args.append(ast.Constant(self._mangle(real)))
        return new

    # statements RestrictedPython refuses but ordinary programs use ---------------------
    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        if isinstance(target, ast.Name):
            return super().visit_AugAssign(node)
        # obj[k] op= v  ->  t_o = obj; t_k = k
        #                   _write_(t_o)[t_k] = _inplacevar_(op, _getitem_(t_o, t_k), v)
        # The user's parts are visited (guarded) once; the scaffolding is built guarded.
        obj = self.visit(target.value)
        value = self.visit(node.value)
        obj_tmp = self._tmp()
        stmts: list[ast.stmt] = [ast.Assign([ast.Name(obj_tmp, ast.Store())], obj)]
        tmps = [obj_tmp]

        def load(name: str) -> ast.Name:
            return ast.Name(name, ast.Load())

        written = ast.Call(load("_write_"), [load(obj_tmp)], [])
        if isinstance(target, ast.Subscript):
            key_tmp = self._tmp()
            tmps.append(key_tmp)
            stmts.append(ast.Assign([ast.Name(key_tmp, ast.Store())], self.visit(target.slice)))
            current = ast.Call(load("_getitem_"), [load(obj_tmp), load(key_tmp)], [])
            store: ast.expr = ast.Subscript(written, load(key_tmp), ast.Store())
        else:
            problem = attribute_problem(target.attr, self.strict, write=True)
            if problem:
                self.error(node, problem)
                return node
            current = ast.Call(load("_getattr_"),
                               [load(obj_tmp), ast.Constant(self._mangle(target.attr))], [])
            if target.attr.startswith("_"):
                written = ast.Call(load("_hx_pwrite"),
                                   [load(obj_tmp), ast.Constant(self._mangle(target.attr))], [])
            store = ast.Attribute(written, target.attr, ast.Store())
        new_value = ast.Call(load("_inplacevar_"),
                             [ast.Constant(_IOP[type(node.op)]), current, value], [])
        stmts.append(ast.Assign([store], new_value))
        stmts.append(ast.Delete([ast.Name(t, ast.Del()) for t in tmps]))
        for stmt in stmts:
            ast.copy_location(stmt, node)
            ast.fix_missing_locations(stmt)
        return stmts

    def visit_Module(self, node: ast.Module) -> Any:
        node = super().visit_Module(node)
        return ast.fix_missing_locations(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        # Keep AnnAssign (dataclasses read class __annotations__); guard its parts.
        return self.node_contents_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        for kw in node.keywords:
            if kw.arg == "metaclass":
                self.error(node, 'the keyword argument "metaclass" is not allowed')
        self.check_name(node, node.name)
        self._hx_classes.append(node.name)
        try:
            return self.node_contents_visit(node)
        finally:
            self._hx_classes.pop()

    def _mangle(self, name: str) -> str:
        """``self.__x`` inside ``class Foo`` is ``_Foo__x``: the compiler mangles attribute
        nodes, not the name constants of our ``_getattr_(obj, "__x")`` rewrite."""
        if name.startswith("__") and not name.endswith("__") and self._hx_classes:
            owner = self._hx_classes[-1].lstrip("_")
            if owner:
                return f"_{owner}{name}"
        return name

    # match statements ----------------------------------------------------------------
    def visit_Match(self, node: ast.AST) -> Any:
        return self.node_contents_visit(node)

    visit_match_case = visit_MatchValue = visit_MatchSingleton = visit_Match
    visit_MatchSequence = visit_MatchOr = visit_Match

    def visit_MatchMapping(self, node: ast.MatchMapping) -> Any:
        self.check_name(node, node.rest)
        return self.node_contents_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> Any:
        for attr in node.kwd_attrs:  # looked up without the guard: check them here
            problem = attribute_problem(attr, self.strict) or (
                f'"{attr}" is not allowed in a class pattern' if attr.startswith("_") else None)
            if problem:
                self.error(node, problem)
        return self.node_contents_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> Any:
        self.check_name(node, node.name)
        return node

    def visit_MatchAs(self, node: ast.MatchAs) -> Any:
        self.check_name(node, node.name)
        return self.node_contents_visit(node)


class StrictPolicyTransformer(PolicyTransformer):
    strict = True


#: Guard names an annotation may call: ``from __future__ import annotations`` keeps the
#: annotation's text as rewritten by this policy (``_getitem_(Optional, str)``).
ANNOTATION_GUARD_NAMES = frozenset({"_getattr_", "_getitem_", "_getiter_", "_write_",
                                    "_hx_pwrite", "_inplacevar_", "_apply_", "_hx_code_info",
                                    "_iter_unpack_sequence_", "_unpack_sequence_"})


class _AnnotationMixin:
    """Annotations: an expression, which may call the guards themselves but bind nothing."""

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name in ANNOTATION_GUARD_NAMES and isinstance(getattr(node, "ctx", None), ast.Load):
            return
        super().check_name(node, name, allow_magic_methods)  # type: ignore[misc]

    def visit_NamedExpr(self, node: ast.AST) -> Any:
        self.error(node, "assignment expressions are not allowed in annotations")  # type: ignore[attr-defined]
        return node


class AnnotationTransformer(_AnnotationMixin, PolicyTransformer):
    pass


class StrictAnnotationTransformer(_AnnotationMixin, StrictPolicyTransformer):
    pass


_IOP = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.Mod: "%=",
        ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=", ast.BitOr: "|=", ast.BitXor: "^=",
        ast.BitAnd: "&=", ast.FloorDiv: "//=", ast.MatMult: "@="}
_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv, "%=": operator.imod, "**=": operator.ipow,
            "<<=": operator.ilshift, ">>=": operator.irshift, "|=": operator.ior,
            "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
            "@=": operator.imatmul}


def _is_submodule(module: str, name: str) -> bool:
    """Is ``module.name`` a module? Read without ``getattr``: a package's module
    ``__getattr__`` (scipy's) would import the submodule before the policy could refuse it."""
    try:
        mod = importlib.import_module(module)
        value = vars(mod).get(name)
        if value is None and "__getattr__" in vars(mod):
            return importlib.util.find_spec(f"{module}.{name}") is not None
    except Exception:
        return False
    return isinstance(value, types.ModuleType)


def _public_names(module: str, strict: bool) -> list[str]:
    mod = importlib.import_module(module)
    ns = vars(mod)  # not getattr: lazy submodules (scipy.__all__ names them) stay unloaded
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    banned = FORBIDDEN_MODULE_ATTRS.get(module.split(".")[0], frozenset())
    return [n for n in names if n not in banned and not attribute_problem(n, strict)
            and not n.startswith("_") and n in ns
            and not isinstance(ns[n], types.ModuleType)]


# ---------------------------------------------------------------- run-time guards


class _SafeFormatter(string.Formatter):
    """``str.format`` whose field paths (``{0.attr[key]}``) go through the attribute guard."""

    def __init__(self, getattr_guard: Callable[..., Any]) -> None:
        self._guard = getattr_guard

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        first, rest = _formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = self._guard(obj, key) if is_attr else obj[key]
        return obj, first


def _formatter_field_name_split(name: str) -> Any:
    first, rest = _string.formatter_field_name_split(name)
    return first, list(rest)


_type_dict = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_NO_DEFAULT = object()  # guarded_getattr called without a default
#: Values a guarded attribute read never hands out, whatever the name it came by.
_OPAQUE_TYPES = (types.FrameType, types.TracebackType, types.CodeType)


def make_guards(strict: bool) -> dict[str, Any]:
    """The run-time half of the policy: the functions RestrictedPython's rewrite calls."""
    import sys

    # Classes the program's own ``class`` statements built (and their dataclass slots copies):
    # a registry, because ``__module__`` can be set by the program (type(), module=...).
    own_classes: set[type] = set()

    def owns(obj: Any) -> bool:
        """Did the program define ``obj`` (its class, its function, its instance)?"""
        t = type(obj)
        if t in own_classes:
            return True
        if t is types.FunctionType:
            return obj.__code__.co_filename == PROGRAM_FILENAME
        return isinstance(obj, type) and obj in own_classes

    private_cache: dict[tuple[type, str], bool] = {}

    def private_ok(obj: Any, name: str) -> bool:
        """May the program read/write ``obj.<name>`` (a ``_private`` name)?

        Yes where the attribute lives in something the program defined: a class of its own
        (found first along the MRO, as Python's lookup would), or, found in no class, the
        instance itself when it is the program's. A private name of a library class stays
        refused even on a program subclass (``class F(typing.ForwardRef)``)."""
        if name in PRIVATE_API:
            return True
        t = type(obj)
        if t is super:
            start = obj.__self_class__
            if start is None:
                return False
            mro = _type_mro(start)
            if obj.__thisclass__ not in mro:
                return False
            for c in mro[mro.index(obj.__thisclass__) + 1:]:
                if name in _type_dict(c):
                    return c in own_classes
            return False
        if isinstance(obj, type):
            for chain in (_type_mro(obj), _type_mro(t)):
                for c in chain:
                    if name in _type_dict(c):
                        return c in own_classes
            return obj in own_classes
        key = (t, name)
        verdict = private_cache.get(key)
        if verdict is None:
            for c in _type_mro(t):
                if name in _type_dict(c):
                    verdict = c in own_classes
                    break
            else:
                if t is types.FunctionType:  # a function's attributes: per function
                    return owns(obj)
                verdict = t in own_classes
            private_cache[key] = verdict
        return verdict

    def check_module_access(obj: Any, name: str) -> None:
        mod_name = getattr(obj, "__name__", "")
        if not isinstance(mod_name, str) or not module_allowed(mod_name, strict):
            raise RestrictedError(f'access to module "{mod_name}" is not allowed')
        if name.startswith("_") and name not in READABLE_DUNDERS:
            raise RestrictedError(f'access to private module attribute "{name}" is not allowed')
        if name in FORBIDDEN_MODULE_ATTRS.get(mod_name.split(".")[0], ()):
            raise RestrictedError(f'"{mod_name}.{name}" is not allowed')
        if name[:1] != "_" and name not in vars(obj) and "__getattr__" in vars(obj) and \
                not module_allowed(f"{mod_name}.{name}", strict):
            # a module __getattr__ would import it (scipy.io) before the value is checked
            raise RestrictedError(f'access to module "{mod_name}.{name}" is not allowed')

    checked_names: set[str] = set()
    plain_types = frozenset({str, list, dict, tuple, set, frozenset, int, float, bool, bytes})
    real_builtins_dict = vars(builtins)

    def guarded_getattr(obj: Any, name: Any, default: Any = _NO_DEFAULT) -> Any:
        # Fast path: a name already checked, on a builtin value type (``x.count`` in a loop).
        # (A keyword default, not ``*default``: building that tuple was a third of each call.)
        if type(name) is str and name in checked_names and type(obj) in plain_types:
            if default is _NO_DEFAULT:
                return getattr(obj, name)
            return getattr(obj, name, default)
        if type(name) is not str:
            raise TypeError("attribute name must be a string")
        problem = attribute_problem(name, strict)
        if problem:
            raise RestrictedError(problem)
        if isinstance(obj, types.ModuleType):
            check_module_access(obj, name)
        elif name[:1] == "_" and name not in READABLE_DUNDERS and not private_ok(obj, name):
            raise RestrictedError(f'access to "{name}" of a {type(obj).__name__} object the '
                                  "program did not define is not allowed")
        if name != "format" and name[:1] != "_":
            checked_names.add(name)
        if name == "format" and (isinstance(obj, str) or obj is str):
            return _bound_format(obj)
        value = getattr(obj, name) if default is _NO_DEFAULT else getattr(obj, name, default)
        vt = type(value)
        if vt is types.ModuleType or isinstance(value, types.ModuleType):
            if not module_allowed(value.__name__, strict):
                raise RestrictedError(f'access to module "{value.__name__}" is not allowed')
        elif vt in _OPAQUE_TYPES or value is real_builtins_dict or (
                vt is dict and "__builtins__" in value):
            raise RestrictedError(f'access to "{name}" is not allowed')
        return value

    formatter = _SafeFormatter(guarded_getattr)

    def _bound_format(obj: Any) -> Callable[..., str]:
        if obj is str:
            return lambda fmt, *a, **k: formatter.vformat(str.__str__(fmt), a, k)
        text = str.__str__(obj)
        return lambda *a, **k: formatter.vformat(text, a, k)

    def guarded_hasattr(obj: Any, name: Any) -> bool:
        try:
            guarded_getattr(obj, name)
        except AttributeError:
            return False
        except RestrictedError:
            if type(name) is str and name[:1] == "_":
                return False  # a library's private attribute: as good as absent
            raise
        return True

    def write_check(obj: Any, name: Any) -> Any:
        """``obj.<name> = ...`` / ``del obj.<name>``: the object and the name both allowed."""
        if type(name) is not str or attribute_problem(name, strict, write=True):
            raise RestrictedError(f"setting attribute {name!r} is not allowed")
        write_guard(obj)
        if name[:1] == "_" and not (owns(obj) or (name[:2] != "__" and private_ok(obj, name))):
            raise RestrictedError(f'setting "{name}" on a {type(obj).__name__} object the '
                                  "program did not define is not allowed")
        return obj

    def guarded_setattr(obj: Any, name: Any, value: Any) -> None:
        setattr(write_check(obj, name), name, value)

    def guarded_delattr(obj: Any, name: Any) -> None:
        delattr(write_check(obj, name), name)

    def write_guard(obj: Any) -> Any:
        # Modules, classes and functions of the allowed libraries are shared state: refuse.
        if isinstance(obj, (types.ModuleType, types.BuiltinFunctionType)):
            raise RestrictedError(f"cannot modify {type(obj).__name__} objects")
        if isinstance(obj, type) and obj not in own_classes and obj.__module__ != "solution":
            raise RestrictedError(f"cannot modify class {obj.__name__}")
        if type(obj) is types.FunctionType and not owns(obj):
            raise RestrictedError("cannot modify a library function")
        return obj

    real_build_class = builtins.__build_class__

    def build_class(func: Any, name: Any, *bases: Any, **kwds: Any) -> Any:
        cls = real_build_class(func, name, *bases, **kwds)
        if isinstance(cls, type) and type(func) is types.FunctionType and \
                func.__code__.co_filename == PROGRAM_FILENAME:
            own_classes.add(cls)
        return cls

    def guarded_import(name: str, globals: Any = None, locals: Any = None,
                       fromlist: Any = (), level: int = 0) -> Any:
        if level or type(name) is not str or not module_allowed(name, strict, private_ok=True):
            raise RestrictedError(f'import of "{name}" is not allowed')
        top = name.split(".", 1)[0]
        if (top in ON_DEMAND_MODULES and top not in sys.modules) or (
                top in PACKAGE_SUBMODULES and name not in sys.modules and "._" not in name):
            # The direct-attribute table was computed without it: refuse rather than guess.
            raise RestrictedError(f'"{name}" was not loaded for this program')
        for item in fromlist or ():
            if type(item) is not str:
                raise RestrictedError("bad import")
            if item in FORBIDDEN_MODULE_ATTRS.get(name.split(".")[0], ()):
                raise RestrictedError(f'importing "{item}" from "{name}" is not allowed')
            if item != "*" and (attribute_problem(item, strict) or item.startswith("_")):
                raise RestrictedError(f'importing "{item}" from "{name}" is not allowed')
        module = __import__(name, globals, locals, fromlist, 0)
        for item in fromlist or ():
            sub = getattr(module, item, None)
            if isinstance(sub, types.ModuleType) and not module_allowed(
                    sub.__name__, strict, private_ok=True):
                raise RestrictedError(f'import of "{sub.__name__}" is not allowed')
        return module

    def code_info(fn: Any, attr: str) -> Any:
        code = getattr(fn, "__code__", None)
        if not isinstance(code, types.CodeType) or attr not in CODE_INFO_ATTRS:
            raise AttributeError(attr)
        return getattr(code, attr)

    def inplacevar(op: str, x: Any, y: Any) -> Any:
        return _INPLACE[op](x, y)

    def apply(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return {
        "_getattr_": guarded_getattr,
        "_getitem_": operator.getitem,
        "_getiter_": iter,
        "_write_": write_guard,
        "_hx_pwrite": write_check,
        "_inplacevar_": inplacevar,
        "_apply_": apply,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_hx_code_info": code_info,
        "__metaclass__": type,
        "_builtins_overrides": {
            "getattr": guarded_getattr, "hasattr": guarded_hasattr,
            "setattr": guarded_setattr, "delattr": guarded_delattr,
            "__import__": guarded_import, "__build_class__": build_class,
        },
        "_hx_state": {"own_classes": own_classes, "owns": owns, "private_ok": private_ok,
                      "getattr": guarded_getattr, "strict": strict},
    }


# ---------------------------------------------------------------- builtins

SAFE_BUILTIN_NAMES = (
    "abs all any ascii bin bool bytearray bytes callable chr classmethod complex dict divmod "
    "enumerate filter float format frozenset hash hex id int isinstance issubclass iter len "
    "list map max min next object oct ord pow property range repr reversed round set slice "
    "sorted staticmethod str sum super tuple type zip dir NotImplemented Ellipsis None True False "
    "__build_class__"
).split()
REFUSED_BUILTINS = ("open", "exec", "eval", "compile", "input", "globals", "locals", "vars",
                    "breakpoint", "help", "exit", "quit", "memoryview", "copyright", "credits",
                    "license")


def _refuser(name: str) -> Callable[..., Any]:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise RestrictedError(f"{name}() is not allowed")
    return refuse


def make_builtins(guards: dict[str, Any], print_fn: Callable[..., None]) -> dict[str, Any]:
    table: dict[str, Any] = {n: getattr(builtins, n) for n in SAFE_BUILTIN_NAMES}
    for name in dir(builtins):  # every exception and warning class
        obj = getattr(builtins, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            table[name] = obj
    table.pop("BaseExceptionGroup", None)
    table.pop("ExceptionGroup", None)
    table.update(guards["_builtins_overrides"])
    for name in REFUSED_BUILTINS:
        table[name] = _refuser(name)
    table["print"] = print_fn
    table["RestrictedError"] = RestrictedError
    return table


class PrintSink:
    """Collects what ``print`` writes, capped, so output can never reach the protocol."""

    def __init__(self, cap: int = 4096) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0

    def __call__(self, *objects: Any, sep: Any = " ", end: Any = "\n", file: Any = None,
                 flush: bool = False) -> None:
        if self.size >= self.cap:
            return
        text = (sep if isinstance(sep, str) else " ").join(str(o) for o in objects)
        text += end if isinstance(end, str) else "\n"
        self.parts.append(text[: self.cap - self.size])
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts)[: self.cap]


class _RPPrint:
    """RestrictedPython's ``_print_`` protocol, forwarding to a PrintSink."""

    def __init__(self, sink: PrintSink) -> None:
        self._sink = sink

    def __call__(self, _getattr: Any = None) -> _RPPrint:
        return self

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        self._sink(*objects, **{k: v for k, v in kwargs.items() if k in ("sep", "end")})


# ---------------------------------------------------------------- compile


_CURRENT: dict[str, Any] = {}
#: Non-zero while the policy's own compiler runs (compile_program, annotations): the hardened
#: ``compile`` lets exactly those calls through.
_TRUSTED_COMPILE = [0]


class PolicyError(Exception):
    """A program refused at compile time: ``kind`` is ``syntax`` or ``restricted``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def compile_program(source: str, policy: str) -> tuple[types.CodeType, types.ModuleType, PrintSink]:
    """Compile ``source`` under ``policy``; return its code, a fresh ``solution`` module to run
    it in (a real module, because dataclasses look a class's module up in ``sys.modules``), and
    the sink its ``print`` writes to."""
    if policy not in POLICIES:
        raise PolicyError("restricted", f"unknown policy {policy!r}")
    try:
        ast.parse(source, "<program>")
    except SyntaxError as exc:
        raise PolicyError("syntax", f"line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise PolicyError("syntax", f"{type(exc).__name__}: {exc}") from None
    sink = PrintSink()
    module = types.ModuleType("solution")
    glb: dict[str, Any] = module.__dict__
    if policy == "off":
        code = compile(source, "<program>", "exec")
        glb.update({"__builtins__": builtins, "print": sink})
        return code, module, sink
    strict = policy == "strict"
    transformer = StrictPolicyTransformer if strict else PolicyTransformer
    _TRUSTED_COMPILE[0] += 1
    try:
        result = compile_restricted_exec(source, "<program>", policy=transformer)
    finally:
        _TRUSTED_COMPILE[0] -= 1
    if result.errors or result.code is None:
        raise PolicyError("restricted", "; ".join(result.errors)[:1000] or "refused")
    guards = make_guards(strict)
    glb.update({k: v for k, v in guards.items() if k not in ("_builtins_overrides", "_hx_state")})
    glb["__builtins__"] = make_builtins(guards, sink)
    glb["_print_"] = _RPPrint(sink)
    # What harden_libraries needs to evaluate annotations like program code (one program per
    # process: the last one compiled is the one that runs).
    _CURRENT.clear()
    _CURRENT.update(guards["_hx_state"], code=result.code, globals=glb,
                    builtins=glb["__builtins__"], policy=policy)
    return result.code, module, sink


class RestrictedImportError(RestrictedError, ImportError):
    """A library's own string import refused (an ImportError, so "optional dependency
    missing" code paths take their usual branch)."""


#: A namedtuple's generated ``__new__``: nothing but identifiers, commas and spaces inside.
_NAMEDTUPLE_SOURCE = re.compile(r"lambda _cls, ([\w, ]*): _tuple_new\(_cls, \(\1\)\)")
#: sympy's MonomialOps templates: identifiers, arithmetic, comparisons and punctuation.
_MONOMIAL_SOURCE = re.compile(r"[\w\s,()+\-*=<>:]*")
#: Modules whose own ``__import__(name)`` calls take a name a program can choose.
_STRING_IMPORTERS = ("numpy.lib", "numpy.lib._utils_impl", "sympy.external.importtools",
                     "sympy.utilities.source")
#: Modules whose functions ``open`` files (all reached only through refused members).
_FILE_OPENERS = ("numpy.lib._npyio_impl", "numpy._core._methods", "numpy.lib._datasource",
                 "numpy.lib.format", "sympy.printing.preview")


def harden_libraries(policy: str) -> None:
    """In the program's process only (after compile_program, before the program's code runs):
    cut every way an allowed library could evaluate a string, or write state, with the real
    builtins. Runs in the forked child, so the warm parent stays untouched.

    * ``builtins.exec``/``eval``/``compile`` become refusers for everything but the program's
      own compiled code (run once by the worker), AST-only compiles (``ast.parse``) and
      literals; no library can hand a string to the real evaluators any more;
    * the few library code generators ordinary programs need get checked entry points:
      typing's forward references compile under this policy and evaluate with the program's
      guards; dataclasses' field names must be identifiers and its generated methods see only
      the program's builtins; namedtuple's template is matched; sympy's monomial templates;
    * C helpers that reach attributes by name (``operator.attrgetter``/``methodcaller``) go
      through the attribute guard; ``functools.update_wrapper`` copies only its documented
      names, never into modules or library classes; ``copy`` never writes state into a
      module, a library class or function;
    * library string importers import only allowed modules; library file openers refuse.
    """
    if policy == "off" or getattr(builtins.exec, "_hx_wrapper", False):
        return
    import sys

    # Every wrapper reads the program it serves from _CURRENT when it is called, not when it is
    # installed: a child forked ahead hardens itself while it waits (off the program's critical
    # path), and compile_program then points _CURRENT at the program that runs.
    cur = _CURRENT
    real_exec, real_eval, real_compile = builtins.exec, builtins.eval, builtins.compile
    real_import = builtins.__import__

    def strict() -> bool:
        return cur.get("policy") != "standard"

    def prog_builtins() -> dict[str, Any]:
        return cur.get("builtins") or {n: getattr(builtins, n) for n in SAFE_BUILTIN_NAMES}

    def own_classes() -> set[Any]:
        return cur.get("own_classes", set())

    def owns(obj: Any) -> bool:
        return bool(cur.get("owns", lambda _obj: False)(obj))
    trusted = _TRUSTED_COMPILE

    import importlib._bootstrap as bootstrap

    # The import system runs (and, without a .pyc, compiles) a module through this helper.
    importer_code = bootstrap._call_with_frames_removed.__code__
    getframe = sys._getframe

    def h_exec(source: Any, globals: Any = None, locals: Any = None, *a: Any, **k: Any) -> Any:
        code = cur.get("code")
        if (code is not None and source is code and globals is cur.get("globals")) or \
                getframe(1).f_code is importer_code:
            return real_exec(source, globals, locals, *a, **k)  # the program; an import
        raise RestrictedError("exec() is not allowed")

    def h_eval(source: Any, globals: Any = None, locals: Any = None) -> Any:
        if type(source) is str:
            try:
                return ast.literal_eval(source.strip())  # a literal: no code runs
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                pass
        raise RestrictedError("eval() is not allowed")

    def h_compile(source: Any, filename: Any, mode: Any, flags: int = 0, *a: Any,
                  **k: Any) -> Any:
        if trusted[0] or (type(flags) is int and flags & ast.PyCF_ONLY_AST) or \
                getframe(1).f_code is importer_code:
            return real_compile(source, filename, mode, flags, *a, **k)
        raise RestrictedError("compile() is not allowed")

    for fn in (h_exec, h_eval, h_compile):
        fn._hx_wrapper = True  # type: ignore[attr-defined]

    def refuse(what: str) -> Callable[..., Any]:
        def refuser(*_a: Any, **_k: Any) -> Any:
            raise RestrictedError(f"{what} is not allowed")
        return refuser

    def lib_import(name: Any, globals: Any = None, locals: Any = None, fromlist: Any = (),
                   level: int = 0) -> Any:
        if level or type(name) is not str or not module_allowed(name, False, private_ok=True):
            raise RestrictedImportError(f'import of "{name}" is not allowed')
        return real_import(name, globals, locals, fromlist, level)

    def module(name: str) -> dict[str, Any] | None:
        mod = sys.modules.get(name)
        return vars(mod) if mod is not None else None

    # ---- typing: forward references compile under the policy, evaluate with its guards
    guard_names = ("_getattr_", "_getitem_", "_getiter_", "_write_", "_hx_pwrite",
                   "_inplacevar_", "_apply_", "_iter_unpack_sequence_", "_unpack_sequence_",
                   "_hx_code_info", "_print_")
    def base_ns() -> dict[str, Any]:
        glb = cur.get("globals")
        ns = {n: glb[n] for n in guard_names if glb and n in glb}
        ns["__builtins__"] = prog_builtins()
        return ns

    def t_compile(source: Any, filename: Any = "<string>", mode: Any = "eval", *_a: Any,
                  **_k: Any) -> Any:
        if type(source) is not str or mode != "eval":
            raise RestrictedError("compiling this annotation is not allowed")
        ast.parse(source, mode="eval")  # a SyntaxError as typing expects it
        trusted[0] += 1
        try:
            result = compile_restricted_eval(source, ANNOTATION_FILENAME, policy=(
                StrictAnnotationTransformer if strict() else AnnotationTransformer))
        finally:
            trusted[0] -= 1
        if result.errors or result.code is None:
            raise RestrictedError("annotation refused: " + "; ".join(result.errors)[:300])
        return result.code

    def namespace_ok(ns: Any) -> bool:
        # A library module's globals (the program can name one through __module__) never.
        return ns is cur.get("globals") or not (isinstance(ns, dict) and "__builtins__" in ns)

    def t_eval(code: Any, globalns: Any = None, localns: Any = None) -> Any:
        if type(code) is not types.CodeType or code.co_filename != ANNOTATION_FILENAME:
            raise RestrictedError("evaluating this annotation is not allowed")
        program_globals, base = cur.get("globals"), base_ns()
        g = program_globals if (program_globals is not None and globalns is program_globals) \
            else base
        loc = dict(localns) if localns is not None and namespace_ok(localns) else {}
        loc.update({n: v for n, v in base.items() if n != "__builtins__"})
        return real_eval(code, g, loc)

    ns = module("typing")
    if ns is not None:
        ns["compile"], ns["eval"] = t_compile, t_eval

    # ---- dataclasses: identifier field names, generated methods see the program's builtins
    ns = module("dataclasses")
    if ns is not None:
        real_process, real_add_slots = ns["_process_class"], ns["_add_slots"]

        def d_process(cls: Any, *a: Any, **k: Any) -> Any:
            if not isinstance(cls, type):
                raise RestrictedError("dataclass() needs a class")
            for field_name in _type_dict(cls).get("__annotations__", {}):
                if type(field_name) is not str or not field_name.isidentifier() or \
                        keyword.iskeyword(field_name) or name_problem(field_name):
                    raise RestrictedError(f"dataclass field name {field_name!r} is not allowed")
            return real_process(cls, *a, **k)

        def d_add_slots(cls: Any, *a: Any, **k: Any) -> Any:
            new = real_add_slots(cls, *a, **k)
            if cls in own_classes():
                own_classes().add(new)
            return new

        create_fn_code, dataclasses_ns = ns["_create_fn"].__code__, ns

        def d_exec(txt: Any, globals: Any = None, locals: Any = None) -> Any:
            # only dataclasses' own _create_fn, called by dataclasses (names checked above)
            if type(txt) is not str or getframe(1).f_code is not create_fn_code or \
                    getframe(2).f_globals is not dataclasses_ns:
                raise RestrictedError("exec() is not allowed")
            return real_exec(txt, {"__builtins__": prog_builtins()}, locals)

        ns["_process_class"], ns["_add_slots"], ns["exec"] = d_process, d_add_slots, d_exec

    # ---- collections.namedtuple: only its own template
    ns = module("collections")
    if ns is not None:
        def c_eval(source: Any, globals: Any = None, locals: Any = None) -> Any:
            if type(source) is str and _NAMEDTUPLE_SOURCE.fullmatch(source) and \
                    type(globals) is dict and globals.get("__builtins__") == {} and \
                    set(globals) <= {"_tuple_new", "__builtins__", "__name__"}:
                return real_eval(source, globals, locals)
            raise RestrictedError("eval() is not allowed")
        ns["eval"] = c_eval

    # ---- copy: state is written only into fresh objects
    ns = module("copy")
    if ns is not None:
        real_reconstruct = ns["_reconstruct"]

        def shared(y: Any) -> bool:
            if isinstance(y, (types.ModuleType, types.BuiltinFunctionType, types.MethodType)):
                return True
            if isinstance(y, type):
                return y not in own_classes()
            return type(y) is types.FunctionType and not owns(y)

        def k_reconstruct(x: Any, memo: Any, func: Any, args: Any, state: Any = None,
                          listiter: Any = None, dictiter: Any = None, **k: Any) -> Any:
            if state is None and listiter is None and dictiter is None:
                return real_reconstruct(x, memo, func, args, **k)

            def make(*a: Any) -> Any:
                y = func(*a)
                if shared(y):
                    raise RestrictedError("copy cannot write state into a shared object")
                return y
            return real_reconstruct(x, memo, make, args, state, listiter, dictiter, **k)
        ns["_reconstruct"] = k_reconstruct

    # ---- functools.update_wrapper (and wraps, which calls it): documented names only
    ns = module("functools")
    if ns is not None:
        real_update = ns["update_wrapper"]
        default_assigned, default_updated = ns["WRAPPER_ASSIGNMENTS"], ns["WRAPPER_UPDATES"]

        def f_update(wrapper: Any, wrapped: Any, assigned: Any = default_assigned,
                     updated: Any = default_updated) -> Any:
            assigned, updated = tuple(assigned), tuple(updated)
            if not set(assigned) <= set(default_assigned) or \
                    not set(updated) <= set(default_updated):
                raise RestrictedError("update_wrapper() copies only its default attributes")
            for obj in (wrapper, wrapped):
                if isinstance(obj, types.ModuleType) or (
                        isinstance(obj, type) and obj not in own_classes()):
                    raise RestrictedError("update_wrapper() on a module or library class")
            return real_update(wrapper, wrapped, assigned, updated)
        ns["update_wrapper"] = f_update

    # ---- operator: attribute names pass the guard's rules (installed whether or not a program
    # is compiled yet: a child hardened ahead of its program must not miss this door)
    def ga(obj: Any, name: str) -> Any:
        guarded = cur.get("getattr")
        if guarded is None:
            raise RestrictedError("no program is loaded")
        return guarded(obj, name)

    real_attrgetter, real_methodcaller = operator.attrgetter, operator.methodcaller

    def attrgetter(attr: Any, *attrs: Any) -> Any:
        names = (attr, *attrs)
        if any(type(n) is not str for n in names):
            raise TypeError("attribute name must be a string")
        if not strict() and all(direct_attr_ok(p) for n in names for p in n.split(".")):
            return real_attrgetter(*names)
        paths = [tuple(n.split(".")) for n in names]

        def get(obj: Any) -> Any:
            out = []
            for path in paths:
                value = obj
                for part in path:
                    value = ga(value, part)
                out.append(value)
            return out[0] if len(out) == 1 else tuple(out)
        return get

    def methodcaller(name: Any, /, *args: Any, **kwargs: Any) -> Any:
        if type(name) is not str:
            raise TypeError("method name must be a string")
        if not strict() and direct_attr_ok(name):
            return real_methodcaller(name, *args, **kwargs)
        return lambda obj: ga(obj, name)(*args, **kwargs)

    ns = vars(operator)
    ns["attrgetter"], ns["methodcaller"] = attrgetter, methodcaller

    # ---- numpy: bmat/r_ strings name variables of the calling frame; never library ones
    ns = module("numpy.matrixlib.defmatrix")
    if ns is not None:
        real_from_string = ns["_from_string"]

        def n_from_string(text: Any, gdict: Any, ldict: Any) -> Any:
            if not (namespace_ok(gdict) and namespace_ok(ldict)) or any(
                    part.startswith("_") for part in re.split(r"[\s,;]+", str(text))):
                raise RestrictedError("this matrix string is not allowed")
            return real_from_string(text, gdict, ldict)
        ns["_from_string"] = n_from_string

    # ---- sympy: string evaluators refuse; its fixed code templates are checked
    for mod_name in ("sympy.parsing.sympy_parser", "sympy.utilities.lambdify",
                     "sympy.core.sympify", "sympy.printing.preview"):
        ns = module(mod_name)
        if ns is not None:
            ns["eval"], ns["exec"] = refuse("eval()"), refuse("exec()")
    ns = module("sympy.polys.monomials")
    if ns is not None:
        def m_build(self: Any, code: Any, name: Any) -> Any:
            if type(self.ngens) is not int or type(code) is not str or \
                    not _MONOMIAL_SOURCE.fullmatch(code):
                raise RestrictedError("exec() is not allowed")
            space: dict[str, Any] = {"__builtins__": {}}
            real_exec(code, space)
            return space[name]
        ns["MonomialOps"]._build = m_build
    ns = module("sympy.polys.ring_series")
    if ns is not None and isinstance(ns.get("_convert_func"), dict):
        rs_ns, rs_names = ns, frozenset(ns["_convert_func"].values())

        def rs_eval(name: Any, *_a: Any) -> Any:
            if type(name) is str and name in rs_names:
                return rs_ns[name]
            raise RestrictedError("eval() is not allowed")
        ns["eval"] = rs_eval

    # ---- library string importers and file openers
    for mod_name in _STRING_IMPORTERS:
        ns = module(mod_name)
        if ns is not None:
            ns["__import__"] = lib_import
    for mod_name in _FILE_OPENERS:
        ns = module(mod_name)
        if ns is not None and "open" not in ns:
            ns["open"] = refuse("open()")

    builtins.exec, builtins.eval, builtins.compile = h_exec, h_eval, h_compile
