"""The word to the waiting client (validated, rate-limited, the therapist's only, stored and
shown on History) and the chime setting."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from teletherapy.alerts.models import WaitingRoomWord
from teletherapy.alerts.services import WORDS_PER_MINUTE, chime_on

JSON = {"accept": "application/json"}


def _open(cast):  # type: ignore[no-untyped-def]
    return time_machine.travel(cast.tele_appointment.start + timedelta(minutes=1), tick=True)


def _url(appointment) -> str:  # type: ignore[no-untyped-def]
    return f"/alerts/appointments/{appointment.pk}/word/"


@pytest.mark.django_db
def test_the_therapist_sends_a_word_shown_on_history(cast) -> None:  # type: ignore[no-untyped-def]
    appointment = cast.tele_appointment
    with _open(cast):
        http = cast.client_for("therapist")
        response = http.post(_url(appointment), {"text": "  I'll be with you in a moment. "})
        assert response.status_code == 302
        assert response["Location"] == f"/schedule/appointments/{appointment.pk}/"
        history = http.get(f"/schedule/appointments/{appointment.pk}/history/")
    word = WaitingRoomWord.objects.get()
    assert word.text == "I'll be with you in a moment." and word.by == cast.therapist.user
    page = history.content.decode()
    assert "Messages to the waiting client" in page and "be with you in a moment." in page


@pytest.mark.django_db
def test_a_preset_with_the_empty_box_is_the_preset(cast) -> None:  # type: ignore[no-untyped-def]
    with _open(cast):
        http = cast.client_for("therapist")
        response = http.post(
            _url(cast.tele_appointment),
            {"text": ["Running 5 minutes late, thank you for waiting.", ""], "next": "/schedule/"},
        )
    assert response.status_code == 302 and response["Location"] == "/schedule/"
    assert WaitingRoomWord.objects.get().text.startswith("Running 5 minutes late")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Write a message"),
        ("x" * 201, "Keep the message to 200 characters"),
        ("<b>late</b>", "plain text only"),
        ("late\u202ereversed", "plain text only"),
    ],
)
def test_bad_words_get_a_clear_message(cast, text, says) -> None:  # type: ignore[no-untyped-def]
    with _open(cast):
        http = cast.client_for("therapist")
        response = http.post(_url(cast.tele_appointment), {"text": text}, headers=JSON)
    assert response.status_code == 400
    assert says in response.json()["message"]
    assert not WaitingRoomWord.objects.exists()


@pytest.mark.django_db
def test_words_are_rate_limited(cast) -> None:  # type: ignore[no-untyped-def]
    with _open(cast):
        http = cast.client_for("therapist")
        for n in range(WORDS_PER_MINUTE):
            response = http.post(_url(cast.tele_appointment), {"text": f"Note {n}"}, headers=JSON)
            assert response.status_code == 200
        response = http.post(_url(cast.tele_appointment), {"text": "One more"}, headers=JSON)
    assert response.status_code == 400 and "Wait a minute" in response.json()["message"]
    assert WaitingRoomWord.objects.count() == WORDS_PER_MINUTE


@pytest.mark.django_db
def test_only_the_therapist_of_an_open_call_sends(cast) -> None:  # type: ignore[no-untyped-def]
    url = _url(cast.tele_appointment)
    # The window is not open yet: refused.
    assert cast.client_for("therapist").post(url, {"text": "Hi"}).status_code == 403
    with _open(cast):
        assert cast.client_for("owner").post(url, {"text": "Hi"}).status_code == 403
        assert cast.client_for("biller").post(url, {"text": "Hi"}).status_code == 404
        assert cast.client_for("other_owner").post(url, {"text": "Hi"}).status_code == 404
        assert cast.client_for("client").post(url, {"text": "Hi"}).status_code == 403
    assert not WaitingRoomWord.objects.exists()


@pytest.mark.django_db
def test_the_chime_is_on_until_switched_off(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.therapist.user
    http = cast.client_for("therapist")
    assert chime_on(user)
    response = http.post("/alerts/chime/", {"on": "0"}, headers=JSON)
    assert response.status_code == 200 and response.json()["chime"] is False
    assert not chime_on(user)
    assert http.post("/alerts/chime/", {"on": "1"}).status_code == 302
    assert chime_on(user)
    assert http.post("/alerts/chime/", {"on": "maybe"}, headers=JSON).status_code == 400
