from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation


class SignInForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class NewPasswordForm(forms.Form):
    """Choose a password: at least 12 characters, not a common one, typed twice."""

    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. A few unrelated words make a good one.",
    )
    password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        try:
            password_validation.validate_password(password, self.user)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The two passwords don't match. Please type it again.")
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code",
        max_length=10,
        help_text="From your authenticator app. Codes change every 30 seconds.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
