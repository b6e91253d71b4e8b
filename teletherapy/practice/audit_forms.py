from __future__ import annotations

from typing import Any

from django import forms

from teletherapy.audit.models import Action
from teletherapy.practice.models import StaffMember


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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data
