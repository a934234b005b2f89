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
import operator
import string
import types
from collections.abc import Callable
from typing import Any

from RestrictedPython import compile_restricted_exec
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


def attribute_problem(name: str, strict: bool) -> str | None:
    """Why ``obj.<name>`` may not be read or written, or None."""
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
    "array", "random", "hashlib", "numpy", "sympy",
})
#: Heavy modules the exec server imports into its warm parent only when a program names them.
ON_DEMAND_MODULES = frozenset({"sympy"})
#: Reach attributes without RestrictedPython's guard (or evaluate strings): not under strict.
STRICT_EXCLUDED = frozenset({"functools", "operator", "string", "sympy"})
ALLOWED_MODULES_STRICT = ALLOWED_MODULES_STANDARD - STRICT_EXCLUDED

#: Submodules of allowed packages that reach the OS, C memory or a string evaluator.
FORBIDDEN_SUBMODULES = (
    "numpy.ctypeslib", "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.lib.format",
    "sympy.external", "sympy.testing", "sympy.utilities.autowrap",
    "sympy.utilities.codegen", "sympy.utilities.lambdify", "sympy.utilities.runtests",
    "sympy.parsing", "sympy.interactive", "sympy.printing.preview", "sympy.plotting",
)
#: Module attributes refused although the module is allowed (string evaluators, raw formatters).
FORBIDDEN_MODULE_ATTRS = {
    "string": frozenset({"Formatter"}),
    "sympy": frozenset({"sympify", "parse_expr", "lambdify", "S", "preview", "init_printing",
                        "init_session", "var", "symbols_from_string"}),
    "numpy": frozenset({"load", "save", "savez", "savez_compressed", "fromfile", "memmap",
                        "loadtxt", "savetxt", "genfromtxt", "DataSource", "lib"}),
}


def module_allowed(name: str, strict: bool, *, private_ok: bool = False) -> bool:
    """Is module ``name`` importable/reachable? Private submodules only for library internals.

    ``private_ok`` is for the run-time import hook: C code of an allowed library (numpy's
    ``ndarray.sum`` importing ``numpy._core._methods``) imports through the builtins of the
    calling frame, which are the program's. The program itself cannot name private modules:
    the compile-time check refuses them.
    """
    allowed = ALLOWED_MODULES_STRICT if strict else ALLOWED_MODULES_STANDARD
    parts = name.split(".")
    if parts[0] not in allowed:
        return False
    if not private_ok and any(p.startswith("_") for p in parts):
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
    names.update({"format", "format_map"})
    return frozenset(names)


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


def preload_allowed_modules() -> None:
    """Import every allowed module once (in the warm parent) so direct_attr_ok sees them all."""
    import sys

    for name in sorted(ALLOWED_MODULES_STANDARD):
        if name in ON_DEMAND_MODULES and name not in sys.modules:
            continue  # loaded by the server when a program names it (see exec_server.warm_for)
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    global _sensitive_names
    _sensitive_names = _compute_sensitive_names()


# ---------------------------------------------------------------- the transformer


class PolicyTransformer(RestrictingNodeTransformer):
    """RestrictedPython's rewriter with our rules for names, attributes and statements."""

    strict = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hx_idx = 0

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
        for alias in node.names:
            self._check_module(node, f"{module}.{alias.name}") if _is_submodule(
                module, alias.name) else None
            banned = FORBIDDEN_MODULE_ATTRS.get(module.split(".")[0], frozenset())
            if alias.name in banned or attribute_problem(alias.name, self.strict):
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
        problem = attribute_problem(node.attr, self.strict)
        if problem:
            self.error(node, problem)
            return node
        if isinstance(node.ctx, ast.Load) and not self.strict and direct_attr_ok(node.attr):
            return self.node_contents_visit(node)
        # Let the base class rewrite to _getattr_/_write_ without its "_" rule: hide the name.
        real = node.attr
        node.attr = "a"
        new = super().visit_Attribute(node)
        if isinstance(new, ast.Call):  # load: _getattr_(obj, "a")
            new.args[1] = ast.Constant(real)
        else:
            new.attr = real
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
            problem = attribute_problem(target.attr, self.strict)
            if problem:
                self.error(node, problem)
                return node
            current = ast.Call(load("_getattr_"), [load(obj_tmp), ast.Constant(target.attr)], [])
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
        return self.node_contents_visit(node)

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


_IOP = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.Mod: "%=",
        ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=", ast.BitOr: "|=", ast.BitXor: "^=",
        ast.BitAnd: "&=", ast.FloorDiv: "//=", ast.MatMult: "@="}
_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv, "%=": operator.imod, "**=": operator.ipow,
            "<<=": operator.ilshift, ">>=": operator.irshift, "|=": operator.ior,
            "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
            "@=": operator.imatmul}


def _is_submodule(module: str, name: str) -> bool:
    try:
        mod = importlib.import_module(module)
    except Exception:
        return False
    return isinstance(getattr(mod, name, None), types.ModuleType)


def _public_names(module: str, strict: bool) -> list[str]:
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    banned = FORBIDDEN_MODULE_ATTRS.get(module.split(".")[0], frozenset())
    return [n for n in names if n not in banned and not attribute_problem(n, strict)
            and not isinstance(getattr(mod, n, None), types.ModuleType)]


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


