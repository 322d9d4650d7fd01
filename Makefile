# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit setup clean bench-ingest fuzz

$(VENV)/.installed: pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh $(VENV)
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/sealink demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check seaLink simulators gateway bench tests

typecheck: setup
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# A longer property-based run of every decoder (the quick one is part of `make test`).
fuzz: setup
	SEALINK_FUZZ_EXAMPLES=20000 $(BIN)/pytest -q -p no:cacheprovider tests/test_wire_fuzz.py

bench-ingest: setup
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) var/*.db*
