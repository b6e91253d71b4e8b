"""My Schedule: the Day/Week calendar, New appointment, and the appointment's tabs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from teletherapy.availability import hours as availability
from teletherapy.availability.access import can_edit_hours
from teletherapy.lib import clock, confirm
from teletherapy.lib.fields import parse_pk
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling import marks, recurrence, services
from teletherapy.scheduling import series as series_services
from teletherapy.scheduling.access import (
    bookable_clients,
    get_appointment_for,
    get_schedule_therapist_for,
    schedule_therapists,
)
from teletherapy.scheduling.forms import (
    EARLIEST,
    LATEST,
    CancelForm,
    EditAppointmentForm,
    MoveForm,
    NewAppointmentForm,
)
from teletherapy.scheduling.grid import Day as GridDay
from teletherapy.scheduling.grid import Row, build_grid, render_body
from teletherapy.scheduling.hours import grid_availability, next_free_slot
from teletherapy.scheduling.models import Appointment, clients_label


def _can_schedule(staff: StaffMember) -> bool:
    return staff.can_use_schedule


def _zone(staff: StaffMember) -> ZoneInfo:
    return clock.zone(clock.viewer_zone(staff))


def _int_param(value: str | None) -> int | None:
    """An id from a query string (None when absent); anything else is a 404."""
    if value in (None, ""):
        return None
    pk = parse_pk(value)
    if pk is None:
        raise Http404("Bad id")
    return pk


def _date_param(value: str | None, default: date) -> date:
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if EARLIEST <= day <= LATEST else default


def schedule_url(therapist_id: int, day: date, view: str = "week") -> str:
    query = urlencode({"therapist": therapist_id, "view": view, "date": day.isoformat()})
    return f"{reverse('scheduling:my_schedule')}?{query}"


def _default_view(request: HttpRequest) -> str:
    """Phones open on the Day view: a week's seven columns do not fit a 360 px screen."""
    mobile_hint = request.headers.get("Sec-CH-UA-Mobile") == "?1"
    return "day" if mobile_hint or "Mobi" in request.headers.get("User-Agent", "") else "week"


