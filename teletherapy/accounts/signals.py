"""Keep the user→session map that lets deactivation sign a person out everywhere."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from teletherapy.accounts.models import UserSession
from teletherapy.accounts.reauth import AUTH_AT_KEY, SIGNED_IN_AT_KEY


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    # Both clocks start now: the recent sign-in (reauth.py) and the absolute session limit.
    now = int(time.time())
    session[AUTH_AT_KEY] = now
    session[SIGNED_IN_AT_KEY] = now
    if session.session_key is None:
        session.save()
    UserSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()
