# Quick start:  make profile   (install + hwsim profile squeezenext_23v5 --accel ws_32x32)
#               make test      (install + the whole test suite)
# Everything installs into the project-local .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install profile test bench graphs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU build of torch first (a bare `torch` would pull a multi-GB CUDA build).
	$(BIN)/python -m pip install -q torch==2.13.0
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
