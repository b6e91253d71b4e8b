"""Practice Settings > Reminders, and recording a client's consent to texts on their record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from teletherapy.reminders.models import ReminderSettings, TextConsent

pytestmark = pytest.mark.django_db


def test_owner_chooses_the_reminders(cast) -> None:
    http = cast.client_for("manager")
    page = http.get(reverse("reminders_staff:settings"))
    assert page.status_code == 200
    assert "Reminders" in page.content.decode()
    bad = http.post(
        reverse("reminders_staff:settings"),
        {"channels": "both", "days_before": "6", "hours_before": "25"},
    )
    assert bad.status_code == 200  # the form again, each message beside its field
    assert "Select a valid choice" in bad.content.decode()
    assert not ReminderSettings.objects.filter(practice=cast.practice).exists()
    saved = http.post(
        reverse("reminders_staff:settings"),
        {
            "channels": "both",
            "days_before": "5",
            "hours_before": "",
            "cancellation_window_hours": "48",
            "cancellation_policy": "Two days' notice, please.",
            "join_link": "on",
        },
    )
    assert saved.status_code == 302
    choice = ReminderSettings.objects.get(practice=cast.practice)
    assert (choice.channels, choice.days_before, choice.hours_before) == ("both", 5, None)
    assert choice.join_link and choice.cancellation_window_hours == 48
    assert [label for label, _ in choice.offsets()] == ["5 days"]
    # The tab is in Practice Settings for Owners and Managers only.
    assert (
        reverse("reminders_staff:settings")
        in http.get(reverse("practice:settings")).content.decode()
    )
    assert reverse("reminders_staff:settings") not in (
        cast.client_for("scheduler").get(reverse("practice:settings")).content.decode()
    )


def test_consent_to_texts_is_recorded_with_time_and_wording(cast) -> None:
    casey = cast.client_with_portal
    http = cast.client_for("therapist")
    url = reverse("reminders_staff:client_texts", kwargs={"client_id": casey.pk})
    refused = http.post(url, {"agreed": "yes"}, follow=True)
    assert "Add the client&#x27;s mobile phone first" in refused.content.decode()
    casey.mobile_phone = "+12125550123"
    casey.save()
    detail = http.get(reverse("clients:detail", kwargs={"client_id": casey.pk})).content.decode()
    assert "I agree to receive appointment reminder text messages from Maple Counseling" in detail
    http.post(url, {"agreed": "yes"})
    consent = TextConsent.objects.get(client=casey)
    assert consent.phone == "+12125550123" and consent.recorded_by == cast.therapist.user
    assert "(212) 555-0123" in consent.wording and "Reply STOP" in consent.wording
    assert consent.consented_at is not None and consent.withdrawn_at is None
    http.post(url, {"agreed": "no"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_via == "staff"
    # Another practice's client: 404.
    other = cast.client_for("other_owner").post(url, {"agreed": "yes"})
    assert other.status_code == 404
