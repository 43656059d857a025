# briefreel: the two commands of the README, plus the plugin package.
#   make demo     build ./.venv (Python 3.12), install, storyboard + animatic of the bundled encrypted brief
#   make test     install what the tests need (Python packages, ffmpeg via imageio-ffmpeg, fonts, redis, chromium)
#                 and run every test
#   make plugin   build dist/briefreel-<version>.difypkg

SHELL := /bin/bash
# The first Python 3.12 that really runs (a pyenv shim can exist and still refuse to run).
PYTHON ?= $(shell for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12 python3; do \
	"$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
DEMO_BRIEF ?= examples/brief_en.pdf
DEMO_PASSWORD ?= reel-2026
DEMO_OUT ?= out/demo

.PHONY: demo test plugin venv install install-test system-deps examples clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 is needed (set PYTHON=/path/to/python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python

install: venv
	$(BIN)/pip install -q -e .

demo: install
	BRIEFREEL_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/briefreel run $(DEMO_BRIEF) --out $(DEMO_OUT)
	@echo "Animatic:   $(DEMO_OUT)/animatic.mp4"
	@echo "Storyboard: $(DEMO_OUT)/storyboard.pdf, $(DEMO_OUT)/storyboard.html   Shot list: $(DEMO_OUT)/shots.json"

system-deps:
	bash .ci/system-deps.sh

install-test: venv system-deps
	$(BIN)/pip install -q -e '.[test,wan,llm,service,plugin]'

test: install-test
	$(BIN)/python -m pytest -q

examples: install
	$(BIN)/python examples/make_examples.py

plugin: install
	$(BIN)/python -m briefreel.plugin.package --out dist

clean:
	rm -rf $(VENV) dist out .pytest_cache
