"""Reminders' routes. The link pages are public: a link's token leaves the URL at once (302
for everyone), and the token-free page with no link in the session is the one link-problem
page (400). Twilio's webhooks refuse anything not signed with the account's auth token (403).
Practice Settings > Reminders is for Owners and Managers; a client's text consent for those
who manage that client; the device check a day ahead for clients with an upcoming
Teletherapy Session (both cast clients have one)."""

from teletherapy.test.matrix import Row, expect, portal_page, staff_page, staff_wrong_method

_TOKEN = {"token": "not-a-real-token"}


def _casey(cast):
    return {"client_id": cast.client_with_portal.pk}


ROWS = []
for _kind in ("confirm", "cancel", "join"):
    ROWS += [
        Row(f"reminders:{_kind}_link", expect(302), kwargs=lambda c: _TOKEN),
        Row(f"reminders:{_kind}_link", expect(405), method="POST", kwargs=lambda c: _TOKEN),
        Row(f"reminders:{_kind}", expect(400)),
        Row(f"reminders:{_kind}", expect(400), method="POST"),
        Row(f"reminders:{_kind}", expect(405), method="PUT"),
    ]
for _hook in ("twilio_inbound", "twilio_status"):
    ROWS += [
        Row(f"reminders:{_hook}", expect(403), method="POST", data=lambda c: {"Body": "STOP"}),
        Row(f"reminders:{_hook}", expect(405)),
    ]
ROWS += [
    Row(
        "reminders_staff:settings",
        staff_page(allowed=("owner", "manager"), other_practice=200),
    ),
    Row(
        "reminders_staff:settings",
        staff_page(allowed=("owner", "manager"), other_practice=200),
        method="POST",
        data=lambda c: {"channels": "nonsense"},
    ),
    Row("reminders_staff:settings", staff_wrong_method(), method="PUT"),
    Row(
        "reminders_staff:client_texts",
        staff_page(302, allowed=("owner", "manager", "therapist", "therapist_plain", "scheduler")),
        method="POST",
        kwargs=_casey,
    ),
    Row("reminders_staff:client_texts", staff_wrong_method(), kwargs=_casey),
    Row("reminders_portal:device_check", portal_page(200)),
    Row("reminders_portal:device_check", portal_page(405), method="POST"),
]
