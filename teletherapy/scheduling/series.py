"""Repeating appointments: book a series whole or not at all; change or cancel this one,
this and following, or all.

Every occurrence is created, changed and cancelled through services.create_occurrence,
change_occurrence and cancel_occurrence (the same functions a single appointment goes
through), inside one transaction with the therapist locked, so a series is booked or refused
whole and each occurrence gets its History line and audit row. The client of a Teletherapy
series gets one calendar entry for it (ics.series_ics), updated after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.availability import hours
from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling import recurrence, services
from teletherapy.scheduling.models import Appointment, AppointmentSeries

THIS = "this"
FOLLOWING = "following"
ALL = "all"
SCOPES = [
    (THIS, "This appointment only"),
    (FOLLOWING, "This and the following appointments of the series"),
    (ALL, "All upcoming appointments of the series"),
]


@dataclass(frozen=True)
class Collision:
    """An occurrence that overlaps another appointment or falls on a practice closure: its
    local day and what to say."""

    day: date
    text: str


class SeriesCollisions(ValidationError):
    """The series can't be booked as it is: these occurrences overlap other appointments.
    Booking again with them skipped books the rest."""

    def __init__(self, collisions: list[Collision]) -> None:
        self.collisions = collisions
        count = len(collisions)
        super().__init__(
            {
                "start": [
                    f"{count} of the appointments overlap{'s' if count == 1 else ''} others, "
                    "so nothing was booked. Skip them to book the rest."
                ]
            }
        )


def _collision_text(start: datetime, other: Appointment, tz: ZoneInfo) -> str:
    return (
        f"{clock.date_time_text(start, tz)}: overlaps "
        f"{services.other_appointment_text(other, tz, day=False)}"
    )


def book_series(
    *,
    therapist: StaffMember,
    client: Client,
    first_day: date,
    at: time,
    repeats: str,
    count: int | None = None,
    until: date | None = None,
    skip: frozenset[date] = frozenset(),
    duration_minutes: int = services.DEFAULT_MINUTES,
    service: str = Appointment.Service.THERAPY_45,
    is_teletherapy: bool = False,
    staff_note: str = "",
    additional_clients: Sequence[Client] = (),
    by: StaffMember,
    request: HttpRequest | None = None,
) -> AppointmentSeries:
    """Book a repeating appointment from `first_day` at `at` (the booker's zone), ending
    after `count` times or on `until`, without the days in `skip` (the booker's dates). The
    rule repeats in the therapist's zone, so a weekly 10:00 stays 10:00 for the therapist
    across their clock changes whoever booked it. All of it or nothing: raises
    ValidationError keyed by field (client, start, duration, repeats, count, until,
    is_teletherapy), or SeriesCollisions naming each occurrence that overlaps another
    appointment. PermissionDenied when `by` may not book for `therapist`."""
    services._require_booker(by, therapist)
    shown = clock.zone(clock.viewer_zone(by))
    tz = hours.therapist_zone(therapist)
    errors = services.booking_errors(
        therapist=therapist,
        client=client,
        service=service,
        is_teletherapy=is_teletherapy,
        additional_clients=additional_clients,
    )
    if tz.key != shown.key:
        # The booker's wall time, as the therapist's: the series repeats in their zone.
        typed = clock.make_local(first_day, at, shown)
        if typed is None:
            errors.setdefault("start", []).append(
                recurrence.gap_message(recurrence.Occurrence(datetime.combine(first_day, at), None))
            )
        else:
            local = typed.astimezone(tz)
            if until is not None:
                until += local.date() - first_day
            first_day, at = local.date(), local.time().replace(tzinfo=None)
    if not services.MIN_MINUTES <= duration_minutes <= services.MAX_MINUTES:
        errors["duration"] = [
            f"The duration must be between {services.MIN_MINUTES} and "
            f"{services.MAX_MINUTES} minutes."
        ]
    rule = ""
    try:
        rule = recurrence.build_rule(
            repeats=repeats, first_day=first_day, at=at, count=count, until=until
        )
    except recurrence.RuleError as error:
        errors.setdefault(error.field, []).append(error.message)
    items = recurrence.occurrences(rule, datetime.combine(first_day, at), tz) if rule else []
    gap = recurrence.first_gap(items)
    if gap is not None:
        errors.setdefault("start", []).append(recurrence.gap_message(gap))
    elif items and items[0].start is not None and items[0].start < timezone.now():
        errors.setdefault("start", []).append("Choose a time in the future.")
    kept = [o for o in items if o.start is None or o.start.astimezone(shown).date() not in skip]
    if items and not kept:
        errors.setdefault("start", []).append("Every appointment of the series is skipped.")
    if errors:
        raise ValidationError(errors)
    length = timedelta(minutes=duration_minutes)
    with transaction.atomic():
        services._lock_therapist(therapist)
        collisions = []
        zone = hours.practice_zone(therapist)
        for item in kept:
            assert item.start is not None
            closed = hours.closure_during(
                therapist.practice_id, zone, item.start, item.start + length
            )
            if closed is not None:
                day = item.start.astimezone(shown).date()
                collisions.append(Collision(day, hours.closure_message(*closed)))
                continue
            other = services.find_overlap(therapist, item.start, item.start + length)
            if other is not None:
                day = item.start.astimezone(shown).date()
                collisions.append(Collision(day, _collision_text(item.start, other, shown)))
        if collisions:
            raise SeriesCollisions(collisions)
        first = items[0].start
        assert first is not None
        series = AppointmentSeries.objects.create(
            practice_id=therapist.practice_id,
            therapist=therapist,
            client=client,
            rule=rule,
            first_start=first,
            time_zone=tz.key,
            duration_minutes=duration_minutes,
            exdates=[services._iso(o.start) for o in items if o not in kept and o.start],
            is_teletherapy=is_teletherapy,
            created_by=by.user,
        )
        others = [c for c in additional_clients if c.pk != client.pk]
        if others:
            series.additional_clients.set(others)
        label = recurrence.describe(repeats, first_day)
        for number, item in enumerate(kept, start=1):
            assert item.start is not None
            services.create_occurrence(
                therapist=therapist,
                client=client,
                start=item.start,
                duration_minutes=duration_minutes,
                service=service,
                is_teletherapy=is_teletherapy,
                staff_note=staff_note,
                by=by,
                request=request,
                series=series,
                series_start=item.start,
                summary=f"Booked ({label}, {number} of {len(kept)})",
                additional_clients=others,
            )
        if is_teletherapy:
            services.notify_series_client(series.pk, "booked")
    return series


def _targets(current: Appointment, scope: str) -> list[Appointment]:
    """The scheduled occurrences `scope` covers, from `current` (locked, in start order)."""
    qs = (
        Appointment.objects.select_for_update()
        .select_related("client", "therapist__user", "practice")
        .filter(series_id=current.series_id, status=Appointment.Status.SCHEDULED)
    )
    if scope == FOLLOWING:
        qs = qs.filter(series_start__gte=current.series_start)
    else:
        qs = qs.filter(start__gte=min(timezone.now(), current.start))
    return list(qs.order_by("start", "pk"))


def _check_scope(appointment: Appointment, scope: str) -> None:
    if scope not in (THIS, FOLLOWING, ALL):
        raise ValidationError({"scope": ["Choose which appointments of the series to change."]})
    if scope != THIS and appointment.series_id is None:
        raise ValidationError({"scope": ["This appointment is not part of a series."]})


def change_series(
    *,
    appointment: Appointment,
    scope: str,
    by: StaffMember,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    is_teletherapy: bool | None = None,
    service: str | None = None,
    staff_note: str | None = None,
    clients: Sequence[Client] | None = None,
    request: HttpRequest | None = None,
) -> Appointment:
    """Change this occurrence, this and the following ones, or all upcoming ones. A new
    day or time moves each of them by the same number of days to the new time of day (in
    the series' zone); `clients` (the primary first) become the clients of each, and of
    the series (its calendar entry goes to them). Whole or nothing: raises ValidationError
    naming each occurrence that can't move."""
    _check_scope(appointment, scope)
    if scope == THIS:
        return services.change_appointment(
            appointment=appointment,
            by=by,
            start=start,
            duration_minutes=duration_minutes,
            is_teletherapy=is_teletherapy,
            service=service,
            staff_note=staff_note,
            clients=clients,
            request=request,
        )
    with transaction.atomic():
        services._lock_therapist(appointment.therapist)
        current = services._locked_copy(appointment)
        services._require_visible(by, current)
        services._refuse_unless_scheduled(current, "changed")
        assert current.series_id is not None
        series = AppointmentSeries.objects.select_for_update().get(pk=current.series_id)
        tz = clock.zone(series.time_zone)
        targets = _targets(current, scope)
        moves: dict[int, datetime | None] = {t.pk: None for t in targets}
        errors: list[str] = []
        if start is not None and start != current.start:
            old_local = current.start.astimezone(tz)
            new_local = start.astimezone(tz)
            days = (new_local.date() - old_local.date()).days
            for target in targets:
                day = target.start.astimezone(tz).date() + timedelta(days=days)
                moved = clock.make_local(day, new_local.time().replace(tzinfo=None), tz)
                if moved is None:
                    errors.append(
                        f"{clock.clock_time(new_local)} does not exist on "
                        f"{clock.day_text(day)}, {day.year}: the clocks spring forward."
                    )
                moves[target.pk] = moved
            if errors:
                raise ValidationError({"start": errors})
            # Move the last first when moving later (and the first first when earlier), so
            # an occurrence never lands on one of its own series that has not moved yet.
            if start > current.start:
                targets.reverse()
        kinds: set[str] = set()
        for target in targets:
            try:
                changed = services.change_occurrence(
                    target,
                    by=by,
                    start=moves[target.pk],
                    duration_minutes=duration_minutes,
                    is_teletherapy=is_teletherapy,
                    service=service,
                    staff_note=staff_note,
                    clients=clients,
                    whole_series=True,
                    request=request,
                )
            except ValidationError as error:
                if "additional_clients" in getattr(error, "message_dict", {}):
                    raise  # the same for every occurrence: say it once, beside the field
                when = clock.date_time_text(target.start, tz)
                errors += [f"{when}: {m}" for m in _messages(error)]
                continue
            if changed is not None and changed[1]:
                kinds.add(changed[1])
        if errors:
            raise ValidationError({"start": errors})
        if scope == ALL and is_teletherapy is not None:
            series.is_teletherapy = is_teletherapy
            series.save(update_fields=["is_teletherapy"])
        added: list[Client] = []
        removed: list[Client] = []
        if clients and [c.pk for c in clients] != [c.pk for c in series.all_clients()]:
            added, removed = services.set_clients(
                series, client=clients[0], additional_clients=clients[1:]
            )
        if kinds or ((added or removed) and series.is_teletherapy):
            services.notify_series_client(series.pk, "changed", added=added, removed=removed)
    return services._locked_copy(current)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [m for messages in error.message_dict.values() for m in messages]
    return list(error.messages)


def cancel_series(
    *,
    appointment: Appointment,
    scope: str,
    by: StaffMember,
    reason: str,
    request: HttpRequest | None = None,
) -> list[Appointment]:
    """Cancel this occurrence, this and the following ones, or all upcoming ones; each is
    listed among the series' exceptions. The client's calendar entry loses them (and is
    cancelled when nothing of the series is left)."""
    _check_scope(appointment, scope)
    if scope == THIS:
        return [
            services.cancel_appointment(
                appointment=appointment, by=by, reason=reason, request=request
            )
        ]
    reason = services._check_reason(reason)
    with transaction.atomic():
        current = services._locked_copy(appointment)
        services._require_visible(by, current)
        services._refuse_unless_scheduled(current, "cancelled")
        targets = _targets(current, scope)
        kinds = {
            services.cancel_occurrence(target, by=by, reason=reason, request=request)
            for target in targets
        }
        if "cancelled" in kinds:
            left = Appointment.objects.filter(
                series_id=current.series_id, status=Appointment.Status.SCHEDULED
            ).exists()
            services.notify_series_client(current.series_id, "changed" if left else "cancelled")  # type: ignore[arg-type]
    return targets


def summary(series: AppointmentSeries) -> dict[str, Any]:
    """What the appointment page says about its series."""
    tz = clock.zone(series.time_zone)
    occurrences = list(series.occurrences.order_by("start").only("start", "status"))
    scheduled = [o for o in occurrences if o.status == Appointment.Status.SCHEDULED]
    first_local = series.first_start.astimezone(tz)
    repeats = _repeats_of(series.rule)
    return {
        "label": recurrence.describe(repeats, first_local.date())
        + f" at {clock.time_text(series.first_start, tz)}",
        "count": len(occurrences),
        "scheduled": len(scheduled),
        "last": clock.date_time_text(occurrences[-1].start, tz) if occurrences else "",
    }


def _repeats_of(rule: str) -> str:
    if rule.startswith("FREQ=MONTHLY"):
        return recurrence.MONTHLY
    interval = next(
        (part.split("=")[1] for part in rule.split(";") if part.startswith("INTERVAL=")), "1"
    )
    return {"1": recurrence.WEEKLY, "2": recurrence.BIWEEKLY, "4": recurrence.FOUR_WEEKLY}.get(
        interval, recurrence.WEEKLY
    )
