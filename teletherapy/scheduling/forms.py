"""The New appointment, Edit, and Cancel forms. They check shape; services check the rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q

from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling import recurrence
from teletherapy.scheduling.models import Appointment, teletherapy_booking_problem
from teletherapy.scheduling.services import (
    CLIENT_NOT_FOUND,
    DEFAULT_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    TOO_MANY_CLIENTS,
    client_problems,
)

# Dates the calendar and forms accept; outside them is a typo (and date arithmetic overflows).
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
Day = date  # the forms below have a field named "date"

# Service-error keys that belong to another field of the form.
SERVICE_FIELD = {
    "start": "time",
    "is_teletherapy": "teletherapy",
    "status": None,
    "additional_clients": "client_2",
}


class ClientSelect(forms.Select):
    """Marks the clients who have no portal account, for the "can't join yet" notice."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None and not instance.has_portal_account:
            option["attrs"]["data-no-portal"] = ""
        return option


class ClientChoiceField(forms.ModelChoiceField):
    widget = ClientSelect

    def label_from_instance(self, obj: Client) -> str:
        label = f"{obj.last_name}, {obj.first_name}"
        return label if obj.has_portal_account else f"{label} (no portal account)"


ORDINALS = ["First", "Second", "Third", "Fourth"]
CLIENT_FIELDS = ["client", *(f"client_{n}" for n in range(2, Appointment.MAX_CLIENTS + 1))]


def _client_field(position: int, clients: Any) -> ClientChoiceField:
    first = position == 0
    field = ClientChoiceField(
        queryset=clients,
        label="Client" if first else f"{ORDINALS[position]} person",
        required=first,
        empty_label="Choose a client" if first else "No one",
        error_messages={"required": "Choose a client.", "invalid_choice": CLIENT_NOT_FOUND},
    )
    field.widget.attrs["data-portal-select"] = ""
    if not first:
        field.widget.attrs["data-extra-client"] = ""
    return field


class _ClientFields:
    """Up to Appointment.MAX_CLIENTS clients from My Clients (the staff member's bookable
    clients): "client" and "client_2".."client_4", and which of them is the primary (the one
    billed; the first unless chosen). Server-rendered fields: no script needed."""

    fields: dict[str, Any]
    data: Any
    cleaned_data: dict[str, Any]
    errors: Any
    add_error: Any
    __getitem__: Any

    def add_client_fields(self, clients: Any) -> None:
        for position, name in enumerate(CLIENT_FIELDS):
            self.fields[name] = _client_field(position, clients)
        self.fields["primary"] = forms.ChoiceField(
            label="Billed to (the primary)",
            choices=[(str(n + 1), f"The {ORDINALS[n].lower()}") for n in range(len(CLIENT_FIELDS))],
            initial="1",
            required=False,
            widget=forms.RadioSelect,
            help_text="The client billed: the first unless you choose another.",
        )

    def clean_clients(
        self, therapist: StaffMember, is_teletherapy: bool, kept: frozenset[int]
    ) -> None:
        """Check each client (services.client_problems), beside its field; set "client" to
        the primary and "additional_clients" to the others, in their order."""
        data = self.cleaned_data
        # A fifth one (from a page of another version, or typed into the address) is refused.
        if any(self.data.get(f"client_{n}") for n in range(len(CLIENT_FIELDS) + 1, 10)):
            self.add_error(CLIENT_FIELDS[-1], TOO_MANY_CLIENTS)
        chosen = [data.get(name) if name not in self.errors else None for name in CLIENT_FIELDS]
        problems = client_problems(
            therapist=therapist,
            clients=chosen,
            is_teletherapy=is_teletherapy and therapist.has_teletherapy,
            kept=kept,
        )
        for position, message in problems:
            if position == 0 and message.startswith("Teletherapy is"):
                continue  # beside the Teletherapy box, as for one client (clean)
            self.add_error(CLIENT_FIELDS[position], message)
        raw = data.get("primary") or "1"
        index = int(raw) - 1
        if chosen[index] is None:
            if "primary" not in self.errors and raw != "1":
                self.add_error("primary", "Choose a client in that place, or another primary.")
            index = 0
        people = [c for c in chosen if c is not None]
        primary = chosen[index]
        if primary is not None:
            data["client"] = primary
            data["additional_clients"] = [c for c in people if c.pk != primary.pk]
        else:
            data["additional_clients"] = []

    @property
    def client_fields(self) -> list[Any]:
        return [self[name] for name in CLIENT_FIELDS]

    @property
    def extra_client_fields(self) -> list[Any]:
        return self.client_fields[1:]

    @property
    def has_extra_clients(self) -> bool:
        """Open the "more clients" part: one is chosen, or one has an error."""
        return any(self[n].value() or self[n].errors for n in CLIENT_FIELDS[1:]) or bool(
            self["primary"].errors
        )


