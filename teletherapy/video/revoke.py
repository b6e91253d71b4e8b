"""Tell open signaling connections to check their access now, whenever something that can end
someone's access changes: sign-out (also idle, and everywhere after a password reset or a
deactivation), a password change, deactivation, a role or Teletherapy change, the appointment
cancelled, moved or ended, a guardian removed from a minor (or the minor un-ticked).

Lower apps never import video: the video app connects here to sign-out and to their models'
signals, so every service (and the admin) that changes those rows is covered. The push goes
through the channel layer after the transaction commits, so it reaches connections on every
app process. The groups carry only these control messages, never signaling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

log = logging.getLogger(__name__)

REVOKE = {"type": "call.revoke"}


def user_group(user_id: int) -> str:
    return f"video-user-{user_id}"


def appointment_group(appointment_id: int) -> str:
    return f"video-appointment-{appointment_id}"


def revoke_access(*, user_ids: Iterable[int] = (), appointment_ids: Iterable[int] = ()) -> None:
    """After the current transaction commits, make the connections of these people, and of
    these appointments' calls, check their access again; those that lost it close within a
    second. Safe to call for people and appointments with no connection open."""
    groups = {user_group(pk) for pk in user_ids} | {appointment_group(pk) for pk in appointment_ids}
    if groups:
        transaction.on_commit(lambda: _push(sorted(groups)))


# Sends started on a running event loop, kept until they finish (the loop holds tasks weakly).
_sending: set[asyncio.Task[None]] = set()


def _push(groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        # Called on the event loop's own thread (async code that committed through the ORM):
        # async_to_sync cannot run here, so the sends become a task of that loop.
        task = loop.create_task(_send_all(layer, groups))
        _sending.add(task)
        task.add_done_callback(lambda done: _sent(done, len(groups)))
        return
    try:
        async_to_sync(_send_all)(layer, groups)
    except Exception:
        _warn(len(groups))


def _sent(task: asyncio.Task[None], count: int) -> None:
    _sending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        _warn(count, task.exception())


def _warn(count: int, error: BaseException | None = None) -> None:
    # The connections' periodic re-check still closes them, within a minute.
    log.warning(
        "Could not push an access check to %d group(s)",
        count,
        exc_info=error if error is not None else True,
    )


async def _send_all(layer: Any, groups: list[str]) -> None:
    for group in groups:
        await layer.group_send(group, REVOKE)


# --- Receivers (connected in VideoConfig.ready) ---------------------------------------------


def _signed_out(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        revoke_access(user_ids=[user.pk])


def _session_deleted(sender: Any, instance: Session, **kwargs: Any) -> None:
    try:
        user_id = instance.get_decoded().get(SESSION_KEY)
    except Exception:
        return
    if user_id:
        revoke_access(user_ids=[int(user_id)])


def _user_saved(sender: Any, instance: Any, created: bool, update_fields: Any, **kw: Any) -> None:
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    revoke_access(user_ids=[instance.pk])


def _staff_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        return
    from teletherapy.scheduling.models import Appointment

    # The clients of this therapist's calls in their window lose access too when Teletherapy
    # goes off (so by time only: teletherapy_sessions() already leaves those calls out).
    now = timezone.now()
    calls = Appointment.objects.filter(
        therapist=instance,
        is_teletherapy=True,
        start__lte=now + timedelta(minutes=settings.TELETHERAPY_JOIN_MINUTES_BEFORE),
        end__gte=now - timedelta(minutes=settings.TELETHERAPY_GRACE_MINUTES),
    )
    revoke_access(user_ids=[instance.user_id], appointment_ids=calls.values_list("pk", flat=True))


def _client_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        return
    # A minor un-ticked or deactivated: their guardians' calls check again too.
    user_ids = list(instance.guardians.filter(user__isnull=False).values_list("user_id", flat=True))
    if instance.user_id is not None:
        user_ids.append(instance.user_id)
    revoke_access(user_ids=user_ids)


def _guardians_changed(sender: Any, instance: Any, action: str, reverse: bool, **kw: Any) -> None:
    """A guardian removed from a minor (from either side of the link, or all at once): the
    guardians' open calls check their access again and close within a second."""
    from teletherapy.clients.models import Client

    if action not in ("post_remove", "pre_clear"):
        return
    if reverse:
        # guardian.wards.remove(minor): the instance is the guardian.
        user_ids = [instance.user_id] if instance.user_id is not None else []
    elif action == "pre_clear":
        user_ids = list(
            instance.guardians.filter(user__isnull=False).values_list("user_id", flat=True)
        )
    else:
        user_ids = list(
            Client.objects.filter(pk__in=kw.get("pk_set") or (), user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
    revoke_access(user_ids=user_ids)


def _appointment_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is not None and not kwargs.get("created", False):
        revoke_access(appointment_ids=[instance.pk])


def connect_receivers() -> None:
    from teletherapy.clients.models import Client
    from teletherapy.practice.models import StaffMember
    from teletherapy.scheduling.models import Appointment

    uid = "video.revoke."
    user_logged_out.connect(_signed_out, dispatch_uid=uid + "signed_out")
    post_delete.connect(_session_deleted, sender=Session, dispatch_uid=uid + "session")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid=uid + "user")
    post_save.connect(_staff_saved, sender=StaffMember, dispatch_uid=uid + "staff")
    post_save.connect(_client_saved, sender=Client, dispatch_uid=uid + "client")
    m2m_changed.connect(
        _guardians_changed, sender=Client.guardians.through, dispatch_uid=uid + "guardians"
    )
    post_save.connect(_appointment_changed, sender=Appointment, dispatch_uid=uid + "appt")
    post_delete.connect(_appointment_changed, sender=Appointment, dispatch_uid=uid + "appt_del")
