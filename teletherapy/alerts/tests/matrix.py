"""The alerts app's URLs and its socket. The word form takes only the appointment's therapist
while the call is open (403 before: the window; 403 for Owner, Manager and Scheduler, who see
the appointment but are not its therapist; 404 for those who cannot see it). The chime is any
staff member's own setting (without a choice: sent back with a message). The alert socket takes every signed-in
person; what each hears is tested in test_consumer.py."""

from datetime import timedelta

from teletherapy.test.matrix import (
    ACCEPT,
    STAFF,
    Row,
    SocketRow,
    staff_page,
    staff_wrong_method,
)
from teletherapy.test.personas import PERSONAS


def _tele(cast):
    return {"appointment_id": cast.tele_appointment.pk}


def _open(cast):
    return cast.tele_appointment.start + timedelta(minutes=1)


_WORD_CLOSED = {
    **staff_page(403, allowed=STAFF, other_practice=404),
    "therapist_plain": 404,
    "biller": 404,
}
ROWS = [
    # No text: the therapist of the open call gets a 400 with what to change.
    Row("alerts:word", _WORD_CLOSED, method="POST", kwargs=_tele),
    Row(
        "alerts:word",
        {**_WORD_CLOSED, "therapist": 400},
        method="POST",
        kwargs=_tele,
        at=_open,
        when="open",
    ),
    Row(
        "alerts:word",
        {**_WORD_CLOSED, "therapist": 302},
        method="POST",
        kwargs=_tele,
        data=lambda cast: {"text": "I'll be with you in a moment."},
        at=_open,
        when="open",
    ),
    Row("alerts:word", staff_wrong_method(), kwargs=_tele),
    # No choice: sent back with a message saying so.
    Row("alerts:chime", staff_page(302, other_practice=302), method="POST"),
    Row(
        "alerts:chime",
        staff_page(302, other_practice=302),
        method="POST",
        data=lambda cast: {"on": "0"},
    ),
    Row("alerts:chime", staff_wrong_method()),
]

# Every signed-in person's socket is accepted; signed out: 4401.
_WS: dict[str, str | int] = {persona: ACCEPT for persona in PERSONAS}
_WS["anonymous"] = 4401
SOCKET_ROWS = [
    SocketRow("alerts", lambda cast: "/ws/alerts/", _WS, when="closed"),
    SocketRow(
        "alerts",
        lambda cast: "/ws/alerts/",
        _WS,
        at=_open,
        when="open",
    ),
]
