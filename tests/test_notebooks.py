"""Every notebook in notebooks/ runs top to bottom on a clean kernel, and is committed without outputs.

Each notebook is executed with nbclient on the ``python3`` kernel, which must be this
interpreter (the project's .venv: jupyter_client starts a kernelspec whose argv is ``python``
with ``sys.executable``), in a temporary working directory, with a per-cell timeout. A cell
that raises fails the test. ``HWSIM_SAVE_FIGURES`` points into the temporary directory, so the
run never writes into the repository, and each notebook must save exactly its one figure there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

from hwsim.plots import FIGURES_ENV
from tests.paths import NOTEBOOKS

NOTEBOOK_DIR = NOTEBOOKS
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Seconds one cell may take on a loaded two-core machine (the slowest cells take a few seconds).
CELL_TIMEOUT_S = 120

_KERNEL_CHECK = "import sys\nprint(sys.prefix)\nprint(sys.executable)"


EXPECTED = (
    "01_per_layer_cycles",
    "02_dataflows_and_arrays",
    "03_design_space_sweep",
    "04_block_allocation_search",
    "05_simulated_vs_measured",
    "06_global_buffer",
    "07_codesign",
)


def test_notebooks_exist() -> None:
    assert tuple(path.stem for path in NOTEBOOKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    for index, cell in enumerate(code):
        assert cell.outputs == [], f"{path.name}: code cell {index} has stored outputs"
        assert cell.execution_count is None, f"{path.name}: code cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    figures = tmp_path / "figures"
    monkeypatch.setenv(FIGURES_ENV, str(figures))
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_KERNEL_CHECK))
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError naming the cell on any exception

    # the venv's python is a symlink to the base interpreter: compare prefixes, not resolved paths
    prefix, executable = "".join(o.get("text", "") for o in notebook.cells[0].outputs).split()
    assert (prefix, os.path.abspath(executable)) == (sys.prefix, os.path.abspath(sys.executable)), (
        f"the python3 kernel ran {executable} (prefix {prefix}), not this interpreter {sys.executable} ({sys.prefix})"
    )
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors
    images = sum(
        "image/png" in o.get("data", {}) for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
    )
    assert images >= 2, f"{path.name} displayed {images} figures"
    assert sorted(p.name for p in figures.iterdir()) == [f"{path.stem}.png"]
    assert not any(p for p in tmp_path.iterdir() if p.name != "figures"), "a notebook wrote into its working directory"


def _markdown(stem: str) -> str:
    notebook = nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_numbers_quoted_in_01_match_the_simulator() -> None:
    """Notebook 01's markdown works conv1 through by hand; keep its numbers true to the model."""
    from hwsim.hardware.load import load_accelerator
    from hwsim.simulate import simulate
    from hwsim.sources import load_graph

    text = _markdown("01_per_layer_cycles")
    graph = load_graph("squeezenext_23")
    conv1 = graph.layers[0]
    ws = simulate(graph, load_accelerator("ws_32x32"))
    best = simulate(graph, load_accelerator("best_32x32"))
    gemm_k = conv1.c * conv1.r * conv1.s
    assert (gemm_k, conv1.k, conv1.p * conv1.q) == (147, 64, 12321)
    # WS: ceil(147/32) x ceil(64/32) folds of 2*32 + 32 + 12321 - 2 cycles (docs/MODEL.md §2)
    assert ws.folds[0] == 10 and ws.compute_cycles[0] == 10 * (2 * 32 + 32 + 12321 - 2) - 1 == 124149
    # OS: ceil(12321/32) x 2 folds of 147 + 32 + 32 - 2 cycles
    assert best.dataflow[0] == "os" and best.compute_cycles[0] == 772 * (147 + 32 + 32 - 2) - 1 == 161347
    for quoted in ("**147**", "**10 folds**", "**0.919**", "**124,149 cycles**", "**772 folds**",
                   "**161,347 cycles**", "**54,450 cycles**", "roughly **7 MB**", "about 460k"):
        assert quoted in text, quoted
    assert round(ws.mapping_efficiency[0], 3) == 0.919
    assert 6.5e6 < ws.dram_bytes[0] < 7.5e6  # "roughly 7 MB"
    assert 440_000 < ws.cycles[0] < 480_000  # "about 460k cycles"
    assert ws.stall_cycles[0] > 2.5 * ws.compute_cycles[0]  # "almost three times its compute time"
    assert best.cycles[0] < 170_000 and best.bound[0] == "compute"  # "to about 160k cycles"
    assert ws.compute_cycles[1] == 64 * 55 * 55 * 9 // 32 == 54450  # the max-pool on 32 lanes


