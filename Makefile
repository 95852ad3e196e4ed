# Two commands set everything up on a fresh machine:
#   make demo   — install into .venv and run the demo (1,000,000 customers on DuckDB)
#   make test   — install into .venv, run the examples' own tests (segdsl test) and the whole test suite
#   make bench  — install into .venv and run the benchmark, which rewrites BENCHMARKS.md
#                 (long: 100 k, 1 M and 10 M customers; make bench BENCH=--quick for a short run)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test bench install

$(BIN)/segdsl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[all,dev]"
	# Byte-compile once: where PYTHONDONTWRITEBYTECODE is set, every start would compile from source.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib segdsl > /dev/null || true
	touch $(BIN)/segdsl

install: $(BIN)/segdsl

demo: install
	$(BIN)/segdsl demo

test: install
	$(BIN)/segdsl test examples/
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks $(BENCH)
