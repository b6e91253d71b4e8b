"""A task worker that neither loses nor repeats a task when a worker dies mid-way.

django-tasks-db's worker claims a task (READY -> RUNNING, committed), runs it, then records
the result. A worker killed in between leaves the row RUNNING for ever: the task is lost,
and nothing tells the task it may already have done its work. Two changes close that:

- On PostgreSQL each task runs inside one transaction that first locks its own task row and
  ends by marking it SUCCESSFUL or FAILED. The task's database writes (a token's hash, a
  delivery status) commit together with "done", or not at all. A worker that dies holds the
  lock only until PostgreSQL drops its connection, and its half-done writes are rolled back.
- A reaper puts RUNNING tasks back to READY once their lease (TASK_LEASE_SECONDS) has passed
  and, on PostgreSQL, no live worker holds their row lock (SKIP LOCKED). So a task whose
  worker died is run again by another worker; a slow task still running is never taken.

What a transaction cannot cover is the SMTP server: a worker that dies after the server
accepted a message and before its COMMIT leaves a message delivered whose task is run again,
and a second message is sent (at-least-once at that boundary; its earlier link no longer
works, because the token hash of the first run was rolled back). docs/deploy.md says more.

On SQLite (one machine, the embedded default) the task is not wrapped in a transaction: that
would hold SQLite's single write lock across the SMTP conversation and block every request
that writes. The reaper still re-runs a task whose worker died, after the lease.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)


def requeue_abandoned_tasks(*, lease_seconds: int | None = None) -> int:
    """Put back to READY the RUNNING tasks whose worker is gone. Returns how many.

    Gone means: started more than the lease ago and, where the database has row locks, not
    locked by a running worker (a live worker holds its task's row lock until it finishes)."""
    lease = settings.TASK_LEASE_SECONDS if lease_seconds is None else lease_seconds
    cutoff = timezone.now() - timedelta(seconds=lease)
    with transaction.atomic():
        abandoned = list(
            DBTaskResult.objects.running()
            .filter(started_at__lt=cutoff)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if abandoned:
            DBTaskResult.objects.filter(pk__in=abandoned, status="RUNNING").update(status="READY")
    for pk in abandoned:
        log.warning("task %s was abandoned by its worker; queued again", pk)
    log.debug("reaper pass: %d abandoned task(s) queued again", len(abandoned))
    return len(abandoned)


class ReliableWorker(Worker):
    def run(self) -> None:
        reaper = threading.Thread(target=self._reap_forever, name="task-reaper", daemon=True)
        reaper.start()
        super().run()

    def _reap_forever(self) -> None:
        interval = max(1.0, settings.TASK_LEASE_SECONDS / 4)
        stop = threading.Event()
        while self.running:
            try:
                requeue_abandoned_tasks()
            except Exception:  # noqa: BLE001 - a database blip must not stop the reaper
                log.exception("requeueing abandoned tasks failed")
            finally:
                close_old_connections()
            stop.wait(interval)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        if connection.vendor != "postgresql":
            super().run_task(db_task_result)
            return
        try:
            self.running_task = True
            with transaction.atomic():
                self._run_locked(db_task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _run_locked(self, db_task_result: DBTaskResult) -> None:
        # Hold the row for the whole run. Re-read it: a reaper may have given it to another
        # worker between our claim and this lock (only if this one stalled past the lease).
        current = (
            DBTaskResult.objects.select_for_update()
            .filter(pk=db_task_result.pk, status="RUNNING")
            .first()
        )
        if current is None or current.worker_ids[-1:] != [self.worker_id]:
            log.warning("task %s was given to another worker; not run here", db_task_result.pk)
            return
        task = current.task
        backend_type = type(task.get_backend())
        task_result = current.task_result
        task_started.send(sender=backend_type, task_result=task_result)
        try:
            # A savepoint: a task that raises rolls back its own writes, not the failure record.
            with transaction.atomic():
                if task.takes_context:
                    value = task.call(
                        TaskContext(task_result=task_result),
                        *task_result.args,
                        **task_result.kwargs,
                    )
                else:
                    value = task.call(*task_result.args, **task_result.kwargs)
            current.set_successful(value)
        except Exception as exc:  # noqa: BLE001 - recorded as the task's failure
            current.set_failed(exc)
        task_finished.send(sender=backend_type, task_result=current.task_result)
