# FeedbackHub — `make run` starts the whole hub, `make test` runs every test. Both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= 1

.PHONY: install run test lint bench services-stop clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: install
	PORT=$(PORT) $(BIN)/python manage.py run_hub

test: install
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
