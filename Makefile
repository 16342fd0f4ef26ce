# Two commands set everything up on a fresh machine:
#   make demo   - replay the bundled recorded crawls into data/demo.duckdb and print the analysis
#   make test   - run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB := data/demo.duckdb
DB ?= data/marketplace.duckdb

.PHONY: demo test test-slow fingerprint crawl browser lint bench bench-replay bench-trust bench-analysis bench-browser bench-classify bench-evidence clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

# A Chromium for scrapy-playwright: an existing one (CHROMIUM_PATH or /usr/bin/chromium), else
# Debian's package when we are root with apt, else Playwright's own download.
browser: $(STAMP)
	@if [ -n "$$CHROMIUM_PATH" ] && [ -x "$$CHROMIUM_PATH" ]; then echo "browser: $$CHROMIUM_PATH"; \
	elif [ -x /usr/bin/chromium ]; then echo "browser: /usr/bin/chromium"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null && echo "browser: installed Debian chromium"; \
	else $(PY) -m playwright install chromium; fi

demo: $(STAMP) browser
	$(PY) -m marketplace_spiders.demo --db $(DEMO_DB)

test: $(STAMP) browser
	$(PY) -m pytest

# The multi-process fault tests (real crawls and ingests: kill -9, locks, full disks, hostile recordings,
# dead networks), kept out of the default suite for its time; .ci/run runs them too.
test-slow: $(STAMP) browser
	$(PY) -m pytest -m slow

# Golden fingerprint of the demo database (tests/test_demo_database.py); regenerate only for an intended change.
fingerprint: $(STAMP)
	$(PY) -m analysis.demo_fingerprint

crawl: $(STAMP) browser
	$(VENV)/bin/scrapy crawlall -s DUCKDB_PATH=$(DB)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Benchmarks print figures (they are not tests); each takes minutes.
bench: bench-replay bench-trust bench-analysis bench-browser bench-classify bench-evidence

bench-replay: $(STAMP)
	$(PY) bench/replay_benchmark.py

# The evidence archive's cost: replay with archiving off / on / on + WACZ, bytes per 1,000 WB listings, bytes per
# 100 browser pages with and without screenshots
bench-evidence: $(STAMP) browser
	$(PY) bench/evidence_benchmark.py --profile

bench-trust: $(STAMP)
	$(PY) bench/trust_benchmark.py
	FUZZ_EXAMPLES=500 $(PY) -m pytest -q tests/test_fuzz_pages.py

bench-analysis: $(STAMP)
	$(PY) bench/analysis_benchmark.py

bench-browser: $(STAMP) browser
	$(PY) bench/browser_benchmark.py --blocking both

bench-classify: $(STAMP)
	$(PY) bench/classify_benchmark.py

clean:
	rm -rf data reports
