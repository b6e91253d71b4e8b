"""My Schedule opens on the Day view on a phone and the Week view elsewhere, so its response
names the request headers that choose: a shared cache must not give a phone the week."""

from __future__ import annotations

from django.urls import reverse

URL = reverse("scheduling:my_schedule")
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"


def _vary(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {h.strip().lower() for h in response.headers.get("Vary", "").split(",")}


def test_the_default_view_follows_the_device_and_the_response_says_so(cast) -> None:
    http = cast.client_for("therapist")
    phone = http.get(URL, headers={"User-Agent": IPHONE})
    desktop = http.get(URL, headers={"User-Agent": DESKTOP})
    hinted = http.get(URL, headers={"User-Agent": DESKTOP, "Sec-CH-UA-Mobile": "?1"})
    assert phone.context["view"] == "day" and hinted.context["view"] == "day"
    assert desktop.context["view"] == "week"
    for response in (phone, desktop, hinted):
        assert response.status_code == 200
        assert {"user-agent", "sec-ch-ua-mobile", "cookie"} <= _vary(response)
