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

# Two pytest-xdist workers, whole files each: half of the suite's time is waiting (brokers, hubs
# and browsers doing their part in real time), and two workers overlap those waits. On the 2-core
# machine one process took 16 min 19 s for 8.6 min of CPU. `PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 2
test: setup lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

# A longer property-based run of every decoder and of the API (the quick one is part of
# `make test`): the same tests with SEALINK_FUZZ_SCALE times their examples.
FUZZ_SCALE ?= 50
FUZZ_TESTS := $(shell grep -l -E "fuzz_settings|@given|SCALE" tests/*.py tests/gateway/*.py | grep -v fuzzing.py)
fuzz: setup
	SEALINK_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/pytest -q -p no:cacheprovider $(FUZZ_TESTS)

bench-ingest: setup
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) var/*.db*