def make_guards(strict: bool) -> dict[str, Any]:
    """The run-time half of the policy: the functions RestrictedPython's rewrite calls."""
    import sys

    def check_module_access(obj: Any, name: str) -> None:
        mod_name = getattr(obj, "__name__", "")
        if not isinstance(mod_name, str) or not module_allowed(mod_name, strict):
            raise RestrictedError(f'access to module "{mod_name}" is not allowed')
        if name.startswith("_") and name not in READABLE_DUNDERS:
            raise RestrictedError(f'access to private module attribute "{name}" is not allowed')
        if name in FORBIDDEN_MODULE_ATTRS.get(mod_name.split(".")[0], ()):
            raise RestrictedError(f'"{mod_name}.{name}" is not allowed')

    checked_names: set[str] = set()
    plain_types = frozenset({str, list, dict, tuple, set, frozenset, int, float, bool, bytes})

    def guarded_getattr(obj: Any, name: Any, *default: Any) -> Any:
        # Fast path: a name already checked, on a builtin value type (``x.count`` in a loop).
        if type(obj) in plain_types and type(name) is str and name in checked_names:
            return getattr(obj, name, *default)
        if type(name) is not str:
            raise TypeError("attribute name must be a string")
        problem = attribute_problem(name, strict)
        if problem:
            raise RestrictedError(problem)
        if name != "format":
            checked_names.add(name)
        if isinstance(obj, types.ModuleType):
            check_module_access(obj, name)
        if name == "format" and (isinstance(obj, str) or obj is str):
            return _bound_format(obj)
        value = getattr(obj, name, *default)
        if isinstance(value, types.ModuleType) and not module_allowed(value.__name__, strict):
            raise RestrictedError(f'access to module "{value.__name__}" is not allowed')
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
        return True

    def guarded_setattr(obj: Any, name: Any, value: Any) -> None:
        if type(name) is not str or attribute_problem(name, strict):
            raise RestrictedError(f"setting attribute {name!r} is not allowed")
        setattr(write_guard(obj), name, value)

    def guarded_delattr(obj: Any, name: Any) -> None:
        if type(name) is not str or attribute_problem(name, strict):
            raise RestrictedError(f"deleting attribute {name!r} is not allowed")
        delattr(write_guard(obj), name)

    def write_guard(obj: Any) -> Any:
        # Modules, classes and functions of the allowed libraries are shared state: refuse.
        if isinstance(obj, (types.ModuleType, types.BuiltinFunctionType)):
            raise RestrictedError(f"cannot modify {type(obj).__name__} objects")
        if isinstance(obj, type) and obj.__module__ != "solution":
            raise RestrictedError(f"cannot modify class {obj.__name__}")
        return obj

    def guarded_import(name: str, globals: Any = None, locals: Any = None,
                       fromlist: Any = (), level: int = 0) -> Any:
        if level or type(name) is not str or not module_allowed(name, strict, private_ok=True):
            raise RestrictedError(f'import of "{name}" is not allowed')
        top = name.split(".", 1)[0]
        if top in ON_DEMAND_MODULES and top not in sys.modules:
            # The direct-attribute table was computed without it: refuse rather than guess.
            raise RestrictedError(f'"{top}" was not loaded for this program')
        for item in fromlist or ():
            if type(item) is not str:
                raise RestrictedError("bad import")
            if item in FORBIDDEN_MODULE_ATTRS.get(name.split(".")[0], ()):
                raise RestrictedError(f'importing "{item}" from "{name}" is not allowed')
            if item != "*" and attribute_problem(item, strict):
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
        "_inplacevar_": inplacevar,
        "_apply_": apply,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_hx_code_info": code_info,
        "__metaclass__": type,
        "_builtins_overrides": {
            "getattr": guarded_getattr, "hasattr": guarded_hasattr,
            "setattr": guarded_setattr, "delattr": guarded_delattr,
            "__import__": guarded_import,
        },
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
    result = compile_restricted_exec(source, "<program>", policy=transformer)
    if result.errors or result.code is None:
        raise PolicyError("restricted", "; ".join(result.errors)[:1000] or "refused")
    guards = make_guards(strict)
    glb.update({k: v for k, v in guards.items() if k != "_builtins_overrides"})
    glb["__builtins__"] = make_builtins(guards, sink)
    glb["_print_"] = _RPPrint(sink)
    return result.code, module, sink


def harden_libraries(policy: str) -> None:
    """In the program's process only: cut the string evaluators of allowed libraries.

    sympy's ``sympify``/``parse_expr``/``lambdify`` call ``eval``/``exec`` on strings with real
    builtins, which would step around the guards; their module-level ``eval``/``exec`` lookups
    are pointed at a refuser. Runs in the forked child, so the warm parent stays untouched.
    """
    if policy == "off":
        return
    import sys

    for mod_name in ("sympy.parsing.sympy_parser", "sympy.utilities.lambdify",
                     "sympy.core.sympify", "sympy.printing.preview"):
        mod = sys.modules.get(mod_name)
        if mod is not None:
            mod.__dict__["eval"] = _refuser("eval")
            mod.__dict__["exec"] = _refuser("exec")
