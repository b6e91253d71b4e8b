"""Shared fixtures. The test environment itself is set in teletherapy/test/pytest_env.py."""

import pytest

from teletherapy.test.browser import browser, live_server_factory, smtp_server  # noqa: F401


@pytest.fixture
def cast(db):
    from teletherapy.test.personas import build_cast

    return build_cast()


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
