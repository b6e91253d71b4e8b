"""Every change to reminders: plan (at booking, re-plan on a move, withdraw on cancel), send
(from the task), the client's Confirm and Cancel answers, consent to texts and STOP, the
practice's settings.

Planning runs after the appointment's own transaction has committed (the scheduling services
send `appointment_saved` on commit). Each reminder is a django-tasks task with `run_after`
on the database backend, so nothing is lost across restarts. Withdrawing deletes the task's
row while it still waits, and the task itself checks at run time that its reminder is still
planned for the appointment's current start: a moved appointment never gets the old time.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts import links
from teletherapy.accounts.mfa import uses_two_step
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.practice.models import Practice, StaffMember
from teletherapy.reminders.models import (
    TEXT_CONSENT_WORDING,
    Answer,
    Reminder,
    ReminderLink,
    ReminderSettings,
    TextConsent,
)
from teletherapy.reminders.planning import active_consent, after_quiet_hours, withdraw
from teletherapy.reminders.tasks import enqueue
from teletherapy.scheduling.models import Appointment, AppointmentChange

log = logging.getLogger(__name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP", "YES"}


# Planning -------------------------------------------------------------------------------------


def _wanted(appointment: Appointment, now: datetime) -> list[tuple[int, str, str, datetime]]:
    """(client id, channel, label, send at) of each reminder the appointment should have
    from now on: each person told of it (Appointment.told: its clients, a minor's guardians)
    gets their own, by their own channels, texts outside their own quiet hours."""
    if appointment.status != Appointment.Status.SCHEDULED or appointment.start <= now:
        return []
    choice = ReminderSettings.of(appointment.practice)
    wanted = []
    for client in appointment.told():
        channels = []
        if choice.sends_email and client.email:
            channels.append(Reminder.Channel.EMAIL)
        if choice.sends_text and active_consent(client) is not None:
            channels.append(Reminder.Channel.TEXT)
        tz = clock.viewer_zone(client)
        for label, before in choice.offsets():
            at = appointment.start - before
            if at <= now:
                continue  # booked too late for this one
            for channel in channels:
                send_at = at if channel == Reminder.Channel.EMAIL else after_quiet_hours(at, tz)
                if send_at < appointment.start:
                    wanted.append((client.pk, str(channel), label, send_at))
    return wanted


def plan_reminders(*, appointment_id: int) -> list[Reminder]:
    """Make the appointment's planned reminders match its current time, status and the
    practice's choices: keep those still right, withdraw the rest, plan what is missing.
    Returns the reminders planned now. Called after every booking, change and cancellation;
    running it twice changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("client", "practice", "therapist__user")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None:
            return []
        wanted = set(_wanted(appointment, now))
        told = {w[0] for w in wanted}
        planned = list(appointment.reminders.filter(status=Reminder.Status.PLANNED))
        kept = set()
        for reminder in planned:
            whom = reminder.client_id if reminder.client_id is not None else appointment.client_id
            key = (whom, reminder.channel, reminder.label, reminder.send_at)
            if key in wanted and reminder.for_start == appointment.start:
                kept.add(key)
            elif appointment.is_cancelled:
                withdraw(reminder, "Cancelled")
            elif wanted and whom not in told:
                # A guardian removed from the minor, a client taken off the appointment.
                withdraw(reminder, "No longer told of this appointment")
            else:
                withdraw(reminder, "Re-planned for the new time")
        new = []
        for client_id, channel, label, send_at in sorted(wanted - kept, key=lambda w: (w[3], w[0])):
            reminder = Reminder.objects.create(
                appointment=appointment,
                client_id=client_id,
                channel=channel,
                label=label,
                for_start=appointment.start,
                send_at=send_at,
            )
            new.append(reminder)
        # The tasks' rows commit with the reminders (same database): neither exists alone.
        for reminder in new:
            enqueue(reminder)
    return new


def on_appointment_saved(*, appointment_id: int, kind: str, **_: Any) -> None:
    """scheduling.signals.appointment_saved receiver (after the commit)."""
    plan_reminders(appointment_id=appointment_id)


# Sending (from the task) ----------------------------------------------------------------------


def record_delivery(*, provider_id: str, provider_status: str) -> bool:
    """A provider's status callback: 'delivered' or a failure marks the text's history."""
    mapped = {
        "delivered": Reminder.Status.DELIVERED,
        "undelivered": Reminder.Status.FAILED,
        "failed": Reminder.Status.FAILED,
    }.get(provider_status)
    if mapped is None or not provider_id:
        return False
    return bool(
        Reminder.objects.filter(provider_id=provider_id, channel=Reminder.Channel.TEXT).update(
            status=mapped, updated_at=timezone.now()
        )
    )


# The client's answers -------------------------------------------------------------------------


class AnswerRefused(Exception):
    """The link worked but the answer can't be taken; `message` says why, plainly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _who(link: ReminderLink, appointment: Appointment) -> str:
    """Who answered, for the History (staff only): "the client", or the name of the one
    client of a joint session (or the guardian of a minor) whose reminder it was."""
    if not appointment.is_group and link.reminder.recipient.pk == appointment.client_id:
        return "the client"
    return link.reminder.recipient.full_name


MOVED = (
    "This appointment has moved since this reminder was sent, so this link no longer works. "
    "You will get a reminder for the new time."
)


def refuse_if_moved(link: ReminderLink, appointment: Appointment) -> None:
    """A reminder's Confirm or Cancel answers for the start it named, never a later one."""
    if link.reminder.for_start != appointment.start:
        raise AnswerRefused(MOVED)


def confirm_appointment(*, link: ReminderLink, request: HttpRequest | None = None) -> Answer:
    """The client confirms through their reminder's Confirm link (used once)."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=link.appointment_id)
        if appointment.is_cancelled:
            raise AnswerRefused("This appointment was cancelled, so there is nothing to confirm.")
        refuse_if_moved(link, appointment)
        links.use(link)
        answer, _ = Answer.objects.update_or_create(
            appointment=appointment,
            defaults={
                "kind": Answer.Kind.CONFIRMED,
                "for_start": appointment.start,
                "at": timezone.now(),
            },
        )
        AppointmentChange.objects.create(
            appointment=appointment,
            summary=f"Confirmed by {_who(link, appointment)} (reminder link)",
        )
        record(
            Action.APPOINTMENT_CHANGED,
            practice=appointment.practice,
            obj=appointment,
            request=request,
            actor_label="client (reminder link)",
            changes=["confirmed"],
        )
    return answer


def cancel_by_client(*, link: ReminderLink, request: HttpRequest | None = None) -> Appointment:
    """The client cancels through their reminder's Cancel link: only outside the practice's
    cancellation window (AnswerRefused with the policy inside it). For a joint session
    (a couple, a family) one client's cancel cancels it for everyone, as the cancel page
    says; each client is emailed the cancellation, and the History names who cancelled."""
    from teletherapy.scheduling import services as booking

    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("practice", "client")
            .get(pk=link.appointment_id)
        )
        if appointment.is_cancelled:
            raise AnswerRefused("This appointment was already cancelled.")
        choice = ReminderSettings.of(appointment.practice)
        if timezone.now() > choice.cancel_deadline(appointment):
            raise AnswerRefused(
                "It is too late to cancel online. "
                + choice.policy_text
                + f" Please contact {appointment.practice.name}."
            )
        refuse_if_moved(link, appointment)
        links.use(link)
        kind = booking.cancel_row(
            appointment,
            reason="Cancelled by the client from a reminder",
            summary=f"Cancelled by {_who(link, appointment)} (reminder link)",
            actor_label="client (reminder link)",
            request=request,
            via="reminder",
        )
        Answer.objects.update_or_create(
            appointment=appointment,
            defaults={
                "kind": Answer.Kind.CANCELLED,
                "for_start": appointment.start,
                "at": timezone.now(),
            },
        )
        # Each client's own email; a series' occurrence updates the series' calendar entry.
        booking.notify_clients(appointment, kind)
    return appointment


# Texts: consent and STOP ----------------------------------------------------------------------


def consent_wording(client: Client) -> str:
    from teletherapy.lib.phones import display_phone

    return TEXT_CONSENT_WORDING.format(
        practice=client.practice.name, phone=display_phone(client.mobile_phone)
    )


def record_text_consent(
    *, client: Client, by: StaffMember, agreed: bool, request: HttpRequest | None = None
) -> TextConsent | None:
    """Record that the client agreed (to the wording shown) to reminder texts on their mobile
    number, or that they withdrew. Re-plans their upcoming reminders."""
    if agreed and not client.mobile_phone:
        raise ValidationError({"agreed": ["Add the client's mobile phone first."]})
    with transaction.atomic():
        now = timezone.now()
        TextConsent.objects.filter(client=client, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_via="staff"
        )
        consent = None
        if agreed:
            consent = TextConsent.objects.create(
                client=client,
                phone=client.mobile_phone,
                wording=consent_wording(client),
                consented_at=now,
                recorded_by=by.user,
            )
        record(
            Action.CLIENT_UPDATED,
            actor=by.user,
            practice=client.practice,
            obj=client,
            request=request,
            fields=["text_consent"],
            text_consent="given" if agreed else "withdrawn",
        )
        _replan_upcoming(client)
    return consent


def _replan_upcoming(client: Client) -> None:
    ids = list(
        Appointment.objects.of_client(client)
        .filter(status=Appointment.Status.SCHEDULED, start__gt=timezone.now())
        .values_list("pk", flat=True)
    )

    def replan() -> None:
        for appointment_id in ids:
            plan_reminders(appointment_id=appointment_id)

    transaction.on_commit(replan)


def on_guardians_changed(
    *, instance: Client, action: str, reverse: bool, pk_set: set[int] | None = None, **_: Any
) -> None:
    """Client.guardians m2m_changed receiver: a guardian added to or removed from a minor
    gets (or loses) their own reminders of the minor's upcoming appointments at once."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    minors = list(Client.objects.filter(pk__in=pk_set or ())) if reverse else [instance]
    for minor in minors:
        _replan_upcoming(minor)


def inbound_text(*, phone: str, body: str) -> str:
    """A text from a client (Twilio's inbound webhook): STOP withdraws every consent on that
    number and withdraws the planned texts; START is noted but does not consent again (the
    practice records consent with its wording). Returns what was done."""
    word = body.strip().upper()
    if word not in STOP_WORDS:
        return "ignored"
    with transaction.atomic():
        consents = list(
            TextConsent.objects.select_related("client__practice").filter(
                phone=phone, withdrawn_at__isnull=True
            )
        )
        now = timezone.now()
        for consent in consents:
            consent.withdrawn_at = now
            consent.withdrawn_via = "STOP"
            consent.save(update_fields=["withdrawn_at", "withdrawn_via"])
            record(
                Action.CLIENT_UPDATED,
                practice=consent.client.practice,
                obj=consent.client,
                actor_label="client (text STOP)",
                fields=["text_consent"],
                text_consent="withdrawn by STOP",
            )
            for reminder in Reminder.objects.filter(
                Q(client=consent.client)
                | Q(client__isnull=True, appointment__client=consent.client),
                channel=Reminder.Channel.TEXT,
                status=Reminder.Status.PLANNED,
            ):
                withdraw(reminder, "The client replied STOP")
    return "stopped" if consents else "unknown number"


# Practice settings ----------------------------------------------------------------------------


def update_reminder_settings(
    *, by: StaffMember, request: HttpRequest | None = None, **values: Any
) -> ReminderSettings:
    """Owners and Managers: save the practice's reminder choices. Reminders already planned
    keep their times; appointments booked or moved from now on follow the new choices."""
    with transaction.atomic():
        # One row per practice: two first saves at once must not both insert it.
        Practice.objects.select_for_update().filter(pk=by.practice_id).first()
        choice = ReminderSettings.of(by.practice)
        for name, value in values.items():
            setattr(choice, name, value)
        choice.save()
        record(
            Action.SECURITY_SETTINGS_CHANGED,
            actor=by.user,
            practice=by.practice,
            obj=choice,
            request=request,
            area="reminders",
            changes=sorted(values),
        )
    return choice


# Join from the reminder -----------------------------------------------------------------------

MAX_DOB_TRIES = 5
JOIN_SESSION_KEY = "join_only_appointment"


def check_join_birth_date(
    *, link: ReminderLink, date_of_birth: Any, request: HttpRequest | None = None
) -> bool:
    """True when `date_of_birth` is the client's. A wrong one counts against the link; the
    fifth voids it. Raises links.LinkError when the link is no longer usable."""
    from django.db.models import F

    with transaction.atomic():
        locked = ReminderLink.objects.select_for_update().get(pk=link.pk)
        reason = links.problem_of(locked)
        if reason is not None:
            raise links.LinkError(reason, locked)
        client = link.reminder.recipient
        if date_of_birth == client.date_of_birth:
            return True
        locked.dob_failures = F("dob_failures") + 1
        locked.save(update_fields=["dob_failures"])
        locked.refresh_from_db(fields=["dob_failures"])
        link.dob_failures = locked.dob_failures
        record(
            Action.PORTAL_SIGN_IN_FAILED,
            practice=client.practice,
            obj=client.user,
            request=request,
            actor_label="join link",
            reason="date of birth",
        )
        if locked.dob_failures >= MAX_DOB_TRIES:
            locked.voided_at = link.voided_at = timezone.now()
            locked.save(update_fields=["voided_at"])
        return False


def sign_in_for_join(*, request: HttpRequest, link: ReminderLink) -> None:
    """Sign the client in for this one appointment: the session may open only its device
    check, Waiting Room and call (reminders.middleware.JoinScopeMiddleware) and ends with
    the session. Refused (PermissionDenied) for someone who uses two-step sign-in."""
    from teletherapy.accounts.services import sign_in

    client = link.reminder.recipient
    assert client.user is not None
    if uses_two_step(client.user):  # a join link would go around it
        raise PermissionDenied("Two-step sign-in: sign in to the portal in full.")
    sign_in(request=request, user=client.user, practice=client.practice, obj=client)
    # After login(): it starts a new session, which must carry the scope.
    request.session[JOIN_SESSION_KEY] = link.appointment_id
