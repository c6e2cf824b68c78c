"""``python -m addin``: set up the Excel add-in for each xlwings runtime.

Subcommands:

- ``classic-setup [--write] [--config PATH] [--install-addin]``: the classic add-in's
  installation steps; ``--write`` merges ``UDF_MODULES = addin.functions`` and this Python
  interpreter into the xlwings user config, ``--install-addin`` runs
  ``xlwings addin install`` (Windows/macOS with Excel).
- ``lite-bundle OUTDIR``: writes ``main.py`` and ``requirements.txt`` for xlwings Lite.
- ``server-setup DIR [--license-key KEY]``: makes the xlwings Server project in DIR
  (created with ``xlwings-server init`` if needed) serve ``addin.functions``, and prints
  the command that starts the server.
- ``functions-doc [--output PATH] [--check]``: regenerates ``docs/functions.md``
  (``--check`` only compares, exit 1 when it is out of date).

The same commands are available as ``roq addin ...`` when the ``roq.commands`` entry point
``addin = "addin.__main__:register"`` is installed. Bad input ends with one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulator.errors import RoqInputError

DEFAULT_DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "functions.md"


def _classic_setup(args) -> int:
    from . import classic

    config_path = Path(args.config) if args.config else None
    if args.install_addin:
        status = classic.install_ribbon_addin()
        if status:
            return status
    if args.write:
        written = classic.write_user_config(config_path)
        print(f"wrote UDF_MODULES = {classic.UDF_MODULE} and the interpreter to {written}")
        print("now open a macro-enabled workbook and click 'Import Functions' on the xlwings ribbon")
        return 0
    print(classic.setup_steps(config_path))
    return 0


def _lite_bundle(args) -> int:
    from .lite import build_lite_bundle

    main, requirements = build_lite_bundle(args.outdir)
    print(f"wrote {main} ({main.stat().st_size // 1024} KiB) and {requirements}")
    print("paste main.py into the xlwings Lite editor's main.py tab and requirements.txt into its requirements.txt tab")
    return 0


def _server_setup(args) -> int:
    from .server import setup_server_project, setup_steps

    for action in setup_server_project(args.directory, license_key=args.license_key):
        print(action)
    print(setup_steps(args.directory))
    return 0


def _functions_doc(args) -> int:
    from .reference import functions_markdown

    text = functions_markdown()
    path = Path(args.output) if args.output else DEFAULT_DOC_PATH
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run python -m addin functions-doc", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _add_commands(subparsers) -> None:
    classic = subparsers.add_parser("classic-setup", help="set up the classic xlwings add-in (Excel on Windows)")
    classic.add_argument("--write", action="store_true", help="write UDF_MODULES and the interpreter into the xlwings user config")
    classic.add_argument("--config", metavar="PATH", help="xlwings config file to write (default: the xlwings user config)")
    classic.add_argument("--install-addin", action="store_true", help="run 'xlwings addin install' first (needs Excel)")
    classic.set_defaults(handler=_classic_setup)

    lite = subparsers.add_parser("lite-bundle", help="write main.py + requirements.txt for xlwings Lite")
    lite.add_argument("outdir", help="directory to write main.py and requirements.txt into")
    lite.set_defaults(handler=_lite_bundle)

    server = subparsers.add_parser("server-setup", help="make an xlwings Server project serve the functions (Office.js add-in)")
    server.add_argument("directory", help="the xlwings Server project folder (created with 'xlwings-server init' if needed)")
    server.add_argument("--license-key", metavar="KEY", help="write XLWINGS_LICENSE_KEY into the project's .env ('noncommercial' for non-commercial use)")
    server.set_defaults(handler=_server_setup)

    doc = subparsers.add_parser("functions-doc", help="regenerate the Excel function reference (docs/functions.md)")
    doc.add_argument("--output", metavar="PATH", help=f"file to write (default: {DEFAULT_DOC_PATH})")
    doc.add_argument("--check", action="store_true", help="only check that the file is up to date (exit 1 if not)")
    doc.set_defaults(handler=_functions_doc)


def build_parser(prog: str = "python -m addin") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Set up roq-toolkit's Excel functions for the classic xlwings add-in, xlwings Lite or xlwings Server.")
    subparsers = parser.add_subparsers(dest="addin_command", metavar="COMMAND")
    _add_commands(subparsers)
    return parser


def register(subparsers) -> None:
    """Entry point of the ``roq.commands`` group: adds ``roq addin ...``."""
    parser = subparsers.add_parser("addin", help="set up the Excel add-in (classic xlwings, xlwings Lite, xlwings Server)")
    nested = parser.add_subparsers(dest="addin_command", metavar="COMMAND")
    _add_commands(nested)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except RoqInputError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{parser.prog}: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
