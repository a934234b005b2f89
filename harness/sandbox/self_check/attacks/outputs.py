"""Attacks through the output itself: values that lie about their type, cannot be encoded or
never finish turning into text must become a verdict, never a wedged worker."""

from __future__ import annotations

from harness.sandbox.self_check.helpers import _program
from harness.sandbox.self_check.isolation import Attack, _if_ok


def attacks() -> list[Attack]:
    return [
        Attack("lying_list_subclass", _program("""
            class L(list):
                def __iter__(self):
                    return iter(['1'] * 1000)
                def __len__(self):
                    return 0
                @property
                def __class__(self):
                    return list
            def f(x):
                return L(['0'])
        """), safe=("ok", "invalid_output"), expect=_if_ok(["0"]),
            doc="a list subclass that lies about its type, length and contents"),
        Attack("str_subclass_lies", _program("""
            class S(str):
                def __eq__(self, other):
                    return True
                def __hash__(self):
                    return 0
                def __str__(self):
                    return '1'
                def __len__(self):
                    return 0
            def f(x):
                return S('0')
        """), safe=("ok", "invalid_output"), expect=_if_ok("0"),
            doc="a str subclass with __eq__ always True and lying __str__/__len__"),
        Attack("giant_integer", _program("""
            import sys
            def f(x):
                sys.set_int_max_str_digits(0)
                return 10 ** 100000
        """), safe=("invalid_output",), doc="a 100,000-digit integer"),
        Attack("nan_and_inf_nested", _program("""
            def f(x):
                return [1.0, [float('inf')], float('nan')] if x == 'a' else float('-inf')
        """), inputs=("a", "b"), safe=("invalid_output",), doc="NaN and infinities in outputs"),
        Attack("generator_returned", _program("""
            def f(x):
                return (c for c in x)
        """), safe=("invalid_output",), doc="a generator as output"),
        Attack("exception_str_hangs", _program("""
            class E(Exception):
                def __str__(self):
                    while True:
                        pass
            def f(x):
                raise E()
        """), safe=("timeout", "exception"), inputs=("a", "b"),
            doc="an exception whose __str__ never returns: timeout, not a wedged worker"),
    ]
