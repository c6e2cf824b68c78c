"""Lazy package attributes: a package's public names load their module on first use.

``roq --help`` and ``import addin.functions`` must start in a fraction of a second, but
the engine's subpackages re-export names whose modules import pandas, scipy.stats or
SALib. A package lists, per submodule, the names it re-exports; :func:`lazy_exports`
returns the module-level ``__getattr__`` and ``__dir__`` (PEP 562) that import the
submodule when one of its names (or the submodule itself) is first looked up, and cache
the value in the package, so later look-ups cost nothing and ``monkeypatch`` still works.

Examples
--------
>>> import sys, simulator.survey
>>> "simulator.survey.sem" in sys.modules or callable(simulator.survey.fit_sem)
True
"""

from __future__ import annotations

import importlib
import importlib.util
import sys


def lazy_exports(package: str, exports: dict) -> tuple:
    """``(__getattr__, __dir__)`` for ``package`` whose public names live in submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict
        ``{submodule: names}``; a name may be ``"public as private"`` to re-export
        ``private`` of the submodule under the name ``public``.
    """
    where = {}
    for module, names in exports.items():
        for entry in names:
            public, _, private = entry.partition(" as ")
            where[public.strip()] = (module, (private or public).strip())

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

    return __getattr__, __dir__
