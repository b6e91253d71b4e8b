from teletherapy.test.matrix import Row, expect

ROWS = [
    # Public: the load balancer has no session. Healthy in the test run, so 200 for everyone.
    Row("ops:healthz", expect(200)),
    Row("ops:healthz", expect(405), method="POST"),
]
