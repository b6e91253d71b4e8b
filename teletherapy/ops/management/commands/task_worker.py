"""`manage.py task_worker`: django-tasks-db's db_worker (same options), made safe to run on
several machines and to kill at any moment (see teletherapy/ops/worker.py)."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands import db_worker

from teletherapy.ops import worker


class Command(db_worker.Command):
    help = "Run a task worker that re-runs tasks whose worker died and runs each task once"

    def handle(self, *args: Any, **options: Any) -> None:
        # db_worker builds its Worker by name: hand it ours for this process.
        db_worker.Worker = worker.ReliableWorker  # type: ignore[misc]
        super().handle(*args, **options)