def test_numbers_quoted_in_06_match_the_simulator() -> None:
    """Notebook 06 quotes the SqueezeNext-23v5 and MobileNet v1 figures on ws_32x32 with a global buffer."""
    from hwsim.hardware.load import load_accelerator
    from hwsim.plots import kind_table, stage_table
    from hwsim.simulate import simulate
    from hwsim.sources import load_graph

    text = _markdown("06_global_buffer")
    for quoted in ("**13.19 MiB**", "**51.6 %**", "**1.02 MiB**", "0.96 MiB", "**11.1 %**", "**25.7 %**",
                   "**46 %**", "**3.1 %**", "**61 %**", "**70.5 %**", "from 39 % to 60 %", "0.77 MiB"):
        assert quoted in text, quoted
    base = load_accelerator("ws_32x32")
    v5 = load_graph("squeezenext_23v5")
    none, mib = simulate(v5, base), simulate(v5, base.with_overrides({"global_buffer.kib": 1024}))
    assert round(none.total_dram_bytes / 2**20, 2) == 13.19 and round(100 * none.totals.stall_cycles / none.total_cycles, 1) == 51.6
    weights = sum(layer.weight_elements for layer in v5.layers)
    assert mib.total_dram_bytes == weights + 3 * 227 * 227 + 1000  # weights, input and output
    assert round(mib.total_dram_bytes / 2**20, 2) == 1.02 and round(mib.gbuf_peak_bytes / 2**20, 2) == 0.96
    assert round(100 * mib.totals.stall_cycles / mib.total_cycles, 1) == 11.1
    assert round(v5.layers[0].output_elements / 2**20, 2) == 0.77  # conv1's output, 1-byte words
    stage1 = stage_table(mib).loc["stage 1"]
    assert (round(100 * stage1["utilization"], 1), round(100 * stage1["mapping_efficiency"])) == (25.7, 46)
    mobilenet = load_graph("mobilenet_v1")
    kinds = [kind_table(simulate(mobilenet, base.with_overrides({"global_buffer.kib": kib})), mobilenet) for kib in (0, 1024)]
    assert round(100 * kinds[0].loc["depthwise", "mac_share"], 1) == 3.1
    assert [round(100 * k.loc["depthwise", "cycle_share"], 1) for k in kinds] == [61.4, 70.5]
    assert [round(100 * k.loc["pointwise", "utilization"]) for k in kinds] == [39, 60]


def test_numbers_quoted_in_07_match_the_search() -> None:
    """Notebook 07's markdown reads the co-design tables; keep its numbers true to the search."""
    from hwsim.explore.search.run import SearchSpace, search
    from hwsim.hardware.load import load_accelerator

    text = _markdown("07_codesign")
    sets = {"array.rows": [8, 16, 32], "array.cols": [8, 16, 32], "buffers.ifmap_kib": [16, 64, 256]}
    result = search(SearchSpace(), load_accelerator("ws_32x32"), sets=sets)
    v5 = result.on_base[-1].result
    assert (v5.candidate.allocation, round(v5.area_mm2, 3)) == ("2-4-14-1", 1.603)  # ws_32x32, docs/MODEL.md §10

    def best(budget: float, max_params: int | None = None):
        return next(r for r in result.ranked if r.area_mm2 <= budget and (max_params is None or r.params <= max_params))

    # below 1.3 mm² nothing beats v5; every budget's best is 1-1-18-1, conv1 5, shortcut v5
    assert all(r.latency_ms > v5.latency_ms for r in result.ranked if r.area_mm2 <= 1.3)
    assert {best(b).candidate for b in (1.0, 1.35, v5.area_mm2, 2.8)} == {best(2.8).candidate}
    assert best(2.8).candidate.allocation == "1-1-18-1" and best(2.8).candidate.choices == (5, "v5")
    small, same, largest = best(1.35), best(v5.area_mm2), best(2.8)
    assert result.configurations.describe(small.config) == "rows 32, cols 32, ifmap_kib 16"
    assert f"**{small.area_mm2:.3f} mm²**" == "**1.312 mm²**" and round(100 * (1 - small.area_mm2 / v5.area_mm2)) == 18
    assert f"**{v5.latency_ms / small.latency_ms:.3f}x**" == "**1.045x**"
    assert f"**{v5.latency_ms / same.latency_ms:.3f}x**" == "**1.107x**" and same.area_mm2 == v5.area_mm2
    assert round(100 * (largest.area_mm2 / v5.area_mm2 - 1)) == 73
    assert round(100 * (1 - largest.latency_ms / same.latency_ms), 1) == 1.6
    within = best(v5.area_mm2, v5.params)
    assert within.candidate.allocation == "1-6-13-1" and f"{v5.latency_ms / within.latency_ms:.3f}" == "1.036"
    assert round(100 * (largest.params / v5.params - 1)) == 13
    for quoted in ("**Below 1.3 mm²**", "**1-1-18-1**", "**18 %** less area", "**1.312 mm²**", "**1.045x**",
                   "**1.107x**", "**73 %**", "**1.6 %**", "**1-6-13-1**", "**1.036x**", "**13 %**"):
        assert quoted in text, quoted
