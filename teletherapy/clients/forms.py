from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from teletherapy.clients.guardians import duplicate_ids, guardian_problem
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


class GuardianSelects(forms.SelectMultiple):
    """A few plain selects under one name (Guardian 1, Guardian 2, ...): each works on a phone
    and by keyboard, and a refused choice is shown again as it was sent."""

    SLOTS = 3

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = [str(v) for v in (value or []) if str(v).strip()]
        slots = max(self.SLOTS, len(chosen))
        attrs = self.build_attrs(self.attrs, attrs)
        base = attrs.get("id", f"id_{name}")
        described = attrs.get("aria-describedby", "")
        options = [(str(pk), label) for pk, label in self.choices if str(pk)]
        parts = []
        for index in range(slots):
            current = chosen[index] if index < len(chosen) else ""
            known = {pk for pk, _ in options}
            extra = [(current, "(not in the list)")] if current and current not in known else []
            body = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (pk, SafeString(" selected") if pk == current else "", label)
                    for pk, label in [("", "— none —"), *options, *extra]
                ),
            )
            parts.append(
                format_html(
                    '<div class="field guardian-slot"><label for="{id}">Guardian {n}</label>'
                    '<select name="{name}" id="{id}"{described}>{body}</select></div>',
                    id=base if index == 0 else f"{base}_{index}",
                    n=index + 1,
                    name=name,
                    described=format_html(' aria-describedby="{}"', described) if described else "",
                    body=body,
                )
            )
        return format_html_join("", "{}", ((part,) for part in parts))

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        # The selects left on "— none —" send an empty value: no choice.
        return [v for v in super().value_from_datadict(data, files, name) if str(v).strip()]


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

    is_minor = forms.BooleanField(required=False, label="This client is a minor")
    minor_may_sign_in = forms.BooleanField(
        required=False,
        label="This minor may sign in to the Client Portal with a login of their own",
        help_text="Off: only their guardians sign in and join their sessions.",
    )
    guardians = ModelMultipleChoiceField(
        queryset=Client.objects.none(),
        required=False,
        widget=GuardianSelects,
        label="Guardians",
        help_text="Adult clients of this practice, each joining from their own portal.",
        error_messages={
            "invalid_choice": "Not found: choose guardians from this practice's clients."
        },
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
            "is_minor",
            "minor_may_sign_in",
            "guardians",
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
        visible = Client.objects.visible_to(staff)
        guardians = self.fields["guardians"]
        guardians.queryset = visible  # type: ignore[attr-defined]
        guardians.widget.choices = [
            (c.pk, c.full_name)
            for c in visible.filter(is_active=True, is_minor=False).exclude(pk=self.instance.pk)
        ]
        guardians.widget.attrs["aria-describedby"] = "id_guardians-errors"
        if self.instance.pk is not None and not self.is_bound:
            self.initial["guardians"] = [
                g.pk for g in self.instance.guardians.all() if g in visible
            ]
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

    def clean_guardians(self) -> list[Client]:
        """Each choice once, adult, of this practice, not the client themself; the messages
        name the problem, and the selects keep what was sent."""
        raw = [str(v) for v in self["guardians"].value() or []] if self.is_bound else []
        chosen: list[Client] = list(self.cleaned_data.get("guardians") or [])
        by_pk = {str(c.pk): c for c in chosen}
        errors = [
            f"{by_pk[pk].full_name if pk in by_pk else 'A guardian'} is chosen more than once."
            for pk in duplicate_ids(raw)
        ]
        minor = self.instance if self.instance.pk is not None else None
        for guardian in chosen:
            problem = guardian_problem(
                minor=minor, guardian=guardian, practice_id=self.staff.practice_id
            )
            if problem:
                errors.append(problem)
        if errors:
            raise forms.ValidationError(errors)
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_address(data)
        if not data.get("is_minor"):
            # Guardians and a minor's own login count only for a minor.
            data["minor_may_sign_in"] = False
            # Un-ticking a minor removes their guardians; a new choice is kept and questioned.
            was_minor = self.instance.pk is not None and self.instance.is_minor
            if data.get("guardians") and "guardians" not in self.errors and not was_minor:
                self.add_error("guardians", 'Tick "This client is a minor" to give them guardians.')
        elif self.instance.pk is not None and self.instance.wards.exists():
            self.add_error(
                "is_minor",
                "This client is the guardian of a minor; a guardian can't be marked as a minor.",
            )
        return data
