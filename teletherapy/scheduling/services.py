"""Every change to an appointment: book, change, cancel, mark no-show.

Each runs in one transaction, locks the therapist's row before looking for overlaps (on
PostgreSQL a row lock; SQLite's IMMEDIATE transactions are already serialized), writes an
AppointmentChange line and an audit event, and emails the client about Teletherapy Sessions
after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.availability import hours
from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentSeries,
    teletherapy_booking_problem,
)
from teletherapy.scheduling.signals import announce

MIN_MINUTES = 15
MAX_MINUTES = 240
DEFAULT_MINUTES = 50


def _require_booker(by: StaffMember, therapist: StaffMember) -> None:
    """`by` may book for `therapist`: their own schedule, or anyone's in the practice for
    Owner, Manager and Scheduler (scheduling.access.schedule_therapists, as a check)."""
    if not by.user.is_active or therapist.practice_id != by.practice_id:
        raise PermissionDenied("Not your practice.")
    if not (by.can_schedule_for_others or (by.is_therapist and therapist.pk == by.pk)):
        raise PermissionDenied("Your role does not allow booking for this therapist.")


def _require_visible(by: StaffMember, appointment: Appointment) -> None:
    """`by` may change `appointment`: one they can see (Appointment.is_visible_to)."""
    if not by.user.is_active or not appointment.is_visible_to(by):
        raise PermissionDenied("Not an appointment you can change.")


def _lock_therapist(therapist: StaffMember) -> None:
    # Serialize bookings per therapist: the second transaction waits here until the first
    # commits, then sees its appointment in the overlap check.
    StaffMember.objects.select_for_update().filter(pk=therapist.pk).values_list("pk").get()


def find_overlap(
    therapist: StaffMember, start: datetime, end: datetime, *, exclude_pk: int | None = None
) -> Appointment | None:
    """The first non-cancelled appointment of the therapist that overlaps [start, end)."""
    qs = (
        Appointment.objects.filter(therapist=therapist, start__lt=end, end__gt=start)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("client")
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("start").first()


def other_appointment_text(other: Appointment, tz: ZoneInfo, *, day: bool = True) -> str:
    """The appointment in the way, for staff: "Casey Client & Pat Partner's appointment on
    Wednesday, November 25, 10:00 - 10:50 AM EST" (without the day where the caller names it)."""
    local = clock.local(other.start, tz)
    on = f" on {clock.day_text(local)}," if day else ","
    return (
        f"{other.clients_label}'s appointment{on} "
        f"{clock.span_text(other.start, other.end, tz)} {clock.zone_abbr(local, tz)}"
    )


def overlap_message(other: Appointment, tz: ZoneInfo) -> str:
    return f"This overlaps {other_appointment_text(other, tz)}."


def _check_time(
    errors: dict[str, list[str]],
    *,
    therapist: StaffMember,
    start: datetime,
    duration_minutes: int,
    tz: ZoneInfo,
    exclude_pk: int | None = None,
) -> None:
    if start < timezone.now():
        errors.setdefault("start", []).append("Choose a time in the future.")
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        errors.setdefault("duration", []).append(
            f"The duration must be between {MIN_MINUTES} and {MAX_MINUTES} minutes."
        )
    if errors:
        return
    end = start + timedelta(minutes=duration_minutes)
    closed = hours.closure_during(therapist.practice_id, hours.practice_zone(therapist), start, end)
    if closed is not None:
        errors.setdefault("start", []).append(hours.closure_message(*closed))
        return
    other = find_overlap(
        therapist, start, start + timedelta(minutes=duration_minutes), exclude_pk=exclude_pk
    )
    if other is not None:
        errors.setdefault("start", []).append(overlap_message(other, tz))


def notify_clients(appointment: Appointment, kind: str) -> None:
    """Email each client after the commit, each their own email and .ics; nothing for kind
    "". An occurrence of a series updates the series' one calendar entry instead
    (notify_series_client)."""
    if not kind:
        return
    if appointment.series_id is not None:
        notify_series_client(appointment.series_id, "changed")
        return
    skip: set[int] = getattr(appointment, "_skip_notify", set())
    notify_people(appointment.pk, kind, [c for c in appointment.all_clients() if c.pk not in skip])


