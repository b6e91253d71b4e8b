"""Working hours set by a Manager and by the therapist themself (refused for other roles and
other practices), and practice closures managed by Owners and Managers; every change
audit-logged through the services."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.availability import hours, services
from teletherapy.availability.models import Closure, WorkingWeek

WEEK = {f"day_{d}": "" for d in range(7)}


def _url(cast, name: str = "therapist") -> str:
    return reverse("availability:working_hours", args=[getattr(cast, name).pk])


def test_default_is_eight_to_six_on_weekdays(cast) -> None:
    assert hours.week_of(cast.therapist) == hours.DEFAULT_WEEK
    html = cast.client_for("manager").get(_url(cast)).content.decode()
    assert 'name="day_0" value="08:00-18:00"' in html
    assert 'name="day_6" value=""' in html or 'name="day_6" maxlength' in html
    assert "America/New York" in html


@pytest.mark.parametrize("persona", ["manager", "therapist"])
def test_manager_and_therapist_themself_set_the_hours(cast, persona: str) -> None:
    data = {**WEEK, "day_0": "9:00-12:00, 1 pm-5 pm", "day_2": "10-14", "day_5": "9:00-13:00"}
    response = cast.client_for(persona).post(_url(cast), data)
    assert response.status_code == 302
    week = hours.week_of(WorkingWeek.objects.get(staff=cast.therapist).staff)
    assert week[0] == [(time(9), time(12)), (time(13), time(17))]
    assert week[1] == []  # Tuesday left empty: a day off
    assert week[2] == [(time(10), time(14))]
    assert week[5] == [(time(9), time(13))]
    event = AuditEvent.objects.get(action=Action.WORKING_HOURS_CHANGED)
    assert event.actor_id == getattr(cast, persona).user_id
    assert event.details["days"] == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    ]  # fmt: skip
    # The staff Profile shows them, as text.
    profile = cast.client_for("owner").get(
        reverse("practice:staff_profile", args=[cast.therapist.pk])
    )
    html = profile.content.decode()
    assert "<dt>Monday</dt><dd>9:00 AM to 12:00 PM, 1:00 PM to 5:00 PM</dd>" in html
    assert "<dt>Tuesday</dt><dd>Not working</dd>" in html
    assert "Change working hours" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-5", "ends before it starts"),
        ("9:00-12:00, 11:00-14:00", "overlap"),
        ("nine to five", "is not a time"),
        ("9:10-12:00", "quarter hour"),
        ("25:00-26:00", "not a time of day"),
        ("9:00", "is not a range"),
    ],
)
def test_bad_ranges_are_a_message_beside_the_day_and_nothing_is_lost(
    cast, text: str, message: str
) -> None:
    data = {**WEEK, "day_0": text, "day_1": "10:00-11:00"}
    response = cast.client_for("therapist").post(_url(cast), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="10:00-11:00"' in html  # what was typed stays
    assert not WorkingWeek.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("therapist_plain", 403), ("scheduler", 403), ("biller", 403), ("other_owner", 404)],
)
def test_other_roles_and_practices_are_refused(cast, persona: str, status: int) -> None:
    http = cast.client_for(persona)
    assert http.get(_url(cast)).status_code == status
    assert http.post(_url(cast), {**WEEK, "day_0": "9:00-10:00"}).status_code == status
    assert not WorkingWeek.objects.exists()


def test_another_practices_therapist_is_a_404_for_a_manager(cast) -> None:
    http = cast.client_for("manager")
    assert http.get(_url(cast, "other_therapist")).status_code == 404
    # Someone without the Therapist role has no working hours.
    assert http.get(_url(cast, "scheduler")).status_code == 404


def test_the_service_checks_the_role_too(cast) -> None:
    with pytest.raises(PermissionDenied):
        services.set_working_week(staff=cast.therapist, week={}, by=cast.scheduler)
    with pytest.raises(PermissionDenied):
        services.set_working_week(staff=cast.therapist, week={}, by=cast.other_owner)
    assert (
        services.set_working_week(
            staff=cast.therapist, week=dict(hours.DEFAULT_WEEK), by=cast.therapist
        )
        is False
    )  # the default again: nothing changed, nothing logged
    assert not AuditEvent.objects.filter(action=Action.WORKING_HOURS_CHANGED).exists()


def test_closures_added_and_removed_by_a_manager(cast) -> None:
    http = cast.client_for("manager")
    url = reverse("availability:closures")
    response = http.post(url, {"date": "2099-11-26", "name": "Thanksgiving"})
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.date, closure.name, closure.practice) == (
        date(2099, 11, 26),
        "Thanksgiving",
        cast.practice,
    )
    html = http.get(url).content.decode()
    assert "Thursday November 26, 2099" in html and "Thanksgiving" in html
    # The same day twice: a message, not a 500.
    again = http.post(url, {"date": "2099-11-26", "name": "Again"})
    assert again.status_code == 400
    assert "already closed that day" in again.content.decode()
    blank = http.post(url, {"date": "2099-12-25", "name": "  "})
    assert blank.status_code == 400 and "Give the closure a name" in blank.content.decode()
    # The other practice can't see or remove it.
    other = cast.client_for("other_owner")
    assert "November 26, 2099" not in other.get(url).content.decode()
    remove = reverse("availability:closure_remove", args=[closure.pk])
    assert other.post(remove).status_code == 404
    assert cast.client_for("therapist").post(remove).status_code == 403
    assert http.post(remove).status_code == 302
    assert not Closure.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="closure_")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [Action.CLOSURE_ADDED, Action.CLOSURE_REMOVED]


def test_settings_tabs_show_closures_to_managers_only(cast) -> None:
    settings_url = reverse("practice:settings")
    assert "Closures</a>" in cast.client_for("manager").get(settings_url).content.decode()
    assert "Closures</a>" not in cast.client_for("therapist").get(settings_url).content.decode()
