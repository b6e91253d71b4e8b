# The README's two commands: `make run` and `make test`.
.PHONY: run setup test check lint format

run: setup
	scripts/serve

setup:
	scripts/setup

test:
	scripts/test

# The one gate, the same one CI runs: formatting, lint, types (mypy's files and strictness
# are in pyproject.toml), missing migrations, then every test (see scripts/test-in-netns).
check: test

lint:
	.venv/bin/ruff check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .
