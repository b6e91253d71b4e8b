from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from teletherapy.accounts.models import User
from teletherapy.practice.models import Practice, StaffMember
from teletherapy.scheduling.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@time_machine.travel("2026-03-02 15:00:00+00:00", tick=False)
def test_seed_demo_creates_the_demo_practice_and_prints_sign_ins() -> None:
    from teletherapy.clients.models import Client
    from teletherapy.scheduling.models import Appointment

    output = _seed("--if-empty")
    practice = Practice.objects.get(name="Demo Counseling")
    assert (practice.state, practice.time_zone) == ("NY", "America/New_York")
    staff = {m.user.email: m for m in StaffMember.objects.filter(practice=practice)}
    assert staff["owner@demo.test"].is_owner
    assert staff["manager@demo.test"].is_manager
    assert staff["therapist@demo.test"].has_teletherapy
    assert staff["therapist2@demo.test"].is_therapist
    assert not staff["therapist2@demo.test"].teletherapy_enabled
    assert staff["scheduler@demo.test"].is_scheduler
    for email in staff:
        assert email in output
        assert staff[email].user.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in output and "demo.client" in output
    portal_user = User.objects.get(username="demo.client")
    assert portal_user.is_client and portal_user.check_password(DEMO_PASSWORD)
    assert Client.objects.filter(practice=practice).count() == 6
    # A minor with no login of their own, and their guardian who has one.
    minor = Client.objects.get(practice=practice, is_minor=True)
    assert minor.user is None and not minor.minor_may_sign_in
    guardian = minor.guardians.get()
    assert guardian.user is not None and guardian.user.username == "demo.guardian"
    assert "demo.guardian" in output
    assert Appointment.objects.of_client(guardian).filter(client=minor).count() == 1
    tele = Appointment.objects.filter(therapist=staff["therapist@demo.test"], is_teletherapy=True)
    starts = sorted(a.start for a in tele)
    assert starts[0] == timezone.now() + timedelta(minutes=10)
    assert starts[1].date() == (timezone.now() + timedelta(days=1)).date()
    # One couples session: Casey and Pat, each with their own portal login and zone.
    couple = [a for a in tele if a.is_group]
    assert len(couple) == 1
    assert couple[0].clients_label == "Casey Demo & Pat Partner"
    partner = couple[0].all_clients()[1]
    assert partner.user is not None and partner.user.username == "demo.partner"
    assert partner.time_zone == "America/Chicago"
    assert "demo.partner" in output


def test_if_empty_does_nothing_when_a_practice_exists(cast) -> None:
    assert _seed("--if-empty") == ""
    assert not Practice.objects.filter(name="Demo Counseling").exists()
