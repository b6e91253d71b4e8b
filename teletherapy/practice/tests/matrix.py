from teletherapy.test.matrix import STAFF, Row, expect, staff_page, staff_wrong_method

MANAGERS = ("owner", "manager")
NEW_PRACTICE = {
    "practice_name": "Birch Therapy",
    "state": "NY",
    "time_zone": "America/New_York",
    "owner_name": "Bea Birch",
    "email": "bea@birch.test",
    "password1": "plum tractor window 81",
    "password2": "plum tractor window 81",
}


def _staff(name: str):
    return lambda cast: {"staff_id": getattr(cast, name).pk}


ROWS = [
    Row("practice:home", expect(302, anonymous=200)),
    Row("practice:home", expect(405), method="DELETE"),
    # Signed-in people already belong somewhere: they are sent home.
    Row("practice:create", expect(302, anonymous=200)),
    # Anonymous: "check your inbox" (the practice is made from the emailed link).
    Row(
        "practice:create",
        expect(302, anonymous=200),
        method="POST",
        data=lambda cast: NEW_PRACTICE,
    ),
    Row("practice:create", expect(405), method="PUT"),
    Row("practice:create_link", expect(302), kwargs=lambda cast: {"token": "not-a-token"}),
    Row(
        "practice:create_link",
        expect(405),
        method="POST",
        kwargs=lambda cast: {"token": "not-a-token"},
    ),
    # No link in the session: the link-problem page; signed-in people are sent home.
    Row("practice:create_confirm", expect(302, anonymous=400)),
    Row("practice:create_confirm", expect(302, anonymous=400), method="POST"),
    Row("practice:create_confirm", expect(405), method="PUT"),
    Row("practice:dashboard", staff_page(allowed=STAFF, other_practice=200)),
    Row("practice:dashboard", staff_wrong_method(), method="POST"),
    Row("practice:settings", staff_page(allowed=STAFF, other_practice=200)),
    Row("practice:settings", staff_wrong_method(), method="POST"),
    Row("practice:details", staff_page(allowed=MANAGERS, other_practice=200)),
    Row(
        "practice:details",
        staff_page(302, allowed=MANAGERS, other_practice=302),
        method="POST",
        data=lambda cast: {"name": "Maple Counseling", "state": "NY", "time_zone": "UTC"},
    ),
    Row("practice:details", staff_wrong_method(), method="PUT"),
    Row("practice:security", staff_page(allowed=("owner",), other_practice=200)),
    Row(
        "practice:security",
        staff_page(302, allowed=("owner",), other_practice=302),
        method="POST",
        data=lambda cast: {"idle_minutes": "15"},
    ),
    Row("practice:security", staff_wrong_method(), method="PUT"),
    Row("practice:calls", staff_page(allowed=MANAGERS, other_practice=200)),
    Row(
        "practice:calls",
        staff_page(302, allowed=MANAGERS, other_practice=302),
        method="POST",
        data=lambda cast: {},
    ),
    Row("practice:calls", staff_wrong_method(), method="PUT"),
    Row(
        "practice:staff_end_sessions",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
    ),
    Row("practice:staff_end_sessions", staff_wrong_method(), kwargs=_staff("therapist")),
    Row("practice:staff_add", staff_page(allowed=MANAGERS, other_practice=200)),
    Row(
        "practice:staff_add",
        staff_page(302, allowed=MANAGERS, other_practice=302),
        method="POST",
        data=lambda cast: {
            "full_name": "Nina New",
            "email": "nina@new.test",
            "roles": ["therapist"],
            "time_zone": "America/New_York",
            "licensed_states": ["NY"],
        },
    ),
    Row("practice:staff_add", staff_wrong_method(), method="PUT"),
    # Every staff member may read a colleague's Profile; another practice's answers 404.
    Row("practice:staff_profile", staff_page(), kwargs=_staff("therapist")),
    Row("practice:staff_profile", staff_wrong_method(), method="POST", kwargs=_staff("therapist")),
    Row(
        "practice:staff_roles",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist_plain"),
        data=lambda cast: {"roles": ["therapist", "scheduler"]},
    ),
    Row("practice:staff_roles", staff_wrong_method(), kwargs=_staff("therapist_plain")),
    Row(
        "practice:staff_teletherapy",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist_plain"),
        data=lambda cast: {"enabled": "1"},
    ),
    # Switching off asks first (the page for browsers without JavaScript) ...
    Row(
        "practice:staff_teletherapy",
        staff_page(allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
        data=lambda cast: {"enabled": "0"},
    ),
    # ... confirmed without saying what becomes of the session booked: asked again (400) ...
    Row(
        "practice:staff_teletherapy",
        staff_page(400, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
        data=lambda cast: {"enabled": "0", "confirmed": "yes"},
    ),
    # ... and goes ahead once confirmed with an answer (keep, or cancel).
    Row(
        "practice:staff_teletherapy",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
        data=lambda cast: {"enabled": "0", "confirmed": "yes", "booked": "keep"},
    ),
    Row(
        "practice:staff_teletherapy",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
        data=lambda cast: {"enabled": "0", "confirmed": "yes", "booked": "cancel"},
    ),
    Row("practice:staff_teletherapy", staff_wrong_method(), kwargs=_staff("therapist_plain")),
    Row(
        "practice:staff_details",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
        data=lambda cast: {"licensed_states": ["NY", "CT"], "time_zone": "America/Chicago"},
    ),
    Row("practice:staff_details", staff_wrong_method(), kwargs=_staff("therapist")),
    Row(
        "practice:staff_deactivate",
        staff_page(allowed=MANAGERS),
        method="POST",
        kwargs=_staff("biller"),
    ),
    Row(
        "practice:staff_deactivate",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("biller"),
        data=lambda cast: {"confirmed": "yes"},
    ),
    Row("practice:staff_deactivate", staff_wrong_method(), kwargs=_staff("biller")),
    Row(
        "practice:staff_reactivate",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("biller"),
    ),
    Row("practice:staff_reactivate", staff_wrong_method(), kwargs=_staff("biller")),
    # The biller accepted long ago, so a resend is refused with a message (400).
    Row(
        "practice:staff_resend",
        staff_page(400, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("biller"),
    ),
    Row("practice:staff_resend", staff_wrong_method(), kwargs=_staff("biller")),
    # No two-step device to switch off: nothing changes, back to the Profile.
    Row(
        "practice:staff_two_step_off",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_staff("therapist"),
    ),
    Row("practice:staff_two_step_off", staff_wrong_method(), kwargs=_staff("therapist")),
    # Invitation links are public; with no usable link in the session the page says so (400).
    Row("practice:invitation_link", expect(302), kwargs=lambda cast: {"token": "not-a-token"}),
    Row(
        "practice:invitation_link",
        expect(405),
        method="POST",
        kwargs=lambda cast: {"token": "not-a-token"},
    ),
    Row("practice:accept_invitation", expect(400)),
    Row("practice:accept_invitation", expect(405), method="PUT"),
]
