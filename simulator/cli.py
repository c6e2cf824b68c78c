"""The ``roq`` command line.

Each subcommand lives in its own module under :mod:`simulator.commands` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a function taking
the parsed arguments and returning an exit code. Packages that build on the engine (the
Excel add-in's ``recalc``) add commands through the entry-point group ``roq.commands``,
whose entries point at such a ``register`` function; that way ``simulator`` never imports
them. Bad input ends with one line on stderr,
``roq: error: <argument>: <problem>``, and exit status 2; nothing is overwritten without
``--force``, and a run writes its whole set of files or none (:mod:`simulator._files`).
SIGINT (Ctrl-C), SIGTERM and SIGHUP stop a run cleanly: exit status 130 / 143 / 129,
no temporary file left.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from importlib import metadata

from . import __version__
from .errors import RoqInputError

#: Modules under simulator.commands, in the order their subcommands are listed.
COMMAND_MODULES = [
    "casestudy",
    "simulate",
    "sensitivity",
    "sweep",
    "report",
    "compare",
    "records",
    "chain",
    "sem",
]


class CommandError(Exception):
    """A command-line failure with a one-line message (not bad model input)."""


class _Parser(argparse.ArgumentParser):
    """argparse with the project's one-line errors: ``roq: error: --samples: <problem>
    (see roq simulate --help)`` and exit status 2, instead of the usage block."""

    def error(self, message):
        message = re.sub(r"^argument (\S+?)(?:/\S+)?: ", r"\1: ", message)
        self.exit(2, f"roq: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="roq",
        description="Return-on-Quality toolkit: service-quality analytics, the ROQ model, Monte Carlo and sensitivity analysis.",
    )
    parser.add_argument("--version", action="version", version=f"roq-toolkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"simulator.commands.{name}").register(subparsers)
    for entry_point in sorted(metadata.entry_points(group="roq.commands"), key=lambda e: e.name):
        try:
            register = entry_point.load()
        except Exception as error:  # a broken plug-in must not take the engine's own commands down
            print(f"roq: warning: command '{entry_point.name}' unavailable ({entry_point.value}: {error})", file=sys.stderr)
            continue
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``roq`` console script; returns the exit status."""
    from ._files import Terminated, install_signal_handlers

    # SIGTERM / SIGHUP unwind like Ctrl-C, so no temporary file or folder is left behind
    install_signal_handlers()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except (RoqInputError, CommandError) as error:
        print(f"roq: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (roq simulate | head): quiet, as other command-line tools are;
        # stdout goes to /dev/null so the interpreter's final flush does not complain either
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # SIGPIPE
    except MemoryError:
        print("roq: error: out of memory; use smaller counts (--samples, --points, --chunk-size)", file=sys.stderr)
        return 2
    except OSError as error:  # unreadable or unwritable files: say which, no traceback
        where = f"{error.filename}: " if error.filename else ""
        print(f"roq: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except Terminated as signal_received:
        print(f"roq: stopped by {signal_received}; nothing was written", file=sys.stderr)
        return 128 + signal_received.signum
    except KeyboardInterrupt:
        print("roq: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
