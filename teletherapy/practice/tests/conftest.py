from teletherapy.test.browser import browser, live_server_factory, smtp_server  # noqa: F401
