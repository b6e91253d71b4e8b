from teletherapy.test.matrix import Row, staff_page, staff_wrong_method

_USERS = ("owner", "manager", "therapist", "therapist_plain", "scheduler")
# Tess's appointment: the practice's schedulers and Tess herself; Paul (another therapist of
# the practice) and the other practice's owner get a 404, the biller a 403.
_TESS = ("owner", "manager", "therapist", "scheduler")


def _appointment_page(ok: int = 200) -> dict[str, int]:
    return {**staff_page(ok, allowed=_TESS), "therapist_plain": 404}


def _tele(cast):
    return {"appointment_id": cast.tele_appointment.pk}


ROWS = [
    Row("scheduling:my_schedule", staff_page(allowed=_USERS, other_practice=200)),
    Row("scheduling:my_schedule", staff_wrong_method(), method="POST"),
    Row("scheduling:new_appointment", staff_page(allowed=_USERS, other_practice=200)),
    # Booking for Tess: her own practice's schedulers and Tess may; Paul may not (404).
    Row(
        "scheduling:new_appointment",
        _appointment_page(),
        method="POST",
        data=lambda cast: {"therapist": cast.therapist.pk},
    ),
    Row("scheduling:new_appointment", staff_wrong_method(), method="PUT"),
    # All therapists side by side: the roles that schedule for others.
    Row(
        "scheduling:team_day",
        staff_page(allowed=("owner", "manager", "scheduler"), other_practice=200),
    ),
    Row("scheduling:team_day", staff_wrong_method(), method="POST"),
    Row("scheduling:appointment", _appointment_page(), kwargs=_tele),
    Row("scheduling:appointment", staff_wrong_method(), method="POST", kwargs=_tele),
    Row("scheduling:appointment_edit", _appointment_page(), kwargs=_tele),
    Row("scheduling:appointment_edit", _appointment_page(), method="POST", kwargs=_tele),
    Row("scheduling:appointment_edit", staff_wrong_method(), method="PUT", kwargs=_tele),
    Row("scheduling:appointment_history", _appointment_page(), kwargs=_tele),
    Row("scheduling:appointment_history", staff_wrong_method(), method="POST", kwargs=_tele),
    # No reason: the form again. A reason alone: the question (no JavaScript). Confirmed: done.
    Row("scheduling:appointment_cancel", _appointment_page(), method="POST", kwargs=_tele),
    Row(
        "scheduling:appointment_cancel",
        _appointment_page(),
        method="POST",
        kwargs=_tele,
        data=lambda cast: {"reason": "Moved away"},
    ),
    Row(
        "scheduling:appointment_cancel",
        _appointment_page(302),
        method="POST",
        kwargs=_tele,
        data=lambda cast: {"reason": "Moved away", "confirmed": "yes"},
    ),
    Row("scheduling:appointment_cancel", staff_wrong_method(), kwargs=_tele),
    Row("scheduling:appointment_move", _appointment_page(302), method="POST", kwargs=_tele),
    Row("scheduling:appointment_move", staff_wrong_method(), kwargs=_tele),
    Row("scheduling:appointment_no_show", _appointment_page(302), method="POST", kwargs=_tele),
    Row("scheduling:appointment_no_show", staff_wrong_method(), kwargs=_tele),
]
