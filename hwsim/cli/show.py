"""``hwsim show ACCEL``: the resolved specification of an accelerator (or host model), every field
with where its value came from: the file, a default, or an assumption of the SCALE-Sim importer."""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from pathlib import Path
from typing import Any

from hwsim.cli.common import check_output, emit
from hwsim.errors import ConfigError
from hwsim.report.formatting import format_number, text_table

#: Prose lines are wrapped, and value cells cut, to fit this many columns.
WIDTH = 120
_VALUE_WIDTH = 40

SHOW_EPILOG = """\
Every field of the specification is listed with where its value comes from: "file" (the file
gives it), "default" (the schema's default; README "Accelerator files" lists them) or "assumed"
(a SCALE-Sim .cfg has no clock, word size or energy prices: hwsim assumes them and says why).
A null that stands for something (vector.lanes: null = the array's columns) shows what it resolves to.
--format yaml prints the specification as an accelerator file, e.g. to start your own from a .cfg.

Examples:
  hwsim show ws_32x32
  hwsim show tests/data/scalesim/scale.cfg
  hwsim show scale.cfg --format yaml > my_accelerator.yaml
"""


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="the resolved specification of an accelerator: every field, its default or assumption",
        description="Print ACCEL's resolved specification: each field, its value and whether the file gave it, "
        "the schema's default filled it in, or the SCALE-Sim importer assumed it.",
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("accel", metavar="ACCEL",
                   help="a shipped accelerator name, a YAML file, a SCALE-Sim .cfg, or a host model (kind: host)")
    p.add_argument("--format", choices=("table", "yaml", "json"), default=None,
                   help="table (default), or the resolved specification as YAML or JSON (default: from the -o "
                   "suffix .yaml, .yml or .json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    p.set_defaults(run=run_show)


def _source(accel: str) -> tuple[str, dict[str, str]]:
    """Where ACCEL comes from, in words, and the importer's assumptions (dotted path -> why)."""
    from hwsim.hardware.load import ACCELERATOR_SUFFIXES, accelerator_names, shipped_accelerator_dir
    from hwsim.hardware.scalesim_config import ASSUMPTIONS

    if accel in accelerator_names() and not accel.lower().endswith(ACCELERATOR_SUFFIXES):
        return f"shipped accelerator {shipped_accelerator_dir() / (accel + '.yaml')}", {}
    if Path(accel).suffix.lower() == ".cfg":
        return f"SCALE-Sim config {accel}", dict(ASSUMPTIONS)
    return f"accelerator file {accel}", {}


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    if value == math.inf:  # the only infinite field: dram.bandwidth_bytes_per_cycle: unlimited
        return "unlimited"
    text = format_number(value) if isinstance(value, (int, float)) else str(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 3] + "..."


def _wrapped(line: str) -> list[str]:
    return textwrap.wrap(line, width=WIDTH, subsequent_indent="    ", break_on_hyphens=False) or [line]


def format_show(spec: Any, source: str, assumed: dict[str, str]) -> str:
    """The table of ``hwsim show``: heading, one row per field, then the assumptions and what nulls stand for."""
    from hwsim.hardware.describe import ASSUMED, field_rows
    from hwsim.hardware.spec import Accelerator

    rows = [r for r in field_rows(spec, assumed) if r.path not in ("name", "description")]
    records = []
    for r in rows:
        shown = _value(r.value) if r.resolved == r.value else f"{_value(r.value)} -> {_value(r.resolved)}"
        records.append({"field": r.path, "value": shown, "from": r.origin})
    lines = _wrapped(f"{spec.name}: {spec.description}" if spec.description else spec.name)
    lines += [f"from the {source}", "", text_table(records)]
    assumptions: dict[str, list[Any]] = {}
    for r in rows:
        if r.origin == ASSUMED:
            assumptions.setdefault(r.note, []).append(r)
    if assumptions:
        lines += ["", "Assumed by hwsim (the file does not say):"]
        for note, group in assumptions.items():
            what = f"{group[0].path} = {_value(group[0].resolved)}" if len(group) == 1 else \
                f"{group[0].path.split('.')[0]}.*"
            lines += _wrapped(f"  {what}: {note}")
    resolved = [r for r in rows if r.note and r.origin != ASSUMED and r.resolved != r.value]
    if resolved:
        lines += ["", "What the nulls stand for:"]
        for r in resolved:
            lines += _wrapped(f"  {r.path} = null -> {_value(r.resolved)}: {r.note}")
    if isinstance(spec, Accelerator):
        bandwidth_gb_s = spec.dram.bandwidth_bytes_per_cycle * spec.clock_mhz / 1e3
        port = "per operand port" if spec.dram.ports == "per_operand" else "shared by the operands"
        dram = (f"DRAM {format_number(bandwidth_gb_s)} GB/s {port}" if math.isfinite(bandwidth_gb_s) else
                "DRAM bandwidth unlimited (no DRAM stalls)")
        lines += ["", f"Derived: {spec.pes:,} PEs, peak {format_number(spec.pes * spec.clock_mhz / 1e3)} GMAC/s at "
                      f"{format_number(spec.clock_mhz)} MHz; {dram}"]
    return "\n".join(lines)


#: The format an -o suffix asks for.
_SUFFIX_FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def _format(fmt: str | None, output: str | None) -> str:
    """--format, else the -o suffix's, else table; a suffix of another format is refused."""
    suffix = Path(output).suffix.lower() if output else ""
    if suffix == ".csv":
        raise ConfigError(f"-o {output}: a specification has no CSV form; expected a .txt, .yaml, .yml or .json file name")
    wanted = _SUFFIX_FORMATS.get(suffix)
    if fmt is not None and wanted is not None and fmt != wanted:
        raise ConfigError(f"-o {output}: is a {suffix} file name but --format is {fmt}; expected matching ones "
                          "(or drop --format: the suffix chooses it)")
    return fmt or wanted or "table"


def run_show(args: argparse.Namespace) -> int:
    from hwsim.host.model import is_host_model_file, load_host_model

    check_output(args.output, "-o", inputs=[args.accel])
    args.format = _format(args.format, args.output)

    if is_host_model_file(args.accel):
        spec: Any = load_host_model(args.accel)
        source, assumed = f"host model {args.accel} (kind: host, from `hwsim calibrate`)", {}
    else:
        from hwsim.hardware.load import load_accelerator

        spec = load_accelerator(args.accel)
        source, assumed = _source(args.accel)
    if args.format == "table":
        text = format_show(spec, source, assumed)
    else:
        data = {k: v for k, v in spec.model_dump(mode="json", exclude_none=True).items() if v != {}}
        if args.format == "json":
            text = json.dumps(data, indent=1)
        else:
            import yaml

            text = f"# {spec.name}, resolved by `hwsim show` from the {source}\n" + yaml.safe_dump(data, sort_keys=False)
    emit(text, args.output, f"{args.format} of {spec.name}")
    return 0
