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


# A couple's or a family's appointment (issue 13): each of its clients may open it from their
# portal, a client of the same practice who is not in it gets a 404, as does another
# practice's client; staff see it as any appointment of Tess's. The cast's client ("client")
# is the partner (an additional client), the primary, or not in it at all (a bystander).
def _group(role: str):
    def kwargs(cast):
        from teletherapy.scheduling.models import Appointment
        from teletherapy.test.personas import make_client

        first = make_client(cast.practice, "Pat", "Partner", therapists=[cast.therapist])
        second = make_client(cast.practice, "Bo", "Bystander", therapists=[cast.therapist])
        primary, others = {
            "partner": (first, [cast.client_with_portal]),
            "primary": (cast.client_with_portal, [first]),
            "bystander": (first, [second]),
        }[role]
        start = cast.tele_appointment.start
        appointment = Appointment.objects.create(
            practice=cast.practice,
            therapist=cast.therapist,
            client=primary,
            start=start,
            end=start + (cast.tele_appointment.end - start),
            is_teletherapy=True,
            location=Appointment.Location.TELETHERAPY,
            created_by=cast.therapist.user,
        )
        appointment.additional_clients.set(others)
        return {"appointment_id": appointment.pk}

    return kwargs


def _group_open(cast):
    from datetime import timedelta

    return cast.tele_appointment.start + timedelta(minutes=1)


def _group_rows():
    from teletherapy.test.matrix import portal_page

    rows = []
    for role in ("partner", "primary", "bystander"):
        for name in ("appointment", "appointment_edit", "appointment_history"):
            rows.append(
                Row(f"scheduling:{name}", _appointment_page(), kwargs=_group(role), when=role)
            )
        # The window open: each client of it gets the device check (200) and the ICE
        # servers; the room sends a client who has not said where they are to the check.
        for name, ok in (("check", 200), ("room", 302), ("ice", 200)):
            rows.append(
                Row(
                    f"portal_video:{name}",
                    portal_page(404 if role == "bystander" else ok, other_client=404),
                    kwargs=_group(role),
                    at=_group_open,
                    when=f"open, joint, client is {role}",
                )
            )
    return rows


ROWS += _group_rows()
