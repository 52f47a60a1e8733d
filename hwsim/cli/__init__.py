"""The ``hwsim`` command line: one parser, one module per group of subcommands.

``main(argv) -> int`` is the entry point (tests call it directly). Any :class:`HwsimError`
becomes one line on stderr and exit code 2; so does a usage error. ``hwsim COMMAND ...`` builds
(and imports) only the module of COMMAND (:data:`COMMAND_MODULES`), so a profile does not load
what a sweep, a search or a measurement needs; ``hwsim --help`` and unknown commands build them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from hwsim import __version__
from hwsim.errors import HwsimError, missing_extra


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (``hwsim PROG: error: ...``) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


#: The modules of hwsim.cli that define subcommands, in the order ``hwsim --help`` lists them.
MODULES: tuple[str, ...] = ("model_commands", "show", "sweep", "search", "measure", "correlate")
#: Subcommand -> the module that defines it (a command missing here still works: all modules are built).
COMMAND_MODULES: dict[str, str] = {
    "profile": "model_commands",
    "compare": "model_commands",
    "list": "model_commands",
    "export": "model_commands",
    "show": "show",
    "sweep": "sweep",
    "pareto": "sweep",
    "search": "search",
    "measure": "measure",
    "calibrate": "measure",
    "correlate": "correlate",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or only of the module defining ``command`` when it is known."""
    parser = OneLineParser(
        prog="hwsim",
        description="Hardware-aware performance simulator and latency profiler for CNNs.",
        epilog="Example: hwsim profile squeezenext_23v5 --accel ws_32x32",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hwsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    names = (COMMAND_MODULES[command],) if command in COMMAND_MODULES else MODULES
    for name in names:
        importlib.import_module(f"hwsim.cli.{name}").add_parsers(sub)
    return parser


def resume_hint(args: argparse.Namespace) -> str:
    """What to tell a user who stopped a command with Ctrl-C: how to continue where it stopped."""
    if getattr(args, "resume", None) is not None:  # sweep, search: rows are written as they go
        done = "" if args.resume else " --resume"
        return f"; what was written to {args.output} is kept: run the same command{done} to compute only the rest"
    if args.command == "calibrate":
        return f"; measurements taken so far are kept beside {args.output}: run the same command to go on from there"
    return ""


def needing(args: argparse.Namespace) -> str:
    """What in this command needs an optional package, for the one-line hint of a missing one:
    the ``file.py:factory`` model, ``--input-size`` (a zoo model re-exported), else the command
    (a measurement, a calibration, a search that traces its family's networks)."""
    models = f"{getattr(args, 'model', None) or ''},{getattr(args, 'models', None) or ''}".split(",")
    factory = next((m for m in models if ".py:" in m), None)
    if factory is not None:
        return f"the model {factory}"
    if getattr(args, "input_size", None) and args.command in ("profile", "compare", "export", "sweep"):
        return "--input-size (a model re-exported at another size)"
    return "this command"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and not argv[0].startswith("-") else None  # top-level options come first
    args = build_parser(command).parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except HwsimError as exc:
        print(f"hwsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional package (torch, scipy, onnx, ...) is not installed
        error = missing_extra(exc, needing(args))
        if error is None:
            raise
        print(f"hwsim {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hwsim {args.command}: interrupted{resume_hint(args)}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
