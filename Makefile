# The README's two commands: `make run` and `make test`.
.PHONY: run setup test check lint format

run: setup
	scripts/serve

setup:
	scripts/setup

test:
	scripts/test

# The one gate for developers: formatting, lint, types, migrations, tests.
check:
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/bandit -q -c pyproject.toml -r teletherapy config
	.venv-semgrep/bin/semgrep --config .semgrep.yml --metrics=off --disable-version-check --quiet --error teletherapy config
	.venv/bin/mypy teletherapy config
	.venv/bin/python manage.py makemigrations --check --dry-run
	scripts/test

lint:
	.venv/bin/ruff check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .
