from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from teletherapy.accounts.forms import NewPasswordForm
from teletherapy.accounts.models import User
from teletherapy.lib.states import STATE_CHOICES, TIME_ZONE_CHOICES
from teletherapy.practice.models import Practice, Role, StaffMember

DUPLICATE_EMAIL = (
    "Someone in your practice already has an account with this email address. Use a different one."
)
STATE_FIELD_CHOICES = [("", "Choose a state")] + STATE_CHOICES
ZONE_FIELD_CHOICES = [("", "Choose a time zone")] + TIME_ZONE_CHOICES


def _clean_new_email(value: str, *, practice_id: int) -> str:
    # Only the practice's own accounts are named: whether an address has an account in another
    # practice is not this form's to tell (invite_staff() tells that person instead).
    email = value.strip().lower()
    if StaffMember.objects.filter(practice_id=practice_id, user__username=email).exists():
        raise forms.ValidationError(DUPLICATE_EMAIL)
    return email


class StateField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": "Choose one of the U.S. states or territories from the list.",
        "required": "Choose the U.S. state.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=STATE_FIELD_CHOICES, **kwargs)


class TimeZoneField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": "Choose one of the U.S. time zones from the list.",
        "required": "Choose a time zone.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ZONE_FIELD_CHOICES, **kwargs)


class LicensedStatesField(forms.MultipleChoiceField):
    default_error_messages = {
        "invalid_choice": "Choose licensed states from the list of U.S. states and territories.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Licensed U.S. states")
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "The states where this therapist is licensed to practise.")
        # A checkbox per state (a Ctrl-click list is unusable on a phone); state-picker.js
        # adds a filter and shows the chosen ones as removable chips.
        super().__init__(
            choices=STATE_CHOICES,
            widget=forms.CheckboxSelectMultiple(attrs={"data-state-choice": ""}),
            **kwargs,
        )


class CreatePracticeForm(NewPasswordForm):
    practice_name = forms.CharField(label="Practice name", max_length=200)
    state = StateField(label="U.S. state")
    time_zone = TimeZoneField(label="Time zone")
    owner_name = forms.CharField(label="Your full name", max_length=150)
    email = forms.EmailField(
        label="Your email address",
        help_text="You sign in with it.",
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )

    field_order = ["practice_name", "state", "time_zone", "owner_name", "email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "Choose a password"
        self.fields["password2"].label = "Password again"

    def clean_email(self) -> str:
        # Not checked against existing accounts here: the page must not tell who has one.
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        # Compare the password with the name and email typed on this same form.
        probe = User(
            username=self.data.get("email", ""),
            email=self.data.get("email", ""),
            full_name=self.data.get("owner_name", ""),
        )
        try:
            password_validation.validate_password(password, probe)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return password


class RoleChoiceField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Roles")
        super().__init__(choices=Role.choices, widget=forms.CheckboxSelectMultiple, **kwargs)


class AddStaffForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=150)
    email = forms.EmailField(
        label="Email address", help_text="The invitation goes here; they sign in with it."
    )
    roles = RoleChoiceField(
        error_messages={"required": "Choose at least one role."},
        help_text="A person can hold several roles.",
    )
    time_zone = TimeZoneField(label="Their time zone")
    licensed_states = LicensedStatesField(
        help_text="For therapists: where they are licensed. Hold Ctrl (⌘ on a Mac) to "
        "choose several."
    )

    def __init__(self, *args: Any, by: StaffMember, **kwargs: Any) -> None:
        self.by = by
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = by.practice.time_zone
        if not by.is_owner:
            # Only an Owner grants Owner: a Manager is not even offered it.
            roles = self.fields["roles"]
            roles.choices = [(r, label) for r, label in Role.choices if r != Role.OWNER]  # type: ignore[attr-defined]
            roles.error_messages["invalid_choice"] = "Only an Owner can make someone an Owner."

    def clean_email(self) -> str:
        return _clean_new_email(self.cleaned_data["email"], practice_id=self.by.practice_id)

    def clean_roles(self) -> list[str]:
        roles = self.cleaned_data["roles"]
        if Role.OWNER in roles and not self.by.is_owner:
            raise forms.ValidationError("Only an Owner can make someone an Owner.")
        return roles


class RolesForm(forms.Form):
    roles = RoleChoiceField(required=False)


class TherapistDetailsForm(forms.Form):
    licensed_states = LicensedStatesField()
    time_zone = TimeZoneField(label="Time zone")


class PracticeDetailsForm(forms.Form):
    name = forms.CharField(label="Practice name", max_length=200)
    state = StateField(label="U.S. state")
    time_zone = TimeZoneField(label="Time zone")

    @classmethod
    def for_practice(cls, practice: Practice, data: Any = None) -> PracticeDetailsForm:
        initial = {"name": practice.name, "state": practice.state, "time_zone": practice.time_zone}
        return cls(data, initial=initial)


class SecurityForm(forms.Form):
    """The practice's security settings (Owners only)."""

    require_two_step = forms.BooleanField(
        label="Require two-step sign-in for all staff",
        required=False,
        help_text="Staff without it are asked to set it up before anything else.",
    )
    idle_minutes = forms.TypedChoiceField(
        label="Sign out staff and clients after this long without activity",
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        site = int(settings.IDLE_TIMEOUT_MINUTES)
        shorter = [m for m in (5, 10, 15, 20, 25) if m < site]
        self.fields["idle_minutes"].choices = [("", f"{site} minutes (the longest allowed)")] + [  # type: ignore[attr-defined]
            (m, f"{m} minutes") for m in shorter
        ]
        self.fields["idle_minutes"].error_messages["invalid_choice"] = (
            "Choose a time from the list."
        )

    @classmethod
    def for_practice(cls, practice: Practice, data: Any = None) -> SecurityForm:
        initial = {
            "require_two_step": practice.require_two_step,
            "idle_minutes": practice.idle_minutes,
        }
        return cls(data, initial=initial)


class CallPrivacyForm(forms.Form):
    """How the practice's Teletherapy calls connect (Owners and Managers)."""

    hide_network_addresses = forms.BooleanField(
        label="Hide home network addresses",
        required=False,
        help_text="Every call goes through the practice's TURN server, so neither person "
        "learns the other's IP address (and with it roughly where they are).",
    )

    def clean_hide_network_addresses(self) -> bool:
        from django.conf import settings

        value = bool(self.cleaned_data["hide_network_addresses"])
        if value and not (settings.TURN_URLS and settings.TURN_SECRET):
            raise forms.ValidationError(
                "This server has no TURN server set up (TURN_URLS), so calls could not "
                "connect with this on. Ask whoever runs the server to set one up first."
            )
        return value

    @classmethod
    def for_practice(cls, practice: Practice, data: Any = None) -> CallPrivacyForm:
        return cls(data, initial={"hide_network_addresses": practice.hide_network_addresses})
