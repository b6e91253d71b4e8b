"""Check the audit log's hash chains: `manage.py verify_audit` names the first broken row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from teletherapy.audit.chain import FIELDS, chain_key, first_break
from teletherapy.audit.models import AuditChain, AuditEvent


class Command(BaseCommand):
    help = "Verify every practice's audit hash chain; fail naming the first row that breaks it."

    def handle(self, *args: Any, **options: Any) -> None:
        heads = dict(AuditChain.objects.values_list("key", "last_hash"))
        practice_ids = (
            AuditEvent.objects.order_by().values_list("practice_id", flat=True).distinct()
        )
        keys = {chain_key(pid): pid for pid in practice_ids}
        total = 0
        for key, practice_id in sorted(keys.items()):
            rows = (
                AuditEvent.objects.filter(practice_id=practice_id)
                .order_by("id")
                .values("id", "prev_hash", "hash", *FIELDS)
            )
            count = rows.count()
            total += count
            broken = first_break(rows.iterator(), head=heads.get(key))
            if broken is not None:
                raise CommandError(
                    f"Audit log broken at row {broken.row_id} ({broken.key}): {broken.reason}."
                )
        for key in set(heads) - set(keys):
            raise CommandError(f"Audit log broken: every row of {key} is missing.")
        self.stdout.write(f"Audit log intact: {total} rows in {len(keys)} chains.")
