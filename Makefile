# FeedbackHub — `make run` starts the whole hub, `make test` runs every test. Both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= 1

.PHONY: install chromium run test lint bench services-stop clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Debian's Chromium for the browser tests (tests/browser/): apt-get installs it when missing and run as root;
# otherwise a warning, and the browser tests fail saying how to install it. Quick and silent once it is there.
chromium:
	@sh tools/install_chromium.sh

run: install
	PORT=$(PORT) $(BIN)/python manage.py run_hub

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench

services-stop: install
	$(BIN)/python manage.py services stop

clean:
	-$(BIN)/python manage.py services stop
	rm -rf $(VENV) .data