class _TimeFields(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
        help_text="On the quarter hour.",
    )
    duration = forms.IntegerField(
        label="Duration (minutes)",
        initial=DEFAULT_MINUTES,
        widget=forms.NumberInput(attrs={"min": MIN_MINUTES, "max": MAX_MINUTES, "step": 5}),
        error_messages={"invalid": "Enter the duration in whole minutes."},
    )

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz

    def clean_date(self) -> Day:
        value: Day = self.cleaned_data["date"]
        if not EARLIEST <= value <= LATEST:
            raise forms.ValidationError("Choose a date between 2000 and 2099.")
        return value

    def clean_time(self) -> Any:
        value = self.cleaned_data["time"]
        if value.minute % 15 or value.second:
            raise forms.ValidationError("Choose a time on the quarter hour (:00, :15, :30, :45).")
        return value

    def clean_duration(self) -> int:
        value: int = self.cleaned_data["duration"]
        if not MIN_MINUTES <= value <= MAX_MINUTES:
            raise forms.ValidationError(
                f"The duration must be between {MIN_MINUTES} and {MAX_MINUTES} minutes."
            )
        return value

    def start(self) -> datetime | None:
        day, at = self.cleaned_data.get("date"), self.cleaned_data.get("time")
        if day is None or at is None:
            return None
        return clock.make_local(day, at, self.tz)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date") and data.get("time") and self.start() is None:
            self.add_error(
                "time", "That time does not exist on that day: the clocks spring forward."
            )
        return data

    def add_service_errors(self, error: Any) -> None:
        """Put a service's ValidationError beside the matching field."""
        for key, messages in error.message_dict.items():
            field = SERVICE_FIELD.get(key, key)
            if field not in self.fields:
                field = None
            for message in messages:
                self.add_error(field, message)


class NewAppointmentForm(_ClientFields, _TimeFields):
    service = forms.ChoiceField(choices=Appointment.Service.choices, initial="90834")
    # One control: the location follows it (Teletherapy, or the office).
    teletherapy = forms.BooleanField(label="Teletherapy Session", required=False)
    staff_note = forms.CharField(
        label="Note for staff",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Seen by staff only, never by the client.",
    )
    repeats = forms.ChoiceField(
        choices=recurrence.CHOICES,
        initial=recurrence.NEVER,
        required=False,
        help_text="Monthly repeats on the same weekday, e.g. the 2nd Tuesday of each month.",
    )
    ends = forms.ChoiceField(
        label="Ends",
        choices=[("count", "After a number of times"), ("until", "On a date")],
        initial="count",
        required=False,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label="Number of times",
        required=False,
        initial=10,
        widget=forms.NumberInput(attrs={"min": 2, "max": recurrence.MAX_COUNT}),
        error_messages={"invalid": "Enter the number of times in whole numbers."},
    )
    until = forms.DateField(
        label="End date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="At most a year after the first appointment.",
    )
    field_order = [*CLIENT_FIELDS, "primary", "date", "time", "duration", "service", "teletherapy"]

    def __init__(
        self,
        *args: Any,
        therapist: StaffMember,
        clients: Any,
        tz: ZoneInfo,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, tz=tz, **kwargs)
        self.therapist = therapist
        self.add_client_fields(clients)
        self.order_fields(self.field_order)
        self.fields["teletherapy"].widget.attrs["data-tele-checkbox"] = ""
        # Occurrences the booker chose to skip (after a collision), as local ISO days.
        raw = self.data.getlist(self.add_prefix("skip")) if hasattr(self.data, "getlist") else []
        self.skip = frozenset(
            day
            for value in raw
            for part in str(value).split(",")
            if (day := _iso_day(part)) is not None
        )
        self.collisions: list[Any] = []

    @property
    def skip_days(self) -> list[Day]:
        return sorted(self.skip)

    @property
    def is_series(self) -> bool:
        return self.cleaned_data.get("repeats") not in (None, "", recurrence.NEVER)

    def _clean_series(self, data: dict[str, Any]) -> None:
        """Check the repeat fields' shape and the rule they make (services check again)."""
        if not self.is_series or not data.get("date") or not data.get("time"):
            return
        if data.get("ends") == "until":
            if data.get("until") is None and "until" not in self.errors:
                self.add_error("until", "Choose the date of the last appointment.")
                return
            count, until = None, data.get("until")
        else:
            count, until = data.get("count"), None
            if "count" in self.errors:
                return
        try:
            data["rule"] = recurrence.build_rule(
                repeats=data["repeats"],
                first_day=data["date"],
                at=data["time"],
                count=count,
                until=until,
            )
        except recurrence.RuleError as error:
            self.add_error(error.field, error.message)
            return
        items = recurrence.occurrences(
            data["rule"], datetime.combine(data["date"], data["time"]), self.tz
        )
        gap = recurrence.first_gap(items)
        if gap is not None and "time" not in self.errors:
            self.add_error("time", recurrence.gap_message(gap))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self._clean_series(data)
        # A post from before the one control may still name the location.
        wants_tele = bool(data.get("teletherapy")) or (
            self.data.get(self.add_prefix("location")) == Appointment.Location.TELETHERAPY
        )
        data["location"] = Appointment.Location.OFFICE
        self.clean_clients(self.therapist, wants_tele, frozenset())
        if wants_tele:
            data["teletherapy"] = True
            data["location"] = Appointment.Location.TELETHERAPY
            problem = teletherapy_booking_problem(self.therapist, data.get("client"))
            if problem:
                self.add_error("teletherapy", problem)
        return data

    @property
    def show_teletherapy(self) -> bool:
        return self.therapist.has_teletherapy


