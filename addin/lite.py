"""The xlwings Lite bundle: a self-contained ``main.py`` plus ``requirements.txt``.

xlwings Lite runs Python in the browser (Pyodide) and installs only pure-Python wheels from
PyPI or packages Pyodide ships (numpy, pandas, scipy). roq-toolkit is not on PyPI, so the
generated ``main.py`` carries the pure-Python sources of the :mod:`simulator` and
:mod:`addin` modules that the Excel functions can import (found by reading their import
statements, function-level imports included), with the case-study CSVs, as a base64 zip. On import it unpacks them into Pyodide's
filesystem, puts them on ``sys.path`` and re-exports every Excel function, which is how
Lite finds them (it registers the ``@func`` functions it sees in ``main.py``).

The zip is deterministic (sorted names, fixed timestamps): the same sources give the same
bundle byte for byte.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import textwrap
import zipfile
from importlib import metadata
from pathlib import Path

__all__ = ["PACKAGES", "REQUIREMENTS", "ENTRY_MODULE", "bundled_modules", "bundle_archive", "lite_main_source", "lite_requirements", "build_lite_bundle"]

#: Packages whose sources travel inside main.py.
PACKAGES = ("simulator", "addin")
#: What the bundle imports besides the standard library: all shipped by Pyodide, except
#: xlwings (pure Python, pinned to the version the bundle was generated and tested with).
REQUIREMENTS = ("numpy", "pandas", "scipy")
_DATA_SUFFIXES = (".csv", ".toml")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _source_root() -> Path:
    return Path(__file__).resolve().parent.parent


#: The module every runtime loads; the bundle holds what it can import.
ENTRY_MODULE = "addin.functions"


def _module_path(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(root: Path, module: str, path: Path) -> set[str]:
    """Modules of :data:`PACKAGES` that ``module`` imports anywhere (also inside functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # "from package import name" may name a submodule
            names = [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(getattr(t, "id", None) == "_EXPORTS" for t in node.targets):
            # a lazily exporting package (simulator._lazy): its submodules load on first use
            names = [f"{package}.{key.value}" for key in node.value.keys if isinstance(key, ast.Constant)]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES and _module_path(root, name) is not None:
                found.add(name)
    return found


def bundled_modules(root: Path | None = None) -> list[str]:
    """Every module of :data:`PACKAGES` that :data:`ENTRY_MODULE` can reach, with its packages."""
    root = root or _source_root()
    seen: set[str] = set()
    pending = [ENTRY_MODULE]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages run first
        pending.extend(_imported_modules(root, module, _module_path(root, module)))
    return sorted(seen)


def _bundle_files(root: Path) -> list[tuple[str, bytes]]:
    paths = {_module_path(root, module) for module in bundled_modules(root)}
    for package in PACKAGES:  # data files the modules read (case-study CSVs)
        paths.update(p for p in (root / package).rglob("*") if p.is_file() and p.suffix in _DATA_SUFFIXES)
    return [(path.relative_to(root).as_posix(), path.read_bytes()) for path in sorted(paths)]


def bundle_archive(root: Path | None = None) -> bytes:
    """The zip of the package sources (deterministic)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in _bundle_files(root or _source_root()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


_MAIN_TEMPLATE = '''\
"""roq-toolkit {version} for xlwings Lite: every SQ_ (survey) and ROQ_ (Return on Quality) function.

Generated by `python -m addin lite-bundle`; do not edit, regenerate instead. Paste this
file into the xlwings Lite editor's main.py tab and requirements.txt into its
requirements.txt tab. The toolkit's pure-Python sources travel below as a zip (base64),
unpacked into Pyodide's file system and put on sys.path when this module loads.
Function reference: docs/functions.md in the roq-toolkit repository.
"""

import base64
import io
import os
import sys
import tempfile
import zipfile

_BUNDLE_SHA256 = "{digest}"
_BUNDLE = (
{chunks}
)


def _install_bundle():
    target = os.path.join(tempfile.gettempdir(), "roq_toolkit_" + _BUNDLE_SHA256[:16])
    if not os.path.isfile(os.path.join(target, "addin", "functions.py")):
        with zipfile.ZipFile(io.BytesIO(base64.b64decode("".join(_BUNDLE)))) as archive:
            archive.extractall(target)
    # After the bundle is regenerated and pasted again, drop modules of an older copy.
    for name in list(sys.modules):
        if name.split(".")[0] in {packages!r}:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if not origin.startswith(target):
                del sys.modules[name]
    if target not in sys.path:
        sys.path.insert(0, target)


_install_bundle()

from addin.functions import *  # noqa: E402,F401,F403  (Lite registers the functions it finds here)
'''


def lite_main_source(root: Path | None = None) -> str:
    """Text of the generated ``main.py``."""
    from simulator import __version__

    data = bundle_archive(root)
    encoded = base64.b64encode(data).decode("ascii")
    chunks = "\n".join(f'    "{line}"' for line in textwrap.wrap(encoded, 96))
    return _MAIN_TEMPLATE.format(
        version=__version__, digest=hashlib.sha256(data).hexdigest(), chunks=chunks, packages=tuple(PACKAGES)
    )


def lite_requirements() -> str:
    """Text of the generated ``requirements.txt``."""
    xlwings_version = metadata.version("xlwings")
    return "\n".join([f"xlwings=={xlwings_version}", *REQUIREMENTS]) + "\n"


def build_lite_bundle(output_directory) -> tuple[Path, Path]:
    """Write ``main.py`` and ``requirements.txt`` into ``output_directory`` (created if needed).

    Returns
    -------
    tuple of Path
        The two files written.
    """
    directory = Path(output_directory)
    directory.mkdir(parents=True, exist_ok=True)
    main = directory / "main.py"
    requirements = directory / "requirements.txt"
    main.write_text(lite_main_source(), encoding="utf-8")
    requirements.write_text(lite_requirements(), encoding="utf-8")
    return main, requirements
