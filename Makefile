# sekisho — two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-run
DEVSTAMP := $(VENV)/.installed-dev
NERSTAMP := $(VENV)/.installed-ner

.PHONY: run test lint typecheck unit bench eval ner clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "sekisho needs $(PYTHON) (Debian: apt-get install python3 python3-venv libmagic1)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev,postgres,redis]'
	touch $@ $(STAMP)

# Optional: GiNZA named-entity recognition for PERSON / JP_ADDRESS (about 400 MB); also the
# mail extra (pymilter for `sekisho milter`; needs libmilter-dev to build).
$(NERSTAMP): pyproject.toml | $(DEVSTAMP)
	$(PY) -m pip install -q -e '.[dev,postgres,redis,ner,hsm,mail]'
	touch $@

ner: $(NERSTAMP)

run: $(STAMP)
	$(VENV)/bin/sekisho serve

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check .

typecheck: $(DEVSTAMP)
	$(VENV)/bin/mypy core classifiers handlers keys service

# pytest exit code 5 means "no tests collected": that is a failure here, never a pass.
unit: $(DEVSTAMP)
	@$(VENV)/bin/pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

test: lint typecheck unit

bench: $(NERSTAMP)
	$(PY) -m bench.pipeline $(BENCH_ARGS)
	$(PY) -m bench.classifier $(CLASSIFIER_BENCH_ARGS)
	$(PY) -m bench.sanitise $(SANITISE_BENCH_ARGS)
	$(PY) -m bench.crypto $(CRYPTO_BENCH_ARGS)
	$(PY) -m bench.erase $(ERASE_BENCH_ARGS)
	$(PY) -m bench.disposal $(DISPOSAL_BENCH_ARGS)
	$(PY) -m bench.handling
	$(PY) -m bench.mail $(MAIL_BENCH_ARGS)
	$(PY) -m bench.mail --socket unix $(MAIL_BENCH_ARGS)

# Classifier quality on the synthetic evaluation set (issue 3): reports, exits 0;
# EVAL_ARGS=--check makes a missed target fail.
eval: $(NERSTAMP)
	$(PY) -m tests.eval.run $(EVAL_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
