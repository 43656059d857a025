# briefreel: the two commands of the README, plus the plugin package.
#   make demo     build ./.venv (Python 3.12), install, storyboard + animatic of the bundled encrypted brief
#   make test     install what the tests need (Python packages, ffmpeg via imageio-ffmpeg, fonts, redis, chromium)
#                 and run every test
#   make plugin   build dist/briefreel-<version>.difypkg and the unpacked dist/briefreel/ (SIGN_KEY=key.pem: also
#                 dist/briefreel-<version>.signed.difypkg, signed as the Dify daemon's tooling signs)
#   make plugin-lock  re-resolve plugin/requirements.lock, the exact pins the plugin package installs

SHELL := /bin/bash
# The first Python 3.12 that really runs (a pyenv shim can exist and still refuse to run).
PYTHON ?= $(shell for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12 python3; do \
	"$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
DEMO_BRIEF ?= examples/brief_en.pdf
DEMO_PASSWORD ?= reel-2026
DEMO_OUT ?= out/demo

.PHONY: demo test plugin plugin-lock plugin-key venv install install-test system-deps examples clean

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
	$(BIN)/pip install -q -e '.[test,wan,llm,service,plugin,ocr]'

test: install-test
	$(BIN)/python -m pytest -q

examples: install
	$(BIN)/python examples/make_examples.py

# The plugin package: dist/briefreel-<version>.difypkg plus dist/briefreel/ (the same files unpacked, so that
# `dify plugin package dist/briefreel` works too). SIGN_KEY=path/to/NAME.private.pem also writes the signed copy.
SIGN_KEY ?=
plugin: install
	$(BIN)/python -m briefreel.plugin.package --out dist --stage dist/briefreel $(if $(SIGN_KEY),--sign-key '$(SIGN_KEY)')

# A signing key pair, kept outside the checkout so it cannot be committed:
# `make plugin SIGN_KEY=$(KEY_DIR)/briefreel.private.pem`; give $(KEY_DIR)/briefreel.public.pem to Dify admins.
KEY_DIR ?= $(HOME)/.config/briefreel/keys
plugin-key: install
	$(BIN)/python -m briefreel.plugin.sign keygen --out '$(KEY_DIR)'

# Exact pins for the plugin (pyproject's base + plugin + llm dependencies) on CPython 3.12, Linux amd64 and arm64,
# resolved by uv from PyPI in a throwaway venv: both platforms must resolve to the same set, and every pin must have
# a wheel for both (pip's resolver, dry run). plugin/package.py copies the lock into the package's requirements.txt
# and refuses a lock that no longer satisfies pyproject.toml.
UV_VERSION ?= 0.13.9
LOCK_TOOL := .cache/plugin-lock
LOCK_ARCHES := x86_64 aarch64
plugin-lock:
	@test -n "$(PYTHON)" || { echo "Python 3.12 is needed (set PYTHON=/path/to/python3.12)"; exit 1; }
	rm -rf $(LOCK_TOOL) && $(PYTHON) -m venv $(LOCK_TOOL)
	$(LOCK_TOOL)/bin/python -m pip install -q uv==$(UV_VERSION)
	for arch in $(LOCK_ARCHES); do \
	  $(LOCK_TOOL)/bin/uv pip compile pyproject.toml --extra plugin --extra llm --python-version 3.12 \
	    --python-platform $$arch-manylinux_2_28 --custom-compile-command "make plugin-lock" --quiet \
	    -o $(LOCK_TOOL)/$$arch.txt || exit 1; \
	done
	cmp $(LOCK_TOOL)/x86_64.txt $(LOCK_TOOL)/aarch64.txt || { echo "amd64 and arm64 resolve differently"; exit 1; }
	for arch in $(LOCK_ARCHES); do \
	  $(LOCK_TOOL)/bin/python -m pip install -q --dry-run --ignore-installed --no-deps --only-binary=:all: \
	    --python-version 3.12 --implementation cp --target $(LOCK_TOOL)/target \
	    $$(for v in 28 27 26 25 24 23 22 21 20 19 18 17 12 5; do printf -- '--platform manylinux_2_%s_%s ' $$v $$arch; done) \
	    --platform manylinux2014_$$arch --platform manylinux2010_$$arch --platform manylinux1_$$arch \
	    -r $(LOCK_TOOL)/x86_64.txt || { echo "a pin has no CPython 3.12 wheel for Linux $$arch"; exit 1; }; \
	done
	cp $(LOCK_TOOL)/x86_64.txt plugin/requirements.lock
	rm -rf $(LOCK_TOOL)
	@echo "plugin/requirements.lock: $$(grep -c '==' plugin/requirements.lock) pins"

clean:
	rm -rf $(VENV) dist out .pytest_cache
