"""The Audit log tab: read-only, scoped to the practice, filtered and paginated."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.audit.services import record
from teletherapy.practice.audit_views import PAGE_SIZE

pytestmark = pytest.mark.django_db
LOG = "/settings/audit/"


def test_the_log_shows_this_practices_events_only(cast) -> None:
    record(Action.SIGN_IN, actor=cast.therapist.user)
    record(Action.SIGN_IN, actor=cast.other_owner.user)
    record(Action.TELETHERAPY_ENABLED, actor=cast.owner.user, obj=cast.therapist_plain)
    page = cast.client_for("manager").get(LOG).content.decode()
    assert "Tess Therapist" in page and "Teletherapy switched on" in page
    assert "Paul Plain" in page
    assert "ZZSECRET" not in page


def test_filters_by_person_action_and_date(cast) -> None:
    # The viewer (the owner) works in New York: dates are their local days.
    with time_machine.travel(datetime.fromisoformat("2026-05-04 03:30:00+00:00"), tick=False):
        record(Action.SIGN_IN, actor=cast.therapist.user)  # May 3, 11:30 PM in New York
    with time_machine.travel(datetime.fromisoformat("2026-05-04 14:00:00+00:00"), tick=False):
        record(Action.SIGN_IN, actor=cast.therapist.user)
        record(Action.SIGN_OUT, actor=cast.therapist.user)
        record(Action.SIGN_IN, actor=cast.scheduler.user)
    http = cast.client_for("owner")

    def rows(**query: str) -> list[tuple[str, str]]:
        response = http.get(LOG, query)
        assert response.status_code == 200
        return [(e.actor_label, e.action) for e in response.context["page"]]

    assert len(rows()) == 4
    assert rows(person=str(cast.scheduler.user_id)) == [("Sam Scheduler", "sign_in")]
    assert len(rows(action="sign_in")) == 3
    may4 = rows(date_from="2026-05-04", date_to="2026-05-04", person=str(cast.therapist.user_id))
    assert sorted(may4) == [("Tess Therapist", "sign_in"), ("Tess Therapist", "sign_out")]
    assert rows(date_to="2026-05-03") == [("Tess Therapist", "sign_in")]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"person": str(10**9)}, "Choose a person from the list"),
        ({"action": "delete_everything"}, "Choose an action from the list"),
        ({"date_from": "2026-05-05", "date_to": "2026-05-01"}, "end date is before"),
        ({"date_from": "not a date"}, "Enter a valid date"),
    ],
)
def test_bad_filters_are_explained(cast, query, message) -> None:
    response = cast.client_for("owner").get(LOG, query)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_another_practices_person_cannot_be_chosen(cast) -> None:
    record(Action.SIGN_IN, actor=cast.other_owner.user)
    response = cast.client_for("owner").get(LOG, {"person": str(cast.other_owner.user_id)})
    assert "Choose a person from the list" in response.content.decode()
    assert "ZZSECRET" not in response.content.decode()


def test_pagination_and_constant_queries(cast, django_assert_max_num_queries) -> None:
    for _ in range(PAGE_SIZE + 5):
        record(Action.SIGN_IN, actor=cast.therapist.user)
    http = cast.client_for("owner")
    with django_assert_max_num_queries(10):
        first = http.get(LOG)
    assert len(first.context["page"]) == PAGE_SIZE
    assert "Page 1 of 2" in first.content.decode()
    second = http.get(LOG, {"page": "2"})
    assert len(second.context["page"]) == 5


def test_no_way_to_change_the_log(cast) -> None:
    event = record(Action.SIGN_IN, actor=cast.therapist.user)
    http = cast.client_for("owner")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(http, method)(LOG).status_code == 405
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_only_owners_and_managers_see_the_tab(cast) -> None:
    assert reverse("audit:log") in cast.client_for("manager").get("/settings/").content.decode()
    for persona in ("therapist", "scheduler", "biller"):
        http = cast.client_for(persona)
        assert reverse("audit:log") not in http.get("/settings/").content.decode()
        assert http.get(LOG).status_code == 403


def test_event_times_are_shown_in_the_viewers_zone(cast) -> None:
    with time_machine.travel(datetime.fromisoformat("2026-07-01 16:05:00+00:00"), tick=False):
        record(Action.SIGN_IN, actor=cast.therapist.user)
    page = cast.client_for("owner").get(LOG).content.decode()
    assert "Wed, Jul 1, 2026, 12:05 PM EDT" in page
    assert "America/New York" in page


def test_role_and_detail_changes_are_described(cast) -> None:
    http = cast.client_for("owner")
    http.post(
        reverse("practice:staff_roles", args=[cast.biller.pk]), {"roles": ["biller", "scheduler"]}
    )
    http.post(
        reverse("practice:staff_details", args=[cast.therapist.pk]),
        {"licensed_states": ["NY"], "time_zone": "America/New_York"},
    )
    page = http.get(LOG).content.decode()
    assert "Biller \u2192 Scheduler, Biller" in page
    assert "licensed states: New York, New Jersey \u2192 New York" in page


def test_the_scoped_queryset_reads_only_the_readers_practice(cast) -> None:  # type: ignore[no-untyped-def]
    record(Action.SIGN_IN, actor=cast.therapist.user)
    record(Action.SIGN_IN, actor=cast.other_owner.user)
    mine = AuditEvent.objects.visible_to(cast.manager)
    assert mine.exists() and not mine.exclude(practice_id=cast.practice.pk).exists()
    # Roles that do not read the log see nothing, even of their own practice.
    assert not AuditEvent.objects.visible_to(cast.therapist).exists()


@pytest.mark.parametrize(
    "query",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_from": "1999-12-31", "date_to": "9999-12-31"},
    ],
)
def test_an_out_of_range_date_is_a_message_beside_the_field(cast, query) -> None:  # type: ignore[no-untyped-def]
    """Issue 9, hole 10: /settings/audit/?date_to=9999-12-31 used to raise OverflowError."""
    response = cast.client_for("owner").get(LOG, query)
    assert response.status_code == 200
    form = response.context["form"]
    for name in query:
        assert form.errors[name] == ["Choose a date between 2000 and 2099."]
    assert "Choose a date between 2000 and 2099." in response.content.decode()
