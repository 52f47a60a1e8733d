"""``hwsim search``: the block-allocation search across stages (:mod:`hwsim.explore.search.run`).

FAMILY is any registered family (:mod:`hwsim.explore.search.families.registry`); its choices
(``--conv1``, ``--shortcut`` for SqueezeNext) and flagged settings (``--width``) become flags,
refused for a family that does not have them.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from hwsim.cli.common import FIGURE_SUFFIXES, bounded_int, check_output, load_accel, positive_int, shown, split_list
from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Choice, Family, Setting, Value
from hwsim.explore.search.families.registry import families, family

_COUNT = re.compile(r"(?P<number>\d{1,30}(?:\.\d{0,30})?(?:e\d{1,3})?)(?P<suffix>[kmg]?)")
_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
#: Largest --max-macs / --max-params (10^18; a network has far fewer MACs than int64 holds).
MAX_COUNT = 10**18
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


def parse_choice(choice: Choice, text: str) -> tuple[Value, ...]:
    """``--conv1 "7, 5"`` -> (7, 5): distinct values of ``choice`` (any case), else :class:`ConfigError`."""
    items = split_list(text)
    values = [choice.value_of(item) for item in items]
    if not items or None in values or len(set(values)) != len(values):
        raise ConfigError(f"--{choice.name} {text!r}: expected distinct {choice.noun} from "
                          f"{','.join(map(str, choice.values))}, e.g. {','.join(map(str, choice.default))}")
    return tuple(v for v in values if v is not None)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _family_flags() -> dict[str, tuple[Choice | Setting, list[Family]]]:
    """Each choice and flagged setting of the registered families, by name, with its families."""
    flags: dict[str, tuple[Choice | Setting, list[Family]]] = {}
    for fam in families():
        for option in (*fam.choices, *(s for s in fam.settings if s.help)):
            first, owners = flags.setdefault(option.name, (option, []))
            if type(first) is not type(option):
                raise ValueError(f"{_flag(option.name)} is a choice of one search family and a setting of another")
            owners.append(fam)
    return flags


def _add_family_flags(p: argparse.ArgumentParser) -> None:
    for name, (option, owners) in _family_flags().items():
        where = "; ".join(f"{f.name}: default " + (",".join(map(str, f.choice(name).default)) if isinstance(option, Choice)
                                                    else str(f.default_settings[name])) for f in owners)
        if isinstance(option, Choice):
            p.add_argument(_flag(name), dest=f"family_{name}", metavar=f"{name.upper()}[,...]",
                           help=f"{option.help} ({where})")
        else:
            p.add_argument(_flag(name), dest=f"family_{name}", metavar=name.upper(), type=type(option.default),
                           help=f"{option.help} ({where})")


def _labels(fam: Family) -> str:
    """The family's published networks: ``v1..v5``."""
    labels = [p.label for p in fam.published]
    return f"{labels[0]}..{labels[-1]}" if len(labels) > 2 else ", ".join(labels)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    registered = families()
    names = ", ".join(f.name for f in registered)
    published = "; ".join(f"{f.title} {_labels(f)}" for f in registered if f.published)
    depths = "; ".join(f"{f.name}: {f.depth_note}, default {f.blocks_total + f.depth_layers}" for f in registered)
    example = registered[0].name
    p = sub.add_parser(
        "search",
        help=f"search block allocations across stages (families: {names})",
        description="Simulate every allocation of the blocks over the stages (times the values of the family's choices) "
        "on ACCEL, write one CSV row per candidate as it goes, print the ranking, where the family's published "
        f"networks fall ({published}), and the Pareto front against MACs and params (which stand in for accuracy).",
        epilog=f"Examples:\n  hwsim search {example} --accel best_32x32 -o search.csv --plot search.png\n"
        f"  hwsim search {example} --accel ws_32x32 --objective edp --max-params 1M -o edp.csv\n"
        f"  hwsim search {example} --accel ws_32x32 -o search.csv --resume",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("family", metavar="FAMILY", help=f"network family to search: {names}")
    p.add_argument("--accel", required=True, metavar="ACCEL", help="a shipped accelerator name, a YAML file or a SCALE-Sim .cfg")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--depth", type=bounded_int(MAX_BLOCKS), metavar="N",
                      help=f"network depth: the blocks plus the family's fixed layers ({depths})")
    size.add_argument("--blocks-total", type=bounded_int(MAX_BLOCKS), metavar="N",
                      help="blocks to allocate (default: the family's, " +
                      ", ".join(f"{f.name} {f.blocks_total}" for f in registered) + ")")
    p.add_argument("--stages", type=bounded_int(MAX_STAGES), metavar="N",
                   help="stages (default: the family's, " + ", ".join(f"{f.name} {f.stages}" for f in registered) + ")")
    p.add_argument("--min-blocks", type=bounded_int(MAX_BLOCKS), default=1, help="blocks each stage gets at least (default 1)")
    _add_family_flags(p)
    p.add_argument("--objective", choices=("latency", "energy", "edp"), default="latency",
                   help="rank by latency, energy, or energy x latency (default latency)")
    p.add_argument("--max-macs", metavar="X", help="keep candidates with at most X MACs (e.g. 250M)")
    p.add_argument("--max-params", metavar="Y", help="keep candidates with at most Y parameters (e.g. 1M)")
    p.add_argument("--top", type=positive_int, default=20, help="rows of the ranked table (default 20)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.csv",
                   help="CSV file, one row per candidate (latency_ms, energy_uj, edp_uj_ms = uJ x ms, ...)")
    p.add_argument("--resume", action="store_true", help="keep the rows already in FILE.csv and simulate the rest")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also plot latency vs MACs, Pareto front and the published networks (.png, .pdf or .svg)")
    p.set_defaults(run=run_search)


