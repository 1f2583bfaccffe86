"""The ``fsl`` command line (also ``python -m fsltheory``).

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``run(args) -> int``.  Running ``fsl`` with no subcommand runs the main job (``fsl report``)
on its built-in defaults.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main", "build_parser"]

#: subcommand modules, in the order ``fsl --help`` lists them
COMMANDS = (
    "report",
    "risk",
    "fit",
    "predict",
    "optimize_schedule",
    "exponents",
    "latex",
    "sweep",
    "data",
)


class _Parser(argparse.ArgumentParser):
    """A parser whose errors are one line, ``fsl VERB: error: ...``, and exit code 2.

    argparse's default prints the whole usage block first; the contract of every verb is a
    single line naming the parameter, its value and the valid range.  Sub-parsers inherit
    the class through ``add_subparsers(parser_class=...)``.
    """

    def error(self, message: str):  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked: ``importlib.metadata``
    would otherwise add ~40 ms to every command, ``fsl --help`` included."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kw) -> None:
        kw.setdefault("help", "show the version and exit")
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kw)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from fsltheory._util.version import __version__

        print(f"fsltheory {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fsl",
        description="fsltheory: the Functional Scaling Law of SGD under learning-rate schedules.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    return parser


def _one_line(err: BaseException) -> str:
    """The message on one line: the contract is exactly one stderr line per error."""
    return " ".join(str(err).split()) or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input or refused overwrite)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.command is None and not extra:
        args = parser.parse_args(["report"])
    if extra:
        # reported here rather than by argparse, which names the top-level parser ('fsl:')
        verb = f"fsl {args.command}" if args.command else "fsl"
        print(f"{verb}: error: unrecognized arguments: {' '.join(extra)}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError, OverflowError) as err:
        print(f"fsl {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except OSError as err:  # a folder where a file goes, no permission, a full disk
        print(f"fsl {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fsl {args.command}: interrupted", file=sys.stderr)
        return 130
