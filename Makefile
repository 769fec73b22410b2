# Everything a newcomer needs: `make demo` runs the main job, `make test` the whole suite.
# Both build the virtual environment from nothing (python3 + the package registry).
VENV ?= .venv
BIN := $(VENV)/bin
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_LOGGING_LEVEL ?= WARNING
# Bytecode is compiled at install (--compile-bytecode) and cached for our own modules: with this machine's
# PYTHONDONTWRITEBYTECODE=1 every process (each `xinyu` command, Prefect API, worker, test) recompiled Prefect
# and the app from source — `import prefect, prefect.server.api.server, sqlmodel, fastapi`: 11.7 s → 6.0 s.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test lint unit bench bench-dispatch bench-chase bench-web bench-workers bench-ledgers bench-peer bench-faults bench-year bench-province venv clean browser

venv: $(VENV)/.installed

# Exactly the versions in uv.lock (--frozen: never re-resolved here; README "Dependencies" updates the lock).
UV_VERSION := 0.13.9
UV_SYNC = UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(VENV) $(BIN)/uv sync -q --frozen --inexact --compile-bytecode --extra dev

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)
	$(UV_SYNC)
	touch $@

# The benchmarks' extra packages (the peer engine), only for `make bench-peer`.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(UV_SYNC) --extra bench
	touch $@

demo: venv
	$(BIN)/xinyu demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy xinyu models flows notifications web

# The suite runs twice, side by side: on a SQLite file and on this machine's PostgreSQL.
test: venv lint
	scripts/ensure-postgres
	scripts/ensure-browser
	BIN=$(BIN) scripts/test-both

# Debian's Chromium and a CJK font for the browser tests (apt-get; never `playwright install`).
browser:
	scripts/ensure-browser

bench: venv
	$(BIN)/python bench/month_lifecycle.py

# The outbox: 5,000 emails against smtplib one connection per message, then SIGKILL fault runs.
bench-chase: venv
	$(BIN)/python bench/chase_days.py

bench-dispatch: venv
	$(BIN)/python bench/dispatch_email.py
	$(BIN)/python bench/dispatch_faults.py

# The board, my-tasks and inbox pages of 300 schools after a school year, against naive per-row twins.
bench-web: venv
	$(BIN)/python bench/web_pages.py

# Signed-in throughput of `xinyu serve --workers 1, 2, 4 --no-scheduler`, PostgreSQL then SQLite (ratios vs 1 worker).
bench-workers: venv
	scripts/ensure-postgres
	$(BIN)/python bench/web_workers.py

# Ledger pages A, B, D and the QD-2 coverage page of a 3,000-student school after a year, against naive twins.
bench-ledgers: venv
	scripts/ensure-postgres
	$(BIN)/python bench/ledger_pages.py --pg

# The fault table (issue 5): every injector of tests/faults, 20 times each, on SQLite then PostgreSQL.
bench-faults: venv
	$(BIN)/python bench/fault_table.py --times 20
	$(BIN)/python bench/fault_table.py --times 20 --pg

# Our cycle core side by side with SpiffWorkflow (the bench extra): 200 schools' month, SQLite then PostgreSQL.
bench-peer: $(VENV)/.bench-installed
	scripts/ensure-postgres
	$(BIN)/python bench/peer_spiff.py --pg

# A school year of 150, 500 and 1,500 schools × 30 classes through xinyu simulate: cost per school-month and
# its growth, SQLite then PostgreSQL (SIZES=150,500 MONTHS=2 ORCHESTRATOR=direct to make it shorter).
bench-year: venv
	scripts/ensure-postgres
	$(BIN)/python bench/year_scale.py --sizes $(or $(SIZES),150,500,1500) --months $(or $(MONTHS),10) \
		--orchestrator $(or $(ORCHESTRATOR),embedded) --pg

clean:
	rm -rf $(VENV) .prefect xinyu.db* outbox

# A province on the Prefect server (PostgreSQL): the heaviest days at 10,000 schools with 1, 2 and 4 workers
# (the city and the days' states are cached databases; `--schools 300` for a quick run).
bench-province: venv
	scripts/ensure-postgres
	$(BIN)/python bench/province.py
