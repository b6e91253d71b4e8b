"""Create the demo practice, its staff, a few clients and appointments, and print the sign-ins."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from teletherapy.accounts.models import User
from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.practice.models import Practice, StaffMember
from teletherapy.scheduling.models import Appointment

# The published demo password (README).
DEMO_PASSWORD = "demo teletherapy 2026"  # nosec B105
PRACTICE_NAME = "Demo Counseling"
ZONE = "America/New_York"

STAFF: list[tuple[str, str, str, dict[str, bool]]] = [
    ("owner@demo.test", "Olivia Owens", "Owner", {"is_owner": True}),
    ("manager@demo.test", "Morgan Reyes", "Manager", {"is_manager": True}),
    (
        "therapist@demo.test",
        "Dr. Taylor Brooks",
        "Therapist with Teletherapy",
        {"is_therapist": True, "teletherapy_enabled": True},
    ),
    ("therapist2@demo.test", "Jamie Chen", "Therapist (no Teletherapy)", {"is_therapist": True}),
    ("scheduler@demo.test", "Sam Patel", "Scheduler (front desk)", {"is_scheduler": True}),
]
CLIENT_USERNAME = "demo.client"
# Casey Demo's partner, for the couple's session (their own portal login and zone).
PARTNER_USERNAME = "demo.partner"
# A parent with their own portal login, guardian of a minor who has none (the default).
GUARDIAN_USERNAME = "demo.guardian"


class Command(BaseCommand):
    help = "Create the demo practice with staff, clients and appointments, and print sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any practice already exists.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Practice.objects.exists():
            if options["if_empty"]:
                return
            if Practice.objects.filter(name=PRACTICE_NAME).exists():
                raise CommandError(f"The demo practice {PRACTICE_NAME!r} already exists.")
        with transaction.atomic():
            self._seed()
        self._print_sign_ins()

    def _seed(self) -> None:
        practice = Practice.objects.create(name=PRACTICE_NAME, state="NY", time_zone=ZONE)
        now = timezone.now()
        members: dict[str, StaffMember] = {}
        for email, name, _label, roles in STAFF:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, email=email, full_name=name, kind=User.Kind.STAFF
            )
            members[email] = StaffMember.objects.create(
                user=user,
                practice=practice,
                time_zone=ZONE,
                licensed_states=["NY", "NJ"] if roles.get("is_therapist") else [],
                invited_at=now,
                accepted_at=now,
                **roles,
            )
        tele = members["therapist@demo.test"]
        plain = members["therapist2@demo.test"]

        def client(first: str, last: str, *, username: str | None = None, **extra: Any) -> Client:
            user = None
            email = f"{first.lower()}.{last.lower()}@example.com"
            if username:
                user = User.objects.create_user(
                    username,
                    DEMO_PASSWORD,
                    email=email,
                    full_name=f"{first} {last}",
                    kind=User.Kind.CLIENT,
                )
            record = Client.objects.create(
                practice=practice,
                first_name=first,
                last_name=last,
                date_of_birth=extra.pop("date_of_birth", date(1988, 3, 14)),
                email=email,
                mobile_phone="+15185550100",
                street="12 Elm Street",
                city="Albany",
                state="NY",
                zip_code="12207",
                time_zone=extra.pop("time_zone", ZONE),
                user=user,
                **extra,
            )
            return record

        casey = client("Casey", "Demo", username=CLIENT_USERNAME)
        casey.therapists.set([tele])
        jordan = client("Jordan", "Sample", date_of_birth=date(1979, 11, 2))
        jordan.therapists.set([tele, plain])
        riley = client("Riley", "Example", date_of_birth=date(1995, 7, 21))
        riley.therapists.set([plain])
        pat = client(
            "Pat",
            "Partner",
            username=PARTNER_USERNAME,
            date_of_birth=date(1986, 5, 30),
            time_zone="America/Chicago",
        )
        pat.therapists.set([tele])

        def book(
            therapist: StaffMember,
            who: Client,
            start: datetime,
            *,
            tele_session: bool,
            others: tuple[Client, ...] = (),
        ) -> None:
            appointment = Appointment.objects.create(
                practice=practice,
                therapist=therapist,
                client=who,
                start=start,
                end=start + timedelta(minutes=50),
                is_teletherapy=tele_session,
                location=(
                    Appointment.Location.TELETHERAPY
                    if tele_session
                    else Appointment.Location.OFFICE
                ),
                created_by=members["scheduler@demo.test"].user,
            )
            appointment.additional_clients.set(others)

        # One Teletherapy session about to open (its prompt shows 15 minutes before the start).
        soon = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
        book(tele, casey, soon, tele_session=True)
        tomorrow = timezone.localdate(now, clock.zone(ZONE)) + timedelta(days=1)

        def at(hour: int) -> datetime:
            return datetime.combine(tomorrow, time(hour), clock.zone(ZONE))

        book(tele, casey, at(10), tele_session=True)
        book(tele, jordan, at(14), tele_session=False)
        book(plain, riley, at(11), tele_session=False)
        # A couple's Teletherapy Session: Casey (the primary) and Pat, each on their own device.
        book(tele, casey, at(15), tele_session=True, others=(pat,))

        # A minor and their guardian: the parent joins the minor's session from their portal.
        dana = client("Dana", "Parent", username=GUARDIAN_USERNAME, date_of_birth=date(1984, 2, 9))
        dana.therapists.set([tele])
        mia = client("Mia", "Parent", date_of_birth=date(2014, 9, 30), is_minor=True)
        mia.therapists.set([tele])
        mia.guardians.set([dana])
        book(tele, mia, at(16), tele_session=True)

    def _print_sign_ins(self) -> None:
        out = self.stdout
        out.write(f"Demo practice {PRACTICE_NAME!r} created. Every demo sign-in below uses the")
        out.write(f"password: {DEMO_PASSWORD}")
        out.write("  Staff, at /accounts/sign-in/:")
        for email, _name, label, _roles in STAFF:
            out.write(f"    {label:<28} {email}")
        out.write(f"  Client Portal, at /portal/sign-in/: username {CLIENT_USERNAME}")
        out.write(f"    and {PARTNER_USERNAME}, Casey's partner in tomorrow's couples session")
        out.write(f"    and {GUARDIAN_USERNAME}, the guardian of a minor (Mia Parent)")
