# Quick start:  make profile   (install + hwsim profile squeezenext_23v5 --accel ws_32x32)
#               make test      (install + the whole test suite)
# Everything installs into the project-local .venv/.
#
# TORCH_INDEX_URL: the package index torch is installed from. Empty (the default) uses pip's
# configured index, as on machines whose index serves CPU wheels. On an ordinary machine, where
# PyPI's torch is the multi-GB CUDA build, point it at PyTorch's CPU wheels:
#     make test TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
PYTHON ?= python3
TORCH_INDEX_URL ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install profile test bench graphs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, from TORCH_INDEX_URL when set (the CPU wheels; see the top of this file).
	$(BIN)/python -m pip install -q $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

profile: $(STAMP)
	$(BIN)/hwsim profile squeezenext_23v5 --accel ws_32x32

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

graphs: $(STAMP)
	$(BIN)/python -m hwsim.sources.zoo --regenerate
	$(BIN)/python -m hwsim.hardware.shipped --regenerate
	$(BIN)/python -m hwsim.explore.search.families.shipped --regenerate

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
