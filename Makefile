# Two entry points for a fresh clone: `make demo` (main job on bundled data) and `make test`.
# Each creates .venv on first use, installs the CPU build of torch and the package, then runs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tsheads-installed
TORCH_VERSION ?= 2.13.0
AEON_VERSION ?= 1.6.0
# extra pip arguments for torch, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# on a machine whose package index would otherwise serve the CUDA build
TORCH_PIP_ARGS ?=

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION) $(TORCH_PIP_ARGS)
	$(PY) -m pip install --quiet -e '.[dev]'
	# KDD-TSAD 135 ships in aeon's data folder; only the data is read, so none of aeon's dependencies
	$(PY) -m pip install --quiet --no-deps aeon==$(AEON_VERSION)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m tsheads demo $(ARGS)

test: $(STAMP)
	$(PY) -m ruff check tsheads tests datasets evaluation examples
	$(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
