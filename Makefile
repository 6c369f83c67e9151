# TownBrain — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
TB := $(VENV)/bin/townbrain
STAMP := $(VENV)/.installed-stamp
DB ?= data/town.gpkg
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: install run test bench soak system-deps pg-start pg-stop demo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@touch $(STAMP)

$(DB): | $(STAMP)
	$(TB) demo --out $(DB)

demo: install
	$(TB) demo --out $(DB)

## make run: install, generate the demo town once, serve the dashboard with the live simulator
run: install $(DB)
	$(TB) user bootstrap --db $(DB) --out data/first-accounts.txt
	$(TB) serve --db $(DB) --host $(HOST) --port $(PORT) --simulate

system-deps:
	@scripts/system_deps.sh

pg-start:
	@scripts/pg_throwaway.sh start

pg-stop:
	@scripts/pg_throwaway.sh stop

## make test: system packages (root on Debian), a throw-away PostGIS, the whole suite with browser tests
test: install system-deps
	@url=$$(scripts/pg_throwaway.sh start) && \
	  TOWNBRAIN_TEST_PG=$$url $(PY) -m pytest $(PYTEST_ARGS)

## make bench: every benchmark prints a table and writes JSON under bench/results/
bench: install system-deps $(DB)
	@url=$$(scripts/pg_throwaway.sh start) && \
	  $(PY) -m bench.read_points --pg $$url && \
	  $(PY) -m bench.assign --points 1000000 --pg $$url --out bench/results/assign.json && \
	  $(PY) -m bench.assign --points 10000000 --pg $$url --out bench/results/assign_10m.json && \
	  $(PY) -m bench.kpi --db $(DB) && \
	  $(PY) -m bench.load --rows 1000000 && \
	  $(PY) -m bench.map_render --db $(DB) && \
	  $(PY) -m bench.ui --db $(DB) && \
	  $(PY) -m bench.access --db $(DB) && \
	  $(PY) -m bench.export --db $(DB) && \
	  $(PY) -m bench.notebook --db $(DB) && \
	  $(PY) -m bench.ingest --pg $$url --out bench/results/ingest.json && \
	  $(PY) -m bench.ingest --restart-at 30 --out bench/results/ingest_restart.json

## make soak: the server of make run with a rotating wall for an hour; RSS a minute, plot in docs/ (issue 15)
soak: install system-deps $(DB)
	$(PY) -m bench.soak --minutes 60 --db $(DB)

clean:
	rm -rf $(VENV) .pgtest .pytest_cache
