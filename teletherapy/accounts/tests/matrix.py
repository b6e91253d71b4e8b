from teletherapy.test.matrix import Row, expect

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
]
