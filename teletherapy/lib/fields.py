"""Form fields shared by the apps."""

from __future__ import annotations

import re
from typing import Any

from django import forms

# The largest primary key a database column holds (a signed 64-bit integer).
MAX_PK = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_pk(value: Any) -> int | None:
    """`value` as a primary key, or None when it is not one: ASCII digits only (str.isdigit
    also takes "²", which int() refuses) and no larger than a database column holds."""
    text = str(value).strip()
    if not _DIGITS.fullmatch(text):
        return None
    pk = int(text)
    return pk if pk <= MAX_PK else None


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, refusing out-of-range ids with its own message before they reach the
    database (a huge number raises OverflowError there, which would be a 500)."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            if parse_pk(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk).strip()[:20]},
                )
        return super().clean(value)
