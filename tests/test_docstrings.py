"""Every public class and function has a numpydoc API-reference docstring.

The public API is the ``__all__`` of the exporting modules below (``tsheads`` exports some names lazily), plus
the public functions and classes defined in the modules without ``__all__``, plus the public methods and
properties of each public class, including those it inherits from tsheads base classes. Per object,
:func:`numpydoc.validate.validate` must report none of the checks in ``REQUIRED``: a docstring with a summary
line, every parameter (and nothing else) documented, and a Returns section wherever something is returned.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

validate = pytest.importorskip("numpydoc.validate").validate

# a docstring (GL08), a summary line (SS01), all parameters (PR01), no unknown ones (PR02), Returns (RT01)
REQUIRED = ("GL08", "SS01", "PR01", "PR02", "RT01")

# modules whose ``__all__`` is the public API
EXPORTING = ["tsheads", "tsheads.metrics", "tsheads.datasets", "tsheads.plotting", "tsheads.cli", "tsheads.io",
             "tsheads.distributed"]
# modules without ``__all__``: every public function and class defined in them
DEFINING = [
    "tsheads.errors",
    "tsheads.backtest",
    "tsheads.frames",
    "tsheads.forecast_columns",
    "tsheads.mixture",
    "tsheads.inference",
]


def _qualname(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _exported(modname: str) -> list:
    mod = importlib.import_module(modname)
    objs = [getattr(mod, name) for name in mod.__all__]
    return [obj for obj in objs if inspect.isclass(obj) or inspect.isfunction(obj)]


def _defined(modname: str) -> list:
    mod = importlib.import_module(modname)
    return [
        obj
        for name, obj in vars(mod).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == modname
    ]


def _methods(cls) -> list[str]:
    """Public methods and properties of ``cls``, each named on the tsheads class that defines it.

    Methods inherited from a tsheads base class (``fit``, ``predict`` ...) are part of the subclass's API;
    those inherited from scikit-learn (``get_params`` ...) or ``object`` are not.
    """
    out = []
    for klass in cls.__mro__:
        if not klass.__module__.startswith("tsheads"):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if inspect.isfunction(attr) or isinstance(attr, property):
                out.append(f"{_qualname(klass)}.{name}")
    return out


def public_objects() -> list[str]:
    objs = [obj for mod in EXPORTING for obj in _exported(mod)]
    objs += [obj for mod in DEFINING for obj in _defined(mod)]
    names: dict[str, None] = {}
    for obj in objs:
        names[_qualname(obj)] = None
        if inspect.isclass(obj):
            names.update(dict.fromkeys(_methods(obj)))
    return sorted(names)


PUBLIC = public_objects()

@pytest.mark.parametrize("name", PUBLIC)
def test_numpydoc(name):
    result = validate(name)
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code in REQUIRED]
    assert not errors, f"{name}:\n  " + "\n  ".join(errors)
