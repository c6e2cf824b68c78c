"""Writing files safely (internal): a run's files appear complete, all together, or not at all.

The one mechanism every writer of the project goes through:

- :func:`atomic_write` for a single file (result CSVs and workbooks, charts, reports,
  ``roq recalc``): written to a temporary file beside it and moved over it in one step;
  a failed write names the file (``.../roq_report.xlsx: No space left on device``).
- :class:`OutputSet` for the set of files of one command (``--out DIR``):

  1. :meth:`OutputSet.check`, called *before any computation*: the folder must be a
     folder (or creatable) and writable; without ``force`` it must not hold an earlier
     run's files (listed in its manifest, :data:`MANIFEST`) nor any file of the names
     this run writes.
  2. :meth:`OutputSet.staging`: the run writes into a temporary folder beside its
     targets (inside DIR if it exists, else next to it, so on the same file system);
     then the whole set is moved in with signals held off (SIGINT / SIGTERM wait until
     the move is done). If DIR did not exist the staged folder simply becomes DIR.
     With ``force`` the files of the earlier run that this run does not write are
     removed, so a folder never mixes two runs (old charts beside new CSVs). On any
     error or interruption the temporary folder is removed and nothing is written.

- :func:`install_signal_handlers` (called by the ``roq`` command line): SIGTERM and
  SIGHUP raise :class:`Terminated` (a ``KeyboardInterrupt``) in the main thread, as
  Ctrl-C does, so every ``finally`` runs and no temporary file or folder is left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_write", "new_file_mode", "prepare_directory", "OutputSet", "MANIFEST", "Terminated",
           "install_signal_handlers", "signals_held", "check_new_file"]

#: File in an output folder listing the files of the run that wrote it (one name a line).
MANIFEST = ".roq-files"
_STAGE_PREFIX = ".roq-staging-"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that clean-up code runs."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_terminated(signum, frame):
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """SIGTERM / SIGHUP raise :class:`Terminated` in the main thread (no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) in (signal.SIG_DFL, None):
            signal.signal(number, _raise_terminated)


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT, SIGTERM and SIGHUP off inside (delivered on exit): for the few
    renames that must not be cut in half."""
    held = {s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None}
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """Permissions a plain ``open(path, "w")`` gives a new file under the current umask."""
    return 0o666 & ~_umask()


def _named(error: OSError, name) -> OSError:
    """The same error, naming ``name`` (writers such as matplotlib often name no file)."""
    return OSError(error.errno, error.strerror or str(error), str(name))


def atomic_write(target: str | Path, write) -> Path:
    """Call ``write(temporary_path)`` and move the result over ``target`` in one step.

    The temporary file lives in the target's directory (same file system, so
    :func:`os.replace` is atomic), keeps the target's suffix (for writers that choose the
    format by it) and is removed if ``write`` fails or is interrupted. The file gets the
    permissions a plain ``open(target, "w")`` would give it, not mkstemp's private 0600.
    An ``OSError`` (e.g. a full disk) names ``target``.

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    except OSError as error:
        raise _named(error, target) from None
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, new_file_mode())
        os.replace(temporary, target)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and str(error.filename or "") in ("", temporary):
            raise _named(error, target) from None
        raise
    return target


