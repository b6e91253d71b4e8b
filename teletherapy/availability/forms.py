"""The working-hours and closure forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from teletherapy.availability import hours

Day = date  # ClosureForm has a field named "date"
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


class WorkingWeekForm(forms.Form):
    """One text field per weekday: '9:00-12:00, 13:00-17:00', empty for a day off."""

    def __init__(self, *args: Any, week: hours.Week | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, name in enumerate(hours.WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=name,
                required=False,
                max_length=200,
                initial=hours.ranges_input(week.get(day, [])) if week is not None else "",
                help_text=""
                if day
                else "Ranges like 9:00-12:00, 13:00-17:00; empty for a day off.",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        week: hours.Week = {}
        for day in range(7):
            try:
                week[day] = hours.parse_ranges(data.get(f"day_{day}") or "")
            except ValueError as problem:
                self.add_error(f"day_{day}", str(problem))
        data["week"] = week
        return data


class ClosureForm(forms.Form):
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the day.", "invalid": "Enter a date like 2026-12-25."},
    )
    name = forms.CharField(
        max_length=100,
        help_text="For example “Thanksgiving”. Shown on My Schedule.",
        error_messages={"required": "Give the closure a name, for example “Thanksgiving”."},
    )

    def clean_date(self) -> Day:
        value: Day = self.cleaned_data["date"]
        if not EARLIEST <= value <= LATEST:
            raise forms.ValidationError("Choose a date between 2000 and 2099.")
        return value