@require_GET
# The default view follows the device (_default_view): caches must keep phone and desktop apart.
@vary_on_headers("Sec-CH-UA-Mobile", "User-Agent")
@staff_view(_can_schedule)
def my_schedule(request: StaffRequest) -> HttpResponse:
    staff = request.staff
    tz = _zone(staff)
    therapists = schedule_therapists(staff)
    therapist = get_schedule_therapist_for(
        staff, _int_param(request.GET.get("therapist")), therapists
    )
    now = timezone.now()
    today = now.astimezone(tz).date()
    day = _date_param(request.GET.get("date"), today)
    view = request.GET.get("view")
    view = view if view in ("day", "week", "month") else _default_view(request)
    context: dict[str, Any] = {
        "nav_active": "schedule",
        "therapists": therapists,
        "therapist": therapist,
        "view": view,
        "zone_name": clock.zone_label(tz),
        "zone_abbr": clock.zone_abbr(now, tz),
        "now_label": clock.date_time_text(now, tz),
    }
    if therapist is None:
        return render(request, "scheduling/my_schedule.html", context)
    context.update(_new_button(therapist, now, tz))
    context["can_see_team"] = staff.can_schedule_for_others
    context["can_edit_hours"] = can_edit_hours(staff, therapist)
    if view == "month":
        first_of_month = day.replace(day=1)
        first = first_of_month - timedelta(days=(first_of_month.weekday() + 1) % 7)
        days = [first + timedelta(days=i) for i in range(42)]
        title = f"{first_of_month:%B %Y}"
    elif view == "week":
        first = day - timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday
        days = [first + timedelta(days=i) for i in range(7)]
        step = timedelta(days=7)
        title = f"Week of {clock.day_text(first)}, {first.year}"
    else:
        days = [day]
        step = timedelta(days=1)
        title = f"{clock.day_text(day)}, {day.year}"
    range_start = datetime.combine(days[0], time(0), tzinfo=tz)
    range_end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=tz)
    appointments = list(
        Appointment.objects.visible_to(staff)
        .filter(
            therapist=therapist,
            start__lt=range_end,
            end__gt=range_start,
        )
        .not_cancelled()
        .select_related("client")
        .only(
            "start",
            "end",
            "status",
            "is_teletherapy",
            "client__first_name",
            "client__last_name",
        )
        .prefetch_related("additional_clients")
        .annotate(**marks.annotate_with())
        .order_by("start", "pk")
    )
    marks.apply(appointments)
    if view == "month":
        context.update(
            _month_context(therapist, day, days, appointments, tz=tz, today=today, now=now)
        )
        context["title"] = title
        return render(request, "scheduling/my_schedule.html", context)
    working, closed = grid_availability(therapist, days)
    header, rows = build_grid(
        days=days,
        tz=tz,
        appointments=appointments,
        now=now,
        new_url=reverse("scheduling:new_appointment"),
        therapist_id=therapist.pk,
        working=working,
        closed=closed,
    )
    appointment_url = reverse("scheduling:appointment", args=[0]).replace("/0/", "/{}/")
    move_url = reverse("scheduling:appointment_move", args=[0]).replace("/0/", "/{}/")
    context.update(
        {
            "title": title,
            "days": header,
            # render_body escapes every value it writes (grid.py).
            "grid_body": mark_safe(render_body(rows, appointment_url, move_url)),  # nosec # nosemgrep
            "prev_url": schedule_url(therapist.pk, days[0] - step, view),
            "next_url": schedule_url(therapist.pk, days[0] + step, view),
            "today_url": schedule_url(therapist.pk, today, view),
            "day_url": schedule_url(therapist.pk, day, "day"),
            "week_url": schedule_url(therapist.pk, day, "week"),
            "month_url": schedule_url(therapist.pk, day, "month"),
            "date": day,
            "appointment_count": len(appointments),
        }
    )
    return render(request, "scheduling/my_schedule.html", context)


