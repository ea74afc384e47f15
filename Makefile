# Two entry points: `make demo` (index examples/kb and answer a question with citations) and `make test`.
# Both create .venv and install ragkit into it first; nothing is downloaded at run time except from PyPI.
# `make test` = ruff + mypy + prompt lint + prompt render tests + the pytest suite (unit and end-to-end).

VENV ?= .venv
PY := $(VENV)/bin/python
QUESTION ?= How many days before departure must flights be booked?
export HF_HUB_OFFLINE := 1

.PHONY: install demo lint test test-fast

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the CPU build; an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,app,peft]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/ragkit index examples/kb --index examples
	$(VENV)/bin/ragkit ask "$(QUESTION)" --index examples

lint: install
	$(VENV)/bin/ruff check ragkit tests apps benchmarks examples
	$(VENV)/bin/mypy ragkit

test: install lint
	$(VENV)/bin/ragkit prompts lint
	$(VENV)/bin/ragkit prompts test
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest -m "not integration"
