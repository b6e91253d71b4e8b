"""The same cast for every test: two practices and everyone who uses them.

Build it with build_cast(); sign a persona in with cast.client_for(name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.test import Client as HttpClient
from django.utils import timezone

from teletherapy.accounts.models import User
from teletherapy.clients.models import Client
from teletherapy.practice.models import Practice, StaffMember
from teletherapy.scheduling.models import Appointment

PASSWORD = "correct horse battery staple 42"

PERSONAS = (
    "anonymous",
    "owner",
    "manager",
    "therapist",
    "therapist_plain",
    "scheduler",
    "biller",
    "client",
    "other_owner",
    "other_client",
)


def make_staff(
    practice: Practice,
    email: str,
    name: str,
    *,
    password: str | None = None,
    time_zone: str = "America/New_York",
    licensed_states: list[str] | None = None,
    **roles: bool,
) -> StaffMember:
    user = User.objects.create_user(
        email, password, email=email, full_name=name, kind=User.Kind.STAFF
    )
    return StaffMember.objects.create(
        user=user,
        practice=practice,
        time_zone=time_zone,
        licensed_states=licensed_states if licensed_states is not None else [practice.state],
        accepted_at=timezone.now(),
        **roles,
    )


def make_client(
    practice: Practice,
    first: str,
    last: str,
    *,
    therapists: list[StaffMember] = (),  # type: ignore[assignment]
    username: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> Client:
    defaults: dict[str, Any] = {
        "date_of_birth": date(1990, 5, 17),
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "street": "1 Main St",
        "city": "Springfield",
        "state": "NY",
        "zip_code": "10001",
        "time_zone": "America/New_York",
    }
    defaults.update(fields)
    user = None
    if username:
        user = User.objects.create_user(
            username,
            password,
            email=defaults["email"],
            full_name=f"{first} {last}",
            kind=User.Kind.CLIENT,
        )
    client = Client.objects.create(
        practice=practice, first_name=first, last_name=last, user=user, **defaults
    )
    client.therapists.set(therapists)
    return client


@dataclass
class Cast:
    practice: Practice
    owner: StaffMember
    manager: StaffMember
    therapist: StaffMember
    therapist_plain: StaffMember
    scheduler: StaffMember
    biller: StaffMember
    client_with_portal: Client
    client_without_portal: Client
    tele_appointment: Appointment
    office_appointment: Appointment
    other_practice: Practice
    other_owner: StaffMember
    other_therapist: StaffMember
    other_client: Client
    other_appointment: Appointment
    _clients: dict[str, HttpClient] = field(default_factory=dict)

    def user_of(self, persona: str) -> User | None:
        return {
            "anonymous": None,
            "owner": self.owner.user,
            "manager": self.manager.user,
            "therapist": self.therapist.user,
            "therapist_plain": self.therapist_plain.user,
            "scheduler": self.scheduler.user,
            "biller": self.biller.user,
            "client": self.client_with_portal.user,
            "other_owner": self.other_owner.user,
            "other_client": self.other_client.user,
        }[persona]

    def client_for(self, persona: str) -> HttpClient:
        """A test HTTP client signed in as the persona (anonymous: signed out)."""
        http = HttpClient()
        user = self.user_of(persona)
        if user is not None:
            http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return http


def build_cast(*, password: str | None = None) -> Cast:
    """Create both practices and their people. Pass password to make them able to sign in
    through the forms (hashing is slow, so most tests use force_login instead)."""
    practice = Practice.objects.create(
        name="Maple Counseling", state="NY", time_zone="America/New_York"
    )
    owner = make_staff(
        practice, "owner@maple.test", "Olivia Owner", password=password, is_owner=True
    )
    manager = make_staff(
        practice, "manager@maple.test", "Mark Manager", password=password, is_manager=True
    )
    therapist = make_staff(
        practice,
        "tess@maple.test",
        "Tess Therapist",
        password=password,
        is_therapist=True,
        teletherapy_enabled=True,
        licensed_states=["NY", "NJ"],
    )
    therapist_plain = make_staff(
        practice, "paul@maple.test", "Paul Plain", password=password, is_therapist=True
    )
    scheduler = make_staff(
        practice, "sam@maple.test", "Sam Scheduler", password=password, is_scheduler=True
    )
    biller = make_staff(
        practice, "bill@maple.test", "Bill Biller", password=password, is_biller=True
    )
    client_with_portal = make_client(
        practice,
        "Casey",
        "Client",
        therapists=[therapist, therapist_plain],
        username="casey",
        password=password,
    )
    client_without_portal = make_client(
        practice, "Nora", "Noportal", therapists=[therapist], email="nora@example.com"
    )
    start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    tele_appointment = Appointment.objects.create(
        practice=practice,
        therapist=therapist,
        client=client_with_portal,
        start=start,
        end=start + timedelta(minutes=50),
        is_teletherapy=True,
        location=Appointment.Location.TELETHERAPY,
        created_by=therapist.user,
    )
    office_appointment = Appointment.objects.create(
        practice=practice,
        therapist=therapist,
        client=client_without_portal,
        start=start + timedelta(hours=2),
        end=start + timedelta(hours=2, minutes=50),
        created_by=therapist.user,
    )
    other_practice = Practice.objects.create(
        name="Zebra Wellness ZZSECRETPRACTICE", state="CA", time_zone="America/Los_Angeles"
    )
    other_owner = make_staff(
        other_practice,
        "owner@zebra.test",
        "Zed ZZSECRETOWNER",
        password=password,
        is_owner=True,
        time_zone="America/Los_Angeles",
    )
    other_therapist = make_staff(
        other_practice,
        "theo@zebra.test",
        "Theo ZZSECRETTHERAPIST",
        password=password,
        is_therapist=True,
        teletherapy_enabled=True,
        time_zone="America/Los_Angeles",
    )
    other_client = make_client(
        other_practice,
        "Quinn",
        "ZZSECRETCLIENT",
        therapists=[other_therapist],
        username="quinn",
        password=password,
        state="CA",
        time_zone="America/Los_Angeles",
        email="quinn@zzsecret.example.com",
    )
    other_appointment = Appointment.objects.create(
        practice=other_practice,
        therapist=other_therapist,
        client=other_client,
        start=start,
        end=start + timedelta(minutes=50),
        is_teletherapy=True,
        location=Appointment.Location.TELETHERAPY,
        created_by=other_therapist.user,
    )
    return Cast(
        practice=practice,
        owner=owner,
        manager=manager,
        therapist=therapist,
        therapist_plain=therapist_plain,
        scheduler=scheduler,
        biller=biller,
        client_with_portal=client_with_portal,
        client_without_portal=client_without_portal,
        tele_appointment=tele_appointment,
        office_appointment=office_appointment,
        other_practice=other_practice,
        other_owner=other_owner,
        other_therapist=other_therapist,
        other_client=other_client,
        other_appointment=other_appointment,
    )
