# All set-up happens here: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test unit lint typecheck bench completions clean venv real-cluster

# The conformance tier runs on a real control plane built from Go modules (harness/), and
# the tests of `lint --render-charts` on a helm built there too.
# With Go on the machine `make test` builds it (once per pin) and requires it; without Go
# those tests are skipped. .ci/run always requires it.
HAVE_GO   := $(shell command -v go 2>/dev/null)
REAL_TIER ?= $(if $(HAVE_GO),required,optional)
REAL_DEPS := $(if $(filter required,$(REAL_TIER)),real-cluster,)

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/glmctl demo

test: $(STAMP) lint typecheck unit

unit: $(STAMP) $(REAL_DEPS)
	GLMCTL_REAL_TIER=$(REAL_TIER) $(BIN)/pytest -q -p no:cacheprovider

real-cluster: $(STAMP)
	$(BIN)/python harness/build.py

lint: $(STAMP)
	$(BIN)/ruff check glmctl tests bench harness
	$(BIN)/ruff format --check glmctl tests bench harness

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

completions: $(STAMP)
	$(BIN)/python -m glmctl.cli.completions write completions

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
