"""``hwsim search``: the block-allocation search across stages (:mod:`hwsim.explore.search.run`),
on one accelerator or jointly on every configuration ``--set`` gives (the sweep's syntax).

FAMILY is any registered family (:mod:`hwsim.explore.search.families.registry`); its choices
(``--conv1``, ``--shortcut`` for SqueezeNext) and flagged settings (``--width``) become flags,
refused for a family that does not have them.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from hwsim.cli.common import FIGURE_SUFFIXES, bounded_int, check_output, read_accel, positive_int, shown, split_list
from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Choice, Family, Setting, Value
from hwsim.explore.search.families.registry import families, family
from hwsim.explore.search.results import OBJECTIVES

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


def parse_positive(flag: str, text: str | None) -> float | None:
    """``--max-area 2.5`` -> 2.5 (a finite number > 0; None stays None)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{flag} {text!r}: expected a finite number > 0")
    return value


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
        help=f"search block allocations across stages, alone or jointly with the accelerator (families: {names})",
        description="Simulate every allocation of the blocks over the stages (times the values of the family's choices) "
        "on ACCEL, or on every configuration of ACCEL that --set gives (the sweep's syntax: every (candidate, "
        "configuration) pair), write one CSV row per pair as it goes, print the ranking, where the family's published "
        f"networks fall ({published}; on their best configuration), the best pair within each chip area and the "
        "Pareto front (latency, energy and area on several configurations) against measured accuracy (--accuracy) "
        "or, without it, MACs and params, which stand in for accuracy.",
        epilog=f"Examples:\n  hwsim search {example} --accel best_32x32 -o search.csv --plot search.png\n"
        f"  hwsim search {example} --accel ws_32x32 --objective edp --max-params 1M -o edp.csv\n"
        f"  hwsim search {example} --accel ws_32x32 -o search.csv --resume\n"
        f"  hwsim search {example} --accel ws_32x32 --set array.rows=8,16,32 --set array.cols=8,16,32 \\\n"
        "      --set buffers.ifmap_kib=16,64,256 --max-area 1.5 -o codesign.csv --plot codesign.png\n"
        f"  hwsim search {example} --accel ws_32x32 --set dataflow=ws,os --accuracy measured.csv --objective accuracy "
        "-o acc.csv",
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
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUES",
                   help="search jointly over these values of an accelerator field (the sweep's syntax: FIELD=V1,V2,... or "
                   "FIELD=range(START,STOP[,STEP])); repeatable: every combination is a configuration")
    p.add_argument("--objective", choices=OBJECTIVES, default="latency",
                   help="rank by latency, energy, energy x latency, chip area, or measured accuracy (needs --accuracy) "
                   "(default latency)")
    p.add_argument("--max-macs", metavar="X", help="keep candidates with at most X MACs (e.g. 250M)")
    p.add_argument("--max-params", metavar="Y", help="keep candidates with at most Y parameters (e.g. 1M)")
    p.add_argument("--max-area", metavar="MM2", help="keep configurations of at most MM2 mm2 of chip area (docs/MODEL.md §10)")
    p.add_argument("--max-latency", metavar="MS", help="latency target: keep pairs of at most MS ms")
    p.add_argument("--accuracy", metavar="FILE.csv",
                   help="measured accuracy per candidate (columns allocation, accuracy, optionally the family's choices): "
                   "ranks and fronts use it instead of MACs and params; candidates without one are left out")
    p.add_argument("--top", type=positive_int, default=20, help="rows of the ranked table (default 20)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.csv",
                   help="CSV file, one row per candidate (per candidate and configuration with --set): latency_ms, "
                   "energy_uj, edp_uj_ms = uJ x ms, area_mm2, ...")
    p.add_argument("--resume", action="store_true", help="keep the rows already in FILE.csv and simulate the rest")
    p.add_argument("--plot", metavar="FILE.png",
                   help="also plot the objective vs MACs (one accelerator) or vs chip area (several), its front and the "
                   "published networks on their best hardware (.png, .pdf or .svg)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=1, metavar="N",
                       help="local processes evaluating blocks of configurations (default 1: this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="evaluate blocks of configurations on this Dask scheduler")
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
            raise ConfigError(f"{_flag(name)} does not apply to the {fam.name} family (expected only the options it has: "
                              f"`hwsim search {fam.name} --help`)")
        if isinstance(option, Choice):
            choices[name] = parse_choice(fam.choice(name), text)
        else:
            settings[name] = text
    return dict(stages=args.stages, min_blocks=args.min_blocks, choices=choices, settings=settings)


def run_search(args: argparse.Namespace) -> int:
    from hwsim.explore.search.accuracy import read_accuracy
    from hwsim.explore.search.run import Constraints, SearchSpace, format_report, search
    from hwsim.explore.sweep.grid import parse_sets

    fam = family(args.family)  # an unknown family: one line, before any work
    # before any work: the outputs can be written, ACCEL is an accelerator (not a host model)
    check_output(args.output, "-o", (".csv",), inputs=[args.accel, args.accuracy])
    check_output(args.plot, "--plot", FIGURE_SUFFIXES, inputs=[args.accel, args.accuracy])
    accel = read_accel(args.accel)
    sets = parse_sets(args.sets)
    fields = _space_fields(args, fam)
    if args.blocks_total is not None:
        space = SearchSpace(family=fam.name, blocks_total=args.blocks_total, **fields)
    else:
        depth = args.depth if args.depth is not None else fam.blocks_total + fam.depth_layers
        space = SearchSpace.from_depth(depth, family=fam.name, **fields)
    constraints = Constraints(parse_count("--max-macs", args.max_macs), parse_count("--max-params", args.max_params),
                              parse_positive("--max-area", args.max_area), parse_positive("--max-latency", args.max_latency))
    accuracy = read_accuracy(args.accuracy, space) if args.accuracy is not None else None
    progress = sys.stderr if sys.stderr.isatty() else None
    result = search(space, accel, objective=args.objective, constraints=constraints, output=args.output,
                    resume=args.resume, progress=progress, sets=sets, accuracy=accuracy, accuracy_source=args.accuracy,
                    workers=args.workers, scheduler=args.scheduler)
    sys.stdout.write(format_report(result, top=args.top))
    if args.plot:
        from hwsim.report.profile import write_figure

        if result.joint:
            from hwsim.plots.search_codesign import plot_codesign

            figure = plot_codesign(result)
        else:
            from hwsim.plots.search_objective import plot_search_objective

            figure = plot_search_objective(result)
        write_figure(figure, args.plot)
        print(f"wrote {args.plot}")
    return 0
