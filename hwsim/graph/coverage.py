"""What a layer graph simulates and what it leaves out: :class:`Coverage` of MACs and parameters.

A front end lists every op it cannot convert in ``LayerGraph.unsupported`` as ``(label, count)``
and writes to the graph's metadata, under the keys below, what it knows about them: the MACs of
each label (JSON ``{label: MACs or null}``; null when any op of that label has MACs the front end
cannot tell, e.g. an unknown function) and the parameter elements of left-out ops and of
parameters the forward pass never uses. A graph saved before these keys existed reads as
"MACs unknown" for every left-out op. Numbers are MACs and parameter elements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hwsim.graph.layer_graph import LayerGraph

__all__ = ["UNACCOUNTED_PARAMS", "UNSUPPORTED_MACS", "UNSUPPORTED_PARAMS", "Coverage", "LeftOut", "coverage_of"]

#: Metadata key: parameter elements of the model that no op of the traced forward uses.
UNACCOUNTED_PARAMS = "unused_params"
#: Metadata key: parameter elements of ops listed as unsupported (in no layer).
UNSUPPORTED_PARAMS = "params_in_unsupported_ops"
#: Metadata key: MACs of the ops listed as unsupported, by label, as JSON (null: not known).
UNSUPPORTED_MACS = "macs_in_unsupported_ops"


@dataclass(frozen=True)
class LeftOut:
    """Ops of one label that are not simulated."""

    label: str  #: the op's name as the front end lists it (``LSTM``, ``sort``)
    count: int
    macs: int | None  #: their MACs, None when not known


@dataclass(frozen=True)
class Coverage:
    """The share of a network's MACs and parameters that its layers hold."""

    simulated_macs: int  #: MACs of the graph's layers
    left_out: tuple[LeftOut, ...]
    layer_params: int  #: parameter elements held by layers
    left_out_params: int = 0  #: parameter elements of left-out ops
    unused_params: int = 0  #: parameter elements no op of the forward pass uses

    @property
    def complete(self) -> bool:
        """True when nothing is left out."""
        return not self.left_out

    @property
    def left_out_macs(self) -> int:
        """MACs of the left-out ops whose MACs are known."""
        return sum(item.macs or 0 for item in self.left_out)

    @property
    def macs_known(self) -> bool:
        """True when the MACs of every left-out op are known (the share is then exact)."""
        return all(item.macs is not None for item in self.left_out)

    @property
    def simulated_share(self) -> float:
        """Simulated MACs / (simulated + known left-out MACs); an upper bound when some are unknown."""
        total = self.simulated_macs + self.left_out_macs
        return self.simulated_macs / total if total else 1.0

    @property
    def total_params(self) -> int:
        """Every parameter element of the model, simulated or not."""
        return self.layer_params + self.left_out_params + self.unused_params

    def left_out_text(self) -> str:
        """``LSTM x1 (7,680 MACs), sort x2 (MACs unknown)``."""
        parts = []
        for item in self.left_out:
            macs = "MACs unknown" if item.macs is None else f"{item.macs:,} MACs"
            parts.append(f"{item.label} x{item.count} ({macs})")
        return ", ".join(parts)

    def summary(self) -> str:
        """One line, empty when nothing is left out: ``simulated 94.8% of MACs; left out: LSTM x1
        (7,680 MACs)``; ``at most`` when some left-out MACs are unknown, and no share at all when
        none is known."""
        if self.complete:
            return ""
        left = f"left out: {self.left_out_text()}"
        if not self.macs_known and not self.left_out_macs:
            return f"{left}; share of MACs simulated unknown"
        bound = "" if self.macs_known else "at most "
        return f"simulated {bound}{100 * self.simulated_share:.1f}% of MACs; {left}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: shares, MACs and parameters, and the left-out ops by label."""
        return {
            "simulated_mac_share": self.simulated_share,
            "mac_share_exact": self.macs_known,
            "simulated_macs": self.simulated_macs,
            "left_out_macs": self.left_out_macs,
            "left_out": {item.label: {"count": item.count, "macs": item.macs} for item in self.left_out},
            "params": self.total_params,
            "layer_params": self.layer_params,
            "left_out_params": self.left_out_params,
            "unused_params": self.unused_params,
        }


def coverage_of(graph: LayerGraph) -> Coverage:
    """The :class:`Coverage` of ``graph`` from its layers, ``unsupported`` list and metadata."""
    notes = dict(graph.metadata)
    try:
        macs = json.loads(notes.get(UNSUPPORTED_MACS, "{}"))
    except ValueError:
        macs = {}
    macs = macs if isinstance(macs, dict) else {}

    def known(label: str) -> int | None:
        value = macs.get(label)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def count(key: str) -> int:
        try:
            return int(notes.get(key, 0))
        except ValueError:
            return 0

    return Coverage(
        simulated_macs=graph.macs,
        left_out=tuple(LeftOut(label, n, known(label)) for label, n in graph.unsupported),
        layer_params=graph.params,
        left_out_params=count(UNSUPPORTED_PARAMS),
        unused_params=count(UNACCOUNTED_PARAMS),
    )
