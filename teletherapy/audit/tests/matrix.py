from teletherapy.test.matrix import Row, staff_page, staff_wrong_method

ROWS = [
    Row("audit:log", staff_page(allowed=("owner", "manager"), other_practice=200)),
    Row(
        "audit:log",
        staff_page(allowed=("owner", "manager"), other_practice=200),
        query="?action=sign_in&page=2",
    ),
    # The log can only be read: nothing answers a write.
    Row("audit:log", staff_wrong_method(), method="POST"),
    Row("audit:log", staff_wrong_method(), method="DELETE"),
    # Only an Owner takes a copy of the log out (their own practice's, for a date range).
    Row("audit:export", staff_page(allowed=("owner",), other_practice=200)),
    Row(
        "audit:export",
        staff_page(allowed=("owner",), other_practice=200),
        query="?date_from=2026-01-01&date_to=2026-12-31",
    ),
    # A bad date is explained on the log page itself.
    Row(
        "audit:export",
        staff_page(400, allowed=("owner",), other_practice=400),
        query="?date_to=9999-12-31",
    ),
    Row("audit:export", staff_wrong_method(), method="POST"),
]
