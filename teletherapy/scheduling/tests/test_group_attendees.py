"""Who is in an appointment with several clients, and who may join it from the portal:
the clients themselves and the guardians of a minor among them, never anyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import make_client

pytestmark = pytest.mark.django_db


def group_appointment(cast, *others):
    start = timezone.now() + timedelta(days=2)
    appointment = Appointment.objects.create(
        practice=cast.practice,
        therapist=cast.therapist,
        client=cast.client_with_portal,
        start=start,
        end=start + timedelta(minutes=50),
        is_teletherapy=True,
    )
    appointment.additional_clients.set(others)
    return appointment


def test_each_client_of_a_couple_sees_it_and_a_bystander_does_not(fcast) -> None:
    partner = make_client(fcast.practice, "Pat", "Partner", username="pat")
    bystander = make_client(fcast.practice, "Bea", "Bystander", username="bea")
    appointment = group_appointment(fcast, partner)

    assert [c.pk for c in appointment.all_clients()] == [fcast.client_with_portal.pk, partner.pk]
    for client in (fcast.client_with_portal, partner):
        assert Appointment.objects.of_client(client).filter(pk=appointment.pk).exists()
        assert Appointment.objects.with_client(client).filter(pk=appointment.pk).exists()
        assert appointment.may_attend(client)
    assert not Appointment.objects.of_client(bystander).filter(pk=appointment.pk).exists()
    assert not appointment.may_attend(bystander)
    assert not appointment.may_attend(fcast.other_client)
    # Listed once, even with several rows to match.
    assert Appointment.objects.of_client(partner).filter(pk=appointment.pk).count() == 1


def test_a_guardian_attends_a_minors_session_until_removed(fcast) -> None:
    parent = make_client(fcast.practice, "Gail", "Guardian", username="gail")
    minor = make_client(fcast.practice, "Mina", "Minor", is_minor=True)
    minor.guardians.add(parent)
    appointment = group_appointment(fcast, minor)

    assert [c.pk for c in appointment.attendees()] == [
        fcast.client_with_portal.pk,
        minor.pk,
        parent.pk,
    ]
    assert appointment.may_attend(parent)
    assert Appointment.objects.of_client(parent).filter(pk=appointment.pk).exists()
    # A guardian is not "in" the appointment for staff lists: the minor is.
    assert not Appointment.objects.with_client(parent).filter(pk=appointment.pk).exists()

    minor.guardians.remove(parent)
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert not appointment.may_attend(parent)
    assert not Appointment.objects.of_client(parent).filter(pk=appointment.pk).exists()


def test_guardianship_counts_only_for_a_minor_and_an_active_guardian(fcast) -> None:
    parent = make_client(fcast.practice, "Gail", "Guardian", username="gail")
    adult = make_client(fcast.practice, "Ada", "Adult")
    adult.guardians.add(parent)
    appointment = group_appointment(fcast, adult)
    assert not appointment.may_attend(parent)
    assert not Appointment.objects.of_client(parent).filter(pk=appointment.pk).exists()

    adult.is_minor = True
    adult.save(update_fields=["is_minor"])
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.may_attend(parent)

    parent.is_active = False
    parent.save(update_fields=["is_active"])
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert not appointment.may_attend(parent)


def test_a_guardian_in_another_practice_gets_nothing(fcast) -> None:
    minor = make_client(fcast.practice, "Mina", "Minor", is_minor=True)
    minor.guardians.add(fcast.other_client)
    appointment = group_appointment(fcast, minor)
    assert not appointment.may_attend(fcast.other_client)
    assert not Appointment.objects.of_client(fcast.other_client).filter(pk=appointment.pk).exists()
