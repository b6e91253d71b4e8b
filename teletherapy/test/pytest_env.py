"""Loaded with `-p` (see pyproject.toml) so the environment is set before Django reads settings."""

import os
from pathlib import Path

os.environ.setdefault("TELETHERAPY_TESTING", "1")
os.environ.setdefault("TASKS_BACKEND", "immediate")
# A developer's .env is for running the app, not for the tests (tests name their own file).
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test"))
