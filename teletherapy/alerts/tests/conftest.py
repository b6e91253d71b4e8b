from teletherapy.video.tests.conftest import (  # noqa: F401
    _fresh_refusal_tally,
    located,
    open_call,
)
