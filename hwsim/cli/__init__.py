"""The ``hwsim`` command line: one parser, one module per group of subcommands.

``main(argv) -> int`` is the entry point (tests call it directly). Any :class:`HwsimError`
becomes one line on stderr and exit code 2; so does a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hwsim import __version__
from hwsim.errors import HwsimError


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (``hwsim PROG: error: ...``) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from hwsim.cli import correlate as correlate_commands
    from hwsim.cli import measure as measure_commands
    from hwsim.cli import model_commands
    from hwsim.cli import search as search_commands
    from hwsim.cli import show as show_commands
    from hwsim.cli import sweep as sweep_commands

    parser = OneLineParser(
        prog="hwsim",
        description="Hardware-aware performance simulator and latency profiler for CNNs.",
        epilog="Example: hwsim profile squeezenext_23v5 --accel ws_32x32",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hwsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for module in (model_commands, show_commands, sweep_commands, search_commands, measure_commands, correlate_commands):
        module.add_parsers(sub)
    return parser


def resume_hint(args: argparse.Namespace) -> str:
    """What to tell a user who stopped a command with Ctrl-C: how to continue where it stopped."""
    if getattr(args, "resume", None) is not None:  # sweep, search: rows are written as they go
        done = "" if args.resume else " --resume"
        return f"; what was written to {args.output} is kept: run the same command{done} to compute only the rest"
    if args.command == "calibrate":
        return f"; measurements taken so far are kept beside {args.output}: run the same command to go on from there"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except HwsimError as exc:
        print(f"hwsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hwsim {args.command}: interrupted{resume_hint(args)}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
