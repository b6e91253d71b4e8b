from teletherapy.test.matrix import Row, staff_page, staff_wrong_method

# Everyone who uses My Clients; the Biller does not.
_USERS = ("owner", "manager", "therapist", "therapist_plain", "scheduler")


def _with_portal(cast):
    return {"client_id": cast.client_with_portal.pk}


def _without_portal(cast):
    # Assigned only to `therapist`, so `therapist_plain` must not find it.
    return {"client_id": cast.client_without_portal.pk}


def _other_practice(cast):
    return {"client_id": cast.other_client.pk}


def _object_page(ok: int = 200, *, therapist_plain: int | None = None) -> dict[str, int]:
    result = staff_page(ok, allowed=_USERS)
    if therapist_plain is not None:
        result["therapist_plain"] = therapist_plain
    return result


ROWS = [
    Row("clients:list", staff_page(allowed=_USERS, other_practice=200)),
    Row(
        "clients:list", staff_page(allowed=_USERS, other_practice=200), query="?q=casey&status=all"
    ),
    Row("clients:list", staff_wrong_method(), method="POST"),
    Row("clients:add", staff_page(allowed=_USERS, other_practice=200)),
    # An empty form is answered with the form and its messages, nothing saved.
    Row("clients:add", staff_page(allowed=_USERS, other_practice=200), method="POST"),
    Row("clients:add", staff_wrong_method(), method="DELETE"),
    Row("clients:detail", _object_page(), kwargs=_with_portal),
    Row("clients:detail", _object_page(therapist_plain=404), kwargs=_without_portal),
    # The other practice's client: 404 for every staff member who may use My Clients.
    Row(
        "clients:detail",
        staff_page(404, allowed=_USERS, other_practice=200),
        kwargs=_other_practice,
    ),
    Row("clients:detail", staff_wrong_method(), method="POST", kwargs=_with_portal),
    Row("clients:edit", _object_page(), kwargs=_with_portal),
    Row("clients:edit", _object_page(therapist_plain=404), kwargs=_without_portal),
    Row("clients:edit", _object_page(), method="POST", kwargs=_with_portal),
    Row("clients:edit", staff_wrong_method(), method="PUT", kwargs=_with_portal),
    # Unconfirmed, deactivation only asks (the page for browsers without JavaScript).
    Row("clients:deactivate", _object_page(), method="POST", kwargs=_with_portal),
    Row(
        "clients:deactivate",
        _object_page(302),
        method="POST",
        kwargs=_with_portal,
        data=lambda cast: {"confirmed": "yes"},
    ),
    Row(
        "clients:deactivate",
        _object_page(302, therapist_plain=404),
        method="POST",
        kwargs=_without_portal,
        data=lambda cast: {"confirmed": "yes"},
    ),
    Row("clients:deactivate", staff_wrong_method(), kwargs=_with_portal),
    Row("clients:reactivate", _object_page(302), method="POST", kwargs=_with_portal),
    Row("clients:reactivate", staff_wrong_method(), kwargs=_with_portal),
    Row(
        "clients:send_portal_invite",
        _object_page(302, therapist_plain=404),
        method="POST",
        kwargs=_without_portal,
    ),
    Row(
        "clients:send_portal_invite",
        staff_page(404, allowed=_USERS, other_practice=302),
        method="POST",
        kwargs=_other_practice,
    ),
    Row("clients:send_portal_invite", staff_wrong_method(), kwargs=_without_portal),
    Row("clients:send_portal_reset", _object_page(302), method="POST", kwargs=_with_portal),
    Row(
        "clients:send_portal_reset",
        staff_page(404, allowed=_USERS, other_practice=302),
        method="POST",
        kwargs=_other_practice,
    ),
    Row("clients:send_portal_reset", staff_wrong_method(), kwargs=_with_portal),
]
