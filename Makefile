# Two commands set everything up on a fresh machine:
#   make demo   — install into .venv and run the demo (1,000,000 customers on DuckDB)
#   make test   — install into .venv and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test bench install

$(BIN)/segdsl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $(BIN)/segdsl

install: $(BIN)/segdsl

demo: install
	$(BIN)/segdsl demo

test: install
	$(BIN)/python -m pytest -q
