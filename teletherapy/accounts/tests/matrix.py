from teletherapy.test.matrix import STAFF, Row, expect, staff_page, staff_wrong_method

ROWS = [
    # Signed-in staff are sent on to their Dashboard; clients may still see the staff form.
    Row("accounts:sign_in", expect(302, anonymous=200, client=200, other_client=200)),
    Row("accounts:sign_in", expect(405), method="PUT"),
    Row("accounts:sign_out", expect(302, client=403, other_client=403), method="POST"),
    Row("accounts:sign_out", expect(405, anonymous=302, client=403, other_client=403)),
    Row("accounts:forgot_password", expect(200)),
    Row(
        "accounts:forgot_password",
        expect(302),
        method="POST",
        data=lambda cast: {"email": "tess@maple.test"},
    ),
    Row("accounts:forgot_password", expect(405), method="PUT"),
    Row("accounts:reset_link", expect(302), kwargs=lambda cast: {"token": "not-a-token"}),
    Row(
        "accounts:reset_link",
        expect(405),
        method="POST",
        kwargs=lambda cast: {"token": "not-a-token"},
    ),
    # No usable link in the session: the page says so.
    Row("accounts:reset_password", expect(400)),
    Row("accounts:reset_password", expect(405), method="PUT"),
    # Without a right password just before, the code page sends people back to sign in.
    Row("accounts:sign_in_code", expect(302)),
    Row("accounts:sign_in_code", expect(405), method="PUT"),
    Row("accounts:two_step", staff_page(allowed=STAFF, other_practice=200)),
    # A wrong code is explained on the page itself.
    Row(
        "accounts:two_step",
        staff_page(allowed=STAFF, other_practice=200),
        method="POST",
        data=lambda cast: {"code": "000000"},
    ),
    Row("accounts:two_step", staff_wrong_method(), method="PUT"),
    Row("accounts:my_account", staff_page(allowed=STAFF, other_practice=200)),
    Row("accounts:my_account", staff_wrong_method(), method="POST"),
    # A wrong current password is explained on the page (400).
    Row(
        "accounts:change_password",
        staff_page(400, allowed=STAFF, other_practice=400),
        method="POST",
        data=lambda cast: {"old_password": "wrong", "new_password1": "x", "new_password2": "x"},
    ),
    Row("accounts:change_password", staff_wrong_method()),
    Row(
        "accounts:sign_out_others",
        staff_page(302, allowed=STAFF, other_practice=302),
        method="POST",
    ),
    Row("accounts:sign_out_others", staff_wrong_method()),
    Row("accounts:confirm", staff_page(allowed=STAFF, other_practice=200)),
    Row(
        "accounts:confirm",
        staff_page(allowed=STAFF, other_practice=200),
        method="POST",
        data=lambda cast: {"password": "wrong"},
    ),
    Row("accounts:confirm", staff_wrong_method(), method="PUT"),
]
