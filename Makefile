# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Running needs only the runtime dependencies; the test tools come with `make test`.
RUNTIME := $(VENV)/.runtime-stamp
STAMP   := $(VENV)/.installed-stamp
PORT    ?= 8000
PIP     := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run demo test lint unit fuzz openapi bench lock lock-upgrade clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "profilephoto needs Python 3.11+ (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(VENV)/bin/python
	$(PIP) -e .
	@touch $(RUNTIME)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) -e '.[dev]'
	@touch $(STAMP) $(RUNTIME)

run: $(RUNTIME)
	$(VENV)/bin/profilephoto serve --port $(PORT)

demo: $(RUNTIME)
	$(VENV)/bin/profilephoto demo --out profilephoto-result.png

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

# pytest exits 5 when it collects no test; that is not a failure of the build. The suite
# spreads over the machine's cores, a whole test file to a worker: a module's fixtures (a
# moto server, a local server, the face models) are made once. Not `--dist loadgroup`: with
# pytest 9.2 it silently stops grouping (pytest-xdist issue #1386, open on 2026-12-04).
# Files go out in collection order (e2e's servers first, the many quick unit tests last to
# fill in), not xdist's default of most tests first, which leaves the few slow ones (the
# likeness set, the shipped installs) for a tail on one worker.
PYTEST_WORKERS ?= auto
test: lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder; status=$$?; \
		[ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

# The fuzz suites, the fault suites and Schemathesis at FUZZ_SCALE times the size
# `make test` runs, with a new seed every run (a failure prints how to reproduce it).
FUZZ_SCALE ?= 20
fuzz: $(STAMP)
	FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest tests/fuzz tests/faults tests/e2e/test_schemathesis.py \
		-q -p no:cacheprovider --timeout=7200

# Rewrites docs/openapi.json from the handlers' routes and models (a test keeps them equal).
openapi: $(RUNTIME)
	$(PY) -m profilephoto.entrypoints.aws_lambda.openapi > docs/openapi.json

bench: $(STAMP)
	$(PY) benchmarks/run.py

# The Lambda layer's and the worker image's installs, pinned with hashes for the Lambda
# runtime (Python 3.12 on Amazon Linux 2023, arm64): layer/Makefile and worker/Dockerfile
# install the locks with --require-hashes. `make lock` keeps the pins a requirement file
# still allows; `make lock-upgrade` moves every pin to the newest release allowed.
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.12 \
	--python-platform aarch64-manylinux_2_28 --custom-compile-command "make lock" \
	-c lock-constraints.txt
lock: $(STAMP)
	$(LOCK) $(LOCK_FLAGS) layer/requirements.txt -o layer/requirements.lock
	$(LOCK) $(LOCK_FLAGS) worker/requirements.txt -o worker/requirements.lock

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
