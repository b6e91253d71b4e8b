"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms

# The largest primary key a database column holds (a signed 64-bit integer).
MAX_PK = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, refusing out-of-range ids with its own message before they reach the
    database (a huge number raises OverflowError there, which would be a 500)."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk).strip()
            if not text.isdigit() or int(text) > MAX_PK:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super().clean(value)
