from teletherapy.test.matrix import Row, staff_page, staff_wrong_method

_USERS = ("owner", "manager", "therapist", "therapist_plain", "scheduler")
ROWS = [
    Row("scheduling:my_schedule", staff_page(allowed=_USERS, other_practice=200)),
    Row("scheduling:my_schedule", staff_wrong_method(), method="POST"),
]
