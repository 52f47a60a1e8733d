"""Strict YAML reading for configuration files: duplicate keys rejected, YAML 1.2 booleans, ``1e3`` a float.

:func:`read_yaml` reads one file with :class:`_StrictLoader` and turns every problem (not UTF-8,
unreadable, invalid YAML, a duplicate key at any depth, a file, nesting or alias count over the
limits below, an integer too long to convert) into a one-line :class:`~hwsim.errors.ConfigError`
naming the file, the line and the key. Used for accelerator files (:mod:`hwsim.hardware.load`)
and host-model files (:mod:`hwsim.host.schema`).

Limits (a configuration file is a few KiB, two or three levels deep, with no or few aliases):
:data:`MAX_YAML_BYTES`, :data:`MAX_YAML_DEPTH` (checked while composing, so deep nesting never
reaches Python's recursion limit) and :data:`MAX_YAML_ALIASES`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hwsim.errors import ConfigError, read_text

__all__ = ["MAX_YAML_ALIASES", "MAX_YAML_BYTES", "MAX_YAML_DEPTH", "read_yaml"]

#: Largest configuration file read, bytes.
MAX_YAML_BYTES = 256 * 1024
#: Deepest nesting of mappings and sequences.
MAX_YAML_DEPTH = 32
#: Most alias uses (``*name``) in one file.
MAX_YAML_ALIASES = 100


# --------------------------------------------------------------------------------------------
# YAML reading: duplicate keys rejected, only true/false are booleans (YAML 1.2), 1e3 is a float


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (nested too) before building any object.

    It also reads booleans the YAML 1.2 way (``true``/``false`` only, so ``yes``/``on`` stay
    strings and fail validation) and reads ``1e3`` as a float (PyYAML needs ``1.0e3``).
    """

    _depth = 0
    _aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, refusing nesting deeper than :data:`MAX_YAML_DEPTH` and more than
        :data:`MAX_YAML_ALIASES` aliases before they can exhaust the stack or the time."""
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_YAML_ALIASES} aliases: expected a plain configuration file",
                    self.peek_event().start_mark,
                )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels: expected a plain configuration file",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """An integer, or a one-line error (with its line) when it has too many digits to convert."""
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"integer with {len(str(node.value))} characters is too long: expected a number",
                node.start_mark,
            ) from None

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_unique_keys(node, "", set())
        return self.construct_document(node)


_StrictLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789")
)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


class _DuplicateKey(Exception):
    def __init__(self, path: str, line: int, first_line: int) -> None:
        super().__init__(path)
        self.path, self.line, self.first_line = path, line, first_line


def _check_unique_keys(node: yaml.Node, path: str, seen_nodes: set[int]) -> None:
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                _check_unique_keys(value_node, path, seen_nodes)
                continue
            key = (key_node.tag, key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node))
            label = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
            child = f"{path}.{label}" if path else label
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _DuplicateKey(child, line, first_line[key])
            first_line[key] = line
            _check_unique_keys(value_node, child, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_unique_keys(item, f"{path}[{index}]", seen_nodes)


def read_yaml(path: Path, source: str) -> Any:
    """The data of one YAML file (strict; limits above); any problem is a one-line ConfigError naming ``source``."""
    text = read_text(path, ConfigError, source=source, max_bytes=MAX_YAML_BYTES)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{source}: {dup.path}: duplicate key at line {dup.line} (first given at line {dup.first_line})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
        problem = ", ".join(p for p in parts if p) or str(exc).splitlines()[0]
        if "expected" not in problem:
            problem += ": expected plain YAML (mappings, lists, numbers, strings; no tags)"
        raise ConfigError(f"{source}: invalid YAML{where}: {problem[:300]}") from None

