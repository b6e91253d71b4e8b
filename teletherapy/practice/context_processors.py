from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def staff_menu(request: HttpRequest) -> dict[str, Any]:
    """The left-hand menu shows only what the signed-in person's roles can use."""
    user = getattr(request, "user", None)
    staff = getattr(user, "staff", None) if user is not None and user.is_authenticated else None
    if staff is None:
        return {}
    return {
        "menu_staff": staff,
        "menu": {
            "dashboard": True,
            "schedule": staff.can_use_schedule,
            "clients": staff.can_use_clients,
            "settings": True,
        },
    }
