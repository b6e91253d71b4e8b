"""The New appointment, Edit, and Cancel forms. They check shape; services check the rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling import recurrence
from teletherapy.scheduling.models import Appointment, teletherapy_booking_problem
from teletherapy.scheduling.services import DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES

# Dates the calendar and forms accept; outside them is a typo (and date arithmetic overflows).
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
Day = date  # the forms below have a field named "date"

# Service-error keys that belong to another field of the form.
SERVICE_FIELD = {"start": "time", "is_teletherapy": "teletherapy", "status": None}


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


class NewAppointmentForm(_TimeFields):
    client = ClientChoiceField(
        queryset=Client.objects.none(),
        empty_label="Choose a client",
        error_messages={
            "required": "Choose a client.",
            "invalid_choice": "Choose one of the clients in the list.",
        },
    )
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
    field_order = ["client", "date", "time", "duration", "service", "teletherapy"]

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
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["client"].widget.attrs["data-portal-select"] = ""
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


class EditAppointmentForm(_TimeFields):
    """The same fields as New appointment, shown the same way (the client stays)."""

    teletherapy = forms.BooleanField(label="Teletherapy Session", required=False)
    service = forms.ChoiceField(choices=Appointment.Service.choices)
    staff_note = forms.CharField(
        label="Note for staff",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Seen by staff only, never by the client.",
    )

    def __init__(self, *args: Any, appointment: Appointment, tz: ZoneInfo, **kwargs: Any) -> None:
        local = appointment.start.astimezone(tz)
        kwargs.setdefault(
            "initial",
            {
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
        return data


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