def _space_fields(args: argparse.Namespace, fam: Family) -> dict[str, Any]:
    """The family's choices and settings given on the command line; a flag of another family is refused."""
    choices: dict[str, tuple[Value, ...]] = {}
    settings: dict[str, object] = {}
    own = {c.name for c in fam.choices} | {s.name for s in fam.settings if s.help}
    for name, (option, _) in _family_flags().items():
        text = getattr(args, f"family_{name}", None)
        if text is None:
            continue
        if name not in own:
            raise ConfigError(f"{_flag(name)} does not apply to the {fam.name} family")
        if isinstance(option, Choice):
            choices[name] = parse_choice(fam.choice(name), text)
        else:
            settings[name] = text
    return dict(stages=args.stages, min_blocks=args.min_blocks, choices=choices, settings=settings)


def run_search(args: argparse.Namespace) -> int:
    from hwsim.explore.search.run import Constraints, SearchSpace, format_report, search

    fam = family(args.family)  # an unknown family: one line, before any work
    # before any work: the outputs can be written, ACCEL is an accelerator (not a host model)
    check_output(args.output, "-o")
    check_output(args.plot, "--plot", FIGURE_SUFFIXES)
    accel = load_accel(args.accel)
    fields = _space_fields(args, fam)
    if args.blocks_total is not None:
        space = SearchSpace(family=fam.name, blocks_total=args.blocks_total, **fields)
    else:
        depth = args.depth if args.depth is not None else fam.blocks_total + fam.depth_layers
        space = SearchSpace.from_depth(depth, family=fam.name, **fields)
    constraints = Constraints(parse_count("--max-macs", args.max_macs), parse_count("--max-params", args.max_params))
    progress = sys.stderr if sys.stderr.isatty() else None
    result = search(space, accel, objective=args.objective, constraints=constraints, output=args.output,
                    resume=args.resume, progress=progress)
    sys.stdout.write(format_report(result, top=args.top))
    if args.plot:
        from hwsim.plots.search_objective import plot_search_objective
        from hwsim.report.profile import write_figure

        write_figure(plot_search_objective(result), args.plot)
        print(f"wrote {args.plot}")
    return 0
