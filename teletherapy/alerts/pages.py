"""What the alerts app shows on the lower apps' pages, through their slots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.context import Context

from teletherapy.alerts import services
from teletherapy.alerts.models import WaitingRoomWord
from teletherapy.alerts.waiting import check_in, latest_word
from teletherapy.lib import slots
from teletherapy.lib.clock import date_time_text, time_text, viewer_zone


def _user(context: Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


def tray_context(context: Context) -> Mapping[str, Any]:
    """The alert tray goes on every page of a signed-in staff member (alerts.js fills it)."""
    user = _user(context)
    is_staff = bool(
        user is not None
        and user.is_authenticated
        and user.is_staff_member
        and getattr(user, "staff", None) is not None
    )
    return {"alert_tray": is_staff, "word_presets": services.PRESETS}


def details_context(context: Context) -> Mapping[str, Any]:
    """'Checked in 1:52 PM EST' on the appointment's Details, when the client checked in."""
    appointment = context.get("appointment")
    user = _user(context)
    if appointment is None or user is None:
        return {"checked_in": ""}
    state = check_in(appointment)
    text = time_text(state.checked_in, viewer_zone(user)) if state.checked_in else ""
    return {"checked_in": text, "checkin_state": state.state}


def history_context(context: Context) -> Mapping[str, Any]:
    """The words sent to the waiting client, for the appointment's History."""
    appointment = context.get("appointment")
    user = _user(context)
    if appointment is None or user is None:
        return {"waiting_words": []}
    tz_name = viewer_zone(user)
    rows = WaitingRoomWord.objects.filter(session__appointment=appointment).select_related("by")
    return {
        "waiting_words": [
            {"at": date_time_text(w.sent_at, tz_name), "by": str(w.by or "—"), "text": w.text}
            for w in rows
        ]
    }


def room_context(context: Context) -> Mapping[str, Any]:
    """The client's Waiting Room: the latest word, and whether the therapist is there."""
    appointment = context.get("appointment")
    user = _user(context)
    if appointment is None or user is None or context.get("role") != "client":
        return {"waiting_word": None, "word_live": False}
    word = latest_word(appointment, getattr(user, "client", None))
    return {
        "word_live": True,
        "waiting_word": {
            "text": word.text,
            "from": appointment.therapist.name,
            "at": time_text(word.sent_at, viewer_zone(user)),
        }
        if word is not None
        else None,
    }


def fill_slots() -> None:
    slots.fill("page.end", "alerts/_tray.html", context=tray_context)
    slots.fill("scheduling.appointment.details", "alerts/_checked_in.html", context=details_context)
    slots.fill("scheduling.appointment.history", "alerts/_history.html", context=history_context)
    slots.fill("video.room.waiting", "alerts/_waiting_word.html", context=room_context)
