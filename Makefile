# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck bench bench-streams bench-workers clean system-packages

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Reinstall only when the project's metadata changes.
$(STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	# The 2023-era SDK, kept apart from the current one; tests run it with PYTHONPATH.
	$(BIN)/python -m pip install -q --target $(VENV)/legacy-openai "openai==0.28.1"
	# Frameworks whose openai pin differs from the current one, each apart with its own openai (PYTHONPATH).
	$(BIN)/python -m pip install -q --target $(VENV)/instructor "instructor>=1.6"
	$(BIN)/python -m pip install -q --target $(VENV)/llamaindex "llama-index-llms-openai>=0.4" "llama-index-core>=0.12"
	# The Node SDK and the Vercel AI SDK, for the tests that drive the server from Node (skipped where Node is absent).
	if command -v npm >/dev/null; then npm install -s --no-audit --no-fund --prefix $(VENV)/node openai ai @ai-sdk/openai; fi
	# Bytecode written once, here: where PYTHONDONTWRITEBYTECODE is set, every start would otherwise compile
	# every module again (half of a cold start, bench/RESULTS.md).
	$(BIN)/python -m compileall -q -j 0 mockapi "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null || true
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mockapi serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check mockapi tests $(wildcard bench)
	$(BIN)/ruff format --check mockapi tests $(wildcard bench)
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian packages some tests need (a decoder, later servers and a browser), where apt-get can run.
system-packages:
	bash .ci/system-packages.sh

test: lint typecheck system-packages
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	bash bench/run.sh

# Thousands of paced streams held at once by one process (bench/paced_streams.py).
bench-streams: $(STAMP)
	cd bench && ../$(BIN)/python paced_streams.py --streams 5000 --tokens 100 --cmd "../$(BIN)/python -m mockapi serve"

# --workers 1 against --workers 2 with their state shared (bench/scaling.sh).
bench-workers: $(STAMP)
	bash bench/scaling.sh

clean:
	rm -rf $(VENV) build dist *.egg-info
