from __future__ import annotations

from django import forms

from teletherapy.lib.states import STATE_CHOICES
from teletherapy.video.services import OUTSIDE_US

LOCATION_CHOICES = [("", "Choose where you are"), *STATE_CHOICES, (OUTSIDE_US, "Outside the U.S.")]


class LocationForm(forms.Form):
    location = forms.ChoiceField(
        label="Where are you right now?",
        choices=LOCATION_CHOICES,
        help_text="The U.S. state (or DC or territory) you are in for this session.",
        error_messages={"required": "Choose the state you are in right now."},
    )
