from teletherapy.test.matrix import STAFF, Row, expect, staff_page, staff_wrong_method

ROWS = [
    Row("practice:home", expect(302, anonymous=200)),
    Row("practice:home", expect(405), method="DELETE"),
    Row("practice:dashboard", staff_page(allowed=STAFF, other_practice=200)),
    Row("practice:dashboard", staff_wrong_method(), method="POST"),
    Row("practice:settings", staff_page(allowed=STAFF, other_practice=200)),
    Row("practice:settings", staff_wrong_method(), method="POST"),
]
