"""Setting up the classic xlwings add-in (Excel on Windows, Python on the same machine).

The classic add-in imports the modules named in its ``UDF_MODULES`` setting and writes a
VBA wrapper per function into the workbook ("Import Functions"). Its settings live in the
user config file ``~/.xlwings/xlwings.conf`` (one ``"KEY","VALUE"`` line each), which the
ribbon also edits. :func:`write_user_config` merges the two settings roq-toolkit needs into
that file; :func:`setup_steps` lists the whole procedure.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["UDF_MODULE", "default_config_path", "config_settings", "read_config", "write_user_config", "setup_steps"]

#: The module the classic add-in imports (all SQ_ and ROQ_ functions).
UDF_MODULE = "addin.functions"


def default_config_path() -> Path:
    """Where xlwings keeps its user settings (``xlwings.USER_CONFIG_FILE``)."""
    if sys.platform.startswith("darwin"):
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return Path.home() / ".xlwings" / "xlwings.conf"


def config_settings(interpreter: str | None = None) -> dict[str, str]:
    """The settings roq-toolkit needs: this Python interpreter and the UDF module."""
    key = "INTERPRETER_MAC" if sys.platform.startswith("darwin") else "INTERPRETER_WIN"
    return {key: interpreter or sys.executable, "UDF_MODULES": UDF_MODULE}


def read_config(path: Path) -> dict[str, str]:
    """Parse an xlwings.conf file (``"KEY","VALUE"`` per line); a missing file is empty."""
    settings: dict[str, str] = {}
    if not path.exists():
        return settings
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        key, _, value = line.partition(",")
        settings[key.strip().strip('"')] = value.strip().strip('"')
    return settings


def write_user_config(path: Path | None = None, interpreter: str | None = None) -> Path:
    """Merge INTERPRETER_WIN/MAC and UDF_MODULES into the xlwings user config; keep other keys.

    An existing ``UDF_MODULES`` list keeps its modules; ``addin.functions`` is appended.
    """
    path = Path(path) if path is not None else default_config_path()
    settings = read_config(path)
    wanted = config_settings(interpreter)
    modules = [m for m in settings.get("UDF_MODULES", "").split(";") if m.strip()]
    if UDF_MODULE not in modules:
        modules.append(UDF_MODULE)
    wanted["UDF_MODULES"] = ";".join(modules)
    settings.update(wanted)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'"{key}","{value}"\n' for key, value in settings.items()), encoding="utf-8")
    return path


def setup_steps(config_path: Path | None = None) -> str:
    """The classic add-in's installation, step by step, for this Python installation."""
    config_path = config_path or default_config_path()
    settings = config_settings()
    interpreter_key = next(k for k in settings if k.startswith("INTERPRETER"))
    return "\n".join(
        [
            "roq-toolkit in Excel with the classic xlwings add-in (Excel on Windows)",
            "",
            "1. Install roq-toolkit into this Python environment (pip install <path to roq-toolkit>).",
            "2. Install the xlwings ribbon add-in:  xlwings addin install",
            "3. In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings:",
            "   tick 'Trust access to the VBA project object model'.",
            f"4. Point the add-in at roq-toolkit (writes {config_path}):",
            "   python -m addin classic-setup --write",
            "   or type these into the xlwings ribbon:",
            f"   Interpreter: {settings[interpreter_key]}",
            f"   UDF Modules: {settings['UDF_MODULES']}",
            "5. Open or create a macro-enabled workbook (.xlsm); in the VBA editor (Alt+F11)",
            "   tick Tools > References > xlwings (xlwings quickstart and the workbooks/*-classic.xlsm files have it already).",
            "6. Click 'Import Functions' on the xlwings ribbon. The SQ_ and ROQ_ functions appear",
            "   under the 'ROQ toolkit' categories of the function wizard, e.g. =ROQ_NPV_PROGRAMME(558000000, 699000000, 20%, 5).",
            "   Errors show as text starting with 'Error: ' in the cell.",
            "",
            "Re-run 'Import Functions' after upgrading roq-toolkit.",
        ]
    )


def install_ribbon_addin() -> int:
    """Run ``xlwings addin install`` (Windows or macOS with Excel only); returns its exit status."""
    import subprocess

    if not (sys.platform.startswith("win") or sys.platform.startswith("darwin")):
        raise OSError(f"the xlwings Excel add-in installs only on Windows or macOS, not on {sys.platform}")
    return subprocess.call([sys.executable, "-m", "xlwings.cli", "addin", "install"])
