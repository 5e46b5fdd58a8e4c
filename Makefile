# gongjian: make run (default forecast), make test (lint, types, tests), make docs, make bench.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test test-slow mutants lint docs bench clean fonts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Chinese labels in charts need a CJK font. Install Debian's Noto CJK when none is present and
# we are root (CI); otherwise, or if apt fails, charts fall back to English labels (one warning).
fonts:  ## install a CJK font for Chinese chart labels (non-fatal)
	@if fc-list 2>/dev/null | grep -qi "CJK\|WenQuanYi\|Source Han"; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1)) || \
		echo "fonts: could not install fonts-noto-cjk; charts will use English labels"; \
	else echo "fonts: no CJK font and not root; charts will use English labels (apt-get install fonts-noto-cjk)"; fi

# One run directory for the forecast and its report (RUN_DIR=... to choose it; a sweep, -m,
# is not for `make run`: python -m sim -m ..., then python -m analysis report multirun/...).
ifndef RUN_DIR
RUN_DIR := outputs/$(shell date +%Y-%m-%d/%H-%M-%S)
endif

run: $(VENV)/.installed fonts  ## the default Huai'an 2023 forecast, then its report (report.html, report.xlsx)
	$(BIN)/python -m sim hydra.run.dir=$(RUN_DIR) $(ARGS)
	$(BIN)/python -m analysis report $(RUN_DIR)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# Tests run on every core (pytest-xdist); a module's tests stay on one worker (module fixtures).
PYTEST_PARALLEL ?= -n auto --dist loadscope

test: lint fonts  ## lint, type-check, and the default (fast) test suite
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

test-slow: $(VENV)/.installed-test  ## the slow statistical and end-to-end tests
	$(BIN)/python -m pytest -q -m slow $(PYTEST_PARALLEL)

# Issue 24: each known break (a lever inert, the counting window shifted, CRN broken, a
# conservation term dropped, the size priority ignored, chunk-dependent results) applied to a copy
# of the repo must fail the default suite; prints "killed K of N", fails if any survives.
mutants: $(VENV)/.installed-test  ## the mutation check of the default suite (tests/mutants.py)
	$(BIN)/python -m tests.mutants $(ARGS)

# The manual (docs/, mkdocs.yml): --strict turns a broken link or anchor into an error (CI runs it).
docs: $(VENV)/.installed-test  ## build the manual into .site/ (mkdocs, --strict)
	$(BIN)/mkdocs build --strict --site-dir .site

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) outputs multirun .site .pytest_cache .mypy_cache .ruff_cache
