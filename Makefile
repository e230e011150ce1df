# Two commands do everything on a fresh machine with Python >= 3.11 and pip:
#   make report   set up, then run the default calibration on the bundled data into reports/
#   make test     set up, then lint + unit tests + notebook execution
# An already active virtualenv or conda env is used as it is; otherwise .venv/ is created here.

SHELL := /bin/bash
PYTHON_BOOT ?= python3
ifdef VIRTUAL_ENV
  PY := $(VIRTUAL_ENV)/bin/python
  STAMP := $(VIRTUAL_ENV)/.riskkit-installed
else ifdef CONDA_PREFIX
  PY := $(CONDA_PREFIX)/bin/python
  STAMP := $(CONDA_PREFIX)/.riskkit-installed
else
  PY := .venv/bin/python
  STAMP := .venv/.riskkit-installed
endif
PYTEST_WORKERS ?= 2
CONFIG ?= configs/default.yaml

.PHONY: setup report test lint format unit notebooks benchmark book clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x "$(PY)" ]; then echo "creating virtual environment .venv"; $(PYTHON_BOOT) -m venv .venv; fi
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e ".[dev]"
	@touch $@

report: $(STAMP)
	$(PY) -m riskkit calibrate --config $(CONFIG)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

unit: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not notebook"

notebooks: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m notebook

test: lint $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal --timeout=900 --durations=15

# The course as a static web site in book/_build/html/ (Jupyter Book 2 on Node.js >= 18, offline;
# notebooks executed once and cached in book/_build/executed/). See scripts/build_book.py.
book: $(STAMP)
	$(PY) scripts/build_book.py

benchmark: $(STAMP)
	$(PY) benchmarks/rolling_backtest.py
	$(PY) benchmarks/rolling_backtest.py --workers 2
	$(PY) benchmarks/intraday_rolling.py
	$(PY) benchmarks/portfolio_scale.py
	$(PY) benchmarks/validation.py
	$(PY) benchmarks/scaling.py
	$(PY) benchmarks/ml_challengers.py
	$(PY) benchmarks/anomaly.py

clean:
	rm -rf reports .pytest_cache .ruff_cache book/_build
