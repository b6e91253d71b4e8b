from __future__ import annotations

from typing import Any

from django import forms

from teletherapy.reminders.models import DAYS_RANGE, HOURS_RANGE, Channels, ReminderSettings

_DAYS = [("", "Off")] + [(str(n), f"{n} day{'s' if n != 1 else ''} before") for n in DAYS_RANGE]
_HOURS = [("", "Off")] + [(str(n), f"{n} hour{'s' if n != 1 else ''} before") for n in HOURS_RANGE]


class ReminderSettingsForm(forms.Form):
    channels = forms.ChoiceField(label="Send reminders by", choices=Channels.choices)
    days_before = forms.TypedChoiceField(
        label="First reminder",
        choices=_DAYS,
        coerce=int,
        empty_value=None,
        required=False,
        help_text="1 to 5 days before the appointment.",
    )
    hours_before = forms.TypedChoiceField(
        label="Second reminder",
        choices=_HOURS,
        coerce=int,
        empty_value=None,
        required=False,
        help_text="1 to 24 hours before the appointment.",
    )
    cancellation_window_hours = forms.IntegerField(
        label="Clients can cancel online until (hours before the start)",
        min_value=0,
        max_value=168,
        help_text="Inside this time the reminder's Cancel link shows your policy instead.",
    )
    cancellation_policy = forms.CharField(
        label="Cancellation policy shown to clients",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave empty for the standard wording.",
    )
    join_link = forms.BooleanField(
        label="Teletherapy reminders carry a join link (the client gives their date of birth)",
        required=False,
    )

    def __init__(self, data: Any = None, *, instance: ReminderSettings) -> None:
        initial = {
            "channels": instance.channels,
            "days_before": instance.days_before,
            "hours_before": instance.hours_before,
            "cancellation_window_hours": instance.cancellation_window_hours,
            "cancellation_policy": instance.cancellation_policy,
            "join_link": instance.join_link,
        }
        super().__init__(data, initial=initial)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in self.fields}


class TextConsentForm(forms.Form):
    agreed = forms.TypedChoiceField(
        choices=[("yes", "Agreed"), ("no", "Withdrawn")], coerce=lambda v: v == "yes"
    )
