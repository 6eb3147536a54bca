# Two commands on a fresh machine: `make run` and `make test`.
# Everything else here is what those two need.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The first Python >= 3.12 on PATH; pyenv's shims honour .python-version (3.13).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: run test test-browser lint check-deploy clean system-packages test-packages test-tools fonts

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (3.13 recommended); none was found on PATH." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# Debian packages, installed with apt-get where missing when we are root on Debian; elsewhere the
# command to run is printed and what needs them does without (or skips, saying why) until then.
# $(call debs,<packages>,<what they are for>)
define debs
	@missing=$$(for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || echo $$package; done); \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing" $$missing "$(2)"; \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing $(2): sudo apt-get install -y" $$missing >&2; \
	  fi; \
	fi
endef

# WeasyPrint (PDFs of briefs) needs Pango and HarfBuzz; the site runs without PDFs until they are there.
WEASYPRINT_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system-packages:
	$(call debs,$(WEASYPRINT_DEBS),for PDFs of briefs)

# The caching tests start a real Varnish (deploy/varnish/default.vcl, xkey from varnish-modules) on a
# loopback port; without it they skip, saying why (REQUIRE_VARNISH=1, as in CI, makes them fail).
VARNISH_DEBS := varnish varnish-modules
test-packages: system-packages
	$(call debs,$(VARNISH_DEBS),for the Varnish tests)

# axe-core (npm, pinned) for the accessibility scan in the browser tests. Without npm the scan
# skips, saying why; under REQUIRE_BROWSER=1 (CI) it fails instead.
test-tools:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "npm not found: the accessibility scan will be skipped (apt-get install -y nodejs npm)." >&2; fi

# Serve the site locally with demo content, a superuser and a task worker.
# `make run PORT=8001` when 8000 is taken; links in emails follow the port.
PORT ?= 8000
run: export DEBUG ?= 1
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed system-packages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_local_superuser
	@echo "Serving on http://127.0.0.1:$(PORT) (admin: http://127.0.0.1:$(PORT)/admin/). Ctrl-C stops the site and the worker."
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --interval 1 & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT); \
	wait

# The whole suite: on SQLite by default, on PostgreSQL with DATABASE_URL set.
# Browser tests run here too; they skip (saying why) where Chromium is missing.
test: $(VENV)/.installed-dev test-packages test-tools
	$(PY) -m pytest $(PYTEST_ARGS)

test-browser: $(VENV)/.installed-dev test-packages test-tools
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# Prettier (from the npm registry, pinned in package-lock.json) checks our JavaScript and CSS.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make lint needs Node.js and npm (apt-get install -y nodejs npm)." >&2; exit 1; }
	npm ci --silent
	touch $@

lint: $(VENV)/.installed-dev node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npx --no-install prettier --check .

# The two web fonts, cut down to what the pages use: Latin text and
# punctuation (and, in files a page loads only when it needs them, the rest
# of Latin), weights 400 to 700, no italic (browsers slant the upright for the
# few italic captions). Sources are the pinned @fontsource-variable packages
# in package-lock.json; the results are committed in static/vendor/fonts.
FONT_SOURCES := node_modules/@fontsource-variable
FONT_DIR := static/vendor/fonts
LATIN := U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+2000-206F,U+20AC,U+2122,U+2190-2193,U+2212
LATIN_EXT := U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+1E00-1E9F,U+1EF2-1EFF,U+20A0-20AB,U+20AD-20C0,U+2C60-2C7F,U+A720-A7FF
fonts: $(VENV)/.installed-dev node_modules/.installed
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for face in inter source-serif-4; do \
	  for part in latin latin-ext; do \
	    if [ $$part = latin ]; then range="$(LATIN)"; else range="$(LATIN_EXT)"; fi; \
	    $(PY) -m fontTools.varLib.instancer -q -o "$$tmp/$$face-$$part.ttf" \
	      "$(FONT_SOURCES)/$$face/files/$$face-$$part-wght-normal.woff2" wght=400:700; \
	    $(PY) -m fontTools.subset "$$tmp/$$face-$$part.ttf" --unicodes="$$range" --flavor=woff2 \
	      --layout-features='kern,liga,calt,ccmp,locl,mark,mkmk,tnum,lnum' --no-hinting --desubroutinize \
	      --output-file="$(FONT_DIR)/$$face-$$part-400-700.woff2"; \
	    echo "$(FONT_DIR)/$$face-$$part-400-700.woff2: $$(wc -c < "$(FONT_DIR)/$$face-$$part-400-700.woff2") bytes"; \
	  done; \
	done

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache staticfiles test-artifacts
