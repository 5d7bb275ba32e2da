# The two commands of the README: `make demo` and `make test`. Both set the machine up first.
PYTHON := .venv/bin/python

.PHONY: setup demo test lint bench
setup:
	bash scripts/setup.sh

demo: setup
	$(PYTHON) -m fakevideo.demo

test: setup
	$(PYTHON) -m pytest -q

lint: setup
	$(PYTHON) -m ruff check fakevideo tests bench train.py convert.py

bench: setup
	$(PYTHON) bench/run_all.py
