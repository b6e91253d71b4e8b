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
]
