"""``hwsim search``: the block-allocation search across stages (:mod:`hwsim.explore.search.run`)."""

from __future__ import annotations

import argparse
import re
import sys

from hwsim.cli.common import FIGURE_SUFFIXES, bounded_int, check_output, load_accel, positive_int, shown, split_list
from hwsim.errors import ConfigError

_COUNT = re.compile(r"(?P<number>\d{1,30}(?:\.\d{0,30})?(?:e\d{1,3})?)(?P<suffix>[kmg]?)")
_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
#: Largest --max-macs / --max-params (10^18; a network has far fewer MACs than int64 holds).
MAX_COUNT = 10**18
#: Largest --width: stage channels 32 x 2^i x width (width 8 gives 2048 .. 16384 channels, and
#: tracing it already takes a while); wider networks would build weights for minutes.
MAX_WIDTH = 8.0
#: Largest --stages, and --depth / --blocks-total / --min-blocks (the space is refused past a
#: million candidates anyway; these keep its size cheap to count).
MAX_STAGES, MAX_BLOCKS = 16, 1000


def parse_count(flag: str, text: str | None) -> int | None:
    """``"300M"``, ``"0.3G"``, ``"3e8"``, ``"300_000_000"`` -> 300000000 (None stays None); at most 10^18."""
    if text is None:
        return None
    expected = "expected a count from 0 to 10^18 such as 300000000, 3e8, 300M or 0.3G"
    match = _COUNT.fullmatch(text.strip().lower().replace("_", "").replace(",", ""))
    if match is None:
        raise ConfigError(f"{flag} {shown(text)}: {expected}")
    value = float(match["number"]) * _SUFFIXES[match["suffix"]]
    if not value <= MAX_COUNT:  # also inf (3e999)
        raise ConfigError(f"{flag} {shown(text)}: {expected}")
    return int(round(value))


def parse_width(text: str) -> float:
    """argparse type: a finite width multiplier > 0 and <= :data:`MAX_WIDTH`."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_WIDTH:  # refuses nan and inf too
        raise argparse.ArgumentTypeError(f"expected a number > 0 and <= {MAX_WIDTH:g}, got {shown(text)}")
    return value


parse_width.__name__ = "width"


def parse_conv1(text: str) -> tuple[int, ...]:
    """``"5,7"`` -> (5, 7); anything but distinct 5s and 7s raises :class:`ConfigError`."""
    from hwsim.models.squeezenext_spec import CONV1_KERNELS

    items = split_list(text)
    allowed = {str(k): k for k in CONV1_KERNELS}
    if not items or any(item not in allowed for item in items) or len(set(items)) != len(items):
        raise ConfigError(f"--conv1 {text!r}: expected distinct kernel sizes from {','.join(map(str, CONV1_KERNELS))}, e.g. 5,7")
    return tuple(allowed[item] for item in items)


def parse_shortcuts(text: str) -> tuple[str, ...]:
    """``"v1,v5"`` -> ("v1", "v5")."""
    from hwsim.models.squeezenext_spec import SHORTCUT_STYLES

    items = [item.lower() for item in split_list(text)]
    if not items or any(item not in SHORTCUT_STYLES for item in items) or len(set(items)) != len(items):
        raise ConfigError(f"--shortcut {text!r}: expected distinct styles from {','.join(SHORTCUT_STYLES)}, e.g. v1,v5")
    return tuple(items)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="search block allocations across stages (SqueezeNext v1 -> v5, automated)",
        description="Simulate every allocation of the blocks over the stages (times the conv1 and shortcut choices) "
        "on ACCEL, write one CSV row per candidate as it goes, print the ranking, where SqueezeNext v1..v5 fall, "
        "and the Pareto front against MACs and params (which stand in for accuracy).",
        epilog="Examples:\n  hwsim search squeezenext --accel best_32x32 -o search.csv --plot search.png\n"
        "  hwsim search squeezenext --accel ws_32x32 --objective edp --max-params 1M -o edp.csv\n"
        "  hwsim search squeezenext --accel ws_32x32 -o search.csv --resume",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("family", metavar="FAMILY", help="network family to search: squeezenext")
    p.add_argument("--accel", required=True, metavar="ACCEL", help="a shipped accelerator name, a YAML file or a SCALE-Sim .cfg")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--depth", type=bounded_int(MAX_BLOCKS), metavar="N",
                      help="network depth as in SqNxt-23: conv1 + blocks + final 1x1 (default 23, i.e. 21 blocks)")
    size.add_argument("--blocks-total", type=bounded_int(MAX_BLOCKS), metavar="N", help="blocks to allocate (default 21)")
    p.add_argument("--stages", type=bounded_int(MAX_STAGES), default=4, help="stages (default 4, at most 16)")
    p.add_argument("--min-blocks", type=bounded_int(MAX_BLOCKS), default=1, help="blocks each stage gets at least (default 1)")
    p.add_argument("--width", type=parse_width, default=1.0,
                   help=f"width multiplier of the stage channels (default 1.0, at most {MAX_WIDTH:g})")
    p.add_argument("--conv1", default="5,7", metavar="K[,K]", help="conv1 kernel sizes to try (default 5,7)")
    p.add_argument("--shortcut", default="v1,v5", metavar="S[,S]", help="shortcut styles to try (default v1,v5)")
    p.add_argument("--objective", choices=("latency", "energy", "edp"), default="latency",
                   help="rank by latency, energy, or energy x latency (default latency)")
    p.add_argument("--max-macs", metavar="X", help="keep candidates with at most X MACs (e.g. 250M)")
    p.add_argument("--max-params", metavar="Y", help="keep candidates with at most Y parameters (e.g. 1M)")
    p.add_argument("--top", type=positive_int, default=20, help="rows of the ranked table (default 20)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.csv",
                   help="CSV file, one row per candidate (latency_ms, energy_uj, edp_uj_ms = uJ x ms, ...)")
    p.add_argument("--resume", action="store_true", help="keep the rows already in FILE.csv and simulate the rest")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also plot latency vs MACs, Pareto front and v1..v5 (.png, .pdf or .svg)")
    p.set_defaults(run=run_search)


def run_search(args: argparse.Namespace) -> int:
    from hwsim.explore.search.run import FAMILIES, Constraints, SearchSpace, format_report, plot_search, search

    if args.family not in FAMILIES:
        raise ConfigError(f"unknown family {args.family!r}; expected one of {', '.join(FAMILIES)}")
    # before any work: the outputs can be written, ACCEL is an accelerator (not a host model)
    check_output(args.output, "-o")
    check_output(args.plot, "--plot", FIGURE_SUFFIXES)
    accel = load_accel(args.accel)
    fields = dict(stages=args.stages, min_blocks=args.min_blocks, width=args.width,
                  conv1_kernels=parse_conv1(args.conv1), shortcuts=parse_shortcuts(args.shortcut))
    if args.blocks_total is not None:
        space = SearchSpace(family=args.family, blocks_total=args.blocks_total, **fields)
    else:
        space = SearchSpace.from_depth(args.depth if args.depth is not None else 23, family=args.family, **fields)
    constraints = Constraints(parse_count("--max-macs", args.max_macs), parse_count("--max-params", args.max_params))
    progress = sys.stderr if sys.stderr.isatty() else None
    result = search(space, accel, objective=args.objective, constraints=constraints, output=args.output,
                    resume=args.resume, progress=progress)
    sys.stdout.write(format_report(result, top=args.top))
    if args.plot:
        plot_search(result, args.plot)
        print(f"wrote {args.plot}")
    return 0
