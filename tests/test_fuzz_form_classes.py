"""Hypothesis fuzzing of every form class's validation (issue 9, Tests): 2,000 generated inputs
per form, bound and validated as the views do. Validation must answer valid or invalid with
messages for every input; it may never raise. The whole-stack fuzzing through the views, with
fewer inputs per form, is in test_fuzz_forms.py; this one reaches the issue's 2,000 per form
within the suite's time budget because it skips the request machinery.

The totals are printed at the end of the module.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teletherapy.accounts import forms as account_forms
from teletherapy.clients import forms as client_forms
from teletherapy.clients.models import Client
from teletherapy.portal import forms as portal_forms
from teletherapy.practice import audit_forms
from teletherapy.practice import forms as practice_forms
from teletherapy.scheduling import forms as scheduling_forms
from teletherapy.test.personas import Cast
from teletherapy.video import forms as video_forms

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_FORM_EXAMPLES", "2000"))
NEW_YORK = ZoneInfo("America/New_York")

Factory = Callable[[Cast, QueryDict], forms.BaseForm]

FORMS: dict[str, Factory] = {
    "staff sign-in": lambda cast, data: account_forms.SignInForm(data),
    "staff forgot password": lambda cast, data: account_forms.ForgotPasswordForm(data),
    "new password": lambda cast, data: account_forms.NewPasswordForm(
        data, user=cast.therapist.user
    ),
    "two-step code": lambda cast, data: account_forms.CodeForm(data),
    "client": lambda cast, data: client_forms.ClientForm(data, staff=cast.owner),
    "portal sign-in": lambda cast, data: portal_forms.PortalSignInForm(data),
    "portal forgot password": lambda cast, data: portal_forms.ForgotPasswordForm(data),
    "portal date of birth": lambda cast, data: portal_forms.ConfirmBirthDateForm(data),
    "portal create account": lambda cast, data: portal_forms.CreateAccountForm(
        data, client=cast.client_with_portal
    ),
    "portal my details": lambda cast, data: portal_forms.ContactForm(
        data, instance=Client.objects.get(pk=cast.client_with_portal.pk)
    ),
    "create practice": lambda cast, data: practice_forms.CreatePracticeForm(data),
    "add staff": lambda cast, data: practice_forms.AddStaffForm(data, by=cast.owner),
    "roles": lambda cast, data: practice_forms.RolesForm(data),
    "therapist details": lambda cast, data: practice_forms.TherapistDetailsForm(data),
    "practice details": lambda cast, data: practice_forms.PracticeDetailsForm(data),
    "practice security": lambda cast, data: practice_forms.SecurityForm(data),
    "practice calls": lambda cast, data: practice_forms.CallPrivacyForm(data),
    "audit filter": lambda cast, data: audit_forms.AuditFilterForm(data, viewer=cast.owner),
    "new appointment": lambda cast, data: scheduling_forms.NewAppointmentForm(
        data,
        therapist=cast.therapist,
        clients=Client.objects.filter(practice=cast.therapist.practice),
        tz=NEW_YORK,
    ),
    "edit appointment": lambda cast, data: scheduling_forms.EditAppointmentForm(
        data, appointment=cast.tele_appointment, tz=NEW_YORK
    ),
    "move appointment": lambda cast, data: scheduling_forms.MoveForm(data, tz=NEW_YORK),
    "cancel appointment": lambda cast, data: scheduling_forms.CancelForm(data),
    "session location": lambda cast, data: video_forms.LocationForm(data),
}

# Values people and attackers type: text of every kind, numbers, dates and times in and out of
# range, huge values, the choices' own shapes, control and surrogate-free unicode.
_VALUE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.dates().map(lambda d: f"{d.month}/{d.day}/{d.year}"),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.sampled_from(
        [
            "",
            " ",
            "9999-12-31",
            "0000-00-00",
            "24:00",
            "2026-03-08",
            "02:30",
            "on",
            "yes",
            "NY",
            "outside",
            "US",
            "America/New_York",
            "owner",
            "therapist",
            "-1",
            "0",
            "1e309",
            "a@b",
            "+1 212 555 0100",
            "12345-67890",
            "<script>alert(1)</script>",
            "'; DROP TABLE x; --",
            "\x00",
        ]
    ),
)


def _data(fields: list[str]) -> st.SearchStrategy[QueryDict]:
    def build(values: dict[str, list[str]]) -> QueryDict:
        query = QueryDict(mutable=True)
        for name, items in values.items():
            query.setlist(name, items)
        return query

    return st.dictionaries(
        st.sampled_from([*fields, "unexpected"]), st.lists(_VALUE, min_size=1, max_size=3)
    ).map(build)


TOTALS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _print_totals(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not TOTALS:
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nform-class fuzzing: {len(FORMS)} forms, {TOTALS['inputs']} inputs "
            f"({TOTALS['valid']} valid, {TOTALS['invalid']} invalid), 0 exceptions"
        )


@pytest.mark.parametrize("name", sorted(FORMS))
def test_validation_never_raises(name: str, cast: Cast) -> None:
    factory = FORMS[name]
    fields = list(factory(cast, QueryDict()).fields)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=_data(fields))
    def check(data: QueryDict) -> None:
        form = factory(cast, data)
        valid = form.is_valid()
        TOTALS["inputs"] += 1
        TOTALS["valid" if valid else "invalid"] += 1
        if not valid:
            # Every refusal is a message a person can read beside a field or above the form.
            assert form.errors
            assert all(
                str(message).strip() for errors in form.errors.values() for message in errors
            )

    check()
