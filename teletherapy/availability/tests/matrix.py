from datetime import date

from teletherapy.availability.models import Closure
from teletherapy.test.matrix import Row, staff_page, staff_wrong_method

MANAGERS = ("owner", "manager")
# Tess's working hours: Owners, Managers and Tess herself; Paul (another therapist), the
# scheduler and the biller get a 403, the other practice's owner a 404.
_TESS_HOURS = ("owner", "manager", "therapist")


def _tess(cast):
    return {"staff_id": cast.therapist.pk}


def _closure(cast):
    closure, _ = Closure.objects.get_or_create(
        practice=cast.practice, date=date(2099, 12, 25), defaults={"name": "Christmas Day"}
    )
    return {"closure_id": closure.pk}


ROWS = [
    Row("availability:working_hours", staff_page(allowed=_TESS_HOURS), kwargs=_tess),
    # Not a range: the form again with the message (400), nothing saved.
    Row(
        "availability:working_hours",
        staff_page(400, allowed=_TESS_HOURS),
        method="POST",
        kwargs=_tess,
        data=lambda cast: {"day_0": "not a range"},
    ),
    Row(
        "availability:working_hours",
        staff_page(302, allowed=_TESS_HOURS),
        method="POST",
        kwargs=_tess,
        data=lambda cast: {"day_0": "9:00-17:00"},
    ),
    Row("availability:working_hours", staff_wrong_method(), method="PUT", kwargs=_tess),
    Row("availability:closures", staff_page(allowed=MANAGERS, other_practice=200)),
    Row(
        "availability:closures",
        staff_page(400, allowed=MANAGERS, other_practice=400),
        method="POST",
    ),
    Row("availability:closures", staff_wrong_method(), method="PUT"),
    Row(
        "availability:closure_remove",
        staff_page(302, allowed=MANAGERS),
        method="POST",
        kwargs=_closure,
    ),
    Row("availability:closure_remove", staff_wrong_method(), kwargs=_closure),
]
