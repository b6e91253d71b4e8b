"""Hypothesis fuzzing of every form (issue 9, Tests): generated POST bodies and query strings,
sent through the full Django stack signed in as a persona who may use the form. None may give
a 500 or raise, and the other practice's rows (clients, appointments, staff, their users and
audit rows) hash the same after every input. The totals are printed at the end of the module.

Each input runs in a savepoint that is rolled back, so one input's change (a deactivated
client, a sign-out) does not decide what the next one meets.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teletherapy.accounts import forms as account_forms
from teletherapy.accounts.models import User
from teletherapy.audit.models import AuditEvent
from teletherapy.availability import forms as availability_forms
from teletherapy.clients import forms as client_forms
from teletherapy.clients.models import Client
from teletherapy.portal import forms as portal_forms
from teletherapy.practice import audit_forms
from teletherapy.practice import forms as practice_forms
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling import forms as scheduling_forms
from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import Cast

pytestmark = pytest.mark.django_db

# Inputs per form; 2,000 is the floor.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


@dataclass(frozen=True)
class Form:
    name: str
    persona: str
    fields: tuple[str, ...]
    kwargs: Callable[[Cast], dict[str, Any]] = field(default=lambda cast: {})
    method: str = "POST"


def _client(cast: Cast) -> dict[str, Any]:
    return {"client_id": cast.client_with_portal.pk}


def _tele(cast: Cast) -> dict[str, Any]:
    return {"appointment_id": cast.tele_appointment.pk}


def _staff(cast: Cast) -> dict[str, Any]:
    return {"staff_id": cast.therapist.pk}


def fields_of(form_class: type[forms.Form | forms.ModelForm[Any]], *extra: str) -> tuple[str, ...]:
    """The form class's own fields (so a field added later is fuzzed too), plus what the view
    reads beside the form."""
    return (*form_class.base_fields, *extra)


FORMS = (
    Form("accounts:sign_in", "anonymous", fields_of(account_forms.SignInForm, "next")),
    Form("accounts:forgot_password", "anonymous", fields_of(account_forms.ForgotPasswordForm)),
    Form("accounts:two_step", "owner", fields_of(account_forms.CodeForm)),
    Form("practice:create", "anonymous", fields_of(practice_forms.CreatePracticeForm)),
    Form("practice:details", "owner", fields_of(practice_forms.PracticeDetailsForm)),
    Form("practice:security", "owner", fields_of(practice_forms.SecurityForm)),
    Form("practice:calls", "owner", fields_of(practice_forms.CallPrivacyForm)),
    Form("practice:staff_add", "owner", fields_of(practice_forms.AddStaffForm)),
    Form("practice:staff_roles", "owner", fields_of(practice_forms.RolesForm), _staff),
    Form("practice:staff_teletherapy", "owner", ("enabled", "confirmed"), _staff),
    Form("practice:staff_details", "owner", fields_of(practice_forms.TherapistDetailsForm), _staff),
    Form("practice:staff_deactivate", "owner", ("confirmed",), _staff),
    Form("clients:add", "therapist", fields_of(client_forms.ClientForm)),
    Form("clients:edit", "therapist", fields_of(client_forms.ClientForm), _client),
    Form("clients:deactivate", "therapist", ("confirmed",), _client),
    Form(
        "scheduling:new_appointment",
        "scheduler",
        fields_of(scheduling_forms.NewAppointmentForm, "therapist", "location", "outside_hours_ok"),
    ),
    # Working hours: one field per weekday, made in the form's __init__.
    Form(
        "availability:working_hours",
        "therapist",
        tuple(f"day_{day}" for day in range(7)),
        _staff,
    ),
    Form("availability:closures", "manager", fields_of(availability_forms.ClosureForm)),
    Form(
        "scheduling:appointment_edit",
        "therapist",
        fields_of(scheduling_forms.EditAppointmentForm),
        _tele,
    ),
    Form("scheduling:appointment_move", "therapist", fields_of(scheduling_forms.MoveForm), _tele),
    Form(
        "scheduling:appointment_cancel",
        "therapist",
        fields_of(scheduling_forms.CancelForm, "confirmed"),
        _tele,
    ),
    Form("portal:sign_in", "anonymous", fields_of(portal_forms.PortalSignInForm, "next")),
    Form("portal:forgot_password", "anonymous", fields_of(portal_forms.ForgotPasswordForm)),
    Form("portal:details", "client", fields_of(portal_forms.ContactForm)),
    Form("portal:password", "client", fields_of(PasswordChangeForm)),
    # Query-string forms: the filters of the list pages.
    Form("clients:list", "therapist", ("q", "status", "page"), method="GET"),
    Form("audit:log", "owner", fields_of(audit_forms.AuditFilterForm, "page"), method="GET"),
    Form(
        "scheduling:my_schedule", "therapist", ("week", "date", "therapist", "view"), method="GET"
    ),
    Form(
        "scheduling:new_appointment",
        "therapist",
        ("therapist", "client", "slot", "date", "time", "partial"),
        method="GET",
    ),
    Form("scheduling:team_day", "manager", ("date",), method="GET"),
)

# Forms that take an object id: someone else's (or no such) therapist is a 404.
_ID_FILTERS = {"scheduling:new_appointment", "scheduling:my_schedule"}

# Values a real browser could send, to reach the deeper paths, and values none would.
_PLAUSIBLE = st.sampled_from(
    [
        "",
        "yes",
        "1",
        "0",
        "on",
        "NY",
        "CA",
        "America/New_York",
        "Mars/Olympus",
        "2026-12-02",
        "2026-02-30",
        "0001-01-01",
        "9999-12-31",
        "10:00",
        "25:61",
        "50",
        "-1",
        "99999999999999999999",
        "tess@maple.test",
        "owner@zebra.test",
        "quinn",
        "therapist",
        "owner",
        "90834",
        "office",
        "teletherapy",
        "https://evil.example/",
        "//evil.example",
        "\x00",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "NaN",
    ]
)
_VALUE = st.one_of(
    _PLAUSIBLE,
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
    st.integers().map(str),
    st.dates().map(str),
    st.emails(),
)
_ID_VALUE = st.one_of(_VALUE, st.integers(min_value=-2, max_value=50).map(str))


def _data(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, list[str]]]:
    known = st.fixed_dictionaries(
        {},
        optional={name: st.lists(_ID_VALUE, min_size=1, max_size=3) for name in fields},
    )
    extra = st.dictionaries(st.text(max_size=12), st.lists(_VALUE, max_size=2), max_size=2)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def _checksum(cast: Cast) -> str:
    """A hash of the other practice's rows: nothing done in this practice may touch them."""
    practice = cast.other_practice.pk
    staff = StaffMember.objects.filter(practice_id=practice)
    parts = [
        list(Client.objects.filter(practice_id=practice).order_by("pk").values()),
        list(Appointment.objects.filter(practice_id=practice).order_by("pk").values()),
        list(staff.order_by("pk").values()),
        list(User.objects.filter(pk__in=staff.values("user_id")).order_by("pk").values()),
        list(User.objects.filter(client__practice_id=practice).order_by("pk").values()),
        list(AuditEvent.objects.filter(practice_id=practice).order_by("pk").values()),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


TOTALS: dict[str, Counter[int]] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_totals(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not TOTALS:
        return
    statuses: Counter[int] = Counter()
    for counts in TOTALS.values():
        statuses.update(counts)
    inputs = sum(statuses.values())
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nform fuzzing: {len(TOTALS)} forms, {inputs} inputs, statuses "
            f"{dict(sorted(statuses.items()))}, 0 server errors, other practice unchanged"
        )
        for name, counts in TOTALS.items():
            print(f"  {name}: {sum(counts.values())} inputs {dict(sorted(counts.items()))}")


@pytest.mark.parametrize("form", FORMS, ids=lambda form: f"{form.method} {form.name}")
def test_generated_input_is_never_a_server_error(form: Form, cast: Cast) -> None:
    http = cast.client_for(form.persona)
    # Signed in as someone who may use the form: not refused before the form is read.
    url = reverse(form.name, kwargs=form.kwargs(cast))
    before = _checksum(cast)
    cookies = http.cookies
    counts = TOTALS.setdefault(f"{form.method} {form.name}", Counter())

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(data=_data(form.fields))
    def check(data: dict[str, list[str]]) -> None:
        http.cookies = cookies.__class__(cookies)
        cache.clear()  # rate limits would otherwise answer instead of the form
        with transaction.atomic():
            if form.method == "GET":
                response = http.get(url, data)
            else:
                response = http.post(url, data)
            assert response.status_code < 500, (form.name, data, response.status_code)
            refused = (401, 403, 405) if form.name in _ID_FILTERS else (401, 403, 404, 405)
            assert response.status_code not in refused, (form.name, data)
            assert _checksum(cast) == before, (form.name, data)
            transaction.set_rollback(True)
        counts[response.status_code] += 1

    check()
