"""The cast's Teletherapy appointment is tomorrow, so its window is closed: its therapist and
client get the "not open yet" page (403). The same rows are asked again at its start (the
window open, time-machine), so "forbidden" is not confused with "not yet": then only its
therapist and its client get in. Another practice's appointment is a 404 for practice A.

Staff see the appointment by the scheduling app's rule: Owner, Manager and Scheduler can see
it but are not its therapist (403); another Therapist, the Biller and another practice can't
see it at all (404, as on its scheduling pages)."""

from datetime import timedelta

from teletherapy.test.matrix import (
    ACCEPT,
    STAFF,
    Row,
    SocketRow,
    expect,
    portal_page,
    staff_page,
    staff_wrong_method,
)


def _tele(cast):
    return {"appointment_id": cast.tele_appointment.pk}


def _other(cast):
    return {"appointment_id": cast.other_appointment.pk}


def _open(cast):
    """A minute after the sessions start (both practices' are at the same instant)."""
    return cast.tele_appointment.start + timedelta(minutes=1)


_CLOSED = {
    **staff_page(403, allowed=STAFF, other_practice=404),
    "therapist_plain": 404,
    "biller": 404,
}

ROWS = [
    Row("video:ready", staff_page(allowed=STAFF, other_practice=200)),
    Row("video:ready", staff_wrong_method(), method="POST"),
    Row("portal_video:ready", portal_page(200)),
    Row("portal_video:ready", portal_page(405), method="POST"),
]
for _name in ("check", "room", "ice"):
    ROWS += [
        Row(f"video:{_name}", _CLOSED, kwargs=_tele),
        Row(f"video:{_name}", staff_wrong_method(), method="POST", kwargs=_tele),
        Row(f"portal_video:{_name}", portal_page(403, other_client=404), kwargs=_tele),
        Row(f"portal_video:{_name}", portal_page(405), method="PUT", kwargs=_tele),
    ]

# A client who has not said where they are is sent from the room to the check page (302).
_CLIENT_OPEN = {"check": 200, "room": 302, "ice": 200}
# The window open: the therapist and the client get in; the rest as before.
_OPEN = {**_CLOSED, "therapist": 200}
# Another practice's session, window open: a 404 for all of practice A; its own owner can see
# it but is not its therapist (403); its client gets in.
_OTHER_STAFF = {**staff_page(404, allowed=STAFF, other_practice=403)}
_OTHER_PORTAL = {**portal_page(404), "other_client": 200}
_OTHER_PORTAL_OPEN = {
    name: {**_OTHER_PORTAL, "other_client": status} for name, status in _CLIENT_OPEN.items()
}
for _name in ("check", "room", "ice"):
    ROWS += [
        Row(f"video:{_name}", _OPEN, kwargs=_tele, at=_open, when="open"),
        Row(
            f"portal_video:{_name}",
            portal_page(_CLIENT_OPEN[_name], other_client=404),
            kwargs=_tele,
            at=_open,
            when="open",
        ),
        Row(f"video:{_name}", _OTHER_STAFF, kwargs=_other),
        Row(f"video:{_name}", _OTHER_STAFF, kwargs=_other, at=_open, when="open"),
        Row(f"portal_video:{_name}", {**_OTHER_PORTAL, "other_client": 403}, kwargs=_other),
        Row(
            f"portal_video:{_name}", _OTHER_PORTAL_OPEN[_name], kwargs=_other, at=_open, when="open"
        ),
    ]


# End for everyone (POST; without confirmed=yes it answers the confirmation page): as the
# call pages for staff, window closed or open; a staff route, so clients get 403.
ROWS += [
    Row("video:end", _CLOSED, method="POST", kwargs=_tele),
    Row("video:end", _OPEN, method="POST", kwargs=_tele, at=_open, when="open"),
    Row("video:end", _OTHER_STAFF, method="POST", kwargs=_other, at=_open, when="open"),
    Row("video:end", staff_wrong_method(), kwargs=_tele),
]


def _socket(appointment: str):
    return lambda cast: f"/ws/sessions/{getattr(cast, appointment).pk}/"


# The signaling socket: 4401 signed out, 4403 seen but not a participant (or not yet open),
# 4404 not seen at all (another practice's, another therapist's, the biller's).
_WS_CLOSED = {
    **expect(4403, anonymous=4401, therapist_plain=4404, biller=4404),
    "other_owner": 4404,
    "other_client": 4404,
}
_WS_OTHER = {
    **expect(4404, anonymous=4401, other_owner=4403, other_client=4403),
}
SOCKET_ROWS = [
    SocketRow("sessions", _socket("tele_appointment"), _WS_CLOSED, when="closed"),
    SocketRow(
        "sessions",
        _socket("tele_appointment"),
        {**_WS_CLOSED, "therapist": ACCEPT, "client": ACCEPT},
        at=_open,
        when="open",
    ),
    SocketRow("sessions", _socket("other_appointment"), _WS_OTHER, when="closed"),
    SocketRow(
        "sessions",
        _socket("other_appointment"),
        {**_WS_OTHER, "other_client": ACCEPT},
        at=_open,
        when="open",
    ),
]


def _mesh_socket(appointment: str):
    return lambda cast: f"/ws/sessions/{getattr(cast, appointment).pk}/mesh/"


# A couple's or a family's call (video/mesh.py): the same access as the two-person call's.
SOCKET_ROWS += [
    SocketRow("sessions-mesh", _mesh_socket("tele_appointment"), _WS_CLOSED, when="closed"),
    SocketRow(
        "sessions-mesh",
        _mesh_socket("tele_appointment"),
        {**_WS_CLOSED, "therapist": ACCEPT, "client": ACCEPT},
        at=_open,
        when="open",
    ),
    SocketRow("sessions-mesh", _mesh_socket("other_appointment"), _WS_OTHER, when="closed"),
    SocketRow(
        "sessions-mesh",
        _mesh_socket("other_appointment"),
        {**_WS_OTHER, "other_client": ACCEPT},
        at=_open,
        when="open",
    ),
]