def _new_button(therapist: StaffMember, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """The New appointment button, prefilled with the therapist's next free slot."""
    free = next_free_slot(therapist, after=now, minutes=services.DEFAULT_MINUTES)
    query: dict[str, Any] = {"therapist": therapist.pk}
    if free is not None:
        local = free.astimezone(tz)
        query.update({"date": local.date().isoformat(), "time": f"{local:%H:%M}"})
    return {
        "new_button_url": f"{reverse('scheduling:new_appointment')}?{urlencode(query)}",
        "next_free": clock.named(clock.date_time_text(free, tz), tz) if free else "",
    }


def _team_url(day: date) -> str:
    return f"{reverse('scheduling:team_day')}?{urlencode({'date': day.isoformat()})}"


def _can_see_team(staff: StaffMember) -> bool:
    return staff.can_schedule_for_others


@require_GET
@staff_view(_can_see_team)
def team_day(request: StaffRequest) -> HttpResponse:
    """One day of every therapist the viewer can schedule for, side by side (Owner, Manager,
    Scheduler)."""
    staff = request.staff
    tz = _zone(staff)
    now = timezone.now()
    today = now.astimezone(tz).date()
    day = _date_param(request.GET.get("date"), today)
    therapists = schedule_therapists(staff)
    context: dict[str, Any] = {
        "nav_active": "schedule",
        "title": f"{clock.day_text(day)}, {day.year}",
        "zone_name": clock.zone_label(tz),
        "zone_abbr": clock.zone_abbr(now, tz),
        "now_label": clock.date_time_text(now, tz),
        "therapists": therapists,
        "date": day,
        "prev_url": _team_url(day - timedelta(days=1)),
        "next_url": _team_url(day + timedelta(days=1)),
        "today_url": _team_url(today),
    }
    if not therapists:
        return render(request, "scheduling/team_day.html", context)
    range_start = datetime.combine(day, time(0), tzinfo=tz)
    range_end = range_start + timedelta(days=1, hours=1)
    by_therapist: dict[int, list[Appointment]] = {t.pk: [] for t in therapists}
    for appointment in (
        Appointment.objects.visible_to(staff)
        .filter(therapist__in=therapists, start__lt=range_end, end__gt=range_start)
        .not_cancelled()
        .select_related("client")
        .prefetch_related("additional_clients")
        .order_by("start", "pk")
    ):
        by_therapist[appointment.therapist_id].append(appointment)
    weeks = availability.weeks_of(therapists)
    closed = availability.closed_days(staff.practice_id, day, day)
    new_url = reverse("scheduling:new_appointment")

    def grid(therapist: StaffMember, shown: tuple[int, int]) -> list[Row]:
        working = availability.intervals(
            weeks[therapist.pk],
            availability.therapist_zone(therapist),
            day - timedelta(days=1),
            day + timedelta(days=1),
        )
        return build_grid(
            days=[day],
            tz=tz,
            appointments=by_therapist[therapist.pk],
            now=now,
            new_url=new_url,
            therapist_id=therapist.pk,
            working=working,
            closed=closed,
            shown_hours=shown,
        )[1]

    grids = [grid(t, (7, 20)) for t in therapists]
    # Every column the same rows: widen each to the earliest and latest any of them shows.
    first = min(rows[0].slot for rows in grids) // 4
    last = max(rows[-1].slot + 1 for rows in grids) // 4
    grids = [
        rows
        if (rows[0].slot, rows[-1].slot + 1) == (first * 4, last * 4)
        else grid(t, (first, last))
        for t, rows in zip(therapists, grids, strict=True)
    ]
    rows = [
        Row(
            parts[0].label,
            parts[0].on_hour,
            [cell for row in parts for cell in row.cells],
            parts[0].slot,
        )
        for parts in zip(*grids, strict=True)
    ]
    appointment_url = reverse("scheduling:appointment", args=[0]).replace("/0/", "/{}/")
    context.update(
        {
            "columns": [
                GridDay(
                    day,
                    t.name,
                    day == today,
                    day.weekday() >= 5,
                    closed=closed.get(day, ""),
                    url=schedule_url(t.pk, day, "day"),
                )
                for t in therapists
            ],
            "closed": closed.get(day, ""),
            # render_body escapes every value it writes (grid.py).
            "grid_body": mark_safe(render_body(rows, appointment_url)),  # nosec # nosemgrep
        }
    )
    return render(request, "scheduling/team_day.html", context)


def _month_context(
    therapist: StaffMember,
    day: date,
    days: list[date],
    appointments: list[Appointment],
    *,
    tz: ZoneInfo,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """Six weeks of days, each with its appointments and links to its Day view and to a
    New appointment on it."""
    by_day: dict[date, list[dict[str, Any]]] = {d: [] for d in days}
    for appointment in appointments:
        local = appointment.start.astimezone(tz)
        if local.date() in by_day:
            by_day[local.date()].append(
                {
                    "appointment": appointment,
                    "span": clock.span_text(appointment.start, appointment.end, tz),
                    "zone_abbr": clock.zone_abbr(local, tz),
                }
            )
    new_url = reverse("scheduling:new_appointment")
    closed = availability.closed_days(therapist.practice_id, days[0], days[-1])
    weeks = []
    for index in range(0, len(days), 7):
        week = []
        for d in days[index : index + 7]:
            week.append(
                {
                    "day": d,
                    "label": clock.day_text(d),
                    "in_month": d.month == day.month,
                    "is_today": d == today,
                    "entries": by_day[d],
                    "day_url": schedule_url(therapist.pk, d, "day"),
                    "closed": closed.get(d, ""),
                    "new_url": f"{new_url}?{urlencode({'therapist': therapist.pk, 'date': d})}"
                    if d >= today and d not in closed
                    else "",
                }
            )
        weeks.append(week)
    first_of_month = day.replace(day=1)
    previous = first_of_month - timedelta(days=1)
    following = first_of_month + timedelta(days=32)
    return {
        "weeks": weeks,
        "weekday_names": [f"{d:%A}" for d in days[:7]],
        "prev_url": schedule_url(therapist.pk, previous, "month"),
        "next_url": schedule_url(therapist.pk, following.replace(day=1), "month"),
        "today_url": schedule_url(therapist.pk, today, "month"),
        "day_url": schedule_url(therapist.pk, day, "day"),
        "week_url": schedule_url(therapist.pk, day, "week"),
        "month_url": schedule_url(therapist.pk, day, "month"),
        "date": day,
        "appointment_count": len(appointments),
    }


def _render_new(
    request: HttpRequest,
    form: NewAppointmentForm,
    therapist: StaffMember,
    partial: bool,
    outside_hours: str = "",
) -> HttpResponse:
    raw_day = form.data.get("date") if form.is_bound else form.initial.get("date")
    day = (
        raw_day
        if isinstance(raw_day, date)
        else _date_param(raw_day, timezone.now().astimezone(form.tz).date())
    )
    return render(
        request,
        "scheduling/new_dialog.html" if partial else "scheduling/new.html",
        {
            "form": form,
            "therapist": therapist,
            "nav_active": "schedule",
            "partial": partial,
            "back_url": schedule_url(therapist.pk, day),
            "zone_name": clock.zone_label(form.tz),
            "outside_hours": outside_hours,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view(_can_schedule)
def new_appointment(request: StaffRequest) -> HttpResponse:
    staff = request.staff
    tz = _zone(staff)
    source = request.POST if request.method == "POST" else request.GET
    therapist = get_schedule_therapist_for(staff, _int_param(source.get("therapist")))
    if therapist is None:
        raise Http404("This practice has no therapists yet.")
    partial = source.get("partial") == "1"
    clients = bookable_clients(staff)
    if request.method == "GET":
        initial: dict[str, Any] = {"duration": services.DEFAULT_MINUTES}
        initial["date"] = _date_param(source.get("date"), timezone.now().astimezone(tz).date())
        try:
            initial["time"] = time.fromisoformat(source.get("time") or "09:00")
        except ValueError:
            initial["time"] = time(9)
        initial.update(_prefill(source, therapist, clients, tz))
        form = NewAppointmentForm(initial=initial, therapist=therapist, clients=clients, tz=tz)
        return _render_new(request, form, therapist, partial)

    form = NewAppointmentForm(request.POST, therapist=therapist, clients=clients, tz=tz)
    outside_hours = ""
    if form.is_valid():
        outside_hours = _outside_hours(form, therapist)
    if form.is_valid() and not outside_hours and form.is_series:
        target = _book_series(request, form, therapist)
        if target is not None:
            if partial:
                return HttpResponse(status=204, headers={"X-Location": target})
            return redirect(target)
    elif form.is_valid() and not outside_hours:
        data = form.cleaned_data
        try:
            appointment = services.book_appointment(
                therapist=therapist,
                client=data["client"],
                start=form.start(),  # type: ignore[arg-type]
                duration_minutes=data["duration"],
                service=data["service"],
                location=data["location"],
                is_teletherapy=data["teletherapy"],
                staff_note=data["staff_note"],
                additional_clients=data["additional_clients"],
                by=staff,
                request=request,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            when = clock.date_time_text(appointment.start, tz)
            messages.success(
                request,
                f"Booked {appointment.clients_label} on {when}"
                + (" as a Teletherapy Session." if appointment.is_teletherapy else "."),
            )
            if appointment.is_teletherapy and _without_portal(appointment.all_clients()):
                target = reverse("scheduling:appointment", args=[appointment.pk])
            else:
                local_day = appointment.start.astimezone(tz).date()
                target = schedule_url(therapist.pk, local_day)
            if partial:
                # The dialog's script follows this header; a redirect would eat the message.
                return HttpResponse(status=204, headers={"X-Location": target})
            return redirect(target)
    return _render_new(request, form, therapist, partial, outside_hours)


def _without_portal(clients: list[Any]) -> list[Any]:
    """The clients who can't join a Teletherapy Session yet: no client portal account."""
    return [c for c in clients if not c.has_portal_account]


def _prefill(source: Any, therapist: StaffMember, clients: Any, tz: ZoneInfo) -> dict[str, Any]:
    """From the client's Book button: the client (one the viewer may book), and with
    slot=next the therapist's next free slot."""
    initial: dict[str, Any] = {}
    client_id = _int_param(source.get("client"))
    if client_id is not None:
        client = clients.filter(pk=client_id).first()
        if client is not None:
            initial["client"] = client
    if source.get("slot") == "next" and not source.get("date"):
        free = next_free_slot(therapist, after=timezone.now(), minutes=services.DEFAULT_MINUTES)
        if free is not None:
            local = free.astimezone(tz)
            initial.update({"date": local.date(), "time": local.time().replace(tzinfo=None)})
    return initial


def _outside_hours(form: NewAppointmentForm, therapist: StaffMember) -> str:
    """The message asking to confirm a booking outside the therapist's working hours, or ""
    when it is inside them or the person ticked "Book outside working hours"."""
    start = form.start()
    if start is None or form.data.get("outside_hours_ok") == "1":
        return ""
    end = start + timedelta(minutes=form.cleaned_data["duration"])
    return availability.outside_hours_message(therapist, start, end) or ""


def _book_series(
    request: StaffRequest, form: NewAppointmentForm, therapist: StaffMember
) -> str | None:
    """Book the form's series; the URL to go to, or None with the form's errors (and its
    collisions, to offer skipping them) set."""
    data = form.cleaned_data
    until = data.get("until") if data.get("ends") == "until" else None
    try:
        series = series_services.book_series(
            therapist=therapist,
            client=data["client"],
            first_day=data["date"],
            at=data["time"],
            repeats=data["repeats"],
            count=None if until else data.get("count"),
            until=until,
            skip=form.skip,
            duration_minutes=data["duration"],
            service=data["service"],
            is_teletherapy=data["teletherapy"],
            staff_note=data["staff_note"],
            additional_clients=data["additional_clients"],
            by=request.staff,
            request=request,
        )
    except series_services.SeriesCollisions as error:
        form.collisions = error.collisions
        form.add_service_errors(error)
        return None
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    tz = form.tz
    first = series.occurrences.order_by("start").first()
    assert first is not None
    booked = series.occurrences.count()
    skipped = len(series.exdates)
    messages.success(
        request,
        f"Booked {booked} appointments for {clients_label(series.all_clients())}, "
        f"{recurrence.lowered(recurrence.describe(data['repeats'], data['date']))}, from "
        f"{clock.date_time_text(first.start, tz)}"
        + (" as Teletherapy Sessions" if series.is_teletherapy else "")
        + (f" ({skipped} skipped)." if skipped else "."),
    )
    if series.is_teletherapy and _without_portal(series.all_clients()):
        return reverse("scheduling:appointment", args=[first.pk])
    return schedule_url(therapist.pk, first.start.astimezone(tz).date())


def _tab_context(request: StaffRequest, appointment: Appointment, tab: str) -> dict[str, Any]:
    staff = request.staff
    tz = _zone(staff)
    local = appointment.start.astimezone(tz)
    return {
        "nav_active": "schedule",
        "appointment": appointment,
        "tab": tab,
        "when": clock.date_time_text(appointment.start, tz),
        "span": f"{clock.span_text(appointment.start, appointment.end, tz)} "
        f"{clock.zone_abbr(appointment.start, tz)}",
        "zone_name": clock.zone_label(tz),
        "schedule_url": schedule_url(appointment.therapist_id, local.date()),
        "clients": appointment.all_clients(),
        "can_join_warning": appointment.is_teletherapy
        and bool(_without_portal(appointment.all_clients())),
        # Each client who can't join yet, with their own Send invite.
        "without_portal": _without_portal(appointment.all_clients())
        if appointment.is_teletherapy
        else [],
        "is_open": appointment.status == Appointment.Status.SCHEDULED,
        "has_started": appointment.start <= timezone.now(),
        "cancel_question": cancel_question(
            appointment, clock.date_time_text(appointment.start, tz)
        ),
        "series": series_services.summary(appointment.series)
        if appointment.series is not None
        else None,
    }


def cancel_question(
    appointment: Appointment, when: str, scope: str | None = None
) -> confirm.Question:
    """The question before cancelling; for an occurrence of a series it names the scope
    (the dialog, asked before the choice is known, names the choice to be made)."""
    told = (
        (
            " Each client is emailed that the Teletherapy Session is cancelled."
            if appointment.is_group
            else " The client is emailed that the Teletherapy Session is cancelled."
        )
        if appointment.is_teletherapy
        else ""
    )
    if appointment.series_id is not None and scope in (
        series_services.FOLLOWING,
        series_services.ALL,
    ):
        which = (
            f"{when} and every following appointment of the series"
            if scope == series_services.FOLLOWING
            else "every upcoming appointment of the series"
        )
        return confirm.Question(
            title="Cancel these appointments?",
            consequence=(
                f"{appointment.clients_label}: {which} is cancelled and the times are "
                f"freed.{told} Cancelled appointments can't be restored."
            ),
            button="Cancel appointments",
        )
    if appointment.series_id is not None and scope is None:
        return confirm.Question(
            title="Cancel the chosen appointments?",
            consequence=(
                f"{appointment.clients_label}, {when}: the appointments you chose (this "
                f"one, this and following, or all) are cancelled and their times freed.{told}"
                " Cancelled appointments can't be restored."
            ),
            button="Cancel appointments",
        )
    return confirm.Question(
        title="Cancel this appointment?",
        consequence=(
            f"{appointment.clients_label}, {when}, is cancelled and its time is freed."
            f"{told} A cancelled appointment can't be restored."
        ),
        button="Cancel appointment",
    )


@require_GET
@staff_view(_can_schedule)
def appointment_detail(request: StaffRequest, appointment_id: int) -> HttpResponse:
    staff = request.staff
    appointment = get_appointment_for(staff, appointment_id)
    context = _tab_context(request, appointment, "details")
    context["cancel_form"] = CancelForm(appointment=appointment)
    return render(request, "scheduling/appointment_details.html", context)


@require_http_methods(["GET", "POST"])
@staff_view(_can_schedule)
def appointment_edit(request: StaffRequest, appointment_id: int) -> HttpResponse:
    staff = request.staff
    appointment = get_appointment_for(staff, appointment_id)
    tz = _zone(staff)
    clients = bookable_clients(staff)
    if request.method == "POST":
        form = EditAppointmentForm(request.POST, appointment=appointment, tz=tz, clients=clients)
        if form.is_valid():
            data = form.cleaned_data
            scope = data.get("scope") or series_services.THIS
            changed = set(form.changed_data)

            def given(name: str) -> Any:
                # For several appointments of a series, only what was changed here: each
                # keeps its own duration, service and note otherwise.
                return data[name] if scope == series_services.THIS or name in changed else None

            try:
                series_services.change_series(
                    appointment=appointment,
                    scope=scope,
                    by=staff,
                    start=form.start(),
                    duration_minutes=given("duration"),
                    is_teletherapy=given("teletherapy"),
                    service=given("service"),
                    staff_note=given("staff_note"),
                    clients=form.chosen_clients(),
                    request=request,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Appointment saved.")
                return redirect("scheduling:appointment", appointment_id=appointment.pk)
    else:
        form = EditAppointmentForm(appointment=appointment, tz=tz, clients=clients)
    context = _tab_context(request, appointment, "edit")
    context["form"] = form
    return render(request, "scheduling/appointment_edit.html", context)


def _history_lines(appointment: Appointment, tz: ZoneInfo) -> list[dict[str, Any]]:
    lines = []
    for change in appointment.changes.select_related("by"):
        detail = ""
        starts = change.details.get("start") if isinstance(change.details, dict) else None
        if isinstance(starts, list) and len(starts) == 2:
            minutes = change.details.get("minutes") or [None, None]
            old, new = (datetime.fromisoformat(s) for s in starts)
            detail = (
                f"from {clock.date_time_text(old, tz)} ({minutes[0]} min) to {clock.date_time_text(new, tz)} "
                f"({minutes[1]} min)"
            )
        elif isinstance(starts, str):
            detail = f"for {clock.date_time_text(datetime.fromisoformat(starts), tz)}"
        if change.details.get("reason"):
            detail = f"Reason: {change.details['reason']}"
        lines.append(
            {
                "at": clock.date_time_text(change.at, tz),
                "by": str(change.by) if change.by else "System",
                "summary": change.summary,
                "detail": detail,
            }
        )
    return lines


@require_GET
@staff_view(_can_schedule)
def appointment_history(request: StaffRequest, appointment_id: int) -> HttpResponse:
    staff = request.staff
    appointment = get_appointment_for(staff, appointment_id)
    context = _tab_context(request, appointment, "history")
    context["lines"] = _history_lines(appointment, _zone(staff))
    context["video_session"] = getattr(appointment, "video_session", None)
    return render(request, "scheduling/appointment_history.html", context)


@require_POST
@staff_view(_can_schedule)
def appointment_cancel(request: StaffRequest, appointment_id: int) -> HttpResponse:
    staff = request.staff
    appointment = get_appointment_for(staff, appointment_id)
    form = CancelForm(request.POST, appointment=appointment)
    if form.is_valid() and not confirm.is_confirmed(request):
        tz = _zone(staff)
        return confirm.confirmation_page(
            request,
            cancel_question(
                appointment,
                clock.date_time_text(appointment.start, tz),
                form.cleaned_data.get("scope") or series_services.THIS,
            ),
            back_url=reverse("scheduling:appointment", kwargs={"appointment_id": appointment.pk}),
            nav_active="schedule",
        )
    if form.is_valid():
        try:
            cancelled = series_services.cancel_series(
                appointment=appointment,
                scope=form.cleaned_data.get("scope") or series_services.THIS,
                by=staff,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in ("reason", "scope") else None, message)
        else:
            messages.success(
                request,
                "Appointment cancelled."
                if len(cancelled) == 1
                else f"{len(cancelled)} appointments cancelled.",
            )
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    context = _tab_context(request, appointment, "details")
    context["cancel_form"] = form
    return render(request, "scheduling/appointment_details.html", context)


@require_POST
@staff_view(_can_schedule)
def appointment_move(request: StaffRequest, appointment_id: int) -> HttpResponse:
    """Drag-and-drop on My Schedule: move to another day and time, keeping the duration."""
    staff = request.staff
    appointment = get_appointment_for(staff, appointment_id)
    tz = _zone(staff)
    back = schedule_url(appointment.therapist_id, appointment.start.astimezone(tz).date())
    form = MoveForm(request.POST, tz=tz)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for field_error in field_errors:
                messages.error(request, str(field_error))
        return redirect(back)
    try:
        moved = services.change_appointment(
            appointment=appointment, by=staff, start=form.start(), request=request
        )
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect(back)
    messages.success(
        request, f"Moved {moved.clients_label} to {clock.date_time_text(moved.start, tz)}."
    )
    return redirect(schedule_url(moved.therapist_id, moved.start.astimezone(tz).date()))


@require_POST
@staff_view(_can_schedule)
def appointment_no_show(request: StaffRequest, appointment_id: int) -> HttpResponse:
    staff = request.staff
    appointment = get_appointment_for(staff, appointment_id)
    try:
        services.mark_no_show(appointment=appointment, by=staff, request=request)
    except ValidationError as error:
        for errors in error.message_dict.values():
            for message in errors:
                messages.error(request, message)
    else:
        messages.success(request, "Marked as a no-show.")
    return redirect("scheduling:appointment", appointment_id=appointment.pk)
