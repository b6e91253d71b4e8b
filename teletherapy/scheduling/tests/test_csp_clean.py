"""The schedule's pages carry no inline script, style or event handler (the CSP forbids them)."""

from __future__ import annotations

import re

from django.urls import reverse

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.I)


def test_pages_have_no_inline_script_or_style(fcast) -> None:
    http = fcast.client_for("scheduler")
    appointment = fcast.tele_appointment.pk
    urls = [
        reverse("scheduling:my_schedule"),
        reverse("scheduling:my_schedule") + "?view=day",
        reverse("scheduling:my_schedule") + "?view=month",
        reverse("scheduling:new_appointment"),
        reverse("scheduling:new_appointment") + "?partial=1",
        reverse("scheduling:appointment", args=[appointment]),
        reverse("scheduling:appointment_edit", args=[appointment]),
        reverse("scheduling:appointment_history", args=[appointment]),
    ]
    for url in urls:
        response = http.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE.search(html), (url, INLINE.search(html))
        assert "Content-Security-Policy" in response.headers
