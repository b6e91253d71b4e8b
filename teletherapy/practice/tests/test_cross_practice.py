"""Practice B's data never reaches practice A's staff, on any page they can reach."""

from __future__ import annotations

import re
from urllib.parse import urldefrag

import pytest
from django.urls import reverse

from teletherapy.audit.models import Action
from teletherapy.audit.services import record

pytestmark = pytest.mark.django_db
HREF = re.compile(r'href="(/[^"]*)"')
SKIP = ("/static/", "/portal/", "/accounts/sign-out/")
MAX_PAGES = 250


def _crawl(http, start: list[str]) -> dict[str, int]:
    """GET every same-site link reachable from `start`; return each URL's status."""
    seen: dict[str, int] = {}
    variants: dict[str, int] = {}
    queue = list(start)
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.pop(0))[0].replace("&amp;", "&")
        if url in seen or url.startswith(SKIP):
            continue
        # A few query variants of a page (calendar weeks, filters, pages) are enough.
        path = url.split("?", 1)[0]
        variants[path] = variants.get(path, 0) + 1
        if variants[path] > 3 and url not in start:
            continue
        response = http.get(url)
        seen[url] = response.status_code
        body = response.content.decode(errors="replace")
        assert "ZZSECRET" not in body, f"practice B's data leaked on {url}"
        assert "zebra.test" not in body, f"practice B's email leaked on {url}"
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/"):
            queue.extend(HREF.findall(body))
    return seen


@pytest.mark.parametrize("persona", ["owner", "manager", "therapist", "scheduler"])
def test_no_page_served_to_practice_a_mentions_practice_b(cast, persona) -> None:
    # Give practice B an audit trail and staff events, so leaks would have something to show.
    record(Action.SIGN_IN, actor=cast.other_owner.user)
    record(Action.TELETHERAPY_ENABLED, actor=cast.other_owner.user, obj=cast.other_therapist)
    record(Action.SIGN_IN, actor=cast.owner.user)
    start = [
        reverse("practice:dashboard"),
        reverse("practice:settings"),
        reverse("audit:log"),
        reverse("audit:log") + "?person=" + str(cast.other_owner.user_id),
        reverse("practice:staff_profile", args=[cast.other_therapist.pk]),
        reverse("practice:staff_profile", args=[cast.other_owner.pk]),
    ]
    seen = _crawl(cast.client_for(persona), start)
    assert seen[reverse("practice:staff_profile", args=[cast.other_therapist.pk])] == 404
    assert all(status != 500 for status in seen.values())
    # The crawl really reached the practice's own pages.
    assert seen[reverse("practice:staff_profile", args=[cast.therapist.pk])] == 200
    assert len(seen) >= 10


# Practice B's canaries: every text field a page, an email or a log line could show.
CANARY_MARKS = ("zzsecret", "zebra")


def _plant_canaries(cast) -> None:
    client = cast.other_client
    for name in (
        "preferred_name",
        "street",
        "city",
        "country",
        "emergency_name",
        "emergency_relationship",
    ):
        setattr(client, name, f"ZZSECRET{name.upper()}")
    client.mobile_phone = client.emergency_phone = "+1 415 555 0199"
    client.email = "zzsecret.client@zzsecret.example.com"
    client.save()
    appointment = cast.other_appointment
    appointment.staff_note = "ZZSECRETAPPOINTMENTNOTE"
    appointment.cancel_reason = "ZZSECRETCANCELREASON"
    appointment.save()
    for staff in (cast.other_owner, cast.other_therapist):
        staff.user.email = f"zzsecret.{staff.pk}@zebra.test"
        staff.user.save()
    record(
        Action.SIGN_IN,
        actor=cast.other_owner.user,
        actor_label="ZZSECRETACTORLABEL",
        note="ZZSECRETAUDITDETAIL",
    )
    record(Action.TELETHERAPY_ENABLED, actor=cast.other_owner.user, obj=cast.other_therapist)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [mark for mark in CANARY_MARKS if mark in lowered]


@pytest.mark.parametrize(
    "persona",
    [
        "anonymous",
        "owner",
        "manager",
        "therapist",
        "therapist_plain",
        "scheduler",
        "biller",
        "client",
    ],
)
def test_practice_b_canaries_never_reach_practice_a(cast, persona, caplog) -> None:
    """Every GET cell of the permission matrix (the session pages with the window open too),
    asked by practice A's persona with practice B's ids where a row has them: no canary in
    any response, email sent or log line."""
    import logging

    from django.core import mail

    from tests.test_permission_matrix import ROWS, _at

    _plant_canaries(cast)
    caplog.set_level(logging.DEBUG)
    mail.outbox.clear()
    walked = 0
    for row in ROWS:
        if row.method != "GET":
            continue
        with _at(row, cast):
            http = cast.client_for(persona)
            url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
            response = http.get(url)
        walked += 1
        body = b"".join(response) if response.streaming else response.content
        assert not _leaks(body.decode(errors="replace")), f"practice B leaked on {url}"
        assert not _leaks(str(response.headers)), f"practice B leaked in headers of {url}"
    for message in mail.outbox:
        alternatives = getattr(message, "alternatives", [])
        text = " ".join(map(str, [message.subject, message.body, *message.to, alternatives]))
        assert not _leaks(text), f"practice B leaked in an email: {message.subject}"
    assert not _leaks(caplog.text), "practice B leaked in a log line"
    assert walked >= 40


def test_the_canaries_are_seen_by_practice_b_itself(cast) -> None:
    """The control: the planted canaries do show on practice B's own pages, so the walk above
    would see a leak."""
    _plant_canaries(cast)
    http = cast.client_for("other_owner")
    body = http.get(reverse("practice:dashboard")).content.decode()
    assert "zzsecret" in body.lower()
    body = http.get(reverse("audit:log")).content.decode()
    assert "ZZSECRETAUDITDETAIL" in body or "ZZSECRETACTORLABEL" in body or "ZZSECRET" in body
