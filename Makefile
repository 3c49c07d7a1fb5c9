# Every target installs what it needs into .venv; a machine with only python3 is enough.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: test lint typecheck unit docs snippets demo bench bench-instructions fuzz iot-model clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## test: lint, type-check, unit tests with coverage, and a strict docs build
test: lint typecheck unit docs

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks tools
	$(BIN)/ruff format --check src tests examples benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy --strict src tests examples benchmarks tools

# The AWS CLI (v1, which vendors its own botocore) lives in a venv of its own, so it never
# changes the boto3 the tests import; the emulator's tests drive it as a user would.
AWSCLI := .venv-awscli
$(AWSCLI)/bin/aws:
	test -x $(AWSCLI)/bin/python || $(PYTHON) -m venv $(AWSCLI)
	$(AWSCLI)/bin/python -m pip install --quiet 'awscli==1.46.3'

# coverage runs pytest (not pytest-cov): the pytest11 plugin imports the package before
# pytest-cov would start measuring. It measures the emulator servers the tests start too.
# Two workers, one per core, each taking whole test modules, so module-scoped servers are
# started once per module as in a serial run.
unit: $(STAMP) $(AWSCLI)/bin/aws
	rm -f .coverage .coverage.*
	IOT_DETECT_MITIGATION_AWS_CLI=$(CURDIR)/$(AWSCLI)/bin/aws \
		$(BIN)/coverage run -m pytest -n 2 --dist loadfile
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

## snippets: write the code blocks of README.md and docs/ from examples/ (tests fail when stale)
snippets: $(STAMP)
	$(BIN)/python -m tools.sync_snippets

## demo: the whole job end to end against the in-process emulator
demo: $(STAMP)
	$(BIN)/python examples/demo.py

## bench: performance ratios against raw boto3, measured in the same run; polling and wire cost
# The cold start runs in a venv with the runtime dependencies only, as a Lambda package has.
RUNTIME := .venv-runtime
bench: $(STAMP)
	test -x $(RUNTIME)/bin/python || $(PYTHON) -m venv $(RUNTIME)
	$(RUNTIME)/bin/python -m pip install --quiet --force-reinstall --no-deps . && \
		$(RUNTIME)/bin/python -m pip install --quiet .
	$(BIN)/python -m benchmarks.polling
	$(BIN)/python -m benchmarks.incident
	BENCH_COLD_PYTHON=$(RUNTIME)/bin/python $(BIN)/python -m benchmarks.run

## bench-instructions: the Stubber figures in CPU instructions (valgrind), which do not drift
bench-instructions: $(STAMP)
	$(BIN)/python -m benchmarks.instructions

## iot-model: derive the trimmed iot service model the library ships from the installed botocore
iot-model: $(STAMP)
	$(BIN)/python -c "from iot_detect_mitigation._session import write_shipped_model as w; w()"

## fuzz: the long property-based run (10,000+ generated start requests)
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -p no:cacheprovider tests/test_fuzz.py -q

clean:
	rm -rf $(VENV) .venv-runtime $(AWSCLI) site .coverage .mypy_cache .ruff_cache .pytest_cache .hypothesis
