from teletherapy.test.matrix import Row, expect, portal_page

_TOKEN = {"token": "not-a-real-token"}

ROWS = [
    # Signed-in clients go straight to their Dashboard; everyone else sees the form.
    Row("portal:sign_in", expect(200, client=302, other_client=302)),
    Row("portal:sign_in", expect(200, client=302, other_client=302), method="POST"),
    Row("portal:sign_in", expect(405), method="PUT"),
    Row("portal:sign_out", portal_page(302), method="POST"),
    Row("portal:sign_out", portal_page(405)),
    Row("portal:forgot_password", expect(200)),
    Row("portal:forgot_password", expect(200), method="POST", data=lambda c: {"identifier": "x"}),
    Row("portal:forgot_password", expect(405), method="PUT"),
    # The token leaves the URL at once, whoever opens it.
    Row("portal:invite_link", expect(302), kwargs=lambda c: _TOKEN),
    Row("portal:invite_link", expect(405), method="POST", kwargs=lambda c: _TOKEN),
    # No link in the session: the one link-problem page (400), for everyone.
    Row("portal:invite", expect(400)),
    Row("portal:invite", expect(400), method="POST"),
    Row("portal:invite", expect(405), method="DELETE"),
    Row("portal:reset_link", expect(302), kwargs=lambda c: _TOKEN),
    Row("portal:reset_link", expect(405), method="POST", kwargs=lambda c: _TOKEN),
    Row("portal:reset", expect(400)),
    Row("portal:reset", expect(405), method="DELETE"),
    Row("portal:dashboard", portal_page(200)),
    Row("portal:dashboard", portal_page(405), method="POST"),
    Row("portal:details", portal_page(200)),
    Row("portal:details", portal_page(200), method="POST"),
    Row("portal:details", portal_page(405), method="PUT"),
    Row("portal:password", portal_page(200)),
    Row("portal:password", portal_page(200), method="POST"),
    Row("portal:password", portal_page(405), method="PUT"),
    Row("portal:sign_out_others", portal_page(302), method="POST"),
    Row("portal:sign_out_others", portal_page(405)),
    # Confirming the password before a sensitive change; a wrong one is explained on the page.
    Row("portal:confirm", portal_page(200)),
    Row("portal:confirm", portal_page(200), method="POST", data=lambda c: {"password": "wrong"}),
    Row("portal:confirm", portal_page(405), method="PUT"),
]
