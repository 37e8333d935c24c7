# All set-up happens here: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test unit lint typecheck bench completions clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/glmctl demo

test: $(STAMP) lint typecheck unit

unit: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check glmctl tests bench
	$(BIN)/ruff format --check glmctl tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

completions: $(STAMP)
	$(BIN)/python -m glmctl.cli.completions write completions

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
