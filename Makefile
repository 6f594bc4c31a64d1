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

.PHONY: install lab test test-full test-utils test-notebooks outputs stamp figures benchmark clean

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

# Every notebook under nbval in full mode, as a learner runs it: every
# full-mode assert and every stored-output comparison (about 10 min on 2 cores).
test-full: $(STAMP)
	$(PY) -m pytest notebooks --full-mode $(PYTEST_ARGS)

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

# ---- The course website (issue 16) -------------------------------------------
# `make site` renders the committed notebooks as a static site (Sphinx +
# MyST-NB, nothing is executed) into _build/site; `make test-site` reads it in
# headless Chromium.  Their packages (requirements-site.txt) go into the same
# .venv, without torch or TensorFlow.
SITE_STAMP := $(VENV)/.site-installed
SITE_SRC   := _build/site-src
SITE_OUT   := _build/site
SPHINXOPTS ?=

.PHONY: site test-site

$(SITE_STAMP): requirements-site.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-site.txt
	touch $(SITE_STAMP)

# The sources are laid out as the site has them (README.md beside index.md,
# notebooks/, images/); warnings (a broken link, a missing image) fail the build.
site: $(SITE_STAMP)
	rm -rf $(SITE_SRC) $(SITE_OUT) _build/site-doctrees
	mkdir -p $(SITE_SRC)
	cp -p site/index.md README.md $(SITE_SRC)/
	cp -Rp notebooks images $(SITE_SRC)/
	$(PY) -m sphinx -b html -c site -d _build/site-doctrees -q -W --keep-going \
	  $(SPHINXOPTS) $(SITE_SRC) $(SITE_OUT)
	@echo "Сайт собран: $(SITE_OUT)/index.html"

# Chromium and chromedriver come from the OS packages: installed here when
# missing and we are root with apt-get, otherwise a message says what to do.
test-site: site
	@if [ -z "$$NN_CHROMIUM$$NN_CHROMEDRIVER" ] && ! { command -v chromedriver && \
	    { command -v chromium || command -v chromium-browser || command -v google-chrome; }; } >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "test-site: ставлю chromium и chromium-driver из пакетов ОС"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "test-site: нужны Chromium и chromedriver. Поставьте их (Debian/Ubuntu: sudo apt-get install chromium chromium-driver) или задайте пути в NN_CHROMIUM и NN_CHROMEDRIVER." >&2; \
	    exit 1; \
	  fi; \
	fi
	$(PY) -m pytest site/tests -p no:cacheprovider -o addopts= $(PYTEST_ARGS)