def prepare_directory(path: str | Path, argument: str = "--out") -> Path:
    """Create an output directory (and parents) if needed; it must not be a file."""
    from .errors import RoqInputError

    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise RoqInputError(argument, f"{directory} exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RoqInputError(argument, f"cannot create {directory}: {error.strerror or error}") from None
    return directory


def _previous_run(directory: Path) -> list[str]:
    try:
        text = (directory / MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return []
    return [line for line in text.splitlines() if line and "/" not in line and line not in (".", "..")]


class OutputSet:
    """The files one run writes into ``directory``: checked first, staged, moved in whole.

    Parameters
    ----------
    directory : str or Path
        The output folder (``--out DIR``); created if needed.
    force : bool
        Replace what is there (``--force``): files of the same names, and the files of
        the earlier run recorded in the folder's manifest (removed, so runs never mix).
    argument : str
        Command-line argument named in messages.
    expected : iterable of str
        File names the run will write (for the check before computing; a name it writes
        that is not listed is still checked when the set is moved in).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> outputs = OutputSet(folder, expected=["a.csv"]).check()
    >>> with outputs.staging() as stage:
    ...     _ = (stage / "a.csv").write_text("x\\n1\\n")
    >>> sorted(p.name for p in folder.iterdir())
    ['.roq-files', 'a.csv']
    """

    def __init__(self, directory, *, force: bool = False, argument: str = "--out", expected=()):
        self.directory = Path(directory)
        self.force = bool(force)
        self.argument = argument
        self.expected = tuple(expected)
        self.written: list[Path] = []

    def _error(self, problem: str):
        from .errors import RoqInputError

        return RoqInputError(self.argument, problem)

    def check(self) -> "OutputSet":
        """Refuse now, before any computation, what would fail or overwrite later; returns self."""
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            raise self._error(f"{directory} exists and is not a directory")
        existing = directory
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise self._error(f"{existing} is a file, so {directory} cannot be created")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise self._error(f"{existing} is not writable")
        if not self.force and directory.is_dir():
            previous = _previous_run(directory)
            present = [name for name in previous if (directory / name).exists()]
            if present:
                shown = ", ".join(present[:3]) + (f" and {len(present) - 3} more" if len(present) > 3 else "")
                raise self._error(f"{directory} holds the files of an earlier run ({shown}); add --force to replace that run "
                                  "(its files are removed, so runs never mix) or choose another folder")
            clashes = [name for name in self.expected if (directory / name).exists()]
            if clashes:
                raise self._error(f"{directory / clashes[0]} already exists; add --force to overwrite it, or choose another folder")
        return self

    @contextlib.contextmanager
    def staging(self):
        """Yield a temporary folder to write the set into; on success move it in (see the
        class docstring), on any error or interruption remove it: nothing is written."""
        directory = self.directory
        fresh = not directory.exists()
        parent = directory.parent if fresh else directory
        try:
            parent.mkdir(parents=True, exist_ok=True)
            stage = Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX if not fresh else f".{directory.name}{_STAGE_PREFIX}", dir=parent))
        except OSError as error:
            raise _named(error, directory) from None
        try:
            try:
                yield stage
                self._commit(stage, fresh)
            except OSError as error:
                name = Path(error.filename) if error.filename else None
                if name is not None and name.parent == stage:
                    name = directory / name.name
                raise OSError(error.errno, f"{error.strerror or error} (nothing written: the run's files were discarded)",
                              str(name if name is not None else directory)) from None
        finally:
            if stage.exists():
                with signals_held():
                    shutil.rmtree(stage, ignore_errors=True)

    def _commit(self, stage: Path, fresh: bool) -> None:
        directory = self.directory
        names = sorted(p.name for p in stage.iterdir() if p.is_file() and not p.name.startswith("."))
        previous = [] if fresh else _previous_run(directory)
        if not self.force and not fresh:
            clashes = [n for n in names if (directory / n).exists() and n not in previous]
            if clashes:
                raise self._error(f"{directory / clashes[0]} already exists; add --force to overwrite it (nothing was written)")
        (stage / MANIFEST).write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
        os.chmod(stage / MANIFEST, new_file_mode())
        with signals_held():  # the set moves in whole: a signal waits until it is done
            if fresh:
                os.chmod(stage, 0o777 & ~_umask())  # as mkdir would make it, not mkdtemp's 0700
                os.rename(stage, directory)
            else:
                for name in previous:
                    if name not in names and name != MANIFEST:
                        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                            os.unlink(directory / name)
                for name in names:
                    os.replace(stage / name, directory / name)
                os.replace(stage / MANIFEST, directory / MANIFEST)
        self.written = [directory / n for n in names]


def check_new_file(path, *, force: bool = False, argument: str = "--output"):
    """Refuse (before computing) to overwrite an existing file without ``force``; the
    folder must exist or be creatable. Returns the Path."""
    from .errors import RoqInputError

    target = Path(path)
    if target.is_dir():
        raise RoqInputError(argument, f"{target} is a folder, not a file")
    if target.exists() and not force:
        raise RoqInputError(argument, f"{target} already exists; add --force to overwrite it, or choose another file")
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise RoqInputError(argument, f"cannot write {target}: {existing} is not a writable folder")
    return target

