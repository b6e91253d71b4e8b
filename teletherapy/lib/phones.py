"""Phone numbers: validated and stored in E.164 (+12125550100), shown in the national format
for U.S. numbers ((212) 555-0100) and the international one for others."""

from __future__ import annotations

import phonenumbers

INVALID = "Enter a phone number with its area code, such as (212) 555-0100."


def normalise_phone(raw: str) -> str:
    """The number in E.164, or ValueError(INVALID). A number without + is taken as U.S."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(INVALID) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str) -> str:
    """How a stored number reads; anything that does not parse is shown as it is."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
