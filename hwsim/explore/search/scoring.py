"""Scoring candidates from template totals: each template unit evaluated once per configuration,
candidates by counts.

Network totals sum the layers (docs/MODEL.md §6) and a unit's layers are the same in every
graph it is placed in, so a candidate's totals on a configuration are its unit counts (the
family's ``counts`` matrix) times the units' totals on that configuration: cycles, MACs and
parameters exactly, energy up to float rounding. :func:`unit_totals` evaluates the units of one
set of templates on every configuration (one :class:`~hwsim.cost.totals.Totals` with fields
``(configs, units)``); :func:`at_config` takes one configuration's column and
``Totals.combine(counts)`` gives every candidate's totals there; :func:`results` turns totals into
:class:`~hwsim.explore.search.results.CandidateResult` rows; :func:`graph_totals` scores one
assembled graph the slow way and :func:`same` compares the two. Never imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hwsim.cost.totals import Totals
from hwsim.explore.search.configurations import TOTAL_FIELDS, Configurations
from hwsim.explore.search.configurations import unit_totals as configuration_unit_totals
from hwsim.explore.search.families.base import Family, Templates
from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate
from hwsim.graph.layer_graph import LayerGraph

__all__ = ["at_config", "graph_totals", "results", "same", "score", "unit_totals"]


def unit_totals(templates: Templates, configurations: Configurations, workers: int = 1, scheduler: Any = None) -> Totals:
    """The totals of each unit of ``templates`` (in the order of their spans) on every
    configuration: fields ``(configs, units)``, MACs and parameters ``(units,)``."""
    from hwsim.simulate import layer_arrays

    return configuration_unit_totals(layer_arrays(templates.reference), templates.spans, configurations, workers, scheduler)


def graph_totals(graph: LayerGraph, configurations: Configurations) -> Totals:
    """The totals of a whole graph on every configuration, as one unit: fields ``(configs, 1)``."""
    from hwsim.simulate import layer_arrays

    return configuration_unit_totals(layer_arrays(graph), ((0, len(graph.layers)),), configurations)


def at_config(units: Totals, config: int) -> Totals:
    """The units' totals on configuration ``config``: fields ``(units,)``."""
    return Totals(**{name: _column(getattr(units, name), config) for name in TOTAL_FIELDS})


def _column(value: Any, config: int) -> Any:
    value = np.asarray(value)
    return value[config] if value.ndim == 2 else value


def results(candidates: Sequence[Candidate], totals: Totals, configurations: Configurations, config: int,
            accuracy: Mapping[Candidate, float] | None = None) -> list[CandidateResult]:
    """One row per candidate on configuration ``config`` (``totals`` holds one value per
    candidate): latency in ms at the configuration's clock, energy in uJ, utilization = MACs /
    (cycles x PEs), the configuration's area, the measured accuracy when ``accuracy`` has one."""
    latency_ms = totals.latency_ms(configurations.clock_mhz[config])
    utilization = totals.utilization(configurations.pes[config])
    area = float(configurations.area_mm2[config])
    measured = [None] * len(candidates) if accuracy is None else [accuracy.get(c) for c in candidates]
    return [
        CandidateResult(c, int(cy), float(ms), float(e) / 1e6, float(u), int(m), int(p), area, config, a)
        for c, cy, ms, e, u, m, p, a in zip(candidates, totals.cycles, latency_ms, totals.energy_pj, utilization,
                                            totals.macs, totals.params, measured)
    ]


def score(family: Family, candidates: Sequence[Candidate], units: Totals, configurations: Configurations, config: int,
          accuracy: Mapping[Candidate, float] | None = None) -> list[CandidateResult]:
    """Every candidate (of one variant) on configuration ``config``, from its unit counts and the
    units' totals there (:func:`at_config`)."""
    counts = family.counts(np.array([c.blocks for c in candidates], dtype=np.int64))
    return results(candidates, units.combine(counts), configurations, config, accuracy)


def same(a: CandidateResult, b: CandidateResult) -> bool:
    """Equal cycles, MACs and parameters, and energy within float rounding."""
    same_counts = (a.cycles, a.macs, a.params) == (b.cycles, b.macs, b.params)
    return same_counts and math.isclose(a.energy_uj, b.energy_uj, rel_tol=1e-9)
