from teletherapy.test.matrix import Row, expect

ROWS = [
    # Signed-in staff are sent on to their Dashboard; clients may still see the staff form.
    Row("accounts:sign_in", expect(302, anonymous=200, client=200, other_client=200)),
    Row("accounts:sign_in", expect(405), method="PUT"),
    Row("accounts:sign_out", expect(302, client=403, other_client=403), method="POST"),
    Row("accounts:sign_out", expect(405, anonymous=302, client=403, other_client=403)),
]
