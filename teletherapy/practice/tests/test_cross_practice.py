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