def notify_people(appointment_id: int, kind: str, clients: Sequence[Client]) -> None:
    """After the commit, email each of `clients` about the appointment (kind as
    tasks.send_appointment_email takes it); nothing for kind ""."""
    from teletherapy.scheduling.tasks import send_appointment_email

    if not kind:
        return
    for client_id in [c.pk for c in clients]:
        # Pass only ids: the task reads everything else, and the queue never holds details.
        transaction.on_commit(
            lambda c=client_id: send_appointment_email.enqueue(appointment_id, kind, c)  # type: ignore[misc]
        )


def notify_series_client(
    series_id: int,
    kind: str,
    *,
    added: Sequence[Client] = (),
    removed: Sequence[Client] = (),
) -> None:
    """The series changed in a way the clients see: a new SEQUENCE for its calendar entry,
    and (after the commit) each client's email with the updated .ics: the booking for the
    clients `added`, the cancellation for those `removed`."""
    from teletherapy.scheduling.tasks import send_series_email

    AppointmentSeries.objects.filter(pk=series_id).update(ics_sequence=F("ics_sequence") + 1)
    series = AppointmentSeries.objects.select_related("client").get(pk=series_id)
    new = {c.pk for c in added}
    sends = [(c.pk, "booked" if c.pk in new else kind) for c in series.all_clients()]
    sends += [(c.pk, "removed") for c in removed]
    for client_id, client_kind in sends:
        transaction.on_commit(
            lambda c=client_id, k=client_kind: send_series_email.enqueue(series_id, k, c)  # type: ignore[misc]
        )


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


TOO_MANY_CLIENTS = (
    f"An appointment can have at most {Appointment.MAX_CLIENTS} clients: "
    "the primary and up to three more."
)
CLIENT_NOT_FOUND = "Client not found. Choose one of the clients in the list."


def client_problems(
    *,
    therapist: StaffMember,
    clients: Sequence[Client | None],
    is_teletherapy: bool,
    kept: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[int, str]]:
    """(position, message) for each client of `clients` (the primary first, None where a
    place is empty) who can't be in one appointment with `therapist`: not of this practice
    or inactive (the same "not found" either way: never say which), listed twice, without
    an email address (each client beyond the first gets their own invitation and
    reminders), or outside the U.S. for a Teletherapy Session; and a place beyond
    Appointment.MAX_CLIENTS. The clients in `kept` (already in the appointment) are
    checked only for repeats and the count. The form and the services both ask this."""
    problems: list[tuple[int, str]] = []
    seen: set[int] = set()
    filled = 0
    for position, client in enumerate(clients):
        if client is None:
            continue
        filled += 1
        if filled > Appointment.MAX_CLIENTS:
            problems.append((position, TOO_MANY_CLIENTS))
        elif client.practice_id != therapist.practice_id or not client.is_active:
            problems.append((position, CLIENT_NOT_FOUND))
        elif client.pk in seen:
            problems.append((position, f"{client.full_name} is already in this appointment."))
        elif client.pk in kept:
            pass
        elif position > 0 and not client.email:
            problems.append(
                (
                    position,
                    f"{client.full_name} has no email address. Add one to their record first: "
                    "each client of a joint appointment gets their own invitation and reminders.",
                )
            )
        elif is_teletherapy and therapist.has_teletherapy and not client.is_us_resident:
            problem = teletherapy_booking_problem(therapist, client)
            if problem:
                problems.append((position, problem))
        seen.add(client.pk)
    return problems


def _client_errors(
    errors: dict[str, list[str]],
    *,
    therapist: StaffMember,
    clients: Sequence[Client],
    is_teletherapy: bool,
    kept: set[int] | frozenset[int] = frozenset(),
) -> None:
    """client_problems as errors keyed "client" (the primary) or "additional_clients"; a
    Teletherapy problem of the primary stays under "is_teletherapy", as it always was."""
    for position, message in client_problems(
        therapist=therapist, clients=clients, is_teletherapy=is_teletherapy, kept=kept
    ):
        if position == 0:
            key = "is_teletherapy" if message.startswith("Teletherapy is") else "client"
        else:
            key = "additional_clients"
        errors.setdefault(key, []).append(message)


