# Two commands on a fresh clone: `make demo` (the whole pipeline on the built-in sample site) and `make test`.
# Both create .venv and install reviewmine into it first, with the dev extra, which includes the nlp and train
# extras (pyproject.toml): everything a newcomer needs. torch is pinned to the CPU build first so that the nlp
# extra's range (torch>=2.3,<2.14) is already satisfied and pip pulls no CUDA packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test install lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/reviewmine demo

test: lint  # style drift fails here, before the suite runs
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium) \
		|| echo "note: chromium could not be installed; the report's browser check will be skipped"
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| (apt-get update && apt-get install -y postgresql) \
		|| echo "note: postgresql could not be installed; the PostgreSQL store tests will be skipped"
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check reviewmine tests benchmarks
	$(BIN)/ruff format --check reviewmine tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
