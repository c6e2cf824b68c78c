"""Writing files safely (internal): the new file appears complete or not at all.

Every writer in the project (result CSVs and workbooks, charts, reports, ``roq recalc``)
goes through :func:`atomic_write`, so an interrupted or failing write never leaves a
half-written file and never damages the one it replaces.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "new_file_mode", "prepare_directory"]


def new_file_mode() -> int:
    """Permissions a plain ``open(path, "w")`` gives a new file under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(target: str | Path, write) -> Path:
    """Call ``write(temporary_path)`` and move the result over ``target`` in one step.

    The temporary file lives in the target's directory (same file system, so
    :func:`os.replace` is atomic), keeps the target's suffix (for writers that choose the
    format by it) and is removed if ``write`` fails. The file gets the permissions a plain
    ``open(target, "w")`` would give it, not mkstemp's private 0600.

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, new_file_mode())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return target


def prepare_directory(path: str | Path, argument: str = "--out") -> Path:
    """Create an output directory (and parents) if needed; it must not be a file."""
    from .errors import RoqInputError

    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise RoqInputError(argument, f"{directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
