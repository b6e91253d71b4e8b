"""State changes of the alerts app: a word to the waiting client, and the chime setting."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts.models import User
from teletherapy.alerts import push
from teletherapy.alerts.models import WORD_MAX_LENGTH, AlertSettings, WaitingRoomWord
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment
from teletherapy.video.access import authorize_call
from teletherapy.video.models import Participation, VideoSession

# One-tap words the therapist can send as they are.
PRESETS = (
    "I'll be with you in a moment.",
    "Running 5 minutes late, thank you for waiting.",
    "Running 10 minutes late, thank you for waiting.",
    "I'm having technical trouble; please stay in the Waiting Room.",
)
# At most this many words per appointment in a minute, and in the whole session.
WORDS_PER_MINUTE = 3
WORDS_PER_SESSION = 20
_MARKUP = set("<>")


def clean_word(text: str) -> str:
    """The word as it will be stored, or ValidationError saying what to change. Plain text:
    one line, no markup characters, no control characters."""
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError("Write a message, or choose one of the ready-made ones.")
    if len(text) > WORD_MAX_LENGTH:
        raise ValidationError(
            f"Keep the message to {WORD_MAX_LENGTH} characters (it has {len(text)})."
        )
    if _MARKUP & set(text) or any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise ValidationError("Use plain text only: no < or > and no special characters.")
    return text


def send_word(
    *,
    appointment: Appointment,
    by: StaffMember,
    text: str,
    to: int | None = None,
    request: HttpRequest | None = None,
) -> WaitingRoomWord:
    """The therapist sends a short message to their client in the Telehealth Waiting Room.
    Only the appointment's therapist, while the call is open (video's access rule);
    PermissionDenied or Http404 otherwise. ValidationError on bad text or too many words.
    The client's page is told after the commit."""
    role = authorize_call(by.user, appointment)
    if role != Participation.Role.THERAPIST:
        raise PermissionDenied("Only the appointment's therapist can send a message.")
    text = clean_word(text)
    # `to`: one client of a couple's or a family's session (their id), or None for everyone.
    recipient = None
    if to is not None:
        recipient = next((c for c in appointment.attendees() if c.pk == to), None)
        if recipient is None:
            raise ValidationError("Choose someone in this session, or everyone.")
    now = timezone.now()
    with transaction.atomic():
        session, _created = VideoSession.objects.select_for_update().get_or_create(
            appointment=appointment
        )
        earlier = WaitingRoomWord.objects.filter(session=session)
        if earlier.filter(sent_at__gte=now - timedelta(minutes=1)).count() >= WORDS_PER_MINUTE:
            raise ValidationError("You've sent several messages just now. Wait a minute.")
        if earlier.count() >= WORDS_PER_SESSION:
            raise ValidationError("That's as many messages as one session can take.")
        word = WaitingRoomWord.objects.create(
            session=session, by=by.user, sent_at=now, text=text, to=recipient
        )
        record(
            Action.APPOINTMENT_CHANGED,
            actor=by.user,
            practice=appointment.practice,
            obj=appointment,
            request=request,
            changes=["waiting_room_message"],
            to_client=recipient.pk if recipient is not None else "everyone",
        )
        push.word_sent(word)
    return word


def chime_on(user: User) -> bool:
    found = AlertSettings.objects.filter(user=user).values_list("chime", flat=True).first()
    return True if found is None else bool(found)


def set_chime(*, user: User, on: bool) -> bool:
    """Switch the person's check-in chime on or off. Return whether it changed."""
    with transaction.atomic():
        settings, _created = AlertSettings.objects.select_for_update().get_or_create(user=user)
        if settings.chime == on:
            return False
        settings.chime = on
        settings.save(update_fields=["chime"])
    return True
