from teletherapy.test.matrix import Row, expect, portal_page

ROWS = [
    Row("portal:sign_in", expect(200)),
    Row("portal:sign_in", expect(405), method="PUT"),
    Row("portal:sign_out", portal_page(302), method="POST"),
    Row("portal:sign_out", portal_page(405)),
    Row("portal:dashboard", portal_page(200)),
    Row("portal:dashboard", portal_page(405), method="POST"),
]