def booking_errors(
    *,
    therapist: StaffMember,
    client: Client,
    service: str,
    is_teletherapy: bool,
    additional_clients: Sequence[Client] = (),
) -> dict[str, list[str]]:
    """What is wrong with booking `client` (and the others) with `therapist`, apart from
    the time."""
    errors: dict[str, list[str]] = {}
    _client_errors(
        errors,
        therapist=therapist,
        clients=[client, *additional_clients],
        is_teletherapy=is_teletherapy,
    )
    if not therapist.is_therapist or not therapist.user.is_active:
        errors["therapist"] = ["Choose an active therapist of this practice."]
    if is_teletherapy and "client" not in errors and "is_teletherapy" not in errors:
        problem = teletherapy_booking_problem(therapist, client)
        if problem:
            errors["is_teletherapy"] = [problem]
    if service not in Appointment.Service.values:
        errors["service"] = ["Choose a service from the list."]
    return errors


def set_clients(
    appointment: Appointment | AppointmentSeries,
    *,
    client: Client,
    additional_clients: Sequence[Client],
) -> tuple[list[Client], list[Client]]:
    """Make `client` the primary and `additional_clients` the others (saving the primary
    if it changed); returns (added, removed) clients, the primary counted among them."""
    before = appointment.all_clients() if appointment.pk else []
    if appointment.client_id != client.pk:
        appointment.client = client
        appointment.save(update_fields=["client"])
    appointment.additional_clients.set([c for c in additional_clients if c.pk != client.pk])
    after = [client, *[c for c in additional_clients if c.pk != client.pk]]
    before_ids = {c.pk for c in before}
    after_ids = {c.pk for c in after}
    added = [c for c in after if c.pk not in before_ids]
    removed = [c for c in before if c.pk not in after_ids]
    return added, removed


def client_lines(
    added: Sequence[Client], removed: Sequence[Client], primary: Client | None = None
) -> list[str]:
    """History lines for a change of clients: "Added Pat Partner", "Removed ...", "Primary
    client (billed): ..."."""
    lines = [f"Added {c.full_name}" for c in added]
    lines += [f"Removed {c.full_name}" for c in removed]
    if primary is not None:
        lines.append(f"Primary client (billed): {primary.full_name}")
    return lines


def book_appointment(
    *,
    therapist: StaffMember,
    client: Client,
    start: datetime,
    duration_minutes: int = DEFAULT_MINUTES,
    service: str = Appointment.Service.THERAPY_45,
    location: str = Appointment.Location.OFFICE,
    is_teletherapy: bool = False,
    staff_note: str = "",
    additional_clients: Sequence[Client] = (),
    by: StaffMember,
    request: HttpRequest | None = None,
) -> Appointment:
    """Book an appointment with `client` (the primary, the one billed) and up to three
    `additional_clients` (a couple, a family), or raise ValidationError keyed by field
    (client, additional_clients, start, duration, is_teletherapy) and save nothing.
    PermissionDenied when `by` may not book for `therapist`."""
    _require_booker(by, therapist)
    tz = clock.zone(clock.viewer_zone(by))
    errors = booking_errors(
        therapist=therapist,
        client=client,
        service=service,
        is_teletherapy=is_teletherapy or location == Appointment.Location.TELETHERAPY,
        additional_clients=additional_clients,
    )
    is_teletherapy = is_teletherapy or location == Appointment.Location.TELETHERAPY
    with transaction.atomic():
        _lock_therapist(therapist)
        _check_time(
            errors, therapist=therapist, start=start, duration_minutes=duration_minutes, tz=tz
        )
        if errors:
            raise ValidationError(errors)
        appointment = create_occurrence(
            therapist=therapist,
            client=client,
            start=start,
            duration_minutes=duration_minutes,
            service=service,
            is_teletherapy=is_teletherapy,
            staff_note=staff_note,
            additional_clients=additional_clients,
            by=by,
            request=request,
        )
        if is_teletherapy:
            notify_clients(appointment, "booked")
    return appointment


