from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import password_validation

from teletherapy.accounts.models import User
from teletherapy.clients.forms import (
    STATE_FIELD_ERRORS,
    TIME_ZONE_FIELD_ERRORS,
    AddressFormMixin,
    DateInput,
)
from teletherapy.clients.models import Client
from teletherapy.lib.states import STATE_CHOICES, TIME_ZONE_CHOICES

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


class PortalSignInForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ForgotPasswordForm(forms.Form):
    identifier = forms.CharField(
        label="Username or email", max_length=254, widget=forms.TextInput(attrs={"autofocus": True})
    )


class ConfirmBirthDateForm(forms.Form):
    date_of_birth = forms.DateField(label="Your date of birth", widget=DateInput())


class CreateAccountForm(forms.Form):
    username = forms.CharField(
        max_length=40,
        help_text="3 to 40 letters, digits, dots, dashes or underscores.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip().lower()
        if not USERNAME_RE.match(username):
            raise forms.ValidationError(
                "Use 3 to 40 letters, digits, dots, dashes or underscores, starting with a "
                "letter or digit."
            )
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError("That username is taken. Please choose another.")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords don't match.")
        elif p1:
            probe = User(
                username=data.get("username", ""),
                email=self.client.email,
                full_name=self.client.full_name,
                kind=User.Kind.CLIENT,
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ContactForm(AddressFormMixin, forms.ModelForm):
    """What a client may change about themselves in the portal."""

    state = forms.ChoiceField(
        choices=[("", "— outside the U.S. —"), *STATE_CHOICES],
        required=False,
        error_messages=STATE_FIELD_ERRORS,
    )
    time_zone = forms.ChoiceField(
        choices=[("", "Default for the state"), *TIME_ZONE_CHOICES],
        required=False,
        error_messages=TIME_ZONE_FIELD_ERRORS,
    )

    class Meta:
        model = Client
        fields = [
            "email",
            "mobile_phone",
            "street",
            "city",
            "state",
            "zip_code",
            "country",
            "time_zone",
        ]
        labels = {"mobile_phone": "Mobile phone", "zip_code": "ZIP"}
        widgets = {
            "mobile_phone": forms.TextInput(attrs={"type": "tel"}),
            "zip_code": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].error_messages["required"] = (
            "Enter your email address: your therapist's office uses it to send you links."
        )
        self.fields["country"].required = False
        self.fields["state"].widget.attrs["data-time-zone-source"] = "1"
        self.show_phones_as_read()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_address(data)
        return data
