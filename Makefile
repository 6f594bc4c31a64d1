# nn-basics: `make lab` opens the course, `make test` checks it.
# Everything is installed into .venv from a bare python3.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Without an NVIDIA GPU, torch is installed first as a CPU build, so pip does
# not pull the multi-GB CUDA build.  The CPU package index is used when it is
# reachable; otherwise pip finds the pinned version where it is configured to
# look (on the course's CI machines: a local CPU wheel).
TORCH_CPU       ?= torch==2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

# The offline copy of the notMNIST sample beside the repository (CI, a
# classroom); a user's own NN_BASICS_MIRROR setting wins.
SHARED_MIRROR := $(wildcard $(abspath $(CURDIR)/../shared/data/notmnist-idx))
ifneq ($(SHARED_MIRROR),)
export NN_BASICS_MIRROR ?= $(SHARED_MIRROR)
endif

LAB_ARGS ?=
PYTEST_ARGS ?=

.PHONY: install lab test test-utils test-notebooks outputs stamp figures benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then \
	  echo "NVIDIA GPU found: torch comes with CUDA from PyPI"; \
	elif $(PY) -c "import urllib.request as u; u.urlopen('$(TORCH_CPU_INDEX)/torch/', timeout=5)" 2>/dev/null; then \
	  echo "No NVIDIA GPU: installing $(TORCH_CPU) from $(TORCH_CPU_INDEX)"; \
	  $(PY) -m pip install --quiet "$(TORCH_CPU)" --extra-index-url $(TORCH_CPU_INDEX); \
	else \
	  echo "No NVIDIA GPU: installing $(TORCH_CPU)"; \
	  $(PY) -m pip install --quiet "$(TORCH_CPU)"; \
	fi
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# utils tests, harness tests, then every notebook under nbval in fast mode.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-utils: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	$(PY) -m pytest notebooks $(PYTEST_ARGS)

# Re-execute every notebook in place in full mode, so committed outputs are real.
outputs: $(STAMP)
	$(PY) -m tools.run_notebooks $(NOTEBOOKS)

# Stamp the shared top (badges, Colab bootstrap) into every notebook.
stamp: $(STAMP)
	$(PY) -m tools.stamp_notebooks

# Redraw the figures the lessons' prose shows (images/).
figures: $(STAMP)
	$(PY) -m tools.make_figures

# Lesson 05's measurement: the course sources' pipeline against both tracks'
# final models on one split of the notMNIST sample (accuracy, training time).
benchmark: $(STAMP)
	$(PY) -m tools.benchmark_notmnist

clean:
	rm -rf $(VENV) .pytest_cache