def create_occurrence(
    *,
    therapist: StaffMember,
    client: Client,
    start: datetime,
    duration_minutes: int,
    service: str,
    is_teletherapy: bool,
    staff_note: str,
    by: StaffMember,
    request: HttpRequest | None,
    series: AppointmentSeries | None = None,
    series_start: datetime | None = None,
    summary: str = "",
    additional_clients: Sequence[Client] = (),
) -> Appointment:
    """Insert one checked appointment with its History line and audit row: the one place an
    appointment row is created (book_appointment and a series' occurrences). Call inside
    the booking's transaction, after the checks; emails are the caller's."""
    appointment = Appointment.objects.create(
        practice_id=therapist.practice_id,
        therapist=therapist,
        client=client,
        start=start,
        end=start + timedelta(minutes=duration_minutes),
        service=service,
        location=Appointment.Location.TELETHERAPY
        if is_teletherapy
        else Appointment.Location.OFFICE,
        is_teletherapy=is_teletherapy,
        staff_note=staff_note.strip(),
        created_by=by.user,
        series=series,
        series_start=series_start,
    )
    others = [c for c in additional_clients if c.pk != client.pk]
    if others:
        appointment.additional_clients.set(others)
    booked = (summary or "Booked") + (" as a Teletherapy Session" if is_teletherapy else "")
    AppointmentChange.objects.create(
        appointment=appointment,
        by=by.user,
        summary="; ".join([booked, *client_lines(others, [])]),
        details={
            "start": _iso(appointment.start),
            "end": _iso(appointment.end),
            "is_teletherapy": is_teletherapy,
            **({"client_ids": [client.pk, *[c.pk for c in others]]} if others else {}),
        },
    )
    extra: dict[str, Any] = {"series_id": series.pk} if series is not None else {}
    if others:
        extra["additional_client_ids"] = [c.pk for c in others]
    record(
        Action.APPOINTMENT_CREATED,
        actor=by.user,
        practice=therapist.practice,
        obj=appointment,
        request=request,
        therapist_id=therapist.pk,
        start=_iso(appointment.start),
        is_teletherapy=is_teletherapy,
        **extra,
    )
    announce(appointment.pk, "booked")  # reminders are planned (teletherapy/reminders)
    return appointment


def _locked_copy(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("client", "therapist__user", "practice")
        .get(pk=appointment.pk)
    )


def _refuse_unless_scheduled(appointment: Appointment, verb: str) -> None:
    if appointment.status == Appointment.Status.CANCELLED:
        raise ValidationError(
            {"status": [f"This appointment was cancelled, so it can't be {verb}."]}
        )
    if appointment.status == Appointment.Status.NO_SHOW:
        raise ValidationError(
            {"status": [f"This appointment is marked no-show, so it can't be {verb}."]}
        )


def change_appointment(
    *,
    appointment: Appointment,
    by: StaffMember,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    is_teletherapy: bool | None = None,
    service: str | None = None,
    staff_note: str | None = None,
    clients: Sequence[Client] | None = None,
    request: HttpRequest | None = None,
) -> Appointment:
    """Reschedule, switch to or from a Teletherapy Session, change the service or note, or
    the clients (`clients`: the primary first). Arguments left None stay as they are.
    Raises ValidationError keyed by field."""
    with transaction.atomic():
        _lock_therapist(appointment.therapist)
        current = _locked_copy(appointment)
        changed = change_occurrence(
            current,
            by=by,
            start=start,
            duration_minutes=duration_minutes,
            is_teletherapy=is_teletherapy,
            service=service,
            staff_note=staff_note,
            clients=clients,
            request=request,
        )
        if changed is not None:
            notify_clients(*changed)
            return changed[0]
    return current


