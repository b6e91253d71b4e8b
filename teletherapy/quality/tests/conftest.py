from teletherapy.video.tests.conftest import (  # noqa: F401 - fixtures for this app's tests
    _fresh_refusal_tally,
    located,
    open_call,
)
