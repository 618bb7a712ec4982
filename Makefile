# voxcas developer tasks. Every target creates or refreshes the virtual environment itself,
# so `make demo` and `make test` work on a fresh machine with only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test stress lint bench docs clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m voxcas.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not stress"

stress: $(STAMP)
	$(BIN)/python -m pytest -q -m stress

lint: $(STAMP)
	$(BIN)/ruff check voxcas tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench --report bench/report.md

docs: $(STAMP)
	$(BIN)/python -m voxcas.primitives.docgen docs/primitives.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