def change_occurrence(
    current: Appointment,
    *,
    by: StaffMember,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    is_teletherapy: bool | None = None,
    service: str | None = None,
    staff_note: str | None = None,
    clients: Sequence[Client] | None = None,
    whole_series: bool = False,
    request: HttpRequest | None = None,
) -> tuple[Appointment, str] | None:
    """Change one locked appointment (the one place an appointment row is changed: an
    appointment alone or an occurrence of a series). Returns it with the email kind to send
    when the clients see the change ("changed", or "" for none), None when nothing changed;
    a client added or removed is emailed here (for an appointment alone). `clients` (the
    primary first) replaces the clients; on an occurrence of a series only with
    `whole_series` (this and following, or all: each client's calendar holds the series as
    one entry). Raises ValidationError keyed by field. Call inside the caller's
    transaction, with the therapist locked."""
    _require_visible(by, current)
    _refuse_unless_scheduled(current, "changed")
    tz = clock.zone(clock.viewer_zone(by))
    new_start = start if start is not None else current.start
    new_minutes = duration_minutes if duration_minutes is not None else current.duration_minutes
    new_tele = current.is_teletherapy if is_teletherapy is None else is_teletherapy
    new_service = service if service is not None else current.service
    new_note = staff_note.strip() if staff_note is not None else current.staff_note
    errors: dict[str, list[str]] = {}
    time_changed = new_start != current.start or new_minutes != current.duration_minutes
    if time_changed:
        _check_time(
            errors,
            therapist=current.therapist,
            start=new_start,
            duration_minutes=new_minutes,
            tz=tz,
            exclude_pk=current.pk,
        )
    before = current.all_clients()
    new_clients = list(clients) if clients else before
    clients_changed = [c.pk for c in new_clients] != [c.pk for c in before]
    if clients_changed and current.series_id is not None and not whole_series:
        errors["additional_clients"] = [
            "Change the clients of this and the following appointments, or of all of them: "
            "each client's calendar holds the series as one entry."
        ]
    elif clients_changed or (new_tele and not current.is_teletherapy):
        # The clients kept are not checked again unless this becomes a Teletherapy Session.
        switching = new_tele and not current.is_teletherapy
        problem = teletherapy_booking_problem(current.therapist, None) if switching else None
        if problem:
            errors["is_teletherapy"] = [problem]
        _client_errors(
            errors,
            therapist=current.therapist,
            clients=new_clients,
            is_teletherapy=new_tele,
            kept=set() if switching else {c.pk for c in before},
        )
    if new_service not in Appointment.Service.values:
        errors["service"] = ["Choose a service from the list."]
    if errors:
        raise ValidationError(errors)

    details: dict[str, Any] = {}
    lines: list[str] = []
    if time_changed:
        details["start"] = [_iso(current.start), _iso(new_start)]
        details["minutes"] = [current.duration_minutes, new_minutes]
        lines.append("Rescheduled")
    if new_tele != current.is_teletherapy:
        details["is_teletherapy"] = [current.is_teletherapy, new_tele]
        lines.append(f"Teletherapy Session? {'Yes' if new_tele else 'No'}")
    if new_service != current.service:
        details["service"] = [current.service, new_service]
        lines.append("Service changed")
    if new_note != current.staff_note:
        lines.append("Staff note changed")
    added: list[Client] = []
    removed: list[Client] = []
    if clients_changed:
        added, removed = set_clients(
            current, client=new_clients[0], additional_clients=new_clients[1:]
        )
        primary_moved = new_clients[0].pk != before[0].pk
        lines += client_lines(added, removed, new_clients[0] if primary_moved else None)
        details["client_ids"] = [[c.pk for c in before], [c.pk for c in new_clients]]
    if not lines:
        return None

    was_tele = current.is_teletherapy
    client_sees_change = time_changed or new_tele != was_tele
    current.start = new_start
    current.end = new_start + timedelta(minutes=new_minutes)
    current.is_teletherapy = new_tele
    if new_tele:
        current.location = Appointment.Location.TELETHERAPY
    elif current.location == Appointment.Location.TELETHERAPY:
        current.location = Appointment.Location.OFFICE
    current.service = new_service
    current.staff_note = new_note
    if client_sees_change or added or removed:
        current.ics_sequence += 1
    current.save()
    AppointmentChange.objects.create(
        appointment=current, by=by.user, summary="; ".join(lines), details=details
    )
    record(
        Action.APPOINTMENT_CHANGED,
        actor=by.user,
        practice=current.practice,
        obj=current,
        request=request,
        changes=sorted(details) + (["staff_note"] if "Staff note changed" in lines else []),
    )
    announce(current.pk, "changed")  # reminders plan again (teletherapy/reminders)
    if (added or removed) and (was_tele or new_tele) and current.series_id is None:
        notify_people(current.pk, "booked" if new_tele else "", added)
        notify_people(current.pk, "removed" if was_tele else "", removed)
    kind = "changed" if client_sees_change and (was_tele or new_tele) else ""
    if kind and added:
        # The added clients were sent the booking; the others, the change.
        current._skip_notify = {c.pk for c in added}  # type: ignore[attr-defined]
    return current, kind


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Give a reason for cancelling."]})
    if len(reason) > 300:
        raise ValidationError({"reason": ["Keep the reason under 300 characters."]})
    return reason


