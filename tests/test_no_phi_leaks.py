"""No PHI where it does not belong: the main flows run on the real server (daphne, as
scripts/serve runs it) with a client whose every field carries a marker, and the marker is
searched for in the server's captured output (access and application log), every URL after
redirect, every email subject and the TURN usernames the ICE endpoints hand out."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from teletherapy.clients.models import Client
from teletherapy.scheduling.models import Appointment
from teletherapy.test.browser import text_of
from teletherapy.test.personas import PASSWORD, build_cast
from tests.test_token_logs import NEW_PASSWORD, Browser, _link, _wait_for_log

MARKER = "zzphi7q"
# What carries no marker: the phone numbers and the date of birth, in the forms they take.
UNMARKED = (
    "2125550147",
    "555-0147",
    "5550147",
    "2125550148",
    "555-0148",
    "1984-06-02",
    "06/02/1984",
    "6/2/1984",
    "june 2, 1984",
    "19840602",
)


def _phi_in(text: str) -> str | None:
    """The piece of PHI `text` carries, or None."""
    lowered = text.lower()
    if MARKER in lowered:
        return MARKER
    digits = re.sub(r"[^0-9]", "", lowered)
    for piece in UNMARKED:
        if piece in lowered or (piece.isdigit() and len(piece) >= 10 and piece in digits):
            return piece
    return None


CLIENT_FIELDS = {
    "first_name": "AnnaZZPHI7Q",
    "last_name": "ZZPHI7QSmith",
    "preferred_name": "AnnieZZPHI7Q",
    "date_of_birth": "1984-06-02",
    "email": "anna.zzphi7q@example.com",
    "mobile_phone": "(212) 555-0147",
    "street": "12 ZZPHI7Q Lane",
    "city": "ZZPHI7QVille",
    "state": "NY",
    "zip_code": "10001",
    "country": "United States",
    "time_zone": "",
    "emergency_name": "Bob ZZPHI7Q",
    "emergency_phone": "(212) 555-0148",
    "emergency_relationship": "ZZPHI7Q brother",
}


class MarkedBrowser(Browser):
    """A Browser that keeps every URL it ended on."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.visited: list[str] = []

    def _open(self, request: urllib.request.Request) -> str:
        page = super()._open(request)
        self.visited.append(self.url)
        return page

    def get_json(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self._full(path))
        with self.opener.open(request, timeout=30) as response:
            self.visited.append(response.url)
            data: dict[str, Any] = json.loads(response.read())
        return data


@pytest.mark.django_db(transaction=True)
def test_no_phi_in_logs_urls_subjects_or_turn_usernames(live_server_factory, smtp_server) -> None:  # type: ignore[no-untyped-def]
    build_cast(password=PASSWORD)
    server = live_server_factory(
        smtp=smtp_server,
        env={"TURN_URLS": "turn:127.0.0.1:3478", "TURN_SECRET": "phi-test-turn-secret-" + "x" * 24},
    )

    # The therapist adds the client, then edits the address.
    staff = MarkedBrowser(server.url)
    staff.post("/accounts/sign-in/", {"email": "tess@maple.test", "password": PASSWORD})
    assert staff.url.endswith("/dashboard/"), staff.url
    staff.post("/clients/add/", CLIENT_FIELDS)
    client = Client.objects.get(email=CLIENT_FIELDS["email"])
    assert staff.url.endswith(f"/clients/{client.pk}/"), staff.url
    staff.post(
        f"/clients/{client.pk}/edit/", {**CLIENT_FIELDS, "street": "34 ZZPHI7Q Road, Apt ZZPHI7Q"}
    )
    client.refresh_from_db()
    assert client.street == "34 ZZPHI7Q Road, Apt ZZPHI7Q"

    # A Teletherapy Session at the next quarter hour (its join window, which opens 15
    # minutes before the start, is open), with a marked staff note.
    now = timezone.now().astimezone(ZoneInfo(client.time_zone))
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
    staff.post(
        "/schedule/new/",
        {
            "client": str(client.pk),
            "date": start.date().isoformat(),
            "time": start.strftime("%H:%M"),
            "duration": "50",
            "service": "90834",
            "teletherapy": "on",
            "staff_note": "Discussed ZZPHI7Q history",
            "outside_hours_ok": "1",  # whatever the time of day the test runs at
        },
    )
    appointment = Appointment.objects.filter(client=client).first()
    assert appointment, (
        re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)', staff.page) or staff.page[-3000:]
    )
    assert appointment.is_teletherapy_session
    assert appointment.start - timedelta(minutes=15) <= timezone.now() < appointment.start

    # The portal invitation, and the client's sign-up from the emailed link.
    staff.post(f"/clients/{client.pk}/portal/invite/", {}, from_page=f"/clients/{client.pk}/")
    link, _token = _link(smtp_server.wait_for(to=CLIENT_FIELDS["email"]), "/portal/invite/")
    portal = MarkedBrowser(server.url)
    portal.get(link)
    portal.post("/portal/invite/", {"date_of_birth": CLIENT_FIELDS["date_of_birth"]})
    portal.post(
        "/portal/invite/",
        {"username": "anna", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert portal.url.endswith("/portal/"), portal.url
    assert "AnnieZZPHI7Q" in portal.page or "AnnaZZPHI7Q" in portal.page
    portal.get("/portal/details/")
    assert "ZZPHI7QVille" in portal.page

    # Both sides fetch their ICE servers; each TURN username must carry no PHI.
    usernames = []
    for browser, path in (
        (portal, f"/portal/sessions/{appointment.pk}/ice/"),
        (staff, f"/sessions/{appointment.pk}/ice/"),
    ):
        ice = browser.get_json(path)
        turn = [s for s in ice["iceServers"] if "username" in s]
        assert turn, ice
        usernames += [str(s["username"]) for s in turn]

    # Sign-out, so that path is in the log too; then wait for the log to catch up.
    portal.post("/portal/sign-out/", {}, from_page="/portal/")
    log = _wait_for_log(server, "/portal/sign-out/")
    assert "GET /portal/details/" in log, log

    found = []
    for line in log.splitlines():
        if _phi_in(line):
            found.append(f"log: {line}")
    for url in staff.visited + portal.visited:
        if _phi_in(url):
            found.append(f"url: {url}")
    for message in smtp_server.messages:
        if _phi_in(str(message["Subject"])):
            found.append(f"subject: {message['Subject']}")
    for name in usernames:
        if _phi_in(name):
            found.append(f"turn username: {name}")
    assert len(smtp_server.messages) >= 2, "the booking and the invitation each send an email"
    assert not found, "\n".join(found)
    # The search itself finds each kind of PHI it looks for.
    assert _phi_in("GET /x?phone=%2B12125550147") == "2125550147"
    assert _phi_in("dob 1984-06-02") == "1984-06-02"
    assert _phi_in("Anna zzPHI7Q") == MARKER
    assert _phi_in("GET /portal/ 200 4512") is None
    # The email body may greet the client; it stays free of clinical details.
    assert "history" not in text_of(smtp_server.messages[-1]).lower()
