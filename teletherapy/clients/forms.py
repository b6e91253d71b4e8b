from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from teletherapy.clients.models import Client
from teletherapy.lib.fields import ModelMultipleChoiceField
from teletherapy.lib.phones import display_phone, normalise_phone
from teletherapy.lib.states import STATE_CHOICES, TIME_ZONE_CHOICES, default_time_zone
from teletherapy.practice.models import StaffMember

US = "United States"
ZIP = re.compile(r"(\d{5})-?(\d{4})?")
PHONE_FIELDS = ("mobile_phone", "emergency_phone")
_US_SPELLINGS = {"united states", "united states of america", "us", "u.s.", "usa", "u.s.a."}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AddressFormMixin:
    """Country and state rules shared by the staff form and the portal's My details."""

    cleaned_data: dict[str, Any]

    def show_phones_as_read(self) -> None:
        """Stored numbers are E.164; the form shows them the way people write them."""
        initial: dict[str, Any] = self.initial  # type: ignore[attr-defined]
        for name in PHONE_FIELDS:
            if initial.get(name):
                initial[name] = display_phone(initial[name])

    def _clean_phone(self, name: str) -> str:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return ""
        try:
            return normalise_phone(raw)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_mobile_phone(self) -> str:
        return self._clean_phone("mobile_phone")

    def clean_emergency_phone(self) -> str:
        return self._clean_phone("emergency_phone")

    def clean_country(self) -> str:
        country = " ".join((self.cleaned_data.get("country") or "").split())
        if not country or country.lower() in _US_SPELLINGS:
            return US
        return country

    def clean_address(self, data: dict[str, Any]) -> None:
        country = data.get("country", US)
        state = data.get("state", "")
        if "state" in data and "country" in data:
            if country == US and not state:
                self.add_error(  # type: ignore[attr-defined]
                    "state",
                    "Choose the state, or enter the country if the address is outside the U.S.",
                )
            elif country != US and state:
                self.add_error(  # type: ignore[attr-defined]
                    "state", "Leave the state blank for an address outside the U.S."
                )
        zip_code = (data.get("zip_code") or "").strip()
        if "zip_code" in data and zip_code and country == US:
            match = ZIP.fullmatch(zip_code)
            if match is None:
                self.add_error(  # type: ignore[attr-defined]
                    "zip_code", "Enter a ZIP code of 5 digits, or 9 as 12345-6789."
                )
            else:
                data["zip_code"] = "-".join(part for part in match.groups() if part)
        if "time_zone" in data and not data["time_zone"]:
            data["time_zone"] = default_time_zone(state) if state else "UTC"


STATE_FIELD_ERRORS = {"invalid_choice": "Choose a U.S. state, DC or territory from the list."}
TIME_ZONE_FIELD_ERRORS = {"invalid_choice": "Choose a time zone from the list."}


class ClientForm(AddressFormMixin, forms.ModelForm):
    """Add or edit a client. A therapist who is not also Owner, Manager or Scheduler does not
    pick therapists: the clients they add are assigned to them."""

    state = forms.ChoiceField(
        choices=[("", "— outside the U.S. —"), *STATE_CHOICES],
        required=False,
        error_messages=STATE_FIELD_ERRORS,
    )
    time_zone = forms.ChoiceField(
        choices=[("", "Default for the state"), *TIME_ZONE_CHOICES],
        required=False,
        help_text="Left on the default, it follows the state.",
        error_messages=TIME_ZONE_FIELD_ERRORS,
    )
    therapists = ModelMultipleChoiceField(
        queryset=StaffMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Assigned therapist(s)",
        error_messages={"invalid_choice": "Choose therapists of this practice."},
    )

    class Meta:
        model = Client
        fields = [
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "email",
            "mobile_phone",
            "street",
            "city",
            "state",
            "zip_code",
            "country",
            "time_zone",
            "emergency_name",
            "emergency_phone",
            "emergency_relationship",
            "therapists",
        ]
        labels = {
            "mobile_phone": "Mobile phone",
            "zip_code": "ZIP",
            "emergency_name": "Emergency contact name",
            "emergency_phone": "Emergency contact phone",
            "emergency_relationship": "Emergency contact relationship",
        }
        widgets = {
            "date_of_birth": DateInput(),
            "email": forms.EmailInput(),
            "mobile_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "zip_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, staff: StaffMember, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        if staff.can_see_all_clients:
            therapists = self.fields["therapists"]
            therapists.queryset = (  # type: ignore[attr-defined]
                StaffMember.objects.visible_to(staff)
                .therapists()
                .select_related("user")
                .order_by("user__full_name")
            )
            therapists.label_from_instance = lambda member: member.name  # type: ignore[attr-defined]
        else:
            del self.fields["therapists"]
        self.fields["country"].required = False
        self.fields["state"].widget.attrs["data-time-zone-source"] = "1"
        self.show_phones_as_read()
        if self.instance.pk is None and not self.is_bound:
            # A new client's address starts in the practice's state, agreeing with the
            # country's default (United States).
            self.initial.setdefault("state", staff.practice.state)

    def clean_date_of_birth(self) -> date:
        dob: date = self.cleaned_data["date_of_birth"]
        if dob > timezone.localdate():
            raise forms.ValidationError("The date of birth can't be in the future.")
        if dob.year < 1900:
            raise forms.ValidationError("Enter a date of birth after 1900.")
        return dob

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_address(data)
        return data