def cancel_appointment(
    *, appointment: Appointment, by: StaffMember, reason: str, request: HttpRequest | None = None
) -> Appointment:
    """Cancel with a reason (kept for staff only); the client of a Teletherapy Session is
    emailed a calendar cancellation (for an occurrence of a series: the series' calendar
    entry, without it)."""
    reason = _check_reason(reason)
    with transaction.atomic():
        current = _locked_copy(appointment)
        kind = cancel_occurrence(current, by=by, reason=reason, request=request)
        notify_clients(current, kind)
    return current


def cancel_occurrence(
    current: Appointment, *, by: StaffMember, reason: str, request: HttpRequest | None = None
) -> str:
    """Staff cancel one locked appointment: cancel_row() once `by` may see it. Returns the
    email kind to send ("cancelled", or "" for none)."""
    _require_visible(by, current)
    return cancel_row(current, reason=reason, by_user=by.user, request=request)


def cancel_row(
    current: Appointment,
    *,
    reason: str,
    by_user: User | None = None,
    summary: str = "Cancelled",
    actor_label: str = "",
    request: HttpRequest | None = None,
    **audit: Any,
) -> str:
    """Cancel one locked appointment: the one place an appointment is cancelled, by staff
    (cancel_occurrence) or by a client from a reminder. Alone or an occurrence of a series,
    which then lists its start among the series' exceptions (so every client's calendar
    drops that day); History line, audit row, reminders withdrawn. The caller checks who
    may, and emails the clients with the kind returned ("cancelled", or "" for none):
    notify_clients()."""
    _refuse_unless_scheduled(current, "cancelled")
    current.status = Appointment.Status.CANCELLED
    current.cancel_reason = reason
    current.ics_sequence += 1
    current.save()
    if current.series_id is not None and current.series_start is not None:
        series = AppointmentSeries.objects.select_for_update().get(pk=current.series_id)
        if _iso(current.series_start) not in series.exdates:
            series.exdates = [*series.exdates, _iso(current.series_start)]
            series.save(update_fields=["exdates"])
    AppointmentChange.objects.create(
        appointment=current, by=by_user, summary=summary, details={"reason": reason}
    )
    record(
        Action.APPOINTMENT_CANCELLED,
        actor=by_user,
        actor_label=actor_label,
        practice=current.practice,
        obj=current,
        request=request,
        **audit,
    )
    announce(current.pk, "cancelled")  # reminders are withdrawn (teletherapy/reminders)
    return "cancelled" if current.is_teletherapy else ""


def mark_no_show(
    *, appointment: Appointment, by: StaffMember, request: HttpRequest | None = None
) -> Appointment:
    """Mark that the client did not come; possible once the appointment has started."""
    with transaction.atomic():
        current = _locked_copy(appointment)
        _require_visible(by, current)
        _refuse_unless_scheduled(current, "marked no-show")
        if current.start > timezone.now():
            raise ValidationError(
                {"status": ["You can mark a no-show only once the appointment has started."]}
            )
        current.status = Appointment.Status.NO_SHOW
        current.save()
        AppointmentChange.objects.create(appointment=current, by=by.user, summary="Marked no-show")
        record(
            Action.APPOINTMENT_NO_SHOW,
            actor=by.user,
            practice=current.practice,
            obj=current,
            request=request,
        )
    return current
