"""The cast's Teletherapy appointment is tomorrow, so its window is closed: its therapist and
client get the "not open yet" page (403) here; test_pages.py covers the open window.

Staff see the appointment by the scheduling app's rule: Owner, Manager and Scheduler can see
it but are not its therapist (403); another Therapist, the Biller and another practice can't
see it at all (404, as on its scheduling pages)."""

from teletherapy.test.matrix import STAFF, Row, portal_page, staff_page, staff_wrong_method


def _tele(cast):
    return {"appointment_id": cast.tele_appointment.pk}


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
