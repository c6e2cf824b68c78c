"""Setting up xlwings Server (the Office.js add-in) to serve roq-toolkit's Excel functions.

xlwings Server (the ``xlwings-server`` package) serves the functions of its project's
``custom_functions`` package. :func:`setup_server_project` makes a project serve
``addin.functions``: it creates the project with ``xlwings-server init`` when the folder is
not one yet, writes ``custom_functions/roq_toolkit.py`` (``from addin.functions import *``)
and adds ``from .roq_toolkit import *`` to ``custom_functions/__init__.py`` (without that
line only the sample ``HELLO`` function registers). It never overwrites a file it did not
write. :func:`server_command` is the command that starts the server. ``python -m addin
server-setup DIR`` runs both; the installation guide (``docs/addin-install.md``) and the
real-server test (``tests/test_addin_server.py``) use exactly these two functions.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from simulator.errors import RoqInputError

__all__ = ["FUNCTIONS_MODULE", "IMPORT_LINE", "setup_server_project", "server_command", "setup_steps"]

#: The module of the server project that exposes roq-toolkit's functions.
FUNCTIONS_MODULE = "roq_toolkit"
FUNCTIONS_SOURCE = (
    '"""roq-toolkit\'s Excel functions for xlwings Server (written by python -m addin server-setup)."""\n\n'
    "from addin.functions import *  # noqa: F401,F403  every SQ_ and ROQ_ function\n"
)
#: The line ``custom_functions/__init__.py`` needs (xlwings Server imports only that package).
IMPORT_LINE = f"from .{FUNCTIONS_MODULE} import *  # noqa: F401,F403  roq-toolkit's SQ_ and ROQ_ functions"
_IMPORT_PATTERN = re.compile(rf"^\s*from\s+\.{FUNCTIONS_MODULE}\s+import\s+\*", re.MULTILINE)
_LICENSE_LINE = re.compile(r'^#?\s*XLWINGS_LICENSE_KEY=.*$', re.MULTILINE)
#: The ASGI application of the xlwings-server package.
APP = "xlwings_server.main:main_app"


def _init_project(directory: Path) -> None:
    """``xlwings-server init DIRECTORY`` with this interpreter (the package's own project layout)."""
    if importlib.util.find_spec("xlwings_server") is None:
        raise RoqInputError("directory", "is not an xlwings Server project and xlwings-server is not installed here: pip install xlwings-server")
    done = subprocess.run(
        [sys.executable, "-m", "xlwings_server.cli", "init", str(directory)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    if done.returncode != 0 or not (directory / "custom_functions").is_dir():
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RoqInputError("directory", f"'xlwings-server init {directory}' failed: {detail[0]}")


def setup_server_project(directory, license_key: str | None = None) -> list[str]:
    """Make the xlwings Server project in ``directory`` serve every SQ_ and ROQ_ function.

    Parameters
    ----------
    directory : path
        The server project (created with ``xlwings-server init`` when it has no
        ``custom_functions`` folder yet).
    license_key : str, optional
        Written into the project's ``.env`` as ``XLWINGS_LICENSE_KEY`` (xlwings Server
        needs an xlwings PRO key; ``noncommercial`` for non-commercial use). Left as it is
        when not given.

    Returns
    -------
    list of str
        One line per action taken ("created ...", "added ...", "already ...").

    Examples
    --------
    >>> setup_server_project("roq-server")  # doctest: +SKIP
    ['created the xlwings Server project roq-server (xlwings-server init)', ...]
    """
    directory = Path(directory).resolve()
    actions = []
    if directory.exists() and not directory.is_dir():
        raise RoqInputError("directory", f"{directory} is a file, not a folder")
    functions_dir = directory / "custom_functions"
    if not functions_dir.is_dir():
        _init_project(directory)
        actions.append(f"created the xlwings Server project {directory} (xlwings-server init)")

    module = functions_dir / f"{FUNCTIONS_MODULE}.py"
    if module.exists():
        if module.read_text(encoding="utf-8") != FUNCTIONS_SOURCE:
            raise RoqInputError("directory", f"{module} exists with other content; move it away and run again")
        actions.append(f"already there: {module}")
    else:
        module.write_text(FUNCTIONS_SOURCE, encoding="utf-8")
        actions.append(f"wrote {module}")

    package = functions_dir / "__init__.py"
    current = package.read_text(encoding="utf-8") if package.exists() else ""
    if _IMPORT_PATTERN.search(current):
        actions.append(f"already there: the import in {package}")
    else:
        separator = "" if not current or current.endswith("\n") else "\n"
        package.write_text(current + separator + IMPORT_LINE + "\n", encoding="utf-8")
        actions.append(f"added '{IMPORT_LINE.split('  #')[0]}' to {package}")

    if license_key is not None:
        env = directory / ".env"
        text = env.read_text(encoding="utf-8") if env.exists() else ""
        line = f'XLWINGS_LICENSE_KEY="{license_key}"'
        text = _LICENSE_LINE.sub(line, text, count=1) if _LICENSE_LINE.search(text) else text + ("" if not text or text.endswith("\n") else "\n") + line + "\n"
        env.write_text(text, encoding="utf-8")
        actions.append(f"set XLWINGS_LICENSE_KEY in {env}")
    return actions


def server_command(directory, host: str = "127.0.0.1", port: int = 8000, environment: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command that starts xlwings Server for the project, and its environment.

    uvicorn serves the package's application from the project folder
    (``XLWINGS_PROJECT_DIR``); ``environment`` ("dev" or "prod", default: the project's
    ``.env``, "dev" after ``xlwings-server init``) sets ``XLWINGS_ENVIRONMENT``. Returns
    ``(argv, environment variables to add)``; run it with the project folder as working
    directory. For development with hot reload and HTTPS certificates, ``xlwings-server
    run`` in the project folder does the same on port 8000.
    """
    directory = Path(directory).resolve()
    argv = [sys.executable, "-m", "uvicorn", APP, "--host", host, "--port", str(int(port))]
    env = {"XLWINGS_PROJECT_DIR": str(directory)}
    if environment is not None:
        env["XLWINGS_ENVIRONMENT"] = environment
    return argv, env


def setup_steps(directory) -> str:
    """What to do after :func:`setup_server_project` (printed by ``python -m addin server-setup``)."""
    argv, env = server_command(directory)
    shown = " ".join(["python" if argv[0] == sys.executable else argv[0], *argv[1:]])
    variables = " ".join(f"{k}={v}" for k, v in env.items())
    return "\n".join(
        [
            "start the server (from the project folder; XLWINGS_LICENSE_KEY must be set, 'noncommercial' for non-commercial use):",
            f"  cd {Path(directory).resolve()} && {variables} {shown}",
            "  (development with HTTPS and hot reload: xlwings-server run)",
            "then load the add-in manifest from <server>/manifest in Excel; the functions are =XLWINGS.SQ_CSI(...), ...",
        ]
    )
