"""The accelerators hwsim ships: where their files are, their names, and a snapshot of their validated values.

The shipped files are ``accelerators/<name>.yaml`` (``hwsim/accelerators/`` in a wheel); the
file stem is the CLI name. Validating one with the schema (:mod:`hwsim.hardware.spec`) means
importing pydantic and YAML, which takes longer than simulating a whole network, so the shipped
files are validated when the package is built: :data:`SNAPSHOT` (``shipped_accelerators.json``,
inside the package) holds, per shipped file, the SHA-256 of its bytes and the accelerator the
schema validated from it, every default filled in (``python -m hwsim.hardware.shipped
--regenerate``, or ``make graphs``, writes it; a test checks that it equals a fresh validation).

:func:`shipped_accelerator` reads an accelerator from the snapshot as a
:class:`~hwsim.hardware.frozen.FrozenAccelerator`, and only while its file still has the bytes
that were validated: for a changed, new or missing file it returns None and the caller
validates the file (:func:`hwsim.hardware.load.load_accelerator`), so an edited file is never
read from a stale snapshot and every file still gets the schema's field-level errors. This
module imports neither pydantic nor YAML, except to write the snapshot.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hwsim.hardware.frozen import FrozenAccelerator

__all__ = [
    "SNAPSHOT",
    "accelerator_names",
    "main",
    "regenerate",
    "shipped_accelerator",
    "shipped_accelerator_dir",
    "shipped_files",
    "snapshot_entry",
    "stale_names",
]

#: The snapshot of the shipped accelerators' validated values (inside the package: it ships in the wheel).
SNAPSHOT = Path(__file__).resolve().parent / "shipped_accelerators.json"


# --------------------------------------------------------------------------------------------
# The shipped files


def shipped_accelerator_dir() -> Path:
    """Folder of the shipped accelerator files.

    In a wheel they live in ``hwsim/accelerators/``; in a development (editable) install, in the
    repository's top-level ``accelerators/`` next to the package.
    """
    package = Path(__file__).resolve().parents[1]  # the hwsim package
    inside = package / "accelerators"
    return inside if inside.is_dir() else package.parent / "accelerators"


def shipped_files() -> dict[str, Path]:
    """Shipped accelerator name (file stem) -> its ``.yaml``/``.yml`` file, in name order."""
    folder = shipped_accelerator_dir()
    if not folder.is_dir():
        return {}
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            files.setdefault(path.stem, path)
    return files


def accelerator_names() -> tuple[str, ...]:
    """Sorted names (file stems) of the shipped accelerators."""
    return tuple(sorted(shipped_files()))


# --------------------------------------------------------------------------------------------
# The snapshot


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _snapshot() -> dict[str, Any]:
    """The entries of :data:`SNAPSHOT` by name ({} when there is no snapshot)."""
    return _read_snapshot(SNAPSHOT)


@functools.lru_cache(maxsize=4)
def _read_snapshot(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def shipped_accelerator(name: str) -> FrozenAccelerator | None:
    """The shipped accelerator ``name`` from the snapshot, or None when the snapshot cannot stand
    for its file (no such shipped file, not in the snapshot, or its bytes changed since)."""
    path = shipped_files().get(name)
    entry = _snapshot().get(name)
    if path is None or entry is None or entry["file"] != path.name:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if _sha256(data) != entry["sha256"]:
        return None
    return FrozenAccelerator(entry["accelerator"])


def snapshot_entry(path: Path) -> dict[str, Any]:
    """The snapshot entry of one accelerator file: its name, SHA-256 and validated values.

    Validates the file with the schema, as :func:`hwsim.hardware.load.load_accelerator` does
    (imports pydantic and YAML); a bad file raises its one-line ConfigError.
    """
    from hwsim.hardware.spec import accelerator_from_dict
    from hwsim.hardware.yaml_reader import read_yaml

    accel = accelerator_from_dict(read_yaml(path, str(path)), str(path), default_name=path.stem)
    return {"file": path.name, "sha256": _sha256(path.read_bytes()), "accelerator": accel.model_dump(mode="json")}


def _snapshot_text(entries: dict[str, dict[str, Any]]) -> str:
    """One accelerator per line (small diffs)."""
    body = ",\n".join(f" {json.dumps(name)}: {json.dumps(entry)}" for name, entry in entries.items())
    return "{\n" + body + "\n}\n"


def regenerate() -> Path:
    """Validate every shipped file and write :data:`SNAPSHOT`; returns its path."""
    entries = {name: snapshot_entry(path) for name, path in shipped_files().items()}
    SNAPSHOT.write_text(_snapshot_text(entries), encoding="utf-8")
    _read_snapshot.cache_clear()
    return SNAPSHOT


def stale_names() -> tuple[str, ...]:
    """Shipped accelerators the snapshot does not hold as a fresh validation gives them, and
    snapshot entries without a shipped file."""
    held = _snapshot()
    files = shipped_files()
    stale = [name for name, path in files.items() if held.get(name) != snapshot_entry(path)]
    return tuple(sorted([*stale, *(name for name in held if name not in files)]))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hwsim.hardware.shipped --regenerate`` / ``--check``: write or verify the snapshot."""
    parser = argparse.ArgumentParser(prog="python -m hwsim.hardware.shipped", description=f"Write or check {SNAPSHOT.name}.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--regenerate", action="store_true", help="validate the shipped accelerators and write the snapshot")
    group.add_argument("--check", action="store_true", help="exit 1 if the snapshot differs from a fresh validation")
    args = parser.parse_args(argv)
    from hwsim.errors import HwsimError

    try:
        if args.check:
            stale = stale_names()
            for name in stale:
                print(f"stale or missing in {SNAPSHOT}: {name}")
            return 1 if stale else 0
        print(f"wrote {regenerate()}")
    except HwsimError as exc:
        print(f"hwsim: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
