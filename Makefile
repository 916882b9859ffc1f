# RoleLens: `make` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
ROLELENS := $(VENV)/bin/rolelens
MODELS ?= models
MODEL := $(MODELS)/current/metadata.json
# Labelled real postings, for evaluation only (never trained on).
DATA ?= $(wildcard ../shared/eval/dev.csv)
# Real postings of neither role (a `scope` column: out or adjacent), for eval-scope only.
SCOPE_DATA ?= $(wildcard ../shared/eval/scope_dev.csv)
TEXT_COL ?= text
LABEL_COL ?= label
# The README writes "unlabelled": UNLABELLED= must not be ignored in silence.
UNLABELED ?= $(UNLABELLED)
SOURCES := $(shell find data classifier training -type f -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: help setup train serve test eval eval-scope eval-selftrain eval-adapt label lint bench clean FORCE

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# What serving, training and labelling need; the dev tools (pytest, ruff, Playwright, Dask...) come
# on top only for test, lint and setup, so `make serve` alone installs far less.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

setup: $(VENV)/.installed-dev ## create .venv and install RoleLens with its dev tools

# A current model that fails its checks (damaged, unreadable, of an older format, for other library
# versions, or `current` leading out of $(MODELS)) is out of date whatever the timestamps say. Only the
# targets that use the model pay for the check, and only when there is a model and a .venv to check it;
# its exit status decides (a stray warning on stderr must not retrain every time).
ifneq ($(filter train serve eval label bench,$(MAKECMDGOALS)),)
MODEL_PROBLEM := $(shell test -x $(ROLELENS) && { test -e $(MODELS)/current || test -L $(MODELS)/current; } \
	&& { why=$$($(ROLELENS) check-model --quiet $(MODELS) 2>&1) || echo "$${why:-rolelens check-model failed}"; })
endif

# FORCE=1 retrains even when nothing changed; so does UNLABELED=corpus.csv (self-training).
# DATA is scored after training with LABEL_COL, and with TEXT_COL unless that names the corpus's column,
# so that `make eval DATA=mine.csv LABEL_COL=role` works when it has to retrain first.
$(MODEL): $(SOURCES) $(if $(FORCE)$(UNLABELED)$(MODEL_PROBLEM),FORCE) | $(VENV)/.installed
	$(if $(MODEL_PROBLEM),$(info retraining: the current model cannot be used ($(filter-out error:,$(MODEL_PROBLEM)))))
	$(ROLELENS) train --data data --model-dir $(MODELS) \
		$(if $(DATA),--eval "$(DATA)" --eval-label-column "$(LABEL_COL)" $(if $(UNLABELED),,--eval-text-column "$(TEXT_COL)")) \
		$(if $(UNLABELED),--unlabeled "$(UNLABELED)" --text-column "$(TEXT_COL)" $(if $(ENCODING),--encoding "$(ENCODING)")) \
		$(if $(ACCEPT),--accept)

train: $(MODEL) ## retrain when data/, classifier/ or training/ changed or the model is damaged (FORCE=1 always; UNLABELED=file.csv [TEXT_COL=text ENCODING=utf-8 ACCEPT=1] to self-train)
	@echo "current model: $$(readlink $(MODELS)/current) in $(MODELS)/"

serve: $(VENV)/.installed $(MODEL) ## train if no model is current or it fails its checks, then serve the API on 127.0.0.1:8000 (ROLELENS_WORKERS=N for N processes)
	ROLELENS_MODEL_DIR=$${ROLELENS_MODEL_DIR:-$(MODELS)} $(ROLELENS) serve

# ARGS passes more options to `rolelens label`, e.g. ARGS="--explain --workers 2".
# Without IN it only prints how to call it (no training first).
label: $(VENV)/.installed $(if $(IN),$(MODEL)) ## label a CSV or Parquet file: make label IN=jobs.csv OUT=labelled.csv [TEXT_COL=text] [ARGS=...]
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make label IN=input.csv OUT=output.csv [TEXT_COL=column] [ARGS='--explain']"; exit 2; }
	$(ROLELENS) label "$(IN)" -o "$(OUT)" --text-column "$(TEXT_COL)" --model-dir $(MODELS) $(ARGS)

# The browser tests drive Debian's Chromium: installed here when possible, else a message says how.
CHROMIUM ?= /usr/bin/chromium
test: $(VENV)/.installed-dev ## run the whole test suite (installs Debian's chromium for the browser tests when it can)
	@CHROMIUM="$(CHROMIUM)" .ci/chromium
	$(PY) -m pytest

eval: $(MODEL) ## score the current model on labelled texts: DATA=file.csv|.csv.gz|.parquet [TEXT_COL=text LABEL_COL=label ERRORS=wrong.csv]
	@test -n "$(DATA)" || { echo "error: no labelled data; run make eval DATA=path/to.csv (../shared/eval/dev.csv is used when present)"; exit 2; }
	$(ROLELENS) eval "$(DATA)" --model-dir $(MODELS) --text-column "$(TEXT_COL)" --label-column "$(LABEL_COL)" \
		$(if $(ERRORS),--errors "$(ERRORS)")

eval-scope: $(MODEL) ## how well the scope answer tells DS/ML texts (DATA) from other work (SCOPE_DATA)
	@test -n "$(DATA)" -a -n "$(SCOPE_DATA)" || { echo "error: run make eval-scope DATA=in_scope.csv SCOPE_DATA=others.csv (../shared/eval/ is used when present)"; exit 2; }
	$(PY) -m training.evaluate_scope "$(DATA)" "$(SCOPE_DATA)" --model-dir $(MODELS) --text-column "$(TEXT_COL)" --label-column "$(LABEL_COL)"

eval-selftrain: $(VENV)/.installed ## what self-training gains: learn from half of DATA's text, score the other half
	@test -n "$(DATA)" || { echo "error: no labelled data; run make eval-selftrain DATA=path/to.csv"; exit 2; }
	$(PY) -m training.halves "$(DATA)" --text-column "$(TEXT_COL)" --label-column "$(LABEL_COL)"

eval-adapt: $(VENV)/.installed ## what label --adapt gains: adapt to half of DATA's text, score the other half, and the whole set
	@test -n "$(DATA)" || { echo "error: no labelled data; run make eval-adapt DATA=path/to.csv"; exit 2; }
	$(PY) -m training.halves "$(DATA)" --adapt --text-column "$(TEXT_COL)" --label-column "$(LABEL_COL)"

PACKAGES := $(wildcard classifier training service labelling rolelens bench tests)

lint: $(VENV)/.installed-dev ## check style and common mistakes with ruff (ruff format fixes layout)
	$(VENV)/bin/ruff check $(PACKAGES)
	$(VENV)/bin/ruff format --check $(PACKAGES)

# QUICK=1 is a smaller run (under a minute); DEV=1 builds the texts from ../shared/eval/dev.csv.
bench: $(VENV)/.installed $(MODEL) ## measure speed, memory and cost growth against the issues' targets (QUICK=1, DEV=1)
	$(PY) -m bench --models $(MODELS) $(if $(QUICK),--mode quick) $(if $(DEV),--dev)

clean: ## remove trained models, caches and the virtual environment
	rm -rf $(MODELS) $(VENV) .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