def _iso_day(value: str) -> Day | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _scope_field() -> forms.ChoiceField:
    from teletherapy.scheduling.series import SCOPES, THIS

    return forms.ChoiceField(
        label="Which appointments",
        choices=SCOPES,
        initial=THIS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which appointments of the series this is for."},
    )


class EditAppointmentForm(_ClientFields, _TimeFields):
    """The same fields as New appointment, shown the same way."""

    teletherapy = forms.BooleanField(label="Teletherapy Session", required=False)
    service = forms.ChoiceField(choices=Appointment.Service.choices)
    staff_note = forms.CharField(
        label="Note for staff",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Seen by staff only, never by the client.",
    )

    def __init__(
        self,
        *args: Any,
        appointment: Appointment,
        tz: ZoneInfo,
        clients: Any = None,
        **kwargs: Any,
    ) -> None:
        local = appointment.start.astimezone(tz)
        current = appointment.all_clients()
        if args and hasattr(args[0], "copy") and "client" not in args[0]:
            # A post without the client fields (a page from before them) keeps the clients.
            data = args[0].copy()
            for name, client in zip(CLIENT_FIELDS, current, strict=False):
                data[name] = str(client.pk)
            args = (data, *args[1:])
        kwargs.setdefault(
            "initial",
            {
                **{name: c.pk for name, c in zip(CLIENT_FIELDS, current, strict=False)},
                "primary": "1",
                "date": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration": appointment.duration_minutes,
                "teletherapy": appointment.is_teletherapy,
                "service": appointment.service,
                "staff_note": appointment.staff_note,
            },
        )
        super().__init__(*args, tz=tz, **kwargs)
        self.appointment = appointment
        self.kept = frozenset(c.pk for c in current)
        # The bookable clients, and those already in it (kept even if no longer bookable).
        base = clients if clients is not None else Client.objects.none()
        self.add_client_fields(
            Client.objects.filter(
                Q(pk__in=base.values("pk")) | Q(pk__in=self.kept),
                practice_id=appointment.practice_id,
            ).order_by("last_name", "first_name", "pk")
        )
        if appointment.series_id is not None:
            self.fields["scope"] = _scope_field()

    @property
    def show_teletherapy(self) -> bool:
        return self.appointment.therapist.has_teletherapy or self.appointment.is_teletherapy

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # Ticked: a Teletherapy Session. Unticked where the box is shown: not one. Where it is
        # not shown (no Teletherapy for the therapist), leave it as it is.
        if self.data.get(self.add_prefix("teletherapy")) not in (None, "", "no", "false", "0"):
            data["teletherapy"] = True
        elif self.show_teletherapy:
            data["teletherapy"] = False
        else:
            data["teletherapy"] = None
        wants_tele = bool(data["teletherapy"]) or (
            data["teletherapy"] is None and self.appointment.is_teletherapy
        )
        switching = wants_tele and not self.appointment.is_teletherapy
        self.clean_clients(
            self.appointment.therapist, wants_tele, frozenset() if switching else self.kept
        )
        if switching and data.get("client") is not None:
            problem = teletherapy_booking_problem(self.appointment.therapist, data["client"])
            if problem and "teletherapy" not in self.errors:
                self.add_error("teletherapy", problem)
        return data

    def chosen_clients(self) -> list[Client]:
        """The clients chosen, the primary first."""
        data = self.cleaned_data
        return [data["client"], *data.get("additional_clients", [])]


class MoveForm(_TimeFields):
    """Drag-and-drop on My Schedule: a new day and time, the same duration."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["duration"]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        widget=forms.TextInput(),
        error_messages={"required": "Give a reason for cancelling."},
        help_text="Kept in the appointment's history for staff; not sent to the client.",
    )

    def __init__(self, *args: Any, appointment: Appointment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if appointment is not None and appointment.series_id is not None:
            self.fields["scope"] = _scope_field()
