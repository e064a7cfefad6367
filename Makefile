# The two commands README.md promises. Both set up a fresh Debian machine first.
.PHONY: demo test lint bench

demo:
	scripts/bootstrap.sh demo
	.venv/bin/cti demo

test:
	scripts/bootstrap.sh test
	.venv/bin/python -m pytest -q -p no:cacheprovider

lint:
	.venv/bin/ruff check cti ivr routing agent_desktop recordings crm tests bench

bench:
	.venv/bin/python bench/ami_ingest.py
