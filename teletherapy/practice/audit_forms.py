from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from teletherapy.audit.models import Action
from teletherapy.practice.models import StaffMember

# The log began long after this and a day past the last one must still be a date.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
OUT_OF_RANGE = "Choose a date between 2000 and 2099."


class AuditFilterForm(forms.Form):
    """Filter the audit log by person, action and a date range (in the viewer's zone)."""

    person = forms.TypedChoiceField(label="Person", required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action")] + Action.choices
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, viewer: StaffMember, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            StaffMember.objects.visible_to(viewer)
            .select_related("user")
            .order_by("user__full_name", "id")
        )
        self.fields["person"].choices = [("", "Anyone")] + [  # type: ignore[attr-defined]
            (member.user_id, member.name) for member in people
        ]
        self.fields["person"].error_messages["invalid_choice"] = "Choose a person from the list."
        self.fields["action"].error_messages["invalid_choice"] = "Choose an action from the list."

    def _in_range(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(OUT_OF_RANGE)
        return day

    def clean_date_from(self) -> date | None:
        return self._in_range("date_from")

    def clean_date_to(self) -> date | None:
        return self._in_range("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data
