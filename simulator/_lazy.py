"""Lazy package attributes: a package's public names load their module on first use.

``roq --help`` and ``import addin.functions`` must start in a fraction of a second, but
the engine's subpackages re-export names whose modules import pandas, scipy.stats or
SALib. A package lists, per submodule, the names it re-exports; :func:`lazy_exports`
returns the module-level ``__getattr__`` and ``__dir__`` (PEP 562) that import the
submodule when one of its names (or the submodule itself) is first looked up, and cache
the value in the package, so later look-ups cost nothing and ``monkeypatch`` still works.
A public name that is also a submodule's name (``survey.regression_assumptions``, the
function, in the module of that name) stays the function, as with eager imports: the
import system's setting of the submodule on the package is ignored for those names.

Examples
--------
>>> import simulator.survey
>>> simulator.survey.fit_sem.__module__
'simulator.survey.sem'
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types


def lazy_exports(package: str, exports: dict) -> tuple:
    """``(__getattr__, __dir__)`` for ``package`` whose public names live in submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict
        ``{submodule: names}``; a name may be ``"name as alias"`` (as in an import
        statement) to re-export the submodule's ``name`` as ``alias``.
    """
    where = {}
    for module, names in exports.items():
        for entry in names:
            name, _, alias = entry.partition(" as ")
            where[(alias or name).strip()] = (module, name.strip())

    def __getattr__(name: str):
        namespace = sys.modules[package].__dict__
        if name in where:
            module, attribute = where[name]
            value = getattr(importlib.import_module(f"{package}.{module}"), attribute)
        elif not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")  # a submodule: package.msi
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(sys.modules[package].__dict__) | set(where))

    module = sys.modules[package]
    folder = os.path.dirname(module.__file__)
    shadowed = {name for name in where if os.path.exists(os.path.join(folder, name + ".py")) or os.path.isdir(os.path.join(folder, name))}
    if shadowed:
        module.__class__ = type("LazyPackage", (types.ModuleType,), {"__setattr__": _keep_names(shadowed), "__module__": __name__})
    return __getattr__, __dir__


def _keep_names(names: set):
    """A module ``__setattr__`` that does not let a submodule replace the public name it shares."""

    def __setattr__(self, name, value):
        if name in names and isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            return  # the submodule stays in sys.modules; the package's name keeps the function
        types.ModuleType.__setattr__(self, name, value)

    return __setattr__
